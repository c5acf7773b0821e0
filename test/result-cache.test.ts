// The result cache and in-flight coalescing: a job identical to an earlier success of its tenant
// (kind, input audio content, parameters, engine; an engine@version a live worker still offers)
// is answered from that result at once — no queue message, no worker, the usual event sequence —
// and identical jobs in flight share one run; never across tenants; `cache: false` opts out; a
// shared run whose first job is cancelled goes on for the others. Real worker, real PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { longAudio, speech } from './support/audio.ts';
import { gql, gqlUpload, subscribeWs } from './support/client.ts';
import { KEY_A, KEY_B, startTestServer, waitReady, type TestServer } from './support/server.ts';

let s: TestServer;
let db: pg.Client;
before(async () => {
  s = await startTestServer({ WORKERS: '1' });
  await waitReady(s.url);
  db = new pg.Client({ connectionString: s.databaseUrl });
  await db.connect();
  // The cache needs the live worker's engines: wait until it has announced them.
  for (let i = 0; i < 600 && !(await gql(s.url, KEY_A, '{ engines { name } }')).data?.engines?.length; i++) await new Promise((r) => setTimeout(r, 100));
});
after(async () => {
  await db.end();
  await s.close();
});

const FIELDS = `id status cached cachedFrom attempts engine version result { __typename ... on SynthesizeResult { audio { id sha256 } words { text } } ... on DenoiseResult { audio { id sha256 } } }`;
const SYNTH = `mutation($t: String!, $e: Emotion, $c: Boolean) { synthesize(input: { text: $t, emotion: $e, cache: $c }) { ${FIELDS} } }`;
const WATCH = `subscription($id: ID!) { jobUpdated(id: $id, afterVersion: 0) { ${FIELDS} } }`;

