// Three API processes and two workers on one PostgreSQL, as a scaled-out deployment runs: API-only
// processes (WORKERS=0, started at once on a fresh database: they migrate it together) sharing a
// DATA_DIR, and workers started on their own (`python -m voxgraph_worker` with DATABASE_URL) that
// join the pool. A file uploaded through API 3 is used by a job submitted through API 1, watched
// through API 2 and downloaded through API 3; 16 clients at once; a worker SIGKILLed mid-job is
// recovered once although three supervisors and reconcilers watch the pool.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { startApiChild, type ApiChild } from '../bench/support.ts';
import { createClient, isFinal, resultAudio, type Job, type VoxgraphClient } from '../sdk/src/index.ts';
import { longAudio, read, speech } from './support/audio.ts';
import { createTestDatabase } from './support/database.ts';
import { startWorker, type WorkerProcess } from './support/worker.ts';

const KEY = 'many-processes-key-0123456789';
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let dataDir: string;
let apis: ApiChild[] = [];
const workers: WorkerProcess[] = [];
const clients: VoxgraphClient[] = [];
let sql: pg.Client;

before(async () => {
  db = await createTestDatabase();
  dataDir = mkdtempSync(join(tmpdir(), 'voxgraph-many-'));
  const env = { WORKERS: '0', JOB_HEARTBEAT_SECONDS: '10', SUPERVISE_INTERVAL_SECONDS: '1', JOB_RETRY_DELAY_SECONDS: '1' };
  apis = await Promise.all([0, 1, 2].map(() => startApiChild({ databaseUrl: db.url, dataDir, apiKey: KEY, env, readySeconds: 60 })));
  for (let i = 0; i < 2; i++) workers.push(await startWorker(db.url, dataDir, { JOB_HEARTBEAT_SECONDS: '10' }));
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
});
after(async () => {
  for (const c of clients) await c.close();
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
  await Promise.all(apis.map((a) => a.stop()));
  await sql?.end();
  await db?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

const client = (api: ApiChild) => {
  const c = createClient({ url: api.url, apiKey: KEY });
  clients.push(c);
  return c;
};
/** The same signed URL through another API process (they share DATA_DIR, so its signing secret). */
const via = (api: ApiChild, url: string) => `${api.url}${new URL(url).pathname}${new URL(url).search}`;

test('submitted through API 1, watched through API 2, downloaded through API 3; 16 clients at once', { timeout: 240_000 }, async () => {
  const [one, two, three] = apis.map(client) as [VoxgraphClient, VoxgraphClient, VoxgraphClient];
  const q = await two.queue();
  assert.equal(q.workers.length, 2, 'both standalone workers joined the pool');
  const uploaded = await three.upload(new Blob([read(speech('uploaded through api three'))]));
  const results = await Promise.all(
    Array.from({ length: 16 }, async (_, i) => {
      const job = i % 2 ? await one.denoise({ audioId: uploaded.id, cache: false }) : await one.synthesize({ text: `client ${i}`, cache: false });
      const states: Job[] = [];
      for await (const state of two.watch(job.id)) states.push(state);
      return states;
    }),
  );
  for (const states of results) {
    const final = states.at(-1)!;
    assert.equal(final.status, 'SUCCEEDED');
    const log = (await sql.query<{ seq: number }>(`SELECT seq FROM voxgraph.job_event WHERE job_id = $1 ORDER BY seq`, [final.id])).rows.map((r) => r.seq);
    assert.deepEqual(states.map((s) => s.version), log.slice(states[0]!.version - 1), 'watched through API 2: exactly the log');
    const audio = resultAudio(final)!;
    const r = await fetch(via(apis[2]!, audio.url));
    assert.equal(r.status, 200, 'the result downloads through API 3');
    assert.equal(Number(r.headers.get('content-length')), audio.bytes);
  }
});

test('the workers SIGKILLed mid-job: the job is recovered once, not once per API process, and a new worker finishes it', { timeout: 240_000 }, async () => {
  const one = client(apis[0]!);
  const job = await one.denoise({ file: new Blob([read(longAudio(400))]), cache: false });
  for (;;) {
    const { rows } = await sql.query<{ status: string; progress: number }>(`SELECT status::text, progress FROM voxgraph.job WHERE id = $1`, [job.id]);
    if (rows[0]!.status === 'running' && rows[0]!.progress > 0) break;
    assert.ok(!['succeeded', 'failed', 'cancelled'].includes(rows[0]!.status), 'the long job ended before it could be killed');
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const w of workers) w.child.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
  // The replacement through the worker-only entry point (bin/voxgraph-worker).
  workers.push(await startWorker(db.url, dataDir, { JOB_HEARTBEAT_SECONDS: '10' }, { entryPoint: true }));
  const done = await client(apis[1]!).waitFor(job.id);
  assert.equal(done.status, 'SUCCEEDED');
  const events = (await sql.query<{ status: string; error_code: string | null }>(`SELECT status::text, error_code FROM voxgraph.job_event WHERE job_id = $1 ORDER BY seq`, [job.id])).rows;
  const story = events.map((e) => `${e.status}${e.error_code ? `(${e.error_code})` : ''}`).join(' ');
  const recoveries = events.filter((e) => e.status === 'retrying');
  assert.equal(recoveries.length, 1, `one recovery: ${story}`);
  assert.equal(recoveries[0]!.error_code, 'WORKER_LOST', story);
  assert.equal(events.filter((e) => e.status === 'succeeded').length, 1, story);
  assert.equal(done.attempts, 2, story);
});
