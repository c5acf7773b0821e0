// runAt and deadline: a job is not started before its runAt; one whose first attempt has not
// started by its deadline ends FAILED with DEADLINE_EXCEEDED (swept by the API while it waits; the
// worker's own refusal of a late claim is in gpu-worker/tests/test_worker_process.py); impossible
// schedules and malformed date-times are BAD_USER_INPUT and create nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { longAudio } from './support/audio.ts';
import { gql, gqlUpload, subscribeWs, WATCH_JOB } from './support/client.ts';
import { random } from './support/random.ts';
import { KEY_A, startTestServer, waitReady, type TestServer } from './support/server.ts';
import { startWorker, type WorkerProcess } from './support/worker.ts';

const SYNTH = `mutation($runAt: DateTime, $deadline: DateTime) {
  synthesize(input: { text: "on schedule", runAt: $runAt, deadline: $deadline }) { id status runAt deadline } }`;
const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();

describe('with a worker', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ WORKERS: '1' });
    await waitReady(s.url);
  });
  after(() => s.close());

  test('a job with runAt waits QUEUED until then, then runs', { timeout: 60_000 }, async () => {
    const runAt = inSeconds(3);
    const r = await gql(s.url, KEY_A, SYNTH, { runAt });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    assert.equal(r.data.synthesize.runAt, runAt);
    const watched = await subscribeWs(s.url, KEY_A, WATCH_JOB, { id: r.data.synthesize.id, after: 0 }).done;
    const final = watched.items.at(-1).jobUpdated;
    assert.equal(final.status, 'SUCCEEDED');
    assert.ok(new Date(final.startedAt).getTime() >= new Date(runAt).getTime(), `started ${final.startedAt}, runAt ${runAt}`);
  });

  test('a runAt in the past is now', async () => {
    const r = await gql(s.url, KEY_A, SYNTH, { runAt: '2020-01-01T00:00:00Z' });
    assert.equal(r.errors, undefined);
    const final = (await subscribeWs(s.url, KEY_A, WATCH_JOB, { id: r.data.synthesize.id, after: 0 }).done).items.at(-1).jobUpdated;
    assert.equal(final.status, 'SUCCEEDED');
  });

  test('a job that starts before its deadline is not affected by it', async () => {
    const r = await gql(s.url, KEY_A, SYNTH, { deadline: inSeconds(60) });
    const final = (await subscribeWs(s.url, KEY_A, WATCH_JOB, { id: r.data.synthesize.id, after: 0 }).done).items.at(-1).jobUpdated;
    assert.equal(final.status, 'SUCCEEDED');
  });
});

