// Synthesis end to end: text in, a signed URL to 16-bit WAV out, with word timings; emotions
// change the delivery.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseWav, rms } from './support/audio.ts';
import { gql, subscribeWs, WATCH_JOB } from './support/client.ts';
import { KEY_A, startTestServer, waitReady, type TestServer } from './support/server.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer({ WORKERS: '1' });
  await waitReady(s.url);
});
after(() => s.close());

const TEXT = 'Every job kind ships a real engine that works out of the box.';

async function synthesize(input: Record<string, unknown>) {
  const res = await gql(s.url, KEY_A, `mutation($i: SynthesizeInput!) { synthesize(input: $i) { id status input { id } } }`, { i: input });
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  assert.equal(res.data.synthesize.input, null);
  const r = await subscribeWs(s.url, KEY_A, WATCH_JOB, { id: res.data.synthesize.id, after: 0 }).done;
  const final = r.items.at(-1).jobUpdated;
  assert.equal(final.status, 'SUCCEEDED', JSON.stringify(final.error));
  const wavRes = await fetch(final.result.audio.url);
  assert.equal(wavRes.headers.get('content-type'), 'audio/wav');
  return { final, wav: parseWav(Buffer.from(await wavRes.arrayBuffer())), statuses: r.items.map((i: any) => i.jobUpdated.status) };
}

test('text becomes audible 16-bit speech with a time span for every word', async () => {
  const { final, wav, statuses } = await synthesize({ text: TEXT });
  assert.equal(statuses[0], 'QUEUED');
  assert.equal(statuses.at(-1), 'SUCCEEDED');
  assert.equal(wav.bitsPerSample, 16);
  const seconds = wav.frames / wav.sampleRate;
  assert.ok(seconds > 2 && seconds < 10, `${seconds} s`);
  assert.ok(rms(wav.samples) > 0.02, 'not silent');
  const words = final.result.words;
  assert.equal(words.length, TEXT.split(/\s+/).length);
  assert.ok(words.every((w: any, i: number) => w.end > w.start && (i === 0 || w.start >= words[i - 1].end - 1e-6)));
  assert.ok(words.at(-1).end <= seconds + 1e-6);
  assert.equal(final.result.audio.durationSeconds.toFixed(2), seconds.toFixed(2));
});

test('SAD is slower and quieter than ANGRY', async () => {
  const sad = (await synthesize({ text: TEXT, emotion: 'SAD' })).wav;
  const angry = (await synthesize({ text: TEXT, emotion: 'ANGRY' })).wav;
  assert.ok(sad.frames / sad.sampleRate > 1.2 * (angry.frames / angry.sampleRate));
  assert.ok(rms(sad.samples) < rms(angry.samples));
});

test('other languages and voices', async () => {
  const { wav } = await synthesize({ text: 'Bonjour tout le monde, ceci est un test.', language: 'fr', voice: 'f2', emotion: 'HAPPY' });
  assert.ok(rms(wav.samples) > 0.02);
});

test('an unknown voice fails the job at once with a clear code, without retries', async () => {
  const res = await gql(s.url, KEY_A, `mutation { synthesize(input: { text: "hello", voice: "nosuchvoice" }) { id } }`);
  const r = await subscribeWs(s.url, KEY_A, WATCH_JOB, { id: res.data.synthesize.id, after: 0 }).done;
  const final = r.items.at(-1).jobUpdated;
  assert.equal(final.status, 'FAILED');
  assert.equal(final.error.code, 'UNKNOWN_VOICE');
  assert.equal(final.attempts, 1);
  assert.ok(!r.items.some((i: any) => i.jobUpdated.status === 'RETRYING'));
});
