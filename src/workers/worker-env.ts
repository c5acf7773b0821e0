// The environment `npm start` gives each worker it runs: the operator's environment, then the
// settings the API decides for them. Every value here must be one the worker's own parser
// (gpu-worker/voxgraph_worker/config.py) accepts; test/config.test.ts feeds this function's
// output for every value the API accepts through that parser.
import { availableParallelism } from 'node:os';
import type { Config } from '../config.ts';

export function workerEnv(config: Config, databaseUrl: string, baseEnv: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const { workerGraceSeconds, workerHandbackSeconds } = config.shutdown;
  return {
    // Workers share this machine's cores with each other and with this process (unless told
    // otherwise): a torch op split over threads waits for its slowest one, and a thread whose
    // core is busy elsewhere makes every op wait (measured: a 2 s clip's denoise took 33 ms of
    // wall time for 13 ms of CPU with two threads on two busy cores).
    WORKER_TORCH_THREADS: String(Math.max(1, Math.floor(availableParallelism() / (config.workers + 1)))),
    ...baseEnv,
    DATABASE_URL: databaseUrl,
    DATA_DIR: config.dataDir,
    WORKER_CONCURRENCY: String(config.workerConcurrency),
    WORKER_SHUTDOWN_GRACE_SECONDS: String(workerGraceSeconds),
    WORKER_HANDBACK_SECONDS: String(workerHandbackSeconds),
    // A silent API still wants its workers' errors (tests run the API silent).
    LOG_LEVEL: config.logLevel === 'silent' ? 'error' : config.logLevel,
    ...storageEnv(config),
  };
}

/** The storage the API uses, for its workers: the same bucket, or the same DATA_DIR. */
function storageEnv(config: Config): Record<string, string | undefined> {
  const s = config.storage;
  if (s.kind === 'local') return { STORAGE: 'local' };
  return {
    STORAGE: 's3',
    S3_BUCKET: s.bucket,
    S3_ENDPOINT: s.endpoint,
    S3_REGION: s.region,
    S3_PREFIX: s.prefix,
    S3_FORCE_PATH_STYLE: String(s.forcePathStyle),
    S3_ACCESS_KEY_ID: s.accessKeyId,
    S3_SECRET_ACCESS_KEY: s.secretAccessKey,
  };
}
