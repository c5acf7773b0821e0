// `npm run bench:scale`: the same workload against 1, 2 and 3 API processes (WORKERS=0) and 1, 2
// and 4 standalone workers on one PostgreSQL, on this machine. 16 clients, each submitting a
// denoise job (its clip uploaded once) through one API and watching it through the next (so
// every event crosses processes through PostgreSQL's LISTEN). Prints per configuration: jobs/s,
// p50/p99 of mutation → final state, the event lag a watcher sees (event written → received, p50
// and p99), and PostgreSQL commits per job. Then it measures what this PostgreSQL commits per
// second (16 connections doing one-row write transactions for 5 s), the ceiling docs/scaling.md
// projects from.
// Settings (env): BENCH_JOBS (200 per configuration), BENCH_CLIENTS (16), BENCH_APIS (1,2,3),
// BENCH_WORKER_COUNTS (1,2,4), BENCH_JSON (also write the figures there).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createClient, isFinal, type VoxgraphClient } from '../sdk/src/index.ts';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';
import { log } from '../src/log.ts';
import { startWorker, type WorkerProcess } from '../test/support/worker.ts';
import { freePort, startApiChild, type ApiChild } from './support.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const JOBS = Number(process.env.BENCH_JOBS ?? 200);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const APIS = (process.env.BENCH_APIS ?? '1,2,3').split(',').map(Number);
const WORKER_COUNTS = (process.env.BENCH_WORKER_COUNTS ?? '1,2,4').split(',').map(Number);
const KEY = `bench-${randomBytes(12).toString('hex')}`;
const runDir = join(ROOT, 'bench', 'out', `scale-${Date.now()}-${process.pid}`);
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]! : NaN;
};
log.level = 'warn';

type Row = { apis: number; workers: number; jobsPerSecond: number; p50: number; p99: number; lagP50: number; lagP99: number; commitsPerJob: number; failed: number };

async function commits(db: pg.Client): Promise<number> {
  return Number((await db.query(`SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()`)).rows[0].xact_commit);
}

async function runConfig(dbUrl: string, apiCount: number, workerCount: number, clipBytes: Buffer): Promise<Row> {
  const dataDir = join(runDir, `data-${apiCount}-${workerCount}`);
  mkdirSync(dataDir, { recursive: true });
  const apis: ApiChild[] = [];
  const workers: WorkerProcess[] = [];
  const clients: VoxgraphClient[] = [];
  try {
    apis.push(...(await Promise.all(Array.from({ length: apiCount }, () => startApiChild({ databaseUrl: dbUrl, dataDir, apiKey: KEY, env: { WORKERS: '0', RATE_LIMIT_JOBS_PER_SECOND: '0' } })))));
    // Each worker one torch thread: they share two cores.
    for (let i = 0; i < workerCount; i++) workers.push(await startWorker(dbUrl, dataDir, { WORKER_TORCH_THREADS: '1', WORKER_BATCH_SIZE: '16' }));
    const byApi = apis.map((a) => createClient({ url: a.url, apiKey: KEY }));
    clients.push(...byApi);
    const clip = await byApi[0]!.upload(new Blob([new Uint8Array(clipBytes)]));
    const db = new pg.Client({ connectionString: dbUrl });
    await db.connect();
    const run = async (n: number) => {
      const latencies: number[] = [];
      const lags: number[] = [];
      let failed = 0;
      let next = 0;
      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, c) => {
          const submitVia = byApi[c % apiCount]!;
          const watchVia = byApi[(c + 1) % apiCount]!;
          while (next < n) {
            next++;
            const sent = performance.now();
            const job = await submitVia.denoise({ audioId: clip.id, cache: false });
            let last = job;
            let first = true;
            for await (const state of watchVia.watch(job.id)) {
              // The first state a watch yields is the current one, whatever its age: lags come from the rest.
              if (!first) lags.push(Date.now() - Date.parse(state.updatedAt));
              first = false;
              last = state;
            }
            if (!isFinal(last) || last.status !== 'SUCCEEDED') failed++;
            latencies.push(performance.now() - sent);
          }
        }),
      );
      return { latencies, lags, failed };
    };
    await run(Math.min(32, JOBS)); // warm-up: connections, engines, caches
    const c0 = await commits(db);
    const t0 = performance.now();
    const { latencies, lags, failed } = await run(JOBS);
    const seconds = (performance.now() - t0) / 1000;
    const c1 = await commits(db);
    await db.end();
    return { apis: apiCount, workers: workerCount, jobsPerSecond: JOBS / seconds, p50: pct(latencies, 50), p99: pct(latencies, 99), lagP50: pct(lags, 50), lagP99: pct(lags, 99), commitsPerJob: (c1 - c0) / JOBS, failed };
  } finally {
    for (const c of clients) await c.close();
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    await Promise.all(apis.map((a) => a.stop()));
  }
}

