// One mutation = one voxgraph.job row + its first event + one pg-boss job, in one transaction:
// either the client gets a job id that a worker will run, or nothing was written. A batch is the
// same for each of its jobs, all in one transaction.
import { randomUUID } from 'node:crypto';
import type { QueuePayload } from '../../protocol/contract.ts';
import type { PgBoss } from 'pg-boss';
import pg from 'pg';
import { commitOutcomeUnknown, inTransaction } from '../db/pool.ts';
import { asBossDb } from '../queue/boss.ts';
import type { Logger } from '../log.ts';
import { admitJob, type AdmissionLimits } from './admission.ts';
import { apiError, ErrorCode } from '../errors.ts';
import type { Storage } from '../storage/storage.ts';
import type { StoredUpload } from '../uploads/ingest.ts';
import type { JobKind } from './kinds.ts';
import type { AudioRow, JobRow } from './rows.ts';
import { currentTx } from '../events/feed.ts';
import { assignToBatch, getBatch, insertBatch, type BatchRow } from './batches.ts';
import { claimKey, requestHash, type HashedJob } from './idempotency.ts';
import { setJobWebhook, type WebhookTarget } from '../webhooks/store.ts';
import { answerFromCache, cacheKeyOf, findCachedResult, findRunInFlight, followRun, setCacheKey } from './result-cache.ts';
import { getAudio, getJob, insertAudio, submitJob } from './store.ts';

export type JobRequest = {
  tenant: string;
  kind: JobKind;
  params: Record<string, unknown>;
  engine: string | null;
  priority: number;
  /** The input audio: an id of already stored audio, or an upload stored by this request. */
  input: { audioId: string } | { upload: StoredUpload } | null;
  /** Not claimed before this instant (pg-boss's startAfter; one in the past is now). Hashed as sent, so a retry of the same request matches. */
  runAt?: Date | null;
  /** Give up with DEADLINE_EXCEEDED if the first attempt has not started by then. */
  deadline?: Date | null;
  /** The client's idempotency key (src/jobs/idempotency.ts), if it sent one. */
  idempotencyKey?: string | null;
  /** Where the request's fields are (a batch's `jobs.3.align`), for the errors that name one. */
  field?: string;
  /** The result cache (result-cache.ts): the engine@versions live workers offer for it and the TTL; null: `cache: false`. */
  cache?: { engines: string[]; ttlSeconds: number } | null;
  /** Where to POST its events (src/webhooks/); null: the tenant's default, if any. */
  webhook?: WebhookTarget | null;
};


export type EnqueueDeps = { pool: pg.Pool; boss: PgBoss; storage: Storage; limits: AdmissionLimits; log: Logger };

/** What identifies a request's job for its idempotency key. */
const hashedJob = (req: JobRequest): HashedJob => {
  const upload = uploadOf(req);
  return {
    kind: req.kind, params: req.params, engine: req.engine, priority: req.priority,
    runAt: req.runAt?.toISOString(), deadline: req.deadline?.toISOString(), ...(req.cache === null ? { cache: false } : {}), ...(req.webhook ? { webhook: req.webhook } : {}),
    input: upload ? { sha256: upload.sha256 } : req.input && 'audioId' in req.input ? { audioId: req.input.audioId } : null,
  };
};

const uploadOf = (req: JobRequest) => (req.input && 'upload' in req.input ? req.input.upload : null);

const conflict = (claim: { jobId: string | null; batchId: string | null }) =>
  apiError(ErrorCode.IDEMPOTENCY_CONFLICT, 'this idempotencyKey was used for a different request in the last 24 hours', {
    field: 'idempotencyKey',
    ...(claim.jobId ? { jobId: claim.jobId } : { batchId: claim.batchId }),
  });

/** The queue message of a job; its shape is the contract's (test/protocol.test.ts checks what lands in the queue). */
export function payloadOf(job: { tenant: string; kind: JobKind; params: Record<string, unknown>; engine: string | null; deadline?: Date | null }, input: AudioRow | null): QueuePayload {
  return {
    tenant: job.tenant,
    kind: job.kind,
    params: { ...job.params, ...(job.engine ? { engine: job.engine } : {}) },
    input: input
      ? { audioId: input.id, storageKey: input.storage_key, durationSeconds: input.duration_seconds, sampleRate: input.sample_rate, channels: input.channels }
      : null,
    ...(job.deadline ? { deadline: job.deadline.toISOString() } : {}),
  } as QueuePayload;
}

/**
 * Inside the caller's transaction: the tenant's admission, the upload's audio row, the job row with
 * its QUEUED event, and the pg-boss job. Everything a job is, except its idempotency key.
 */
