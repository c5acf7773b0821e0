// One storage suite, run against local disk and against a real S3-protocol server (s3rver): what
// the API relies on of a Storage — a put moves the file in whole, reads with and without a Range,
// stat, idempotent delete, keys that cannot escape, listing by age for the orphan sweep, and a
// multipart upload of a file bigger than one part. The same bytes must come back from both.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { after, before, describe, test } from 'node:test';
import { LocalDiskStorage } from '../src/storage/local-disk.ts';
import { S3Storage } from '../src/storage/s3.ts';
import type { Storage } from '../src/storage/storage.ts';
import { startS3, type S3Server } from './support/s3.ts';

let s3: S3Server;
const dirs: string[] = [];
const dataDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'voxgraph-storage-'));
  dirs.push(d);
  return d;
};
before(async () => {
  s3 = await startS3();
});
after(async () => {
  await s3?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const bytesOf = async (stream: NodeJS.ReadableStream) => {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.from(c as Buffer));
  return Buffer.concat(parts);
};

const backends: Array<[string, () => Storage]> = [
  ['local disk', () => new LocalDiskStorage(dataDir())],
  ['S3 (s3rver)', () => new S3Storage({ endpoint: s3.endpoint, bucket: s3.bucket, region: 'us-east-1', prefix: `run-${randomBytes(4).toString('hex')}/`, forcePathStyle: true, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, dataDir())],
];

for (const [name, make] of backends) {
  describe(name, () => {
    let storage: Storage;
    before(() => {
      storage = make();
    });
    const spool = (content: Buffer | string) => {
      const p = join(storage.tempDir(), `${randomBytes(6).toString('hex')}.part`);
      writeFileSync(p, content);
      return p;
    };

    test('putFile moves the file in; read, a Range, stat; delete is idempotent', async () => {
      const local = spool('0123456789abcdef');
      await storage.putFile('tenant-a/one.wav', local);
      assert.equal(existsSync(local), false, 'moved, not copied');
      assert.deepEqual(await storage.stat('tenant-a/one.wav'), { bytes: 16 });
      assert.equal(await text(storage.read('tenant-a/one.wav')), '0123456789abcdef');
      assert.equal(await text(storage.read('tenant-a/one.wav', { start: 4, end: 9 })), '456789');
      await storage.delete('tenant-a/one.wav');
      assert.equal(await storage.stat('tenant-a/one.wav'), null);
      await storage.delete('tenant-a/one.wav');
    });

    test('a missing object: stat is null and read fails', async () => {
      assert.equal(await storage.stat('tenant-a/none.wav'), null);
      await assert.rejects(bytesOf(storage.read('tenant-a/none.wav')));
    });

    test('keys cannot escape the store', async () => {
      for (const bad of ['../x', '/etc/passwd', 'a//b', 'a/../../b']) {
        await assert.rejects(async () => {
          await storage.putFile(bad, spool('x'));
        }, `${bad}`);
      }
    });

    test('a 12 MiB file (several multipart parts on S3) comes back byte for byte', async () => {
      const big = randomBytes(12 << 20);
      await storage.putFile('tenant-b/big.wav', spool(big));
      const back = await bytesOf(storage.read('tenant-b/big.wav'));
      assert.equal(createHash('sha256').update(back).digest('hex'), createHash('sha256').update(big).digest('hex'));
      const tail = await bytesOf(storage.read('tenant-b/big.wav', { start: big.length - 100, end: big.length - 1 }));
      assert.deepEqual(tail, big.subarray(big.length - 100));
    });

    test('listOlderThan lists objects and spools by age; remove removes them', async () => {
      await storage.putFile('tenant-c/old.wav', spool('old'));
      const leftover = spool('spool');
      await new Promise((r) => setTimeout(r, 1100)); // S3 times are whole seconds
      const cutoff = Date.now();
      const listed = [];
      for await (const f of storage.listOlderThan(cutoff)) listed.push(f);
      const obj = listed.find((f) => f.key === 'tenant-c/old.wav');
      assert.ok(obj && obj.kind === 'object', JSON.stringify(listed));
      const up = listed.find((f) => f.kind === 'upload' && leftover.endsWith(f.key));
      assert.ok(up, 'the spool is listed');
      await storage.remove(obj);
      await storage.remove(up);
      assert.equal(await storage.stat('tenant-c/old.wav'), null);
      assert.equal(existsSync(leftover), false);
      const later = [];
      for await (const f of storage.listOlderThan(0)) later.push(f);
      assert.deepEqual(later, [], 'nothing older than the epoch');
    });
  });
}