/** What this PostgreSQL commits per second: 16 connections, one-row write transactions, for 5 s. */
async function commitCeiling(dbUrl: string): Promise<number> {
  const setup = new pg.Client({ connectionString: dbUrl });
  await setup.connect();
  await setup.query('CREATE TABLE IF NOT EXISTS bench_commit (id bigserial PRIMARY KEY, at timestamptz DEFAULT now())');
  const until = performance.now() + 5000;
  let n = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      const c = new pg.Client({ connectionString: dbUrl });
      await c.connect();
      while (performance.now() < until) {
        await c.query('INSERT INTO bench_commit DEFAULT VALUES');
        n++;
      }
      await c.end();
    }),
  );
  await setup.query('DROP TABLE bench_commit');
  await setup.end();
  return n / 5;
}

mkdirSync(runDir, { recursive: true });
let stopPg = async () => {};
try {
  const raw = join(runDir, 'espeak.wav');
  const wav = join(runDir, 'clip.wav');
  execFileSync('espeak-ng', ['-v', 'en-us', '-s', '200', '-w', raw, 'one second of speech']);
  execFileSync('sox', [raw, '-r', '16000', '-c', '1', '-b', '16', wav, 'pad', '0', '1', 'trim', '0', '1']);
  const clipBytes = readFileSync(wav);
  const postmaster = await startEmbeddedPostgres(join(runDir, 'pg'), await freePort(), log);
  stopPg = postmaster.stop;
  const rows: Row[] = [];
  console.log(`== bench:scale: ${JOBS} denoise jobs per configuration, ${CLIENTS} clients (submit through one API, watch through the next)`);
  console.log('apis workers   jobs/s   p50 ms   p99 ms   lag p50 ms   lag p99 ms   commits/job   failed');
  for (const a of APIS) {
    for (const w of WORKER_COUNTS) {
      // A fresh database per configuration: the same starting point for each.
      const name = `scale_${a}_${w}`;
      const admin = new pg.Client({ connectionString: postmaster.url });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const url = postmaster.url.replace(/\/[^/?]*(\?|$)/, `/${name}$1`);
      const r = await runConfig(url, a, w, clipBytes);
      rows.push(r);
      console.log(
        `${String(a).padStart(4)} ${String(w).padStart(7)} ${r.jobsPerSecond.toFixed(1).padStart(8)} ${r.p50.toFixed(0).padStart(8)} ${r.p99.toFixed(0).padStart(8)} ${r.lagP50.toFixed(0).padStart(12)} ${r.lagP99.toFixed(0).padStart(12)} ${r.commitsPerJob.toFixed(1).padStart(13)} ${String(r.failed).padStart(8)}`,
      );
    }
  }
  const ceiling = await commitCeiling(postmaster.url);
  const best = rows.reduce((a, b) => (b.jobsPerSecond > a.jobsPerSecond ? b : a));
  console.log(`commit ceiling    ${ceiling.toFixed(0)} one-row write transactions/s (16 connections, this PostgreSQL, this machine)`);
  console.log(`projection        at ${best.commitsPerJob.toFixed(1)} commits/job, commits alone cap one PostgreSQL near ${(ceiling / best.commitsPerJob).toFixed(0)} jobs/s here (see docs/scaling.md)`);
  if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ rows, ceiling }, null, 2));
  if (rows.some((r) => r.failed)) process.exitCode = 1;
} finally {
  await stopPg();
  rmSync(runDir, { recursive: true, force: true });
}
