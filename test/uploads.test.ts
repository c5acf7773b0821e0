// Uploads: the GraphQL multipart request spec, streamed; the content is judged by decoding it.
// Every bad upload gets a stable error code, leaves nothing behind, and the server stays up.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { convert, speech } from './support/audio.ts';
import { gql, gqlUpload } from './support/client.ts';
import { KEY_A, startTestServer, type TestServer } from './support/server.ts';

const UPLOAD = `mutation($f: Upload!) { uploadAudio(file: $f) { id url contentType bytes sha256 durationSeconds sampleRate channels codec } }`;
const MAX_UPLOAD = 2_000_000;

let s: TestServer;
let wav: string;
before(async () => {
  s = await startTestServer({ MAX_UPLOAD_BYTES: String(MAX_UPLOAD), MAX_AUDIO_SECONDS: '20', MAX_AUDIO_SAMPLES: '1000000' });
  wav = speech('uploads are checked by decoding them, not by their names');
});
after(() => s.close());

const filesIn = (dir: string): string[] => {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  } catch {
    return [];
  }
};
const stored = () => filesIn(join(s.dataDir, 'objects'));
const leftovers = () => filesIn(join(s.dataDir, 'tmp'));

async function expectError(res: Awaited<ReturnType<typeof gqlUpload>>, code: string) {
  assert.equal(res.errors?.[0]?.extensions?.code, code, JSON.stringify(res));
  assert.deepEqual(leftovers(), [], 'no partial upload is left in tmp/');
  const health = await fetch(`${s.url}/healthz`);
  assert.equal(health.status, 200, 'the server stays up');
}

describe('accepted formats', () => {
  const cases: Array<[string, () => string, string, string]> = [
    ['wav', () => wav, 'audio/wav', 'pcm_s16le'],
    ['flac', () => convert(wav, 'flac'), 'audio/flac', 'flac'],
    ['ogg/opus', () => convert(wav, 'ogg', ['-c:a', 'libopus']), 'audio/ogg', 'opus'],
    ['ogg/vorbis', () => convert(wav, 'ogg', ['-c:a', 'libvorbis']), 'audio/ogg', 'vorbis'],
    ['mp3', () => convert(wav, 'mp3'), 'audio/mpeg', 'mp3'],
    ['m4a/aac', () => convert(wav, 'm4a', ['-c:a', 'aac']), 'audio/mp4', 'aac'],
  ];
  for (const [name, make, contentType, codec] of cases) {
    test(`${name} is stored with its metadata, sha256 and a working signed URL`, async () => {
      const file = make();
      const bytes = readFileSync(file);
      // A misleading name and MIME type must not matter.
      const res = await gqlUpload(s.url, KEY_A, UPLOAD, { f: null }, 'f', bytes, { filename: 'notes.txt' });
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      const a = res.data.uploadAudio;
      assert.equal(a.contentType, contentType);
      assert.equal(a.codec, codec);
      assert.equal(a.bytes, bytes.length);
      assert.equal(a.sha256, createHash('sha256').update(bytes).digest('hex'));
      assert.equal(a.channels, 1);
      assert.ok(a.durationSeconds > 2 && a.durationSeconds < 6, `duration ${a.durationSeconds}`);
      const download = await fetch(a.url);
      assert.equal(download.status, 200);
      assert.equal(download.headers.get('content-type'), contentType);
      assert.deepEqual(Buffer.from(await download.arrayBuffer()), bytes);
    });
  }
});

