// `npm run bench:denoise`: 200 denoise jobs on one short clip through the whole pipeline —
// GraphQL mutation → pg-boss → the real Python worker → job events → graphql-ws subscription.
//
// The API runs as a child process (`node src/main.ts`, WORKERS=1: it supervises one real Python
// worker) and is used once GET /readyz answers 200 (that includes a worker heartbeat). One clip
// (espeak-ng speech, 16 kHz mono) is uploaded once; then BENCH_JOBS `denoise(input:{audioId})`
// mutations are sent, BENCH_CONCURRENCY at a time, and each job is watched over one shared
// graphql-ws connection from right after its mutation returns (the subscription yields the
// current state first, so nothing is missed) until it completes after a final state.
//
// Per job: latency = final event received − mutation sent (client clock);
//          queue wait = first RUNNING state received − mutation sent;
//          engine time = finishedAt − startedAt of the final state (the server's timestamps);
//          pipeline overhead = latency − engine time.
// Database: a fresh database on DATABASE_URL's cluster when it is set (dropped after), else the
// child's embedded PostgreSQL. bench/out/<run>/ is removed at the end (BENCH_KEEP=1 keeps it).
//
// Settings (env): BENCH_JOBS (200), BENCH_CONCURRENCY (1), BENCH_READY_SECONDS (120),
// WORKER_CONCURRENCY (passed to the worker, default 1), BENCH_LOG_LEVEL (the child's LOG_LEVEL, warn).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { freshDatabase, startApiChild, type ApiChild } from './support.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const JOBS = Number(process.env.BENCH_JOBS ?? 200);
const CONCURRENCY = Math.max(1, Number(process.env.BENCH_CONCURRENCY ?? 1));
const READY_SECONDS = Number(process.env.BENCH_READY_SECONDS ?? 120);
const TARGET_OVERHEAD_P50_MS = 100;
const KEY = `bench-${randomBytes(12).toString('hex')}`;
const FINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

const runDir = join(ROOT, 'bench', 'out', `denoise-${Date.now()}-${process.pid}`);
const dataDir = join(runDir, 'data');

const say = (s: string) => console.log(s);
const fmt = (n: number | undefined, d = 1) => (n === undefined || Number.isNaN(n) ? 'n/a' : n.toFixed(d));




async function gql<T = any>(url: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const r = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await r.json()) as { data?: T; errors?: unknown };
  if (body.errors || !body.data) throw new Error(`GraphQL error (HTTP ${r.status}): ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** uploadAudio with a small file (a multipart request from fetch + FormData). */
async function uploadAudio(url: string, path: string): Promise<{ id: string; durationSeconds: number; bytes: number }> {
  const form = new FormData();
  form.set('operations', JSON.stringify({ query: 'mutation($f: Upload!) { uploadAudio(file: $f) { id durationSeconds bytes } }', variables: { f: null } }));
  form.set('map', JSON.stringify({ 0: ['variables.f'] }));
  form.set('0', new Blob([new Uint8Array(readFileSync(path))], { type: 'audio/wav' }), 'clip.wav');
  const r = await fetch(`${url}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'graphql-require-preflight': '1' }, body: form });
  const body = (await r.json()) as any;
  if (!body.data?.uploadAudio) throw new Error(`upload failed (HTTP ${r.status}): ${JSON.stringify(body.errors)}`);
  return body.data.uploadAudio;
}

function speechClip(): string {
  const raw = join(runDir, 'espeak.wav');
  const wav = join(runDir, 'clip.wav');
  execFileSync('espeak-ng', ['-v', 'en-us', '-s', '160', '-w', raw, 'hello from the denoise bench']);
  execFileSync('sox', [raw, '-r', '16000', '-c', '1', '-b', '16', wav]);
  return wav;
}

type JobState = { id: string; status: string; engine: string | null; startedAt: string | null; finishedAt: string | null; createdAt: string; attempts: number; error: { code: string; message: string } | null };
type Sample = {
  id: string;
  sentAt: number; // Date.now() before the mutation request
  acceptedAt: number; // the mutation's response
  runningAt?: number; // first RUNNING state received
  finalAt: number;
  final: JobState;
  events: number;
};

const WATCH = `subscription($id: ID!) { jobUpdated(id: $id) { id status engine attempts createdAt startedAt finishedAt error { code message } } }`;

function watch(ws: Client, id: string): Promise<{ runningAt?: number; finalAt: number; final: JobState; events: number }> {
  return new Promise((resolve, reject) => {
    let runningAt: number | undefined;
    let last: JobState | undefined;
    let finalAt = 0;
    let events = 0;
    ws.subscribe<{ jobUpdated: JobState }>(
      { query: WATCH, variables: { id } },
      {
        next: (v) => {
          const now = Date.now();
          if (v.errors || !v.data) return reject(new Error(`subscription error for ${id}: ${JSON.stringify(v.errors)}`));
          events++;
          last = v.data.jobUpdated;
          if (last.status === 'RUNNING' && runningAt === undefined) runningAt = now;
          if (FINAL.has(last.status) && !finalAt) finalAt = now;
        },
        error: (err) => reject(err instanceof Error ? err : new Error(`subscription error for ${id}: ${JSON.stringify(err)}`)),
        complete: () => {
          if (!last || !finalAt) return reject(new Error(`subscription for ${id} completed without a final state (last: ${last?.status})`));
          resolve({ runningAt, finalAt, final: last, events });
        },
      },
    );
  });
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};

