// Alignment end to end: English (pocketsphinx) and German (espeak + DTW), graded against the
// exact word times of the synthesized speech.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { speechWithTimings } from './support/audio.ts';
import { gqlUpload, subscribeWs, WATCH_JOB } from './support/client.ts';
import { KEY_A, startTestServer, waitReady, type TestServer } from './support/server.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer({ WORKERS: '1' });
  await waitReady(s.url);
});
after(() => s.close());

async function align(path: string, transcript: string, language: string, engine?: string) {
  const res = await gqlUpload(
    s.url,
    KEY_A,
    `mutation($f: Upload!, $t: String!, $l: String, $e: String) { align(input: { file: $f, transcript: $t, language: $l, engine: $e }) { id input { durationSeconds } } }`,
    { f: null, t: transcript, l: language, e: engine ?? null },
    'f',
    path,
  );
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  const r = await subscribeWs(s.url, KEY_A, WATCH_JOB, { id: res.data.align.id, after: 0 }).done;
  const final = r.items.at(-1).jobUpdated;
  assert.equal(final.status, 'SUCCEEDED', JSON.stringify(final.error));
  return { result: final.result, duration: res.data.align.input.durationSeconds as number, statuses: r.items.map((i: any) => i.jobUpdated.status) };
}

function checkWords(words: any[], expected: Array<{ text: string; start: number; end: number }>, duration: number, maxMeanErrorMs: number) {
  assert.deepEqual(words.map((w) => w.text.toLowerCase().replace(/[^\p{L}']/gu, '')), expected.map((w) => w.text.toLowerCase().replace(/[^\p{L}']/gu, '')));
  let prevEnd = 0;
  for (const w of words) {
    assert.ok(w.start >= prevEnd - 1e-6, `${w.text} starts before the previous word ends`);
    assert.ok(w.end > w.start, `${w.text} has no duration`);
    assert.ok(w.end <= duration + 1e-6, `${w.text} ends after the audio`);
    if (w.confidence != null) assert.ok(w.confidence >= 0 && w.confidence <= 1);
    prevEnd = w.end;
  }
  const errors = words.flatMap((w, i) => [Math.abs(w.start - expected[i]!.start), Math.abs(w.end - expected[i]!.end)]);
  const meanMs = (1000 * errors.reduce((a, b) => a + b, 0)) / errors.length;
  assert.ok(meanMs < maxMeanErrorMs, `mean boundary error ${meanMs.toFixed(1)} ms`);
}

test('English: every word in order with times close to the truth', async () => {
  const text = 'The quick brown fox jumps over the lazy dog near the quiet river bank';
  const truth = speechWithTimings(text, 'en', 'f3');
  const { result, duration, statuses } = await align(truth.path, text, 'en');
  assert.ok(statuses.includes('RUNNING'));
  assert.equal(result.__typename, 'AlignResult');
  assert.equal(result.language, 'en');
  checkWords(result.words, truth.words, duration, 60);
});

test('German: the DTW aligner covers other languages', async () => {
  const text = 'Der schnelle braune Fuchs springt über den faulen Hund';
  const truth = speechWithTimings(text, 'de', 'm3');
  const { result, duration } = await align(truth.path, text, 'de');
  assert.equal(result.language, 'de');
  checkWords(result.words, truth.words, duration, 80);
});

test('words the audio does not have come back marked, the job still SUCCEEDED', async () => {
  // espeak-dtw: its path runs out of audio and collapses the words that are not there onto the
  // end (the placement rule is engine-independent; which words an engine leaves unplaced is not).
  const said = 'the quick brown fox';
  const transcript = `${said} jumps over the lazy dog`;
  const truth = speechWithTimings(said, 'en', null);
  const { result, duration } = await align(truth.path, transcript, 'en', 'espeak-dtw');
  assert.deepEqual(result.words.map((w: any) => w.text), transcript.split(' '));
  const unaligned = result.words.filter((w: any) => !w.aligned);
  assert.equal(result.unalignedWords, unaligned.length);
  assert.ok(unaligned.length >= 1 && unaligned.every((w: any) => transcript.split(' ').slice(4).includes(w.text)), JSON.stringify(result.words));
  assert.ok(result.words.slice(0, 4).every((w: any) => w.aligned), 'what was said keeps its times: ' + JSON.stringify(result.words));
  let prevEnd = 0;
  for (const w of result.words) {
    // (the worker measures the decoded audio: within a sample or two of the probed duration)
    assert.ok(w.start >= prevEnd - 1e-6 && w.end >= w.start && w.end <= duration + 1e-3, JSON.stringify({ w, prevEnd, duration }));
    if (!w.aligned) assert.equal(w.confidence, 0);
    prevEnd = w.end;
  }
});
