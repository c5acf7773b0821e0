// GET /metrics (prom-client): behind METRICS_TOKEN; HTTP and GraphQL operations timed and their
// errors counted by code; uploads stored and refused; the pool's jobs (submitted, started,
// finished, queue wait, run time) from the event stream; pg-boss queue depth and the live workers
// read from PostgreSQL; live subscriptions and connections; event lag; client-chosen operation
// names bounded.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createClient, type VoxgraphClient } from '../sdk/src/index.ts';
import { read, speech } from './support/audio.ts';
import { KEY_A, startTestServer, waitReady, type TestServer } from './support/server.ts';

const TOKEN = 'metrics-token-0123456789abcdef';
let s: TestServer;
let vg: VoxgraphClient;
before(async () => {
  s = await startTestServer({ WORKERS: '1', METRICS_TOKEN: TOKEN });
  await waitReady(s.url);
  vg = createClient({ url: s.url, apiKey: KEY_A });
});
after(async () => {
  await vg?.close();
  await s?.close();
});

type Sample = { name: string; labels: Record<string, string>; value: number };
async function scrape(): Promise<Sample[]> {
  const r = await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
  const samples: Sample[] = [];
  for (const line of (await r.text()).split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}
const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v)).reduce((n, x) => n + x.value, 0);

const named = (query: string, variables: Record<string, unknown> = {}) =>
  fetch(`${s.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY_A}` }, body: JSON.stringify({ query, variables }) }).then((r) => r.json());

test('without the token (or with another) /metrics is refused', async () => {
  assert.equal((await fetch(`${s.url}/metrics`)).status, 401);
  assert.equal((await fetch(`${s.url}/metrics`, { headers: { authorization: 'Bearer metrics-token-0123456789abcdeX' } })).status, 401);
});

test('operations, uploads, jobs, queues, workers, subscriptions: each counted where it happens', { timeout: 120_000 }, async () => {
  const before = await scrape();
  const clip = read(speech('count me'));
  const audio = await vg.upload(new Blob([clip]));
  await vg.upload(new Blob([Buffer.from('not audio at all, just text '.repeat(40))])).catch(() => {});
  const done = await vg.waitFor((await vg.denoise({ audioId: audio.id, cache: false })).id);
  await vg.waitFor((await vg.synthesize({ text: 'and me', cache: false })).id);
  const later = await vg.synthesize({ text: 'in an hour', runAt: new Date(Date.now() + 3600_000).toISOString(), cache: false });
  await named(`mutation Cancel($id: ID!) { cancelJob(id: $id) { id } }`, { id: randomUUID() }); // NOT_FOUND
  // One live subscription (and its socket) while scraping.
  const watching = vg.watch(later.id);
  await watching.next();
  await new Promise((r) => setTimeout(r, 2100)); // the pool's figures are read at most every 2 s

  const m = await scrape();
  const delta = (name: string, labels: Record<string, string> = {}) => value(m, name, labels) - value(before, name, labels);
  assert.ok(delta('http_request_duration_seconds_count', { method: 'POST', route: '/graphql', status_code: '200' }) >= 6);
  assert.equal(delta('graphql_operation_duration_seconds_count', { operation_name: 'Denoise', operation_type: 'mutation' }), 1);
  assert.equal(delta('graphql_operation_duration_seconds_count', { operation_name: 'UploadAudio', operation_type: 'mutation' }), 2);
  assert.equal(delta('graphql_errors_total', { operation_name: 'Cancel', code: 'NOT_FOUND' }), 1);
  assert.equal(delta('graphql_errors_total', { operation_name: 'UploadAudio', code: 'UNSUPPORTED_AUDIO' }), 1);
  assert.equal(delta('voxgraph_upload_bytes_total'), clip.length);
  assert.equal(delta('voxgraph_upload_rejections_total', { code: 'UNSUPPORTED_AUDIO' }), 1);
  assert.equal(delta('voxgraph_upload_duration_seconds_count', { outcome: 'stored' }), 1);
  assert.equal(delta('voxgraph_jobs_submitted_total', { kind: 'denoise' }), 1);
  assert.equal(delta('voxgraph_jobs_submitted_total', { kind: 'synthesize' }), 2);
  assert.equal(delta('voxgraph_jobs_started_total', { kind: 'denoise' }), 1);
  assert.equal(delta('voxgraph_jobs_finished_total', { kind: 'denoise', engine: done.engine!, status: 'succeeded' }), 1);
  assert.equal(delta('voxgraph_job_queue_wait_seconds_count', { kind: 'synthesize' }), 1);
  assert.equal(delta('voxgraph_job_run_seconds_count', { kind: 'denoise' }), 1);
  assert.ok(delta('voxgraph_event_delivery_lag_seconds_count') >= 7, 'every event of the jobs');
  assert.equal(value(m, 'voxgraph_queue_jobs', { queue: 'synthesize', state: 'created' }), 1, 'the scheduled job waits in pg-boss');
  assert.equal(value(m, 'voxgraph_queue_jobs', { queue: 'denoise', state: 'active' }), 0);
  assert.equal(value(m, 'voxgraph_workers', { device: 'cpu' }), 1);
  assert.ok(m.some((x) => x.name === 'voxgraph_dead_letter_jobs' && x.labels.queue === 'denoise' && x.value === 0));
  for (const q of ['denoise', 'align', 'synthesize']) assert.equal(value(m, 'voxgraph_queue_live_workers', { queue: q }), 1);
  assert.ok(m.some((x) => x.name === 'voxgraph_worker_batch_cap' && x.labels.engine === 'denoise/mmse-lsa' && x.value >= 1));
  const [worker] = (await vg.queue()).workers;
  assert.ok(m.filter((x) => x.labels.worker !== undefined).every((x) => x.labels.worker === worker!.id), 'worker labels are the digest WorkerInfo.id shows, not host-pid');
  assert.equal(value(m, 'voxgraph_subscriptions', { follows: 'job' }), 1);
  assert.equal(value(m, 'voxgraph_connections'), 1);
  assert.ok(value(m, 'process_cpu_seconds_total') > 0, 'the default process metrics');
  await watching.return();
});

test('operation names a client invents do not grow the registry without end', { timeout: 60_000 }, async () => {
  for (let i = 0; i < 260; i++) await named(`query Made${i} { __typename }`);
  await named(`query ${'x'.repeat(100)} { __typename }`);
  const names = new Set((await scrape()).filter((x) => x.name === 'graphql_operation_duration_seconds_count').map((x) => x.labels.operation_name));
  assert.ok(names.size <= 201, `${names.size} distinct operation names`);
  assert.ok(names.has('other'));
});
