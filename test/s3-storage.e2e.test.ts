// STORAGE=s3 end to end, against a real S3-protocol server (s3rver): the API streams an upload
// into the bucket (nothing left under DATA_DIR/objects), a real worker (boto3) reads the input
// from the bucket and writes the result there, the proxied signed URL serves it with Range, and
// FILE_URLS=presigned hands out the bucket's own presigned URL. deleteJob removes the result
// object from the bucket.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createClient, resultAudio, type VoxgraphClient } from '../sdk/src/index.ts';
import { parseWav, read, speech } from './support/audio.ts';
import { KEY_A, startTestServer, waitReady, type TestServer } from './support/server.ts';
import { startS3, type S3Server } from './support/s3.ts';

let s3: S3Server;
let proxied: TestServer;
let presigned: TestServer;
let vg: VoxgraphClient;
let vgPresigned: VoxgraphClient;
before(async () => {
  s3 = await startS3();
  proxied = await startTestServer({ ...s3.env, WORKERS: '1' });
  presigned = await startTestServer({ ...s3.env, S3_PREFIX: 'other/', FILE_URLS: 'presigned', WORKERS: '1' });
  await Promise.all([waitReady(proxied.url), waitReady(presigned.url)]);
  vg = createClient({ url: proxied.url, apiKey: KEY_A });
  vgPresigned = createClient({ url: presigned.url, apiKey: KEY_A });
});
after(async () => {
  await vg?.close();
  await vgPresigned?.close();
  await proxied?.close();
  await presigned?.close();
  await s3?.close();
});

const keyOf = async (server: TestServer, audioId: string) => (await server.deps.pool.query<{ storage_key: string }>('SELECT storage_key FROM voxgraph.audio WHERE id = $1', [audioId])).rows[0]!.storage_key;
const bucket = () => new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
const inBucket = async (key: string) =>
  bucket()
    .send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }))
    .then((r) => Number(r.ContentLength))
    .catch(() => null);

test('upload → bucket, worker reads and writes the bucket, the proxied URL serves it with Range; deleteJob removes the result', { timeout: 120_000 }, async () => {
  const clip = read(speech('stored in a bucket'));
  const job = await vg.denoise({ file: new Blob([new Uint8Array(clip)]), cache: false });
  const done = await vg.waitFor(job.id);
  const input = done.input!;
  const output = resultAudio(done)!;
  assert.equal(await inBucket(`tenant-a/${input.id}.wav`), clip.length, 'the upload is in the bucket');
  const resultKey = await keyOf(proxied, output.id);
  assert.match(resultKey, /^tenant-a\/[0-9a-f-]{36}\.wav$/);
  assert.equal(await inBucket(resultKey), output.bytes, 'the worker wrote the result there');
  const objects = join(proxied.dataDir, 'objects');
  assert.ok(!existsSync(objects) || readdirSync(objects).length === 0, 'nothing under DATA_DIR/objects');
  const whole = await fetch(output.url);
  assert.equal(whole.status, 200);
  assert.ok(parseWav(Buffer.from(await whole.arrayBuffer())).frames > 1000);
  const part = await fetch(output.url, { headers: { range: 'bytes=0-43' } });
  assert.equal(part.status, 206);
  assert.equal(Buffer.from(await part.arrayBuffer()).subarray(0, 4).toString(), 'RIFF');
  await vg.deleteJob(done.id);
  assert.equal(await inBucket(resultKey), null, 'deleteJob removed the result object');
  assert.equal((await fetch(output.url)).status, 410);
});

test('FILE_URLS=presigned: Audio.url is the bucket\'s presigned URL, with the prefix, and it serves the bytes', { timeout: 120_000 }, async () => {
  const done = await vgPresigned.waitFor((await vgPresigned.synthesize({ text: 'presigned', cache: false })).id);
  const audio = resultAudio(done)!;
  const url = new URL(audio.url);
  assert.equal(url.origin, s3.endpoint, 'served by the bucket, not the API');
  assert.equal(url.pathname, `/${s3.bucket}/other/${await keyOf(presigned, audio.id)}`);
  assert.ok(url.searchParams.get('X-Amz-Signature'));
  const r = await fetch(audio.url);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), audio.contentType);
  assert.equal(Number(r.headers.get('content-length')), audio.bytes);
});
