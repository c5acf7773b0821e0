// One mutation = one voxgraph.job row + its first event + one pg-boss job, in one transaction:
// either the client gets a job id that a worker will run, or nothing was written.
import { randomUUID } from 'node:crypto';
import type { PgBoss } from 'pg-boss';
import pg from 'pg';
import { inTransaction } from '../db/pool.ts';
import { apiError, ErrorCode } from '../errors.ts';
import type { Storage } from '../storage/storage.ts';
import type { StoredUpload } from '../uploads/ingest.ts';
import type { JobKind } from './kinds.ts';
import type { AudioRow, JobRow } from './rows.ts';
import { getAudio, getJob, insertAudio, insertJob, recordJobEvent } from './store.ts';

export type JobRequest = {
  tenant: string;
  kind: JobKind;
  params: Record<string, unknown>;
  engine: string | null;
  priority: number;
  /** The input audio: an id of already stored audio, or an upload stored by this request. */
  input: { audioId: string } | { upload: StoredUpload } | null;
};

/** What a worker reads from the pg-boss job (gpu-worker/voxgraph_worker relies on this shape). */
export type QueuePayload = {
  tenant: string;
  kind: JobKind;
  params: Record<string, unknown>;
  input: { audioId: string; storageKey: string } | null;
};

export const asBossDb = (client: pg.PoolClient) => ({ executeSql: (text: string, values?: unknown[]) => client.query(text, values) });

export async function enqueueJob(pool: pg.Pool, boss: PgBoss, storage: Storage, req: JobRequest): Promise<JobRow> {
  try {
    return await inTransaction(pool, async (client) => {
      let input: AudioRow | null = null;
      if (req.input && 'upload' in req.input) {
        input = await insertAudio(client, req.tenant, req.input.upload);
      } else if (req.input) {
        input = await getAudio(client, req.tenant, req.input.audioId);
        if (!input) throw apiError(ErrorCode.NOT_FOUND, `audio ${req.input.audioId} not found`, { field: 'audioId' });
      }
      const id = randomUUID();
      await insertJob(client, { id, tenant: req.tenant, kind: req.kind, engine: req.engine, priority: req.priority, params: req.params, inputAudioId: input?.id ?? null });
      await recordJobEvent(client, id, 'queued');
      const payload: QueuePayload = {
        tenant: req.tenant,
        kind: req.kind,
        params: { ...req.params, ...(req.engine ? { engine: req.engine } : {}) },
        input: input ? { audioId: input.id, storageKey: input.storage_key } : null,
      };
      await boss.send(req.kind, payload, { id, priority: req.priority, db: asBossDb(client) });
      return (await getJob(client, req.tenant, id))!;
    });
  } catch (err) {
    // The upload was moved into storage before the transaction; without a row it must go.
    if (req.input && 'upload' in req.input) await storage.delete(req.input.upload.storageKey).catch(() => {});
    throw err;
  }
}

/** Stores an upload's row on its own (uploadAudio). */
export async function storeUploadRow(pool: pg.Pool, storage: Storage, tenant: string, upload: StoredUpload): Promise<AudioRow> {
  try {
    return await insertAudio(pool, tenant, upload);
  } catch (err) {
    await storage.delete(upload.storageKey).catch(() => {});
    throw err;
  }
}