async function main() {
  mkdirSync(dataDir, { recursive: true });
  const db = await freshDatabase();
  let api: ApiChild | undefined;
  let ws: Client | undefined;
  let failed = false;
  try {
    say(`voxgraph denoise bench: ${JOBS} jobs, concurrency ${CONCURRENCY}, database: ${db.url ? 'fresh database on DATABASE_URL' : 'embedded PostgreSQL (child)'}`);
    const clip = speechClip();
    let t = performance.now();
    const started = (api = await startApiChild({ databaseUrl: db.url, dataDir, apiKey: KEY, env: { WORKERS: '1' }, readySeconds: READY_SECONDS }));
    say(`API child pid ${started.child.pid} (WORKERS=1) ready in ${fmt((performance.now() - t) / 1000, 2)} s`);
    const audio = await uploadAudio(started.url, clip);
    say(`uploaded clip ${audio.id}: ${audio.bytes} bytes, ${fmt(audio.durationSeconds, 2)} s`);

    ws = createClient({
      url: started.url.replace(/^http/, 'ws') + '/graphql',
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${KEY}` },
      retryAttempts: 0,
      lazy: false,
    });

    // Warm-up: one job, not counted (first claim, engine imports, caches).
    {
      const { denoise } = await gql(started.url, `mutation($id: ID!) { denoise(input: { audioId: $id, cache: false }) { id } }`, { id: audio.id });
      const w = await watch(ws, denoise.id);
      say(`warm-up job ${denoise.id}: ${w.final.status} (engine ${w.final.engine})${w.final.error ? ` (${w.final.error.code}: ${w.final.error.message})` : ''}`);
    }

    const samples: Sample[] = [];
    let next = 0;
    const t0 = Date.now();
    const lane = async () => {
      while (next < JOBS) {
        next++;
        const sentAt = Date.now();
        const { denoise } = await gql<{ denoise: { id: string } }>(started.url, `mutation($id: ID!) { denoise(input: { audioId: $id, cache: false }) { id } }`, { id: audio.id });
        const acceptedAt = Date.now();
        const w = await watch(ws!, denoise.id);
        samples.push({ id: denoise.id, sentAt, acceptedAt, ...w });
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));
    const wallS = (Date.now() - t0) / 1000;

    const ok = samples.filter((s) => s.final.status === 'SUCCEEDED');
    const bad = samples.filter((s) => s.final.status !== 'SUCCEEDED');
    const latency = ok.map((s) => s.finalAt - s.sentAt);
    const mutation = ok.map((s) => s.acceptedAt - s.sentAt);
    const queueWait = ok.filter((s) => s.runningAt !== undefined).map((s) => s.runningAt! - s.sentAt);
    const engine = ok.filter((s) => s.final.startedAt && s.final.finishedAt).map((s) => Date.parse(s.final.finishedAt!) - Date.parse(s.final.startedAt!));
    const overhead = ok.filter((s) => s.final.startedAt && s.final.finishedAt).map((s) => s.finalAt - s.sentAt - (Date.parse(s.final.finishedAt!) - Date.parse(s.final.startedAt!)));
    const retried = ok.filter((s) => s.final.attempts > 1).length;
    const p50Overhead = pct(overhead, 50);

    say('');
    say(`jobs                   ${samples.length} finished: ${ok.length} SUCCEEDED, ${bad.length} other${retried ? `, ${retried} needed more than one attempt` : ''}`);
    for (const s of bad.slice(0, 5)) say(`  ${s.id}: ${s.final.status} ${s.final.error ? `${s.final.error.code}: ${s.final.error.message}` : ''}`);
    say(`wall time              ${fmt(wallS, 2)} s`);
    say(`throughput             ${fmt(samples.length / wallS, 2)} jobs/s`);
    say(`latency (ms)           p50 ${fmt(pct(latency, 50), 0)}  p90 ${fmt(pct(latency, 90), 0)}  p99 ${fmt(pct(latency, 99), 0)}  max ${fmt(pct(latency, 100), 0)}   (mutation sent → final event received)`);
    say(`mutation (ms)          p50 ${fmt(pct(mutation, 50), 0)}  p99 ${fmt(pct(mutation, 99), 0)}`);
    say(`queue wait (ms)        p50 ${fmt(pct(queueWait, 50), 0)}  p90 ${fmt(pct(queueWait, 90), 0)}  p99 ${fmt(pct(queueWait, 99), 0)}   (mutation sent → RUNNING received; seen for ${queueWait.length}/${ok.length})`);
    say(`engine time (ms)       p50 ${fmt(pct(engine, 50), 0)}  p90 ${fmt(pct(engine, 90), 0)}  p99 ${fmt(pct(engine, 99), 0)}   (finishedAt − startedAt)`);
    say(
      `pipeline overhead (ms) p50 ${fmt(p50Overhead, 0)}  p90 ${fmt(pct(overhead, 90), 0)}  p99 ${fmt(pct(overhead, 99), 0)}   target p50 < ${TARGET_OVERHEAD_P50_MS} ms: ${
        p50Overhead < TARGET_OVERHEAD_P50_MS ? 'MET' : 'NOT MET'
      }`,
    );
    if (CONCURRENCY > 1) say(`  (with concurrency ${CONCURRENCY} the overhead includes waiting behind other jobs for the worker's slots)`);
    failed = ok.length !== JOBS;
  } catch (err) {
    failed = true;
    console.error(err);
  } finally {
    await ws?.dispose();
    await api?.stop();
    await db.drop().catch((err) => console.error('dropping the bench database failed:', err));
    if (process.env.BENCH_KEEP === '1') say(`kept ${runDir}`);
    else rmSync(runDir, { recursive: true, force: true });
  }
  process.exitCode = failed ? 1 : 0;
}

await main();