async function writeJob(client: pg.PoolClient, boss: PgBoss, limits: AdmissionLimits, req: JobRequest, id: string, tx: { leaders: number } = { leaders: 0 }): Promise<JobRow> {
  const upload = uploadOf(req);
  // The tenant's rate and quota, and the job's place in the tenant's line: its pg-boss priority.
  const place = await admitJob(client, req.tenant, req.priority, limits);
  let input: AudioRow | null = null;
  if (upload) {
    input = await insertAudio(client, req.tenant, upload);
  } else if (req.input && 'audioId' in req.input) {
    input = await getAudio(client, req.tenant, req.input.audioId, true);
    if (!input) throw apiError(ErrorCode.NOT_FOUND, `audio ${req.input.audioId} not found`, { field: req.field ? `${req.field}.audioId` : 'audioId' });
  }
  const job = await submitJob(client, { id, tenant: req.tenant, kind: req.kind, engine: req.engine, priority: req.priority, params: req.params, inputAudioId: input?.id ?? null, runAt: req.runAt, deadline: req.deadline });
  // Before the commit, where the outbox trigger reads it (the QUEUED event's delivery included).
  if (req.webhook) await setJobWebhook(client, id, req.webhook);
  if (req.cache) {
    const key = cacheKeyOf(req.kind, input?.sha256 ?? null, req.params, req.engine);
    await setCacheKey(client, req.tenant, id, key);
    const early = Boolean(req.runAt && req.runAt > new Date());
    const cached = () => (early ? null : findCachedResult(client, req.tenant, key, req.cache!.ttlSeconds, req.cache!.engines));
    let hit = await cached();
    const leader = hit || req.runAt || req.deadline ? null : await findRunInFlight(client, req.tenant, key, id, tx.leaders === 0);
    if (leader) tx.leaders += 1;
    // The job in flight may have succeeded while we waited for its lock: then its result answers.
    if (!hit && !leader) hit = await cached();
    if (hit) await answerFromCache(client, id, hit);
    else if (leader) await followRun(client, id, leader);
    if (hit || leader) return (await getJob(client, req.tenant, id))!;
  }
  const payload = payloadOf(req, input);
  await boss.send(req.kind, payload, { id, priority: -place, db: asBossDb(client), ...(req.runAt && req.runAt > new Date() ? { startAfter: req.runAt } : {}) });
  return job;
}

/**
 * Runs `write` in a transaction and takes care of the request's uploads: moved into storage before
 * the transaction, they must go when it wrote nothing (unless the commit's outcome is unknown: it
 * may have rows now; the orphan sweep removes them if not) and when it only replayed an earlier
 * request (whose jobs have their own files).
 */
async function withUploads<T>(pool: pg.Pool, storage: Storage, log: Logger, uploads: StoredUpload[], write: (client: pg.PoolClient) => Promise<{ value: T; replayed: boolean }>): Promise<T> {
  const removeAll = () => Promise.all(uploads.map((u) => storage.delete(u.storageKey).catch(() => {})));
  try {
    const { value, replayed } = await inTransaction(pool, write);
    if (replayed) await removeAll();
    return value;
  } catch (err) {
    if (commitOutcomeUnknown(err)) log.warn({ err, storageKeys: uploads.map((u) => u.storageKey) }, 'commit outcome unknown; keeping the uploads');
    else await removeAll();
    throw err;
  }
}

export async function enqueueJob({ pool, boss, storage, limits, log }: EnqueueDeps, req: JobRequest): Promise<JobRow> {
  const upload = uploadOf(req);
  return withUploads(pool, storage, log, upload ? [upload] : [], async (client) => {
    const id = randomUUID();
    // A key seen before: its job, and nothing written (not even the tenant's rate is spent).
    if (req.idempotencyKey) {
      const claim = await claimKey(client, req.tenant, req.idempotencyKey, requestHash(hashedJob(req)), { jobId: id });
      if (!claim.owned) {
        if (!claim.sameRequest || !claim.jobId) throw conflict(claim);
        return { value: (await getJob(client, req.tenant, claim.jobId))!, replayed: true };
      }
    }
    return { value: await writeJob(client, boss, limits, req, id), replayed: false };
  });
}

export type BatchRequest = { tenant: string; jobs: JobRequest[]; idempotencyKey?: string | null };

/**
 * A batch: its row and every one of its jobs in one transaction (all or none). Each job is
 * admitted like a job of its own: a batch over the tenant's rate or quota is refused whole.
 */
export async function enqueueBatch({ pool, boss, storage, limits, log }: EnqueueDeps, req: BatchRequest): Promise<{ batch: BatchRow; tx: bigint | null }> {
  const uploads = req.jobs.map(uploadOf).filter((u): u is StoredUpload => u !== null);
  return withUploads<{ batch: BatchRow; tx: bigint | null }>(pool, storage, log, uploads, async (client) => {
    const id = randomUUID();
    if (req.idempotencyKey) {
      const claim = await claimKey(client, req.tenant, req.idempotencyKey, requestHash({ batch: req.jobs.map(hashedJob) }), { batchId: id });
      if (!claim.owned) {
        if (!claim.sameRequest || !claim.batchId) throw conflict(claim);
        return { value: { batch: (await getBatch(client, req.tenant, claim.batchId))!, tx: null }, replayed: true };
      }
    }
    const batch = await insertBatch(client, id, req.tenant, req.jobs.length);
    const ids: string[] = [];
    const held = { leaders: 0 }; // leaders this transaction has locked (findRunInFlight says why it counts)
    for (const job of req.jobs) {
      const jobId = randomUUID();
      await writeJob(client, boss, limits, { ...job, tenant: req.tenant }, jobId, held);
      ids.push(jobId);
    }
    await assignToBatch(client, id, ids);
    return { value: { batch, tx: await currentTx(client) }, replayed: false };
  });
}

/** Stores an upload's row on its own (uploadAudio). */
export async function storeUploadRow(pool: pg.Pool, storage: Storage, tenant: string, upload: StoredUpload): Promise<AudioRow> {
  try {
    return await insertAudio(pool, tenant, upload);
  } catch (err) {
    if (!commitOutcomeUnknown(err) && !isConnectionError(err)) await storage.delete(upload.storageKey).catch(() => {});
    throw err;
  }
}

/** A single statement's connection broke: it may have committed (autocommit). */
const isConnectionError = (err: unknown) => {
  const code = (err as { code?: string }).code;
  return !code || code.startsWith('08');
};
