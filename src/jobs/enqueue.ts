// One mutation = one voxgraph.job row + its first event + one pg-boss job, in one transaction:
// either the client gets a job id that a worker will run, or nothing was written.
import { randomUUID } from 'node:crypto';
import type { QueuePayload } from '../../protocol/contract.ts';
import type { PgBoss } from 'pg-boss';
import pg from 'pg';
import { commitOutcomeUnknown, inTransaction } from '../db/pool.ts';
import type { Logger } from '../log.ts';
import { admitJob, type AdmissionLimits } from './admission.ts';
import { apiError, ErrorCode } from '../errors.ts';
import type { Storage } from '../storage/storage.ts';
import type { StoredUpload } from '../uploads/ingest.ts';
import type { JobKind } from './kinds.ts';
import type { AudioRow, JobRow } from './rows.ts';
import { claimKey, requestHash } from './idempotency.ts';
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
};


/**
 * pg-boss runs its statements through this (`db` option), inside our transaction. Each distinct
 * statement text is prepared once per connection: pg-boss's send is the same text for every job.
 */
const statementNames = new Map<string, string>();
export const asBossDb = (client: pg.PoolClient) => ({
  executeSql: (text: string, values?: unknown[]) => {
    let name = statementNames.get(text);
    if (!name && statementNames.size < 64) statementNames.set(text, (name = `pgboss_${statementNames.size}`));
    return client.query(name ? { name, text, values } : { text, values });
  },
});

export type EnqueueDeps = { pool: pg.Pool; boss: PgBoss; storage: Storage; limits: AdmissionLimits; log: Logger };

export async function enqueueJob({ pool, boss, storage, limits, log }: EnqueueDeps, req: JobRequest): Promise<JobRow> {
  const upload = req.input && 'upload' in req.input ? req.input.upload : null;
  let replayed = false;
  try {
    const job = await inTransaction(pool, async (client) => {
      const id = randomUUID();
      // A key seen before: its job, and nothing written (not even the tenant's rate is spent).
      if (req.idempotencyKey) {
        const hash = requestHash({
          kind: req.kind, params: req.params, engine: req.engine, priority: req.priority,
          runAt: req.runAt?.toISOString(), deadline: req.deadline?.toISOString(),
          input: upload ? { sha256: upload.sha256 } : req.input && 'audioId' in req.input ? { audioId: req.input.audioId } : null,
        });
        const claim = await claimKey(client, req.tenant, req.idempotencyKey, hash, id);
        if (!claim.owned) {
          if (!claim.sameRequest) {
            throw apiError(ErrorCode.IDEMPOTENCY_CONFLICT, 'this idempotencyKey was used for a different request in the last 24 hours', {
              field: 'idempotencyKey',
              jobId: claim.jobId,
            });
          }
          replayed = true;
          return (await getJob(client, req.tenant, claim.jobId))!;
        }
      }
      // The tenant's rate and quota, and the job's place in the tenant's line: its pg-boss priority.
      const place = await admitJob(client, req.tenant, req.priority, limits);
      let input: AudioRow | null = null;
      if (upload) {
        input = await insertAudio(client, req.tenant, upload);
      } else if (req.input && 'audioId' in req.input) {
        input = await getAudio(client, req.tenant, req.input.audioId, true);
        if (!input) throw apiError(ErrorCode.NOT_FOUND, `audio ${req.input.audioId} not found`, { field: 'audioId' });
      }
      const job = await submitJob(client, { id, tenant: req.tenant, kind: req.kind, engine: req.engine, priority: req.priority, params: req.params, inputAudioId: input?.id ?? null, runAt: req.runAt, deadline: req.deadline });
      // The message's shape is the contract's; test/protocol.test.ts checks what lands in the queue.
      const payload = {
        tenant: req.tenant,
        kind: req.kind,
        params: { ...req.params, ...(req.engine ? { engine: req.engine } : {}) },
        input: input
          ? { audioId: input.id, storageKey: input.storage_key, durationSeconds: input.duration_seconds, sampleRate: input.sample_rate, channels: input.channels }
          : null,
        ...(req.deadline ? { deadline: req.deadline.toISOString() } : {}),
      } as QueuePayload;
      await boss.send(req.kind, payload, { id, priority: -place, db: asBossDb(client), ...(req.runAt && req.runAt > new Date() ? { startAfter: req.runAt } : {}) });
      return job;
    });
    // A replay stored its file for nothing: the first request's job has its own.
    if (replayed && upload) await storage.delete(upload.storageKey).catch(() => {});
    return job;
  } catch (err) {
    // The upload was moved into storage before the transaction: without a row it must go, unless
    // the commit's outcome is unknown (it may have a row now; the orphan sweep removes it if not).
    if (upload) {
      if (commitOutcomeUnknown(err)) log.warn({ err, storageKey: upload.storageKey }, 'commit outcome unknown; keeping the upload');
      else await storage.delete(upload.storageKey).catch(() => {});
    }
    throw err;
  }
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
