// Queue insight: where a waiting job stands (Job.queuePosition: pg-boss's claim order, fair turns
// between tenants included), when it should start (Job.estimatedStartAt, from the queue's recent
// claim rate; src/jobs/queue-insight.ts says how) and what the queues hold (the `queue` query).
// The estimate's accuracy is measured on 100 jobs and printed.
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { gql, subscribeWs, WATCH_JOB } from './support/client.ts';
import { KEY_A, KEY_B, startTestServer, waitReady, type TestServer } from './support/server.ts';

const SYNTH = `mutation($text: String!, $priority: Int, $runAt: DateTime) {
  synthesize(input: { text: $text, priority: $priority, runAt: $runAt }) { id queuePosition estimatedStartAt } }`;
const STANDING = `query($id: ID!) { job(id: $id) { status queuePosition estimatedStartAt } }`;
const QUEUE = `{ queue { kinds { kind queued retrying running scheduled yoursWaiting yoursRunning claimsPerMinute liveWorkers }
  workers { id device concurrency kinds engines lastHeartbeatAt } } }`;

const submit = async (key: string, variables: Record<string, unknown>) => {
  const r = await gql(s.url, key, SYNTH, variables);
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  return r.data.synthesize.id as string;
};
const standing = async (key: string, id: string) => (await gql(s.url, key, STANDING, { id })).data.job;
let s: TestServer;

describe('without a worker', () => {
  before(async () => {
    s = await startTestServer({ WORKERS: '0' });
    await waitReady(s.url);
  });
  after(() => s.close());

  test("positions follow the claim order: a tenant's own priorities, and turns between tenants", async () => {
    const a = [];
    for (let i = 0; i < 5; i++) a.push(await submit(KEY_A, { text: `a${i}` }));
    assert.deepEqual(await Promise.all(a.map(async (id) => (await standing(KEY_A, id)).queuePosition)), [0, 1, 2, 3, 4]);
    // B's first job takes the turn after A's first, not the place after all of A's.
    const b = await submit(KEY_B, { text: 'b0' });
    assert.equal((await standing(KEY_B, b)).queuePosition, 1);
    // A's urgent job goes ahead of all of A's own, but not of B's: it takes A's first turn, which
    // comes after B's (equal turns go to the older job), and a0 moves to A's second turn.
    const urgent = await submit(KEY_A, { text: 'urgent', priority: 100 });
    await new Promise((r) => setTimeout(r, 1500)); // the rerank runs every SUPERVISE_INTERVAL_SECONDS
    assert.equal((await standing(KEY_B, b)).queuePosition, 0);
    assert.equal((await standing(KEY_A, urgent)).queuePosition, 1);
    assert.deepEqual(await Promise.all(a.map(async (id) => (await standing(KEY_A, id)).queuePosition)), [2, 3, 4, 5, 6]);
    // No live worker: no rate, no estimate.
    assert.equal((await standing(KEY_A, a[0]!)).estimatedStartAt, null);
  });

  test('the queue query counts per kind and state, with the caller\'s share and scheduled jobs', async () => {
    await submit(KEY_A, { text: 'later', runAt: new Date(Date.now() + 3_600_000).toISOString() });
    const q = (await gql(s.url, KEY_A, QUEUE)).data.queue;
    const synth = q.kinds.find((k: any) => k.kind === 'SYNTHESIZE');
    assert.deepEqual(
      { queued: synth.queued, yoursWaiting: synth.yoursWaiting, scheduled: synth.scheduled, running: synth.running, liveWorkers: synth.liveWorkers, rate: synth.claimsPerMinute },
      { queued: 8, yoursWaiting: 7, scheduled: 1, running: 0, liveWorkers: 0, rate: null },
    );
    assert.equal((await gql(s.url, KEY_B, QUEUE)).data.queue.kinds.find((k: any) => k.kind === 'SYNTHESIZE').yoursWaiting, 1);
    assert.deepEqual(q.workers, []);
    assert.deepEqual(q.kinds.map((k: any) => k.kind), ['DENOISE', 'ALIGN', 'SYNTHESIZE']);
  });
});

