// Result formats: denoise and synthesize results stored as WAV, FLAC, MP3 or Ogg Opus at the rate
// asked for. Each result is fetched through its signed URL and uploaded back: our own upload
// checks (which read the bytes, not the name) must take it for audio of that codec and rate.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { scratchFile, speech } from './support/audio.ts';
import { gql, gqlUpload, subscribeWs, WATCH_JOB } from './support/client.ts';
import { KEY_A, startTestServer, waitReady, type TestServer } from './support/server.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer({ WORKERS: '1' });
  await waitReady(s.url);
});
after(() => s.close());

const AUDIO = `audio { url contentType codec sampleRate channels durationSeconds }`;
const RESULT = `query($id: ID!) { job(id: $id) { status error { code } result { ... on DenoiseResult { ${AUDIO} } ... on SynthesizeResult { ${AUDIO} } } } }`;
const MAGIC: Record<string, (b: Buffer) => boolean> = {
  WAV: (b) => b.subarray(0, 4).toString() === 'RIFF' && b.subarray(8, 12).toString() === 'WAVE',
  FLAC: (b) => b.subarray(0, 4).toString() === 'fLaC',
  MP3: (b) => b.subarray(0, 3).toString() === 'ID3' || (b[0] === 0xff && (b[1]! & 0xe0) === 0xe0),
  OPUS: (b) => b.subarray(0, 4).toString() === 'OggS' && b.includes(Buffer.from('OpusHead')),
};
const CONTENT_TYPES: Record<string, string> = { WAV: 'audio/wav', FLAC: 'audio/flac', MP3: 'audio/mpeg', OPUS: 'audio/ogg' };

async function resultOf(id: string) {
  await subscribeWs(s.url, KEY_A, WATCH_JOB, { id, after: 0 }).done;
  const job = (await gql(s.url, KEY_A, RESULT, { id })).data.job;
  assert.equal(job.status, 'SUCCEEDED', JSON.stringify(job.error));
  return job.result.audio;
}

async function checkFile(audio: any, format: string, rate: number) {
  assert.equal(audio.contentType, CONTENT_TYPES[format]);
  assert.equal(audio.sampleRate, rate);
  const bytes = Buffer.from(await (await fetch(audio.url)).arrayBuffer());
  assert.ok(MAGIC[format]!(bytes), `${format} magic`);
  // Back through our own upload checks: the codec and rate are read from the bytes.
  const path = scratchFile('bin');
  writeFileSync(path, bytes);
  const up = await gqlUpload(s.url, KEY_A, `mutation($f: Upload!) { uploadAudio(file: $f) { codec sampleRate durationSeconds } }`, { f: null }, 'f', path);
  assert.equal(up.errors, undefined, JSON.stringify(up.errors));
  // (an Ogg Opus header declares the input rate; decoders, and our probe, may report 48 kHz)
  if (format !== 'OPUS') assert.equal(up.data.uploadAudio.sampleRate, rate);
  assert.ok(Math.abs(up.data.uploadAudio.durationSeconds - audio.durationSeconds) < 0.1, `${up.data.uploadAudio.durationSeconds} vs ${audio.durationSeconds}`);
  return up.data.uploadAudio;
}

test('denoise results in every format, at the rate asked for', { timeout: 120_000 }, async () => {
  const up = await gqlUpload(s.url, KEY_A, `mutation($f: Upload!) { uploadAudio(file: $f) { id sampleRate } }`, { f: null }, 'f', speech('formats for every result'));
  const audioId = up.data.uploadAudio.id;
  for (const [format, rate] of [['WAV', null], ['FLAC', 8000], ['MP3', 16000], ['OPUS', 24000]] as const) {
    const r = await gql(s.url, KEY_A, `mutation($a: ID!, $f: AudioFormat, $r: Int) { denoise(input: { audioId: $a, format: $f, sampleRate: $r }) { id } }`, { a: audioId, f: format, r: rate });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const audio = await resultOf(r.data.denoise.id);
    const stored = await checkFile(audio, format, rate ?? up.data.uploadAudio.sampleRate);
    if (format === 'FLAC') assert.equal(stored.codec, 'flac');
    if (format === 'OPUS') assert.equal(stored.codec, 'opus');
  }
});

test('synthesize results as MP3 and Opus; a rate Opus cannot code comes back at 48 kHz', { timeout: 120_000 }, async () => {
  const mp3 = await gql(s.url, KEY_A, `mutation { synthesize(input: { text: "speech as mp3", format: MP3, sampleRate: 22050 }) { id } }`);
  await checkFile(await resultOf(mp3.data.synthesize.id), 'MP3', 22050);
  const opus = await gql(s.url, KEY_A, `mutation { synthesize(input: { text: "speech as opus", format: OPUS, sampleRate: 22050 }) { id } }`);
  await checkFile(await resultOf(opus.data.synthesize.id), 'OPUS', 48000);
});

test('an unknown format or a rate out of range is refused before anything is queued', async () => {
  const bad = await gql(s.url, KEY_A, `mutation { synthesize(input: { text: "x", format: AIFF }) { id } }`);
  assert.equal(bad.errors?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
  const rate = await gql(s.url, KEY_A, `mutation($a: ID!) { denoise(input: { audioId: $a, sampleRate: 4000 }) { id } }`, { a: '00000000-0000-4000-8000-000000000000' });
  assert.equal(rate.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  assert.equal(rate.errors?.[0]?.extensions?.field, 'sampleRate');
});
