// A real S3-protocol server for tests: s3rver, in this process, on a free port, one bucket.
// Its account is S3RVER/S3RVER; requests are signed and checked as S3 does (SigV4).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

export type S3Server = { endpoint: string; bucket: string; env: Record<string, string>; close: () => Promise<void> };

export async function startS3(bucket = 'voxgraph-test'): Promise<S3Server> {
  const directory = mkdtempSync(join(tmpdir(), 'voxgraph-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] });
  const { port } = (await server.run()) as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    // What an API or a worker needs to use it (the same names on both sides).
    env: { STORAGE: 's3', S3_ENDPOINT: endpoint, S3_BUCKET: bucket, S3_REGION: 'us-east-1', S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER' },
    close: async () => {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