describe('bad uploads', () => {
  test('a file that is not audio is UNSUPPORTED_AUDIO, whatever its name says', async () => {
    const res = await gqlUpload(s.url, KEY_A, UPLOAD, { f: null }, 'f', Buffer.from('%PDF-1.4 definitely not audio\n'.repeat(50)), { filename: 'speech.wav' });
    await expectError(res, 'UNSUPPORTED_AUDIO');
  });

  test('an image is UNSUPPORTED_AUDIO', async () => {
    const png = convert(wav, 'png', ['-filter_complex', 'showwavespic=s=64x64', '-frames:v', '1']);
    await expectError(await gqlUpload(s.url, KEY_A, UPLOAD, { f: null }, 'f', png), 'UNSUPPORTED_AUDIO');
  });

  test('an empty file is UPLOAD_EMPTY', async () => {
    await expectError(await gqlUpload(s.url, KEY_A, UPLOAD, { f: null }, 'f', Buffer.alloc(0), { filename: 'a.wav' }), 'UPLOAD_EMPTY');
  });

  test('a truncated WAV is CORRUPT_AUDIO', async () => {
    const bytes = readFileSync(wav);
    await expectError(await gqlUpload(s.url, KEY_A, UPLOAD, { f: null }, 'f', bytes.subarray(0, Math.floor(bytes.length / 3))), 'CORRUPT_AUDIO');
  });

  for (const [name, make] of [
    ['MP3', () => convert(wav, 'mp3')],
    ['FLAC', () => convert(wav, 'flac')],
    ['Ogg/Opus', () => convert(wav, 'ogg', ['-c:a', 'libopus'])],
    ['Ogg/Vorbis', () => convert(wav, 'ogg', ['-c:a', 'libvorbis'])],
  ] as const) {
    test(`a truncated ${name} is CORRUPT_AUDIO (cut at a quarter, a half and one byte short)`, async () => {
      const bytes = readFileSync(make());
      for (const end of [Math.floor(bytes.length / 4), Math.floor(bytes.length / 2), bytes.length - 1]) {
        await expectError(await gqlUpload(s.url, KEY_A, UPLOAD, { f: null }, 'f', bytes.subarray(0, end)), 'CORRUPT_AUDIO');
      }
    });
  }

  test('audio longer than MAX_AUDIO_SECONDS is AUDIO_TOO_LONG', async () => {
    const long = convert(wav, 'flac', ['-af', 'apad=whole_dur=25']);
    await expectError(await gqlUpload(s.url, KEY_A, UPLOAD, { f: null }, 'f', long), 'AUDIO_TOO_LONG');
  });

  test('audio with more samples than MAX_AUDIO_SAMPLES (duration × rate × channels) is AUDIO_TOO_MANY_SAMPLES', async () => {
    // 12 s is within MAX_AUDIO_SECONDS, but 12 s × 48 kHz × 2 channels is over this server's 1,000,000.
    const big = convert(wav, 'flac', ['-ar', '48000', '-ac', '2', '-af', 'apad=whole_dur=12']);
    const res = await gqlUpload(s.url, KEY_A, UPLOAD, { f: null }, 'f', big);
    await expectError(res, 'AUDIO_TOO_MANY_SAMPLES');
    assert.equal(res.errors?.[0]?.extensions?.maxSamples, 1_000_000);
  });

  test('a file over MAX_UPLOAD_BYTES is UPLOAD_TOO_LARGE (announced length: rejected before reading)', async () => {
    const res = await gqlUpload(s.url, KEY_A, UPLOAD, { f: null }, 'f', Buffer.alloc(MAX_UPLOAD + 3_000_000, 1));
    assert.equal(res.status, 413);
    await expectError(res, 'UPLOAD_TOO_LARGE');
  });

  test('a file over MAX_UPLOAD_BYTES inside a request within the framing allowance is UPLOAD_TOO_LARGE while streaming', async () => {
    await expectError(await gqlUpload(s.url, KEY_A, UPLOAD, { f: null }, 'f', Buffer.alloc(MAX_UPLOAD + 1000, 1)), 'UPLOAD_TOO_LARGE');
  });

  test('a multipart request without a CSRF-prevention header is refused', async () => {
    const res = await gqlUpload(s.url, KEY_A, UPLOAD, { f: null }, 'f', wav, { csrfHeader: false });
    assert.equal(res.status, 403);
    assert.deepEqual(leftovers(), []);
  });

  test('a client that disconnects mid-upload leaves nothing behind', async () => {
    const before = stored().length;
    const boundary = 'xyzBOUNDARY';
    await new Promise<void>((resolve) => {
      const req = request(`${s.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, authorization: `Bearer ${KEY_A}`, 'graphql-require-preflight': '1', 'content-length': '1500000' },
      });
      req.on('error', () => resolve());
      req.write(
        `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${JSON.stringify({ query: UPLOAD, variables: { f: null } })}\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.f"]}\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n`,
      );
      req.write(readFileSync(wav).subarray(0, 50_000));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 300);
    });
    // The server notices the disconnect asynchronously.
    for (let i = 0; i < 40 && leftovers().length; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(leftovers(), []);
    assert.equal(stored().length, before);
    assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
  });

  test('after all that, earlier uploads are intact', async () => {
    const res = await gqlUpload(s.url, KEY_A, UPLOAD, { f: null }, 'f', wav);
    const a = res.data.uploadAudio;
    const again = await gql(s.url, KEY_A, `query($id: ID!) { audio(id: $id) { sha256 url } }`, { id: a.id });
    assert.equal(again.data.audio.sha256, a.sha256);
    for (const file of stored()) assert.ok(statSync(file).size > 0);
    assert.equal((await fetch(again.data.audio.url)).status, 200);
  });
});
