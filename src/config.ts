// Configuration: read from the environment once, at the edge, validated, then passed down as a
// plain object. Nothing else in src/ reads process.env.
import type { S3Settings } from './storage/s3.ts';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';

const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

/** pino's levels; the workers `npm start` runs get the same LOG_LEVEL (test/config.test.ts checks they accept each). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().default('127.0.0.1'),
  PORT: int(4000),
  PUBLIC_URL: z.url().optional(),
  METRICS_TOKEN: z.string().min(16).optional(),
  DATABASE_URL: z.string().min(1).optional(),
  DATA_DIR: z.string().default('./.data'),
  EMBEDDED_PG_PORT: int(54329, 1),
  WORKERS: int(1),
  // A number of slots, or `auto` (the worker sizes it from free GPU memory; 1 on the CPU).
  WORKER_CONCURRENCY: z.preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() || undefined : v), z.union([z.literal('auto'), z.coerce.number().int().min(1)]).default(1)),
  WORKER_PYTHON: z.string().default('/usr/bin/python3'),
  API_KEYS: z.string().optional(),
  SIGNING_SECRET: z.string().min(16).optional(),
  STORAGE: z.enum(['local', 's3']).default('local'),
  S3_ENDPOINT: z.url().optional(),
  S3_BUCKET: z.string().min(3).max(63).regex(/^[a-z0-9][a-z0-9.-]+[a-z0-9]$/).optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_PREFIX: z.string().regex(/^([A-Za-z0-9._-]+\/)*$/).default(''),
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).optional(),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  FILE_URLS: z.enum(['proxy', 'presigned']).default('proxy'),
  URL_TTL_SECONDS: int(3600, 1),
  MAX_UPLOAD_BYTES: int(200 * 1024 * 1024, 1),
  MAX_AUDIO_SECONDS: int(3 * 3600, 1),
  // 2^28 samples = 1 GiB as float32: 46 min of 48 kHz stereo, 4.6 h of 16 kHz mono.
  MAX_AUDIO_SAMPLES: int(2 ** 28, 1),
  UPLOAD_VERIFY_THREADS: int(Math.max(1, availableParallelism() - 1), 1),
  UPLOAD_FFMPEG_PROCESSES: int(availableParallelism(), 1),
  MAX_TEXT_CHARS: int(5000, 1),
  MAX_TRANSCRIPT_CHARS: int(20000, 1),
  JOB_RETRY_LIMIT: int(2),
  JOB_RETRY_DELAY_SECONDS: int(2),
  JOB_EXPIRE_SECONDS: int(3600, 1),
  JOB_HEARTBEAT_SECONDS: int(30, 10),
  SUPERVISE_INTERVAL_SECONDS: int(30, 1),
  JOB_QUEUE_RETENTION_SECONDS: int(7 * 24 * 3600, 1),
  WORKER_READY_SECONDS: int(30, 1),
  // Files nothing refers to are removed once this old (src/storage/orphan-sweep.ts); 0: no sweep.
  STORAGE_SWEEP_INTERVAL_SECONDS: int(3600),
  STORAGE_ORPHAN_AGE_SECONDS: int(3600, 1),
  // Finished jobs, their events, inputs and results are deleted this long after they finished (src/jobs/deletion.ts); 0: kept.
  RETENTION_SECONDS: int(30 * 24 * 3600),
  RETENTION_SWEEP_CRON: z.string().min(1).default('*/5 * * * *'),
  // Subscriptions: how often the event listener is pinged and watched jobs checked (README, "Limits").
  EVENTS_CHECK_SECONDS: z.coerce.number().min(0.2).default(10),
  // Shutdown budget of a worker (README, "Stopping"): running jobs get the grace, then the rest are
  // handed back within the hand-back time. Passed to the workers `npm start` runs.
  WORKER_SHUTDOWN_GRACE_SECONDS: z.coerce.number().min(0).default(20),
  WORKER_HANDBACK_SECONDS: z.coerce.number().min(0.5).default(5),
  // GraphQL limits (README, "Limits").
  GRAPHQL_INTROSPECTION: z.enum(['public', 'authenticated', 'off']).optional(),
  GRAPHQL_MAX_QUERY_BYTES: int(16 * 1024, 1),
  GRAPHQL_MAX_ANONYMOUS_QUERY_BYTES: int(8 * 1024, 1),
  GRAPHQL_MAX_TOKENS: int(2000, 1),
  GRAPHQL_MAX_DEPTH: int(10, 1),
  GRAPHQL_MAX_ALIASES: int(30, 0),
  GRAPHQL_MAX_DIRECTIVES: int(20, 0),
  GRAPHQL_MAX_COST: int(20000, 1), // graphql-armor's model: a list of 100 jobs with their audio and events ≈ 6,000
  GRAPHQL_PARSE_CACHE_MB: int(32, 1),
  // Per-tenant limits (README, "Limits"); 0 turns one off.
  RATE_LIMIT_JOBS_PER_SECOND: z.coerce.number().min(0).default(50),
  RATE_LIMIT_JOBS_BURST: z.coerce.number().min(1).default(200),
  MAX_ACTIVE_JOBS_PER_TENANT: int(1000),
  MAX_STORAGE_BYTES_PER_TENANT: int(10 * 2 ** 30),
  MAX_SUBSCRIPTIONS_PER_CONNECTION: int(100),
  MAX_CONNECTIONS_PER_TENANT: int(100),
  // The highest job priority a tenant may ask for (higher is clamped): MAX_PRIORITY for all, TENANT_MAX_PRIORITY "tenant:n,…" per tenant.
  MAX_BATCH_SIZE: int(100, 1),
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: z.enum(['true', 'false', '1', '0', '']).default('false').transform((v) => v === 'true' || v === '1'),
  WEBHOOK_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(60).default(10),
  WEBHOOK_MAX_ATTEMPTS: int(8, 1),
  WEBHOOK_RETRY_DELAY_SECONDS: int(10),
  RESULT_CACHE_TTL_SECONDS: int(86_400),
  MAX_PRIORITY: z.coerce.number().int().min(-100).max(100).default(100),
  TENANT_MAX_PRIORITY: z.string().default(''),
  // Slow and hostile clients (README, "Limits").
  HTTP_HEADERS_TIMEOUT_SECONDS: int(20, 1),
  HTTP_REQUEST_TIMEOUT_SECONDS: int(600, 1),
  HTTP_IDLE_TIMEOUT_SECONDS: int(30, 1),
  HTTP_MAX_CONNECTIONS: int(2000, 1),
  WS_MAX_MESSAGE_BYTES: int(64 * 1024, 1024),
  WS_INIT_TIMEOUT_SECONDS: int(5, 1),
  CORS_ORIGINS: z.string().default(''),
  // The API's database pool: a request waits at most DB_ACQUIRE_TIMEOUT_MS for a connection and
  // a statement runs at most DB_STATEMENT_TIMEOUT_MS (then SERVER_BUSY).
  DB_POOL_SIZE: int(10, 1),
  DB_ACQUIRE_TIMEOUT_MS: int(5000, 1),
  DB_STATEMENT_TIMEOUT_MS: int(15000, 1),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
});