const finish = async (id: string, key = KEY_A) => (await subscribeWs(s.url, key, WATCH, { id }).done).items.map((i: any) => i.jobUpdated);
const queued = async (ids: string[]) => (await db.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE id = ANY($1)`, [ids])).rows[0].n as number;

test('an identical job after a success is answered from its result: no queue message, the full event sequence, SUCCEEDED at once', { timeout: 120_000 }, async () => {
  const first = (await gql(s.url, KEY_A, SYNTH, { t: 'the same words twice', e: 'HAPPY' })).data.synthesize;
  assert.equal(first.cached, false);
  const done = (await finish(first.id)).at(-1);
  assert.equal(done.status, 'SUCCEEDED');

  const r = await gql(s.url, KEY_A, SYNTH, { t: 'the same words twice', e: 'HAPPY' });
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  const again = r.data.synthesize;
  assert.notEqual(again.id, first.id);
  assert.equal(again.status, 'SUCCEEDED');
  assert.equal(again.cached, true);
  assert.equal(again.cachedFrom, first.id);
  assert.deepEqual(again.result, done.result, 'the same audio and words');
  assert.equal(await queued([again.id]), 0, 'no queue message: no worker ran it');
  // Its subscribers get QUEUED, RUNNING, SUCCEEDED like any job's.
  assert.deepEqual((await finish(again.id)).map((j: any) => j.status), ['QUEUED', 'RUNNING', 'SUCCEEDED']);

  // Anything different runs: another parameter, another tenant, or cache: false.
  for (const [key, vars] of [
    [KEY_A, { t: 'the same words twice', e: 'SAD' }],
    [KEY_B, { t: 'the same words twice', e: 'HAPPY' }],
    [KEY_A, { t: 'the same words twice', e: 'HAPPY', c: false }],
  ] as const) {
    const j = (await gql(s.url, key, SYNTH, vars)).data.synthesize;
    assert.equal(j.cached, false, JSON.stringify(vars));
    assert.equal(await queued([j.id]), 1);
    assert.equal((await finish(j.id, key)).at(-1).status, 'SUCCEEDED');
  }
});

test('an upload identical in content (another file, same bytes) reuses the result; deleting the first job keeps the shared audio', { timeout: 120_000 }, async () => {
  const clip = speech('the same recording');
  const send = async () => (await gqlUpload(s.url, KEY_A, `mutation($f: Upload!) { denoise(input: { file: $f }) { ${FIELDS} } }`, { f: null }, 'f', clip)).data.denoise;
  const first = await send();
  const done = (await finish(first.id)).at(-1);
  const again = await send();
  assert.equal(again.cached, true);
  assert.equal(again.result.audio.id, done.result.audio.id);
  // The first job goes; the cached one's result stays readable.
  assert.equal((await gql(s.url, KEY_A, `mutation($id: ID!) { deleteJob(id: $id) }`, { id: first.id })).errors, undefined);
  const still = (await gql(s.url, KEY_A, `query($id: ID!) { job(id: $id) { cached cachedFrom result { ... on DenoiseResult { audio { url sha256 } } } } }`, { id: again.id })).data.job;
  assert.equal(still.result.audio.sha256, done.result.audio.sha256);
  assert.equal(still.cached, true, 'still says where its result came from');
  assert.equal(still.cachedFrom, null, 'that job is gone');
  assert.equal((await fetch(still.result.audio.url)).status, 200);
});

test('16 identical jobs at once share one run: one queue message, every job gets every event and the same result', { timeout: 180_000 }, async () => {
  const text = `sixteen at once ${Date.now()}`;
  const jobs = await Promise.all(Array.from({ length: 16 }, () => gql(s.url, KEY_A, SYNTH, { t: text })));
  for (const j of jobs) assert.equal(j.errors, undefined, JSON.stringify(j.errors));
  const ids = jobs.map((j) => j.data.synthesize.id);
  const rows = (await db.query(`SELECT j.id, j.status, j.run_of, j.cached_from, j.created_at, b.id IS NOT NULL AS queued FROM voxgraph.job j LEFT JOIN pgboss.job b ON b.id = j.id WHERE j.id = ANY($1) ORDER BY j.created_at`, [ids])).rows;
  assert.equal(await queued(ids), 1, `one run: ${JSON.stringify(rows.filter((r) => r.queued).map((r) => [r.id, r.created_at, r.run_of, r.cached_from]))} of ${rows.map((r) => r.created_at.toISOString?.() ?? r.created_at).join(",")}`);
  const runs = await Promise.all(ids.map((id) => finish(id)));
  const results = new Set(runs.map((states) => JSON.stringify(states.at(-1).result)));
  assert.equal(results.size, 1);
  for (const states of runs) {
    assert.equal(states.at(-1).status, 'SUCCEEDED');
    assert.deepEqual([...new Set(states.map((j: any) => j.status))], ['QUEUED', 'RUNNING', 'SUCCEEDED']);
  }
  assert.equal(runs.filter((states) => states.at(-1).cached).length, 15);
});

test('cancelling the job whose run others share: the run goes on for them (the oldest gets the queue message)', { timeout: 180_000 }, async () => {
  // The one worker is kept busy with a long job, so the three identical jobs below wait.
  const busy = (await gqlUpload(s.url, KEY_A, `mutation($f: Upload!) { denoise(input: { file: $f, cache: false }) { id } }`, { f: null }, 'f', longAudio(1500))).data.denoise;
  for (;;) {
    const st = (await gql(s.url, KEY_A, `query($id: ID!) { job(id: $id) { status } }`, { id: busy.id })).data.job.status;
    if (st === 'RUNNING') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const text = `handed over ${Date.now()}`;
  const lead = (await gql(s.url, KEY_A, SYNTH, { t: text })).data.synthesize;
  const f1 = (await gql(s.url, KEY_A, SYNTH, { t: text })).data.synthesize;
  const f2 = (await gql(s.url, KEY_A, SYNTH, { t: text })).data.synthesize;
  assert.equal(f1.cachedFrom, lead.id);
  assert.equal(f2.cachedFrom, lead.id);
  const c = await gql(s.url, KEY_A, `mutation($id: ID!) { cancelJob(id: $id) { status } }`, { id: lead.id });
  assert.equal(c.errors, undefined, JSON.stringify(c.errors));
  assert.equal(await queued([f1.id]), 1, 'the oldest follower has the queue message now');
  assert.equal(await queued([f2.id]), 0);
  await gql(s.url, KEY_A, `mutation($id: ID!) { cancelJob(id: $id) { id } }`, { id: busy.id });
  const [a, b] = await Promise.all([finish(f1.id), finish(f2.id)]);
  assert.equal(a.at(-1).status, 'SUCCEEDED');
  assert.equal(b.at(-1).status, 'SUCCEEDED');
  assert.equal(a.at(-1).cached, false, 'the oldest follower ran it itself');
  assert.equal(b.at(-1).cachedFrom, f1.id);
  assert.deepEqual(a.at(-1).result, b.at(-1).result);
});
