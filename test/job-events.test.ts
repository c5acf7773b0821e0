// How a job's events reach its subscribers (src/events/): the notification carries the event, so
// any number of subscribers in a process follow a job without a query per event; what the channel
// cannot deliver in sequence (a payload too big for NOTIFY, a dropped listener connection) is read
// from the event log, without a gap or a repeat. A listener connection that goes silent (half-open)
// is found by its ping and replaced, and a job that changed without a word is found by the
// periodic check (EVENTS_CHECK_SECONDS).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { Queryable } from '../src/db/pool.ts';
import { JobFollower } from '../src/events/job-follower.ts';
import type { JobRow } from '../src/jobs/rows.ts';
import { speech } from './support/audio.ts';
import { gql, gqlUpload, subscribeWs, WATCH_JOB } from './support/client.ts';
import { adminUrl } from './support/database.ts';
import { KEY_A, startTestServer, type TestServer } from './support/server.ts';
import { startTcpProxy } from './support/tcp-proxy.ts';

let s: TestServer;
let db: pg.Client;
let audioId: string;
before(async () => {
  s = await startTestServer({ WORKERS: '0', EVENTS_CHECK_SECONDS: '0.5' });
  db = new pg.Client(s.databaseUrl);
  await db.connect();
  const up = await gqlUpload(s.url, KEY_A, `mutation($f: Upload!) { uploadAudio(file: $f) { id } }`, { f: null }, 'f', speech('events'));
  audioId = up.data.uploadAudio.id;
});
after(async () => {
  await db.end();
  await s.close();
});

/** The pool, counting the queries that go through it. */
function counted() {
  const c = { n: 0, db: null as unknown as Queryable };
  c.db = { query: (...args: unknown[]) => (c.n++, (s.deps.pool.query as (...a: unknown[]) => unknown)(...args)) } as unknown as Queryable;
  return c;
}

async function newJob(): Promise<string> {
  const { data } = await gql(s.url, KEY_A, `mutation($a: ID!) { denoise(input: { audioId: $a }) { id } }`, { a: audioId });
  return data.denoise.id;
}

/** What a worker does to a job's row, through the same SQL function. */
const record = (id: string, status: string, extra = '') => db.query(`SELECT voxgraph.record_job_event($1, $2::voxgraph.job_status${extra})`, [id, status]);

async function collect(f: JobFollower): Promise<JobRow[]> {
  const out: JobRow[] = [];
  for (let j = await f.next(); j; j = await f.next()) out.push(j);
  f.close();
  return out;
}

test('50 subscribers on one job: one query each to start, none per event', async () => {
  const id = await newJob();
  const c = counted();
  const followers = await Promise.all(Array.from({ length: 50 }, () => JobFollower.open(c.db, s.deps.events, 'tenant-a', id, null)));
  assert.equal(c.n, 50);
  const all = Promise.all(followers.map(collect));
  await record(id, 'running', ', p_attempts => 1, p_engine => $$mmse-lsa$$');
  for (const p of [0.25, 0.5, 0.75]) await record(id, 'running', `, p_progress => ${p}`);
  await record(id, 'succeeded', `, p_result => '{"kind":"denoise"}'::jsonb`);
  for (const states of await all) {
    assert.deepEqual(states.map((j) => [j.seq, j.status, j.progress]), [[1, 'queued', 0], [2, 'running', 0], [3, 'running', 0.25], [4, 'running', 0.5], [5, 'running', 0.75], [6, 'succeeded', 1]]);
    assert.equal(states.at(-1)!.engine, 'mmse-lsa');
    assert.deepEqual(states.at(-1)!.result, { kind: 'denoise' });
    assert.ok(states.at(-1)!.finished_at instanceof Date);
  }
  assert.equal(c.n, 50, 'no query per event');
});

test('an event too big for a notification is read from the log', async () => {
  const id = await newJob();
  const c = counted();
  const f = await JobFollower.open(c.db, s.deps.events, 'tenant-a', id, null);
  const states = collect(f);
  await record(id, 'running', ', p_attempts => 1');
  const words = Array.from({ length: 400 }, (_, i) => ({ text: `word${i}`, start: i, end: i + 0.5, confidence: 0.9 }));
  await db.query(`SELECT voxgraph.record_job_event($1, 'succeeded', p_result => $2::jsonb)`, [id, JSON.stringify({ kind: 'align', words, language: 'en' })]);
  const got = await states;
  assert.deepEqual(got.map((j) => j.status), ['queued', 'running', 'succeeded']);
  assert.equal((got.at(-1)!.result as { words: unknown[] }).words.length, 400);
  assert.ok(c.n > 1, 'the big event was read from the table');
});

