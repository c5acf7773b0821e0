// What our rows say when pg-boss acts on a job by itself: a job it drops while waiting ends FAILED
// (EXPIRED_IN_QUEUE) and its subscription completes; a claim of a job whose earlier attempt died
// records that attempt's RETRYING first (the log never reads RUNNING → RUNNING); the reconciler's
// RETRYING is fenced by the attempt, so a pass that races a new claim cannot undo it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { speech } from './support/audio.ts';
import { gqlUpload, subscribeWs, WATCH_JOB } from './support/client.ts';
import { KEY_A, startTestServer, type TestServer } from './support/server.ts';

let s: TestServer;
let db: pg.Client;
before(async () => {
  s = await startTestServer({ WORKERS: '0', JOB_QUEUE_RETENTION_SECONDS: '2' });
  db = new pg.Client(s.databaseUrl);
  await db.connect();
});
after(async () => {
  await db.end();
  await s.close();
});

const submit = async () => (await gqlUpload(s.url, KEY_A, `mutation($f: Upload!) { denoise(input: { file: $f }) { id } }`, { f: null }, 'f', speech('recover'))).data.denoise.id as string;
const log = async (id: string) =>
  (await db.query(`SELECT status::text, attempts, error_code FROM voxgraph.job_event WHERE job_id = $1 ORDER BY seq`, [id])).rows.map((r) => [r.status, r.attempts, r.error_code]);

test('a job pg-boss drops while it waits ends FAILED (EXPIRED_IN_QUEUE), and its subscription completes', { timeout: 60_000 }, async () => {
  const id = await submit();
  const t0 = Date.now();
  const { items, error } = await subscribeWs(s.url, KEY_A, WATCH_JOB, { id }).done;
  assert.equal(error, undefined);
  const last = items.at(-1).jobUpdated;
  assert.equal(last.status, 'FAILED');
  assert.equal(last.error.code, 'EXPIRED_IN_QUEUE');
  assert.equal((await db.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE id = $1`, [id])).rows[0].n, 0, 'pg-boss dropped it');
  assert.ok(Date.now() - t0 < 30_000, `${Date.now() - t0} ms`);
});

test('a claim after a lost attempt records that attempt\'s RETRYING (WORKER_LOST) before its RUNNING', async () => {
  const id = await submit();
  // Attempt 1 is claimed, its worker dies, pg-boss puts the job back and another worker claims it
  // (attempt 2) before any reconciler pass: all in one transaction, so no pass can come between.
  await db.query('BEGIN');
  await db.query(`UPDATE pgboss.job SET state = 'active', started_on = now() WHERE id = $1`, [id]);
  await db.query(`SELECT voxgraph.record_claim($1, 1, 'mmse-lsa')`, [id]);
  await db.query(`UPDATE pgboss.job SET state = 'retry', retry_count = 1 WHERE id = $1`, [id]);
  await db.query(`UPDATE pgboss.job SET state = 'active' WHERE id = $1`, [id]);
  await db.query(`SELECT voxgraph.record_claim($1, 2, 'mmse-lsa')`, [id]);
  await db.query('COMMIT');
  assert.deepEqual(await log(id), [
    ['queued', 0, null],
    ['running', 1, null],
    ['retrying', 1, 'WORKER_LOST'],
    ['running', 2, null],
  ]);
});

test('the reconciler\'s RETRYING for attempt 1 is refused once attempt 2 runs', async () => {
  const id = await submit();
  await db.query(`UPDATE pgboss.job SET state = 'active', started_on = now() WHERE id = $1`, [id]);
  await db.query(`SELECT voxgraph.record_claim($1, 1, 'mmse-lsa')`, [id]);
  await db.query(`SELECT voxgraph.record_claim($1, 2, 'mmse-lsa')`, [id]); // (records attempt 1's RETRYING)
  // A pass that read "attempt 1 stalled" before the claim, and writes after it.
  const { rows } = await db.query(`SELECT voxgraph.record_lost_attempt($1, 1, false, 'heartbeat lost') AS seq`, [id]);
  assert.equal(rows[0].seq, null);
  assert.deepEqual((await log(id)).at(-1), ['running', 2, null]);
  // The same pass for the attempt that does run goes through.
  const ok = await db.query(`SELECT voxgraph.record_lost_attempt($1, 2, false, 'heartbeat lost') AS seq`, [id]);
  assert.ok(ok.rows[0].seq > 0);
  assert.deepEqual((await log(id)).at(-1), ['retrying', 2, 'WORKER_LOST']);
});