describe('with a worker', () => {
  before(async () => {
    s = await startTestServer({ WORKERS: '1', WORKER_CONCURRENCY: '1' });
    await waitReady(s.url);
  });
  after(() => s.close());

  const done = (id: string) => subscribeWs(s.url, KEY_A, WATCH_JOB, { id, after: 0 }).done;

  test('the queue query lists the live worker, its device and engines', async () => {
    const q = (await gql(s.url, KEY_A, QUEUE)).data.queue;
    assert.equal(q.workers.length, 1);
    assert.equal(q.workers[0].device, 'cpu');
    // Its id is a digest, not WORKER_ID's default host-pid: tenants do not learn host names.
    assert.match(q.workers[0].id, /^[0-9a-f]{16}$/);
    assert.ok(!q.workers[0].id.includes(hostname()));
    assert.ok(q.workers[0].kinds.includes('SYNTHESIZE') && q.workers[0].engines.some((e: string) => e.startsWith('synthesize/')));
    assert.ok(q.kinds.every((k: any) => k.liveWorkers === 1));
  });

  test('estimatedStartAt on 100 waiting jobs, against when they started', { timeout: 180_000 }, async () => {
    // Warm-up: the rate comes from recent starts.
    const warm = [];
    for (let i = 0; i < 12; i++) warm.push(await submit(KEY_A, { text: `warm up number ${i}` }));
    await Promise.all(warm.map(done));
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) ids.push(await submit(KEY_A, { text: `job number ${i} of the hundred` }));
    const at = Date.now();
    // One query: one statement reads every standing and one the rates, so the snapshot is consistent.
    const page = await gql(s.url, KEY_A, `{ jobs(first: 100) { nodes { id status queuePosition estimatedStartAt } } }`);
    const byId = new Map(page.data.jobs.nodes.map((j: any) => [j.id, j]));
    const snapshot = ids.map((id) => byId.get(id) as any);
    await Promise.all(ids.map(done));
    const started = await Promise.all(ids.map(async (id) => new Date((await gql(s.url, KEY_A, `query($id: ID!) { job(id: $id) { startedAt } }`, { id })).data.job.startedAt).getTime()));
    const waiting = snapshot.map((j, i) => ({ ...j, started: started[i]! })).filter((j) => j.status === 'QUEUED');
    assert.ok(waiting.length >= 50, `${waiting.length} still waiting at the snapshot`);
    // Every waiting job has a position and an estimate; later positions are estimated later.
    assert.ok(waiting.every((j) => j.queuePosition != null && j.estimatedStartAt != null));
    const byPos = [...waiting].sort((x, y) => x.queuePosition - y.queuePosition);
    for (let i = 1; i < byPos.length; i++) assert.ok(Date.parse(byPos[i]!.estimatedStartAt) >= Date.parse(byPos[i - 1]!.estimatedStartAt));
    // And the positions are the order they did start in (one worker, one job at a time).
    const order = [...waiting].sort((x, y) => x.started - y.started).map((j) => j.queuePosition);
    assert.deepEqual(order, [...order].sort((x, y) => x - y));
    const errors = waiting.map((j) => Math.abs(Date.parse(j.estimatedStartAt) - j.started) / 1000);
    const relative = waiting.map((j, i) => errors[i]! / Math.max(0.5, (j.started - at) / 1000)).sort((x, y) => x - y);
    const mean = errors.reduce((x, y) => x + y, 0) / errors.length;
    const span = (Math.max(...started) - at) / 1000;
    console.log(`queue estimate over ${waiting.length} waiting jobs (queue drained in ${span.toFixed(1)} s): mean abs error ${mean.toFixed(2)} s, median relative error ${(100 * relative[Math.floor(relative.length / 2)]!).toFixed(0)}%, p90 ${(100 * relative[Math.floor(relative.length * 0.9)]!).toFixed(0)}%`);
    assert.ok(relative[Math.floor(relative.length / 2)]! < 0.5, 'median relative error under 50%');
    // Not waiting any more: no position, no estimate.
    const after = await standing(KEY_A, ids[0]!);
    assert.deepEqual([after.queuePosition, after.estimatedStartAt], [null, null]);
  });
});