/** Every variable the API reads (test/config.test.ts checks each is documented in the README). */
export const API_SETTINGS = Object.keys(EnvSchema.shape);

export type Config = {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  publicUrl: string | undefined; // undefined: http://<HOST>:<bound port>
  metricsToken: string | undefined; // GET /metrics asks for `Authorization: Bearer <it>` when set
  databaseUrl: string | undefined;
  dataDir: string;
  embeddedPgPort: number;
  workers: number;
  workerConcurrency: number | 'auto';
  workerPython: string;
  apiKeys: Map<string, string> | undefined; // key -> tenant; undefined = development key
  signingSecret: string | undefined;
  /** Where audio lives: DATA_DIR/objects, or an S3 bucket (S3_*). */
  storage: { kind: 'local' } | ({ kind: 's3' } & S3Settings);
  /** Audio.url: our signed /files URL (proxied, Range), or the bucket's presigned one (STORAGE=s3). */
  fileUrls: 'proxy' | 'presigned';
  urlTtlSeconds: number;
  maxUploadBytes: number;
  maxAudioSeconds: number;
  maxAudioSamples: number;
  uploads: { verifyThreads: number; ffmpegProcesses: number };
  maxTextChars: number;
  maxTranscriptChars: number;
  webhooks: { allowPrivateNetworks: boolean; timeoutMs: number; maxAttempts: number; retryDelaySeconds: number };
  /** Jobs (and files) in one submitBatch. */
  maxBatchSize: number;
  /** How long a success answers identical jobs of its tenant (0: no cache; in-flight jobs are shared all the same). */
  resultCacheTtlSeconds: number;
  queue: {
    retryLimit: number;
    retryDelaySeconds: number;
    expireSeconds: number;
    heartbeatSeconds: number;
    superviseIntervalSeconds: number;
    retentionSeconds: number;
  };
  workerReadySeconds: number;
  eventsCheckSeconds: number;
  storageSweep: { intervalSeconds: number; orphanAgeSeconds: number };
  retentionSeconds: number;
  /** When the retention sweep runs: a pg-boss cron schedule (5 fields, or 6 with seconds first), UTC. */
  retentionSweepCron: string;
  shutdown: { workerGraceSeconds: number; workerHandbackSeconds: number };
  graphql: {
    introspection: 'public' | 'authenticated' | 'off';
    maxQueryBytes: number;
    maxAnonymousQueryBytes: number;
    maxTokens: number;
    maxDepth: number;
    maxAliases: number;
    maxDirectives: number;
    maxCost: number;
    parseCacheMb: number;
  };
  db: { poolSize: number; acquireTimeoutMs: number; statementTimeoutMs: number };
  http: {
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    idleTimeoutMs: number;
    maxConnections: number;
    wsMaxMessageBytes: number;
    wsInitTimeoutMs: number;
    corsOrigins: string[];
  };
  tenants: {
    jobsPerSecond: number;
    jobsBurst: number;
    maxActiveJobs: number;
    maxStorageBytes: number;
    maxSubscriptionsPerConnection: number;
    maxConnections: number;
    /** The highest priority each tenant may use; `maxPriority` for a tenant not listed. */
    maxPriority: number;
    maxPriorityOf: ReadonlyMap<string, number>;
  };
  logLevel: string;
};

