// Cancelling: a queued or running job stops, the subscription ends with CANCELLED, the worker is
// free for the next job, and a finished job cannot be cancelled.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { longAudio, speech } from './support/audio.ts';
import { gql, gqlUpload, subscribeWs, wsClient, WATCH_JOB } from './support/client.ts';
import { KEY_A, startTestServer, waitReady, type TestServer } from './support/server.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer({ WORKERS: '1' });
  await waitReady(s.url);
});
after(() => s.close());

const CANCEL = `mutation($id: ID!) { cancelJob(id: $id) { id status error { code } } }`;

test('a running job is cancelled: CANCELLED is final, no result is stored, the worker moves on', { timeout: 120_000 }, async () => {
  const res = await gqlUpload(s.url, KEY_A, `mutation($f: Upload!) { denoise(input: { file: $f }) { id } }`, { f: null }, 'f', longAudio(1500));
  const id = res.data.denoise.id;
  const seen: any[] = [];
  const client = wsClient(s.url, KEY_A);
  let cancelledAt = 0;
  await new Promise<void>((resolve, reject) => {
    client.subscribe(
      { query: WATCH_JOB, variables: { id, after: 0 } },
      {
        next: (v: any) => {
          const job = v.data.jobUpdated;
          seen.push(job);
          if (!cancelledAt && job.status === 'RUNNING' && job.progress > 0) {
            cancelledAt = Date.now();
            gql(s.url, KEY_A, CANCEL, { id }).then((r) => {
              if (r.data?.cancelJob?.status !== 'CANCELLED') reject(new Error(JSON.stringify(r)));
            }, reject);
          }
        },
        error: reject,
        complete: resolve,
      },
    );
  });
  await client.dispose();
  const final = seen.at(-1);
  assert.equal(final.status, 'CANCELLED');
  assert.equal(final.error.code, 'CANCELLED');
  assert.equal(final.result, null);

  // The worker notices (LISTEN, or its next progress report) and drops the job: nothing is stored.
  const db = new pg.Client({ connectionString: s.databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM voxgraph.audio WHERE origin = 'result'`);
    assert.equal(rows[0].n, 0);
    const boss = await db.query(`SELECT state FROM pgboss.job WHERE id = $1`, [id]);
    assert.equal(boss.rows[0].state, 'cancelled');
  } finally {
    await db.end();
  }

  // The worker is free again well before the cancelled job would have finished.
  const next = await gqlUpload(s.url, KEY_A, `mutation($f: Upload!) { denoise(input: { file: $f }) { id } }`, { f: null }, 'f', speech('next one'));
  const r = await subscribeWs(s.url, KEY_A, WATCH_JOB, { id: next.data.denoise.id }).done;
  assert.equal(r.items.at(-1).jobUpdated.status, 'SUCCEEDED');
});

test('a finished job cannot be cancelled', async () => {
  const res = await gqlUpload(s.url, KEY_A, `mutation($f: Upload!) { denoise(input: { file: $f }) { id } }`, { f: null }, 'f', speech('done already'));
  const id = res.data.denoise.id;
  await subscribeWs(s.url, KEY_A, WATCH_JOB, { id }).done;
  const r = await gql(s.url, KEY_A, CANCEL, { id });
  assert.equal(r.errors?.[0]?.extensions?.code, 'JOB_NOT_CANCELLABLE');
  const again = await gql(s.url, KEY_A, `query($id: ID!) { job(id: $id) { status } }`, { id });
  assert.equal(again.data.job.status, 'SUCCEEDED');
});

test('a cancel that meets a worker settling the same job waits for it: no deadlock, the job stays SUCCEEDED', { timeout: 60_000 }, async () => {
  // The worker's order, by hand on a server without workers: claim (pg-boss's row, then ours), and
  // a settle that holds pg-boss's row while the cancel arrives and only then writes ours.
  const q = await startTestServer({ WORKERS: '0' });
  const worker = new pg.Client({ connectionString: q.databaseUrl });
  await worker.connect();
  try {
    const res = await gqlUpload(q.url, KEY_A, `mutation($f: Upload!) { denoise(input: { file: $f }) { id } }`, { f: null }, 'f', speech('racing'));
    const id = res.data.denoise.id;
    await worker.query(`UPDATE pgboss.job SET state = 'active', started_on = now() WHERE id = $1`, [id]);
    await worker.query(`SELECT voxgraph.record_job_event($1, 'running')`, [id]);

    await worker.query('BEGIN');
    await worker.query(`UPDATE pgboss.job SET state = 'completed', completed_on = now() WHERE id = $1 AND state = 'active'`, [id]);
    const cancel = gql(q.url, KEY_A, CANCEL, { id });
    await new Promise((r) => setTimeout(r, 300)); // the cancel is now waiting on pg-boss's row
    // A cancel that had locked our row first would make this wait for it: a deadlock.
    await worker.query(`SELECT voxgraph.record_job_event($1, 'succeeded', p_progress => 1)`, [id]);
    await worker.query('COMMIT');

    const r = await cancel;
    assert.equal(r.errors?.[0]?.extensions?.code, 'JOB_NOT_CANCELLABLE', JSON.stringify(r));
    const now = await gql(q.url, KEY_A, `query($id: ID!) { job(id: $id) { status } }`, { id });
    assert.equal(now.data.job.status, 'SUCCEEDED');
    const boss = await worker.query(`SELECT state FROM pgboss.job WHERE id = $1`, [id]);
    assert.equal(boss.rows[0].state, 'completed');
  } finally {
    await worker.end();
    await q.close();
  }
});