describe('without a worker', () => {
  let s: TestServer;
  let db: pg.Client;
  before(async () => {
    s = await startTestServer({ WORKERS: '0', SUPERVISE_INTERVAL_SECONDS: '1' });
    await waitReady(s.url);
    db = new pg.Client({ connectionString: s.databaseUrl });
    await db.connect();
  });
  after(async () => {
    await db.end();
    await s.close();
  });

  test('a job still waiting at its deadline ends FAILED with DEADLINE_EXCEEDED, and no worker can claim it', { timeout: 30_000 }, async () => {
    const r = await gql(s.url, KEY_A, SYNTH, { deadline: inSeconds(2) });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const id = r.data.synthesize.id;
    const watched = await subscribeWs(s.url, KEY_A, WATCH_JOB, { id, after: 0 }).done;
    assert.deepEqual(watched.items.map((i: any) => i.jobUpdated.status), ['QUEUED', 'FAILED']);
    const final = watched.items.at(-1).jobUpdated;
    assert.equal(final.error.code, 'DEADLINE_EXCEEDED');
    assert.equal(final.startedAt, null);
    const boss = await db.query(`SELECT state FROM pgboss.job WHERE id = $1`, [id]);
    assert.equal(boss.rows[0].state, 'cancelled');
  });

  test('impossible schedules are BAD_USER_INPUT on the field, and create nothing', async () => {
    const before = (await db.query(`SELECT count(*)::int AS n FROM voxgraph.job`)).rows[0].n;
    const cases: Array<[Record<string, string>, string]> = [
      [{ deadline: inSeconds(-1) }, 'deadline'],
      [{ runAt: inSeconds(60), deadline: inSeconds(30) }, 'deadline'],
      [{ runAt: inSeconds(31 * 86_400) }, 'runAt'],
      [{ deadline: inSeconds(31 * 86_400) }, 'deadline'],
    ];
    for (const [variables, field] of cases) {
      const res = await gql(s.url, KEY_A, SYNTH, variables);
      assert.equal(res.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify({ variables, res }));
      assert.match(res.errors![0]!.message, new RegExp(field));
    }
    assert.equal((await db.query(`SELECT count(*)::int AS n FROM voxgraph.job`)).rows[0].n, before);
  });

  test('generated malformed date-times are BAD_USER_INPUT, in variables and in the query text', async () => {
    const r = random(21);
    const bad = ['', 'now', '5', '2026', '2026-13-01T00:00:00Z', '2026-01-01', '2026-01-01T00:00:00', 'May 5, 2026', '2026-01-01 00:00:00Z', '1e12', 'T00:00Z'];
    while (bad.length < 50) {
      const iso = new Date(r.int(4_000_000_000_000)).toISOString();
      const i = r.int(iso.length);
      bad.push(r.next() < 0.5 ? iso.slice(0, i) : iso.slice(0, i) + String.fromCharCode(32 + r.int(95)) + iso.slice(i + 1));
    }
    for (const value of bad) {
      if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(value) && !Number.isNaN(Date.parse(value))) continue; // a mutation that is still valid
      const v = await gql(s.url, KEY_A, SYNTH, { runAt: value });
      assert.equal(v.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify({ value, errors: v.errors }));
      const lit = await gql(s.url, KEY_A, `mutation { synthesize(input: { text: "x", deadline: ${JSON.stringify(value)} }) { id } }`);
      assert.ok(['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED'].includes(lit.errors?.[0]?.extensions?.code as string), JSON.stringify({ value, errors: lit.errors }));
    }
    const numeric = await gql(s.url, KEY_A, SYNTH, { runAt: 1700000000000 as unknown as string });
    assert.equal(numeric.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.equal((await gql(s.url, KEY_A, '{ jobs(first: 1) { nodes { id } } }')).errors, undefined, 'the server is still up');
  });
});

describe('a worker killed mid-run', () => {
  let s: TestServer;
  const workers: WorkerProcess[] = [];
  before(async () => {
    s = await startTestServer({ WORKERS: '0' });
  });
  after(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await s.close();
  });

  test('a job that started before its deadline keeps its retries after it: attempt 2 runs and succeeds', { timeout: 180_000 }, async () => {
    const first = await startWorker(s.databaseUrl, s.dataDir);
    workers.push(first);
    const deadline = inSeconds(20);
    const res = await gqlUpload(s.url, KEY_A, `mutation($f: Upload!, $d: DateTime) { denoise(input: { file: $f, deadline: $d }) { id } }`, { f: null, d: deadline }, 'f', longAudio(1500));
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    const id = res.data.denoise.id;
    const watch = subscribeWs(s.url, KEY_A, WATCH_JOB, { id, after: 0 });
    // Kill it once it runs, and start the next worker only after the deadline has passed.
    for (;;) {
      const j = (await gql(s.url, KEY_A, `query($id: ID!) { job(id: $id) { status progress } }`, { id })).data.job;
      if (j.status === 'RUNNING' && j.progress > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    first.child.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(deadline) - Date.now() + 1000)));
    workers.push(await startWorker(s.databaseUrl, s.dataDir));
    const items = (await watch.done).items.map((i: any) => i.jobUpdated);
    const statuses = items.map((j: any) => j.status).filter((st: string, i: number, arr: string[]) => st !== arr[i - 1]);
    assert.deepEqual(statuses, ['QUEUED', 'RUNNING', 'RETRYING', 'RUNNING', 'SUCCEEDED']);
    assert.equal(items.at(-1).attempts, 2);
    const secondStart = items.filter((j: any) => j.status === 'RUNNING').at(-1);
    assert.ok(Date.now() > Date.parse(deadline) && items.every((j: any) => j.error?.code !== 'DEADLINE_EXCEEDED'), JSON.stringify(secondStart));
  });
});
