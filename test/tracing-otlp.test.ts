// The OTLP path as deployed: OTEL_EXPORTER_OTLP_ENDPOINT set, spans exported over OTLP/HTTP to a
// real HTTP receiver — the mutation's span and the job's reconstructed life arrive at /v1/traces.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { startTracing, type Tracing } from '../src/tracing/sdk.ts';
import { gql } from './support/client.ts';
import { KEY_A, startTestServer, waitReady, type TestServer } from './support/server.ts';

const received: Array<{ path: string; type: string; body: Buffer }> = [];
let receiver: Server;
let tracing: Tracing;
let s: TestServer;
before(async () => {
  receiver = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', type: req.headers['content-type'] ?? '', body: Buffer.concat(parts) });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const { port } = receiver.address() as { port: number };
  tracing = await startTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` });
  assert.ok(tracing.enabled);
  s = await startTestServer({ WORKERS: '1' });
  await waitReady(s.url);
});
after(async () => {
  await s?.close();
  await tracing?.stop().catch(() => {});
  receiver?.close();
});

test('spans reach an OTLP/HTTP receiver: the mutation and the job life', { timeout: 120_000 }, async () => {
  const r = await gql(s.url, KEY_A, `mutation Say { synthesize(input: { text: "exported", cache: false }) { id } }`);
  assert.equal(r.errors, undefined);
  const id: string = r.data.synthesize.id;
  for (let i = 0; i < 100; i++) {
    const { data } = await gql(s.url, KEY_A, `query { job(id: "${id}") { status } }`);
    if (data.job.status === 'SUCCEEDED') break;
    await new Promise((res) => setTimeout(res, 100));
  }
  await new Promise((res) => setTimeout(res, 300)); // the life is emitted after the final event
  await tracing.stop(); // flushes the batch processor
  const traces = received.filter((x) => x.path === '/v1/traces');
  assert.ok(traces.length > 0, `requests: ${received.map((x) => x.path)}`);
  const all = Buffer.concat(traces.map((x) => x.body)).toString('latin1');
  // OTLP protobuf carries span names and attribute values as plain UTF-8.
  assert.ok(all.includes('graphql mutation Say'), 'the mutation span');
  assert.ok(all.includes('job synthesize') && all.includes(id), 'the job life, with its id');
  assert.ok(all.includes('voxgraph-api'), 'the service name');
});
