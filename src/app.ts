// Wires the parts together: database (given or embedded), migrations, pg-boss, the event bus,
// storage, the HTTP/WebSocket server, the stalled-job reconciler and the worker processes.
// main.ts runs it for `npm start`; the tests run it in-process.
import type { Storage } from './storage/storage.ts';
import { observeJobEvents } from './metrics/job-metrics.ts';
import { poolMetrics } from './metrics/pool-metrics.ts';
import { createMetrics } from './metrics/registry.ts';
import { traceJobLives } from './tracing/job-trace.ts';
import { tracingEnabled } from './tracing/sdk.ts';
import { WebhookDispatcher } from './webhooks/dispatcher.ts';
import { startRetentionSchedule } from './jobs/retention-schedule.ts';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { ApiKeys, developmentKey } from './auth/api-keys.ts';
import type { Config } from './config.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.ts';
import { migrate } from './db/migrate.ts';
import { createPool } from './db/pool.ts';
import { JobEventBus } from './events/job-events.ts';
import type { Deps } from './graphql/context.ts';
import { createHttpServer } from './http/server.ts';
import { ConnectionCounter } from './http/connection-limits.ts';
import { LocalRateLimiter } from './jobs/admission.ts';
import { runMaintenance } from './jobs/maintenance.ts';
import { log as rootLog, type Logger } from './log.ts';
import { startBoss } from './queue/boss.ts';
import { sweepOrphanFiles } from './storage/orphan-sweep.ts';
import { LocalDiskStorage } from './storage/local-disk.ts';
import { signingSecret, UrlSigner } from './storage/signed-url.ts';
import { AudioVerifier } from './uploads/verify.ts';
import { workerEnv } from './workers/worker-env.ts';
import { WorkerSupervisor } from './workers/supervisor.ts';

export type App = {
  url: string; // where this process listens
  publicUrl: string;
  databaseUrl: string;
  devKey: string | undefined;
  deps: Deps;
  workers: WorkerSupervisor;
  stop: () => Promise<void>;
};

export async function startApp(config: Config, opts: { log?: Logger; baseEnv?: Record<string, string | undefined> } = {}): Promise<App> {
  const log = opts.log ?? rootLog;
  mkdirSync(config.dataDir, { recursive: true });

  let embedded: EmbeddedDatabase | undefined;
  const databaseUrl = config.databaseUrl ?? (embedded = await startEmbeddedPostgres(config.dataDir, config.embeddedPgPort, log)).url;
  try {
    return await startOn(config, databaseUrl, embedded, log, opts.baseEnv);
  } catch (err) {
    // The embedded server runs in its own session: a failed start must not leave it behind.
    await embedded?.stop().catch(() => {});
    throw err;
  }
}

async function startOn(config: Config, databaseUrl: string, embedded: EmbeddedDatabase | undefined, log: Logger, baseEnv: Record<string, string | undefined> | undefined): Promise<App> {
  await migrate(databaseUrl, log);

  const pool = createPool(databaseUrl, log, config.db);
  const boss = await startBoss(databaseUrl, config.queue, log);
  const events = new JobEventBus(databaseUrl, log, { checkEveryMs: config.eventsCheckSeconds * 1000, db: pool });
  await events.start();
  // The AWS SDK is loaded only for STORAGE=s3.
  const storage: Storage =
    config.storage.kind === 's3' ? new (await import('./storage/s3.ts')).S3Storage(config.storage, config.dataDir) : new LocalDiskStorage(config.dataDir);
  const verifier = new AudioVerifier({ threads: config.uploads.verifyThreads, ffmpegProcesses: config.uploads.ffmpegProcesses, log });
  let publicUrl = config.publicUrl ?? '';
  const signer = new UrlSigner(signingSecret(config.signingSecret, config.dataDir), () => publicUrl, config.urlTtlSeconds);

  const devKey = config.apiKeys ? undefined : developmentKey(config.dataDir);
  const keys = new ApiKeys(config.apiKeys ?? new Map([[devKey!, 'dev']]));

  const metrics = createMetrics();
  const untap = events.tap(observeJobEvents(metrics, pool, log));
  const untapTraces = tracingEnabled() ? events.tap(traceJobLives(pool, log)) : () => {};
  const deps: Deps = { config, pool, boss, storage, verifier, signer, events, log, rateLimiter: new LocalRateLimiter(config.tenants),
    connections: new ConnectionCounter(config.tenants.maxConnections), metrics,
    refreshPoolMetrics: poolMetrics(metrics, pool, config.workerReadySeconds), stopping: false };
  const webhooks = new WebhookDispatcher({ databaseUrl, pool, boss, log, settings: config.webhooks });
  await webhooks.start();
  await startRetentionSchedule(boss, pool, storage, log, { seconds: config.retentionSeconds, cron: config.retentionSweepCron, urlTtlSeconds: config.urlTtlSeconds });
  const http = createHttpServer(deps, keys, devKey);
  await new Promise<void>((resolve, reject) => {
    http.server.once('error', reject);
    http.server.listen(config.port, config.host, () => resolve());
  });
  const port = (http.server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  publicUrl ||= `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const reconciler = setInterval(() => {
    runMaintenance(pool, log).catch((err) => log.error({ err }, 'maintenance pass failed'));
  }, config.queue.superviseIntervalSeconds * 1000);

  const sweeper = config.storageSweep.intervalSeconds
    ? setInterval(() => {
        sweepOrphanFiles(pool, storage, log, config.storageSweep.orphanAgeSeconds).catch((err) => log.error({ err }, 'orphan file sweep failed'));
      }, config.storageSweep.intervalSeconds * 1000).unref()
    : undefined;

  const { workerGraceSeconds, workerHandbackSeconds } = config.shutdown;
  const workers = new WorkerSupervisor({
    python: config.workerPython,
    count: config.workers,
    log,
    stopBudgetSeconds: workerGraceSeconds + workerHandbackSeconds,
    env: workerEnv(config, databaseUrl, baseEnv),
  });
  workers.start();

  // Stopping, in order: the workers first (they finish or hand back their jobs while this process
  // still serves subscriptions and records what they do; /readyz says 503 meanwhile), then HTTP
  // and WebSocket, pg-boss, the pools, and the embedded PostgreSQL last.
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      deps.stopping = true;
      clearInterval(reconciler);
      clearInterval(sweeper);
      await workers.stop();
      await http.close();
      await webhooks.stop();
      http.server.closeAllConnections();
      await new Promise<void>((r) => http.server.close(() => r()));
      await boss.stop({ graceful: false, close: true }).catch((err: unknown) => log.warn({ err }, 'pg-boss stop failed'));
      untap();
      untapTraces();
      await events.stop();
      await verifier.close();
      await pool.end();
      await embedded?.stop();
    })());

  return { url: `http://127.0.0.1:${port}`, publicUrl, databaseUrl, devKey, deps, workers, stop };
}
