// deploy/kubernetes: the manifests validate against the Kubernetes and KEDA schemas, carry what a
// scaled-out deployment needs (probes, GPU requests, termination grace ≥ the workers' shutdown
// budget, a HPA on the API, one ScaledObject per worker Deployment), and KEDA's queue-depth query
// counts what it should on a real database with real pg-boss jobs. (No cluster here: never applied.)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { parseAllDocuments } from 'yaml';
import { queueDepthQuery } from '../deploy/kubernetes/keda-query.ts';
import { manifests, WORKER_TERMINATION_SECONDS } from '../deploy/kubernetes/manifests.ts';
import { loadConfig } from '../src/config.ts';
import { gql } from './support/client.ts';
import { KEY_A, startTestServer, type TestServer } from './support/server.ts';

type Obj = { apiVersion: string; kind: string; metadata: { name: string }; spec: any };
const all = (): Obj[] =>
  ['api.yaml', 'workers.yaml', 'keda.yaml'].flatMap((f) => parseAllDocuments(readFileSync(`deploy/kubernetes/${f}`, 'utf8')).map((d) => d.toJS() as Obj).filter(Boolean));

test('every object validates against its schema, and the YAML is what manifests.ts prints', () => {
  const printed = Object.values(manifests()).flat();
  for (const o of printed) o.validate();
  assert.deepEqual(all(), printed.map((o) => JSON.parse(JSON.stringify(o.toJSON()))));
});

test('the API: probes on /readyz and /healthz, WORKERS=0, a HPA on CPU that targets it, a Service', () => {
  const objs = all();
  const api = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'voxgraph-api')!;
  const c = api.spec.template.spec.containers[0];
  assert.equal(c.readinessProbe.httpGet.path, '/readyz');
  assert.equal(c.livenessProbe.httpGet.path, '/healthz');
  assert.equal(c.env.find((e: any) => e.name === 'WORKERS').value, '0');
  const hpa = objs.find((o) => o.kind === 'HorizontalPodAutoscaler')!;
  assert.equal(hpa.spec.scaleTargetRef.name, 'voxgraph-api');
  assert.equal(hpa.spec.metrics[0].resource.name, 'cpu');
  assert.ok(objs.some((o) => o.kind === 'Service' && o.spec.selector['app.kubernetes.io/component'] === 'api'));
});

test('one GPU worker Deployment per queue, with a health probe, the shutdown budget as grace, and a KEDA ScaledObject', () => {
  const objs = all();
  const defaults = loadConfig({});
  for (const queue of ['denoise', 'align', 'synthesize']) {
    const name = `voxgraph-worker-${queue}`;
    const d = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === name)!;
    assert.ok(d, name);
    const spec = d.spec.template.spec;
    const c = spec.containers[0];
    assert.equal(c.env.find((e: any) => e.name === 'WORKER_QUEUES').value, queue);
    assert.equal(c.resources.limits['nvidia.com/gpu'], '1');
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) assert.match(c[probe].exec.command.join(' '), /voxgraph-worker-alive/, probe);
    assert.ok(spec.terminationGracePeriodSeconds >= defaults.shutdown.workerGraceSeconds + defaults.shutdown.workerHandbackSeconds);
    assert.equal(spec.terminationGracePeriodSeconds, WORKER_TERMINATION_SECONDS);
    const so = objs.find((o) => o.kind === 'ScaledObject' && o.spec.scaleTargetRef.name === name)!;
    assert.ok(so, `ScaledObject for ${name}`);
    assert.equal(so.spec.triggers[0].type, 'postgresql');
    assert.equal(so.spec.triggers[0].metadata.query, queueDepthQuery(queue as never));
  }
});

let s: TestServer;
let db: pg.Client;
before(async () => {
  s = await startTestServer({ WORKERS: '0' });
  db = new pg.Client({ connectionString: s.databaseUrl });
  await db.connect();
});
after(async () => {
  await db?.end();
  await s?.close();
});

test("KEDA's query on a real database: waiting and running jobs of its queue count, scheduled and finished ones and other queues' do not", { timeout: 60_000 }, async () => {
  const depth = async (queue: 'denoise' | 'synthesize') => Number((await db.query(queueDepthQuery(queue))).rows[0].count);
  assert.equal(await depth('synthesize'), 0);
  for (let i = 0; i < 3; i++) assert.equal((await gql(s.url, KEY_A, `mutation { synthesize(input: { text: "keda ${i}", cache: false }) { id } }`)).errors, undefined);
  const later = new Date(Date.now() + 3600_000).toISOString();
  await gql(s.url, KEY_A, `mutation($at: DateTime!) { synthesize(input: { text: "later", runAt: $at, cache: false }) { id } }`, { at: later });
  assert.equal(await depth('synthesize'), 3, 'the scheduled job does not count yet');
  assert.equal(await depth('denoise'), 0, "another queue's jobs do not count");
  const [claimed] = await s.deps.boss.fetch('synthesize');
  assert.ok(claimed);
  assert.equal(await depth('synthesize'), 3, 'a running job still counts: its worker is busy');
  await s.deps.boss.complete('synthesize', claimed.id);
  assert.equal(await depth('synthesize'), 2, 'a finished one does not');
});