export class ConfigError extends Error {}

export function parseTenantPriorities(raw: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const entry of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,62}):(-?\d{1,3})$/.exec(entry);
    if (!m || Number(m[2]) < -100 || Number(m[2]) > 100) throw new ConfigError('TENANT_MAX_PRIORITY must be "tenant:n,tenant2:n" with n in -100..100');
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

export function parseApiKeys(raw: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const entry of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const idx = entry.lastIndexOf(':');
    const key = idx > 0 ? entry.slice(0, idx) : '';
    const tenant = idx > 0 ? entry.slice(idx + 1) : '';
    // A tenant names a storage directory: it starts with a letter or digit ("." and ".." cannot).
    if (key.length < 16 || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(tenant)) {
      throw new ConfigError('API_KEYS must be "key:tenant,key2:tenant2": keys of at least 16 characters, tenants of letters, digits, "_", "." and "-" starting with a letter or digit');
    }
    keys.set(key, tenant);
  }
  if (keys.size === 0) throw new ConfigError('API_KEYS is set but holds no key');
  return keys;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const apiKeys = e.API_KEYS ? parseApiKeys(e.API_KEYS) : undefined;
  if (e.STORAGE === 's3' && !e.S3_BUCKET) throw new ConfigError('STORAGE=s3 needs S3_BUCKET');
  if (e.FILE_URLS === 'presigned' && e.STORAGE !== 's3') throw new ConfigError('FILE_URLS=presigned needs STORAGE=s3 (local disk has no presigned URLs)');
  if (!apiKeys && e.NODE_ENV === 'production') {
    throw new ConfigError('API_KEYS is required when NODE_ENV=production');
  }
  // A file younger than the longest write to its row may still get one: the sweep must not race it.
  const longestWrite = Math.max(e.HTTP_REQUEST_TIMEOUT_SECONDS, e.JOB_HEARTBEAT_SECONDS + 10);
  if (e.STORAGE_ORPHAN_AGE_SECONDS < longestWrite + 60) {
    throw new ConfigError(`STORAGE_ORPHAN_AGE_SECONDS must be at least ${longestWrite + 60} (HTTP_REQUEST_TIMEOUT_SECONDS or JOB_HEARTBEAT_SECONDS + 10, plus a minute)`);
  }
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ''),
    metricsToken: e.METRICS_TOKEN,
    databaseUrl: e.DATABASE_URL,
    dataDir: resolve(e.DATA_DIR),
    embeddedPgPort: e.EMBEDDED_PG_PORT,
    workers: e.WORKERS,
    workerConcurrency: e.WORKER_CONCURRENCY,
    workerPython: e.WORKER_PYTHON,
    apiKeys,
    signingSecret: e.SIGNING_SECRET,
    storage:
      e.STORAGE === 's3'
        ? {
            kind: 's3',
            endpoint: e.S3_ENDPOINT,
            bucket: e.S3_BUCKET!,
            region: e.S3_REGION,
            prefix: e.S3_PREFIX,
            // MinIO and most S3-compatible servers want path-style requests; AWS itself does not.
            forcePathStyle: e.S3_FORCE_PATH_STYLE ? e.S3_FORCE_PATH_STYLE === 'true' : Boolean(e.S3_ENDPOINT),
            accessKeyId: e.S3_ACCESS_KEY_ID,
            secretAccessKey: e.S3_SECRET_ACCESS_KEY,
          }
        : { kind: 'local' },
    fileUrls: e.FILE_URLS,
    urlTtlSeconds: e.URL_TTL_SECONDS,
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    maxAudioSeconds: e.MAX_AUDIO_SECONDS,
    maxAudioSamples: e.MAX_AUDIO_SAMPLES,
    uploads: { verifyThreads: e.UPLOAD_VERIFY_THREADS, ffmpegProcesses: e.UPLOAD_FFMPEG_PROCESSES },
    maxTextChars: e.MAX_TEXT_CHARS,
    maxTranscriptChars: e.MAX_TRANSCRIPT_CHARS,
    maxBatchSize: e.MAX_BATCH_SIZE,
    webhooks: {
      allowPrivateNetworks: e.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
      timeoutMs: e.WEBHOOK_TIMEOUT_SECONDS * 1000,
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      retryDelaySeconds: e.WEBHOOK_RETRY_DELAY_SECONDS,
    },
    resultCacheTtlSeconds: e.RESULT_CACHE_TTL_SECONDS,
    queue: {
      retryLimit: e.JOB_RETRY_LIMIT,
      retryDelaySeconds: e.JOB_RETRY_DELAY_SECONDS,
      expireSeconds: e.JOB_EXPIRE_SECONDS,
      heartbeatSeconds: e.JOB_HEARTBEAT_SECONDS,
      superviseIntervalSeconds: e.SUPERVISE_INTERVAL_SECONDS,
      retentionSeconds: e.JOB_QUEUE_RETENTION_SECONDS,
    },
    workerReadySeconds: e.WORKER_READY_SECONDS,
    eventsCheckSeconds: e.EVENTS_CHECK_SECONDS,
    storageSweep: { intervalSeconds: e.STORAGE_SWEEP_INTERVAL_SECONDS, orphanAgeSeconds: e.STORAGE_ORPHAN_AGE_SECONDS },
    retentionSeconds: e.RETENTION_SECONDS,
    retentionSweepCron: e.RETENTION_SWEEP_CRON,
    shutdown: { workerGraceSeconds: e.WORKER_SHUTDOWN_GRACE_SECONDS, workerHandbackSeconds: e.WORKER_HANDBACK_SECONDS },
    graphql: {
      // Teams generate SDKs from the committed schema/schema.graphql; introspection without a key
      // is a development convenience.
      introspection: e.GRAPHQL_INTROSPECTION ?? (e.NODE_ENV === 'production' ? 'authenticated' : 'public'),
      maxQueryBytes: e.GRAPHQL_MAX_QUERY_BYTES,
      maxAnonymousQueryBytes: e.GRAPHQL_MAX_ANONYMOUS_QUERY_BYTES,
      maxTokens: e.GRAPHQL_MAX_TOKENS,
      maxDepth: e.GRAPHQL_MAX_DEPTH,
      maxAliases: e.GRAPHQL_MAX_ALIASES,
      maxDirectives: e.GRAPHQL_MAX_DIRECTIVES,
      maxCost: e.GRAPHQL_MAX_COST,
      parseCacheMb: e.GRAPHQL_PARSE_CACHE_MB,
    },
    db: { poolSize: e.DB_POOL_SIZE, acquireTimeoutMs: e.DB_ACQUIRE_TIMEOUT_MS, statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS },
    http: {
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_SECONDS * 1000,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_SECONDS * 1000,
      idleTimeoutMs: e.HTTP_IDLE_TIMEOUT_SECONDS * 1000,
      maxConnections: e.HTTP_MAX_CONNECTIONS,
      wsMaxMessageBytes: e.WS_MAX_MESSAGE_BYTES,
      wsInitTimeoutMs: e.WS_INIT_TIMEOUT_SECONDS * 1000,
      corsOrigins: e.CORS_ORIGINS.split(',').map((o) => o.trim().replace(/\/+$/, '')).filter(Boolean),
    },
    tenants: {
      jobsPerSecond: e.RATE_LIMIT_JOBS_PER_SECOND,
      jobsBurst: e.RATE_LIMIT_JOBS_BURST,
      maxActiveJobs: e.MAX_ACTIVE_JOBS_PER_TENANT,
      maxStorageBytes: e.MAX_STORAGE_BYTES_PER_TENANT,
      maxSubscriptionsPerConnection: e.MAX_SUBSCRIPTIONS_PER_CONNECTION,
      maxConnections: e.MAX_CONNECTIONS_PER_TENANT,
      maxPriority: e.MAX_PRIORITY,
      maxPriorityOf: parseTenantPriorities(e.TENANT_MAX_PRIORITY),
    },
    logLevel: e.LOG_LEVEL,
  };
}
