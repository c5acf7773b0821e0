import DataLoader from 'dataloader';
import type { Metrics } from '../metrics/registry.ts';
import { deliveriesByJob } from './types/webhook.ts';
import type { PgBoss } from 'pg-boss';
import type pg from 'pg';
import type { Auth } from '../auth/api-keys.ts';
import type { Config } from '../config.ts';
import { apiError, ErrorCode } from '../errors.ts';
import type { JobEventBus } from '../events/job-events.ts';
import type { Logger } from '../log.ts';
import type { ConnectionCounter } from '../http/connection-limits.ts';
import type { LocalRateLimiter } from '../jobs/admission.ts';
import type { AudioRow, JobEventRow, JobRow } from '../jobs/rows.ts';
import { claimRates, standings, type ClaimRate, type Standing } from '../jobs/queue-insight.ts';
import { getAudios, getEventsOfJobs, getJobsByIds } from '../jobs/store.ts';
import type { UrlSigner } from '../storage/signed-url.ts';
import type { Storage } from '../storage/storage.ts';
import type { AudioVerifier } from '../uploads/verify.ts';

/** The long-lived parts every resolver may use. */
export type Deps = {
  config: Config;
  pool: pg.Pool;
  boss: PgBoss;
  storage: Storage;
  verifier: AudioVerifier;
  signer: UrlSigner;
  events: JobEventBus;
  log: Logger;
  rateLimiter: LocalRateLimiter;
  connections: ConnectionCounter;
  metrics: Metrics;
  /** Re-reads the pool's figures (queue depth, workers) for a scrape; at most every 2 s. */
  refreshPoolMetrics: () => Promise<void>;
  /** Set once shutdown begins: /readyz answers 503 so load balancers move on. */
  stopping: boolean;
};

/**
 * Batched, cached reads for one operation (a subscription keeps its context for all its events).
 * Audio rows never change, so caching them for the operation's life is safe; callers reach audio
 * only through a row of their own tenant.
 */
export type Loaders = {
  audio: DataLoader<string, AudioRow | null>;
  /** Job.webhookDeliveries with their attempts, for a page of jobs in two statements; not cached. */
  deliveries: DataLoader<string, Awaited<ReturnType<typeof deliveriesByJob>>[number]>;
  /** Job rows by id, not cached (a subscription's context outlives their versions). */
  jobs: DataLoader<string, JobRow | null>;
  events: DataLoader<string, JobEventRow[]>;
  /** A waiting job's standing in its queue (null once it is not waiting); one statement for a page of jobs. */
  standing: DataLoader<string, Standing | null>;
  /** The queues' claim rates (one key, 'all'): read once per batch of fields. */
  claimRates: DataLoader<'all', ClaimRate[]>;
};

export function createLoaders(pool: pg.Pool, liveWithinSeconds: number): Loaders {
  return {
    audio: new DataLoader(async (ids) => {
      const rows = new Map((await getAudios(pool, ids)).map((r) => [r.id, r]));
      return ids.map((id) => rows.get(id) ?? null);
    }),
    deliveries: new DataLoader((ids) => deliveriesByJob(pool, ids), { cache: false }),
    jobs: new DataLoader(
      async (ids) => {
        const rows = new Map((await getJobsByIds(pool, ids)).map((r) => [r.id, r]));
        return ids.map((id) => rows.get(id) ?? null);
      },
      { cache: false },
    ),
    // Batched but not cached: a subscription's context lives across events, and the log grows.
    events: new DataLoader(
      async (jobIds) => {
        const byJob = new Map<string, JobEventRow[]>(jobIds.map((id) => [id, []]));
        for (const e of await getEventsOfJobs(pool, jobIds)) byJob.get(e.job_id)?.push(e);
        return jobIds.map((id) => byJob.get(id)!);
      },
      { cache: false },
    ),
    // Neither is cached: both change while a subscription's context lives.
    standing: new DataLoader(
      async (ids) => {
        const byId = new Map((await standings(pool, ids)).map((s) => [s.id, s]));
        return ids.map((id) => byId.get(id) ?? null);
      },
      { cache: false },
    ),
    claimRates: new DataLoader(async (keys) => {
      const rates = await claimRates(pool, liveWithinSeconds);
      return keys.map(() => rates);
    }, { cache: false }),
  };
}

/** `sse`: the operation came as an SSE request (a long-lived connection of its own). */
export type Context = { deps: Deps; auth: Auth | null; loaders: Loaders; sse: boolean };

export function tenantOf(ctx: Context): string {
  if (!ctx.auth) throw apiError(ErrorCode.UNAUTHENTICATED, 'a valid API key is required: send "Authorization: Bearer <key>"');
  return ctx.auth.tenant;
}
