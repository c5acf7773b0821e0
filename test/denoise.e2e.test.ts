// The whole pipeline for a denoise job: multipart upload over HTTP → pg-boss job → real Python
// worker → events over graphql-ws and SSE → a signed URL serving the cleaned audio.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { noisySpeech, parseWav, rms } from './support/audio.ts';
import { gql, gqlUpload, JOB_FIELDS, subscribeSse, subscribeWs, WATCH_JOB } from './support/client.ts';
import { KEY_A, startTestServer, waitReady, type TestServer } from './support/server.ts';

let s: TestServer;
let noisy: string;
let job: any;
let events: any[];

before(async () => {
  s = await startTestServer({ WORKERS: '1' });
  await waitReady(s.url);
  noisy = noisySpeech('speech enhancement removes the hiss behind this sentence', 5);
});
after(() => s.close());

test('a multipart denoise mutation returns a QUEUED job with its stored input', async () => {
  const res = await gqlUpload(s.url, KEY_A, `mutation($f: Upload!) { denoise(input: { file: $f }) { ${JOB_FIELDS} } }`, { f: null }, 'f', noisy);
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  job = res.data.denoise;
  assert.equal(job.kind, 'DENOISE');
  assert.equal(job.status, 'QUEUED');
  assert.equal(job.version, 1);
  assert.equal(job.input.sampleRate, 16000);
});

test('the subscription (from version 0) sees QUEUED, RUNNING with progress, then SUCCEEDED, every event in order', async () => {
  const { done } = subscribeWs(s.url, KEY_A, WATCH_JOB, { id: job.id, after: 0 });
  const r = await done;
  assert.equal(r.error, undefined, JSON.stringify(r.error));
  events = r.items.map((i: any) => i.jobUpdated);
  const statuses = events.map((e) => e.status).filter((st, i, a) => st !== a[i - 1]);
  assert.deepEqual(statuses, ['QUEUED', 'RUNNING', 'SUCCEEDED']);
  assert.deepEqual(events.map((e) => e.version), events.map((_, i) => i + 1), 'one item per event, none missed');
  const progress = events.filter((e) => e.status === 'RUNNING').map((e) => e.progress);
  assert.deepEqual(progress, [...progress].sort((a, b) => a - b), 'progress never goes back');
  const last = events.at(-1);
  assert.equal(last.progress, 1);
  assert.equal(last.attempts, 1);
  assert.equal(last.engine, 'mmse-lsa');
  assert.ok(last.startedAt && last.finishedAt);
  assert.equal(last.result.__typename, 'DenoiseResult');
});

test('the result URL serves 16-bit WAV of the same length with less noise', async () => {
  const audio = events.at(-1).result.audio;
  const r = await fetch(audio.url);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'audio/wav');
  const out = parseWav(Buffer.from(await r.arrayBuffer()));
  const input = parseWav(readFileSync(noisy));
  assert.equal(out.bitsPerSample, 16);
  assert.equal(out.sampleRate, input.sampleRate);
  assert.equal(out.channels, 1);
  assert.ok(Math.abs(out.frames - input.frames) <= input.sampleRate * 0.01, `${out.frames} vs ${input.frames} frames`);
  // The first and last 0.4 s are noise only: the denoiser must take most of it away.
  const n = Math.floor(0.4 * input.sampleRate);
  for (const [from, to] of [[0, n], [input.frames - n, input.frames]] as const) {
    const ratio = rms(out.samples, from, to) / rms(input.samples, from, to);
    assert.ok(ratio < 0.35, `noise-only stretch at ${from}: only reduced to ${ratio.toFixed(2)} of its level`);
  }
  // ...and keep the speech.
  assert.ok(rms(out.samples) > 0.3 * rms(input.samples));
  assert.equal(audio.durationSeconds.toFixed(2), (input.frames / input.sampleRate).toFixed(2));
});

test('a Range request returns exactly those bytes', async () => {
  const url = events.at(-1).result.audio.url;
  const whole = Buffer.from(await (await fetch(url)).arrayBuffer());
  const part = await fetch(url, { headers: { range: 'bytes=100-199' } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes 100-199/${whole.length}`);
  assert.deepEqual(Buffer.from(await part.arrayBuffer()), whole.subarray(100, 200));
  assert.equal((await fetch(url, { headers: { range: `bytes=${whole.length + 10}-` } })).status, 416);
});

test('SSE replays the same events and completes', async () => {
  const r = await subscribeSse(s.url, KEY_A, WATCH_JOB, { id: job.id, after: 0 });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.items.map((i: any) => [i.jobUpdated.version, i.jobUpdated.status]), events.map((e) => [e.version, e.status]));
});

test('subscribing to a finished job yields its current state once and completes', async () => {
  const r = await subscribeWs(s.url, KEY_A, WATCH_JOB, { id: job.id }).done;
  assert.deepEqual(r.items.map((i: any) => i.jobUpdated.status), ['SUCCEEDED']);
});

test('stored audio can be denoised again by id, and the job is in the list and event log', async () => {
  const res = await gql(s.url, KEY_A, `mutation($a: ID!) { denoise(input: { audioId: $a, priority: 5 }) { id status input { id } } }`, { a: job.input.id });
  const second = res.data.denoise;
  assert.equal(second.input.id, job.input.id);
  const r = await subscribeWs(s.url, KEY_A, WATCH_JOB, { id: second.id }).done;
  assert.equal(r.items.at(-1).jobUpdated.status, 'SUCCEEDED');
  const list = await gql(s.url, KEY_A, `{ jobs(first: 1) { nodes { id } pageInfo { hasNextPage endCursor } } }`);
  assert.equal(list.data.jobs.nodes[0].id, second.id);
  assert.equal(list.data.jobs.pageInfo.hasNextPage, true);
  const next = await gql(s.url, KEY_A, `query($c: String) { jobs(first: 5, after: $c) { nodes { id } pageInfo { hasNextPage } } }`, { c: list.data.jobs.pageInfo.endCursor });
  assert.deepEqual(next.data.jobs.nodes.map((n: any) => n.id), [job.id]);
  const log = await gql(s.url, KEY_A, `query($id: ID!) { job(id: $id) { events { version status } } }`, { id: job.id });
  assert.deepEqual(log.data.job.events.map((e: any) => e.version), events.map((e) => e.version));
});