test('when the listener connection drops, subscribers catch up from the log with no gap', async () => {
  const id = await newJob();
  const f = await JobFollower.open(s.deps.pool, s.deps.events, 'tenant-a', id, null);
  assert.equal((await f.next())!.status, 'queued');
  await db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'voxgraph-events' AND datname = current_database()`);
  // Written while nobody listens: only the log has them.
  await record(id, 'running', ', p_attempts => 1');
  await record(id, 'running', ', p_progress => 0.5');
  await record(id, 'succeeded');
  const rest = await collect(f);
  assert.deepEqual(rest.map((j) => [j.seq, j.status]), [[2, 'running'], [3, 'running'], [4, 'succeeded']]);
  for (let i = 0; i < 50 && !s.deps.events.listening; i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(s.deps.events.listening, 'the listener reconnected');
});

test('afterVersion replays the log, then follows live events', async () => {
  const id = await newJob();
  await record(id, 'running', ', p_attempts => 1');
  const f = await JobFollower.open(s.deps.pool, s.deps.events, 'tenant-a', id, 0);
  const states = collect(f);
  await record(id, 'cancelled', `, p_error_code => 'CANCELLED'`);
  assert.deepEqual((await states).map((j) => [j.seq, j.status]), [[1, 'queued'], [2, 'running'], [3, 'cancelled']]);
});

test('another tenant\'s job is NOT_FOUND', async () => {
  const id = await newJob();
  await assert.rejects(JobFollower.open(s.deps.pool, s.deps.events, 'tenant-b', id, null), (e: Error & { extensions?: { code?: string } }) => e.extensions?.code === 'NOT_FOUND');
  assert.equal(s.deps.events.watching, 0, 'a refused subscription leaves no watcher behind');
});

test('a job that changed without a notification reaches its subscribers at the next check', { timeout: 10_000 }, async () => {
  const id = await newJob();
  const f = await JobFollower.open(s.deps.pool, s.deps.events, 'tenant-a', id, null);
  assert.equal((await f.next())!.status, 'queued');
  // The row and its log move on, but no NOTIFY is sent (record_job_event is bypassed).
  await db.query(
    `WITH j AS (UPDATE voxgraph.job SET seq = seq + 1, status = 'failed', error_code = 'ENGINE_ERROR', finished_at = now(), updated_at = now()
                WHERE id = $1 RETURNING seq, attempts)
     INSERT INTO voxgraph.job_event (job_id, seq, status, progress, attempts, error_code, tenant) SELECT $1, seq, 'failed', 0, attempts, 'ENGINE_ERROR', 'tenant-a' FROM j`,
    [id],
  );
  const t0 = Date.now();
  const rest = await collect(f);
  assert.deepEqual(rest.map((j) => [j.seq, j.status, j.error_code]), [[2, 'failed', 'ENGINE_ERROR']]);
  assert.ok(Date.now() - t0 < 3000, `found after ${Date.now() - t0} ms (checks every 500 ms)`);
});

test('a listener connection that goes silent is replaced: /readyz says so meanwhile, subscribers miss nothing', { timeout: 60_000 }, async () => {
  const admin = new URL(adminUrl());
  const proxy = await startTcpProxy(admin.hostname, Number(admin.port || 5432));
  const q = await startTestServer({ WORKERS: '0', EVENTS_CHECK_SECONDS: '1' }, { databaseUrl: proxy.url });
  const direct = new pg.Client(q.databaseUrl.replace(`:${proxy.port}/`, `:${admin.port || 5432}/`));
  await direct.connect();
  try {
    const up = await gqlUpload(q.url, KEY_A, `mutation($f: Upload!) { denoise(input: { file: $f }) { id } }`, { f: null }, 'f', speech('silent'));
    const id = up.data.denoise.id;
    const sub = subscribeWs(q.url, KEY_A, WATCH_JOB, { id });
    for (let i = 0; i < 50 && sub.items.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(sub.items[0]?.jobUpdated.status, 'QUEUED');

    assert.equal(proxy.freeze('voxgraph-events'), 1, 'the listener connection is frozen: open, silent');
    await direct.query(`SELECT voxgraph.record_job_event($1, 'running', p_attempts => 1)`, [id]);
    await direct.query(`SELECT voxgraph.record_job_event($1, 'failed', p_error_code => 'ENGINE_ERROR', p_error_message => 'x')`, [id]);

    const t0 = Date.now();
    // The periodic check may bring the states before the ping's deadline replaces the listener.
    const seen: number[] = [];
    let done = false;
    void sub.done.then(() => (done = true));
    while (Date.now() - t0 < 20_000 && !(done && seen.includes(503) && seen.at(-1) === 200)) {
      seen.push((await fetch(`${q.url}/readyz`)).status);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(done, 'the subscription ended');
    assert.deepEqual(sub.items.map((x: any) => x.jobUpdated.status), ['QUEUED', 'RUNNING', 'FAILED']);
    assert.ok(seen.includes(503), '/readyz said not ready while the listener was being replaced');
    assert.equal(seen.at(-1), 200, 'and ready again once it was');
    assert.ok(Date.now() - t0 < 10_000, `recovered after ${Date.now() - t0} ms (checks every 1 s)`);
  } finally {
    await direct.end();
    await q.close();
    await proxy.close();
  }
});
