// One trace from the mutation to the job's end: with tracing on, a denoise mutation's SERVER span,
// pg-boss's send of the job under it, and the job's life reconstructed from the event log when it
// is final — `job denoise` with its `queued` and `attempt 1` (the worker's run) spans and an event
// per job event, the final SUCCEEDED last — all in the mutation's trace, emitted once.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { startTracing, type Tracing } from '../src/tracing/sdk.ts';
import { speech } from './support/audio.ts';
import { gql, gqlUpload } from './support/client.ts';
import { KEY_A, startTestServer, waitReady, type TestServer } from './support/server.ts';

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let s: TestServer;
before(async () => {
  tracing = await startTracing({}, { spanProcessor: new SimpleSpanProcessor({ exporter }) });
  s = await startTestServer({ WORKERS: '1' });
  await waitReady(s.url);
});
after(async () => {
  await s?.close();
  await tracing?.stop();
});

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

test('the mutation, the queue send, the worker\'s attempt and the final event are one trace', { timeout: 120_000 }, async () => {
  const r = await gqlUpload(s.url, KEY_A, `mutation Denoise($f: Upload!) { denoise(input: { file: $f, cache: false }) { id } }`, { f: null }, 'f', speech('one trace'));
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  const id = r.data.denoise.id;
  let life: ReadableSpan | undefined;
  for (let i = 0; i < 200 && !life; i++) {
    await new Promise((res) => setTimeout(res, 100));
    life = exporter.getFinishedSpans().find((x) => x.name === 'job denoise' && x.attributes['voxgraph.job.id'] === id);
  }
  assert.ok(life, 'the job life span was emitted');
  const spans = exporter.getFinishedSpans().filter((x) => x.spanContext().traceId === life.spanContext().traceId);
  const mutation = spans.find((x) => x.name === 'graphql mutation Denoise')!;
  assert.ok(mutation, `the mutation span is in the trace: ${spans.map((x) => x.name)}`);
  // The chain: job life → pg-boss's send → the mutation.
  const send = spans.find((x) => x.spanContext().spanId === parentOf(life))!;
  assert.ok(send, 'the job life has a parent in the trace');
  assert.match(send.name, /denoise/);
  assert.equal(parentOf(send), mutation.spanContext().spanId);
  const queued = spans.find((x) => x.name === 'queued' && parentOf(x) === life.spanContext().spanId);
  const attempt = spans.find((x) => x.name === 'attempt 1' && parentOf(x) === life.spanContext().spanId);
  assert.ok(queued && attempt, 'queued and attempt spans under the job');
  assert.equal(attempt.attributes['voxgraph.job.outcome'], 'succeeded');
  const names = life.events.map((e) => e.name);
  assert.equal(names[0], 'QUEUED');
  assert.ok(names.includes('RUNNING'));
  assert.equal(names.at(-1), 'SUCCEEDED');
  assert.equal(life.attributes['voxgraph.job.status'], 'succeeded');
  // Ordered in time: created ≤ attempt start ≤ attempt end ≤ finished.
  const ns = (t: [number, number]) => t[0] * 1e9 + t[1];
  assert.ok(ns(life.startTime) <= ns(attempt.startTime) && ns(attempt.endTime) <= ns(life.endTime));
  // Emitted once.
  const { data } = await gql(s.url, KEY_A, `query { job(id: "${id}") { status } }`);
  assert.equal(data.job.status, 'SUCCEEDED');
  await new Promise((res) => setTimeout(res, 500));
  assert.equal(exporter.getFinishedSpans().filter((x) => x.name === 'job denoise' && x.attributes['voxgraph.job.id'] === id).length, 1);
});
