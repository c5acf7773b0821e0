// Objects in an S3-compatible bucket (AWS S3, MinIO, …): STORAGE=s3. Keys are the same as on
// local disk ("<tenant>/<audio id>.<ext>"), under S3_PREFIX. Uploads still spool to a local temp
// directory (graphql-upload-ts writes there, and the format checks read it), then go up with
// lib-storage's multipart upload (5 MiB parts, 4 at a time), so no file is held in memory. An object
// appears whole or not at all (S3 writes are atomic), so there are no partial objects to sweep;
// multipart uploads a crash left unfinished are the bucket's lifecycle rule's to abort.
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { PassThrough, Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { SpoolDir } from './spool-dir.ts';
import { checkKey, type ObjectStat, type Storage, type StoredFile } from './storage.ts';

export type S3Settings = {
  endpoint: string | undefined;
  bucket: string;
  region: string;
  prefix: string;
  forcePathStyle: boolean;
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
};

const notFound = (err: unknown) => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
};

export class S3Storage implements Storage {
  readonly client: S3Client;
  private readonly spool: SpoolDir;
  private readonly s: S3Settings;

  constructor(s: S3Settings, dataDir: string) {
    this.s = s;
    this.client = new S3Client({
      region: s.region,
      endpoint: s.endpoint,
      forcePathStyle: s.forcePathStyle,
      ...(s.accessKeyId && s.secretAccessKey ? { credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey } } : {}),
    });
    this.spool = new SpoolDir(dataDir);
  }

  private key(key: string): string {
    return this.s.prefix + checkKey(key);
  }

  async putFile(key: string, localPath: string): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.s.bucket, Key: this.key(key), Body: createReadStream(localPath) },
      partSize: 5 << 20,
      queueSize: 4,
    });
    await upload.done();
    await rm(localPath, { force: true }); // moved, as on local disk
  }

  read(key: string, range?: { start: number; end: number }): Readable {
    const out = new PassThrough();
    const command = new GetObjectCommand({ Bucket: this.s.bucket, Key: this.key(key), ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) });
    this.client.send(command).then(
      (r) => {
        const body = r.Body as Readable;
        body.on('error', (err) => out.destroy(err));
        out.on('close', () => body.destroy());
        body.pipe(out);
      },
      (err) => out.destroy(err),
    );
    return out;
  }

  async stat(key: string): Promise<ObjectStat | null> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.s.bucket, Key: this.key(key) }));
      return { bytes: Number(r.ContentLength ?? 0) };
    } catch (err) {
      if (notFound(err)) return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.s.bucket, Key: this.key(key) }));
  }

  tempDir(): string {
    return this.spool.path;
  }

  /** A presigned GET (FILE_URLS=presigned): the client fetches from the bucket, not through the API. */
  presignedUrl(key: string, ttlSeconds: number, contentType?: string): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.s.bucket, Key: this.key(key), ResponseContentType: contentType }), { expiresIn: ttlSeconds });
  }

  async *listOlderThan(beforeMs: number): AsyncIterable<StoredFile> {
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.s.bucket, Prefix: this.s.prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        const modifiedMs = o.LastModified?.getTime() ?? 0;
        if (o.Key && modifiedMs < beforeMs) yield { key: o.Key.slice(this.s.prefix.length), modifiedMs, kind: 'object' };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    yield* this.spool.listOlderThan(beforeMs);
  }

  async remove(file: StoredFile): Promise<void> {
    if (file.kind === 'upload') await this.spool.remove(file.key);
    else await this.delete(file.key);
  }
}
