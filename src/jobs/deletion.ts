// Deleting jobs and audio, on request (deleteJob, deleteAudio) and by retention. What a deletion
// takes with it is one set of SQL functions (migrations/…_retention-and-deletion.sql); the files
// go after the commit, so a crash in between leaves files the orphan sweep removes, never a row
// without its file.
import type pg from 'pg';
import { inTransaction, type Queryable } from '../db/pool.ts';
import { apiError, ErrorCode, notFound } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Storage } from '../storage/storage.ts';
import { FINAL_STATUSES } from './kinds.ts';
import { getJob } from './store.ts';

const removeFiles = (storage: Storage, keys: string[]) => Promise.all(keys.map((k) => storage.delete(k).catch(() => {})));

const keysOf = async (db: Queryable, text: string, values: unknown[]) => (await db.query<{ key: string }>(text, values)).rows.map((r) => r.key).filter(Boolean);

/** Deletes a finished job of the tenant, its events, pg-boss rows and (unless another job uses it) its result audio. */
export async function deleteJob(pool: pg.Pool, storage: Storage, tenant: string, id: string): Promise<void> {
  const keys = await inTransaction(pool, async (client) => {
    const job = await getJob(client, tenant, id, true);
    if (!job) throw notFound('job', id);
    if (!FINAL_STATUSES.has(job.status)) {
      throw apiError(ErrorCode.JOB_NOT_FINISHED, `job ${id} is ${job.status.toUpperCase()}: cancel it first`, { status: job.status.toUpperCase() });
    }
    // A batch's state is folded from its jobs' events: taking one job's events away would change
    // what its versions mean. A batch goes whole.
    if (job.batch_id) throw apiError(ErrorCode.JOB_IN_BATCH, `job ${id} belongs to batch ${job.batch_id}: delete the batch`, { batchId: job.batch_id });
    return keysOf(client, 'SELECT voxgraph.delete_jobs(ARRAY[$1]::uuid[]) AS key', [id]);
  });
  await removeFiles(storage, keys);
}

/** Deletes a batch whose jobs have all finished, with all of them (as deleteJob deletes one). */
export async function deleteBatch(pool: pg.Pool, storage: Storage, tenant: string, id: string): Promise<void> {
  const keys = await inTransaction(pool, async (client) => {
    const b = await client.query('SELECT id FROM voxgraph.batch WHERE id = $1 AND tenant = $2 FOR UPDATE', [id, tenant]);
    if (!b.rowCount) throw notFound('batch', id);
    const jobs = await client.query<{ id: string; status: string }>('SELECT id, status FROM voxgraph.job WHERE batch_id = $1 ORDER BY id FOR UPDATE', [id]);
    const open = jobs.rows.find((j) => !FINAL_STATUSES.has(j.status as never));
    if (open) throw apiError(ErrorCode.JOB_NOT_FINISHED, `job ${open.id} of the batch is ${open.status.toUpperCase()}: cancel the batch first`, { jobId: open.id });
    return keysOf(client, 'SELECT voxgraph.delete_jobs($1::uuid[]) AS key', [jobs.rows.map((j) => j.id)]);
  });
  await removeFiles(storage, keys);
}

/**
 * Deletes an audio of the tenant. Refused (AUDIO_IN_USE) while an unfinished job will read it or
 * while it is a job's result (delete the job); finished jobs that read it keep their results and
 * show no input any more.
 */
export async function deleteAudio(pool: pg.Pool, storage: Storage, tenant: string, id: string): Promise<void> {
  const keys = await inTransaction(pool, async (client) => {
    // The row lock makes a racing enqueue that names this audio (it takes KEY SHARE) wait, or wait for it.
    const { rows } = await client.query<{ id: string }>('SELECT id FROM voxgraph.audio WHERE id = $1 AND tenant = $2 FOR UPDATE', [id, tenant]);
    if (!rows.length) throw notFound('audio', id);
    const users = await client.query<{ id: string; status: string; is_result: boolean }>(
      `SELECT id, status::text, result_audio_id = $1 AS is_result FROM voxgraph.job
       WHERE (input_audio_id = $1 AND status NOT IN ('succeeded', 'failed', 'cancelled')) OR result_audio_id = $1 LIMIT 1`,
      [id],
    );
    const user = users.rows[0];
    if (user) {
      throw apiError(
        ErrorCode.AUDIO_IN_USE,
        user.is_result ? `audio ${id} is the result of job ${user.id}: delete the job instead` : `audio ${id} is the input of job ${user.id}, which is ${user.status.toUpperCase()}`,
        { jobId: user.id },
      );
    }
    await client.query(`UPDATE voxgraph.job SET input_audio_id = NULL WHERE input_audio_id = $1`, [id]);
    return keysOf(client, 'SELECT voxgraph.delete_unreferenced_audio(ARRAY[$1]::uuid[]) AS key', [id]);
  });
  await removeFiles(storage, keys);
}

/** Whether an audio id was deleted (a signed URL for it answers 410 Gone). */
export async function wasDeleted(db: Queryable, id: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM voxgraph.deleted_audio WHERE id = $1', [id]);
  return rows.length > 0;
}

const BATCH = 500;

/**
 * Retention: finished jobs older than `seconds` go (with their events, pg-boss rows, dead-letter
 * copies and results), then uploads that old no job refers to, then dead-letter rows that old,
 * and tombstones older than a signed URL lives. In batches, so one pass never holds long locks.
 */
export async function sweepRetention(pool: pg.Pool, storage: Storage, log: Logger, seconds: number, urlTtlSeconds: number): Promise<{ jobs: number; files: number }> {
  if (!seconds) return { jobs: 0, files: 0 };
  let jobs = 0;
  let files = 0;
  for (;;) {
    const { n, keys } = await inTransaction(pool, async (client) => {
      const due = await client.query<{ id: string }>(
        `SELECT id FROM voxgraph.job WHERE status IN ('succeeded', 'failed', 'cancelled') AND finished_at < now() - make_interval(secs => $1)
           AND batch_id IS NULL
         ORDER BY finished_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [seconds, BATCH],
      );
      const ids = due.rows.map((r) => r.id);
      const keys = ids.length ? await keysOf(client, 'SELECT voxgraph.delete_jobs($1::uuid[]) AS key', [ids]) : [];
      return { n: ids.length, keys };
    });
    await removeFiles(storage, keys);
    jobs += n;
    files += keys.length;
    if (n < BATCH) break;
  }
  // Batches go whole, once their last job is that old (deleteJob says why), one per transaction.
  for (;;) {
    const batchKeys = await inTransaction(pool, async (client) => {
      const due = await client.query<{ id: string }>(
        `SELECT b.id FROM voxgraph.batch b
         WHERE b.created_at < now() - make_interval(secs => $1)
           AND NOT EXISTS (SELECT 1 FROM voxgraph.job j WHERE j.batch_id = b.id
                           AND (j.status NOT IN ('succeeded', 'failed', 'cancelled') OR j.finished_at >= now() - make_interval(secs => $1)))
         ORDER BY b.created_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
        [seconds],
      );
      if (!due.rows.length) return null;
      const ids = (await client.query<{ id: string }>('SELECT id FROM voxgraph.job WHERE batch_id = $1', [due.rows[0]!.id])).rows.map((r) => r.id);
      jobs += ids.length;
      if (!ids.length) {
        await client.query('DELETE FROM voxgraph.batch WHERE id = $1', [due.rows[0]!.id]);
        return [];
      }
      return keysOf(client, 'SELECT voxgraph.delete_jobs($1::uuid[]) AS key', [ids]);
    });
    if (batchKeys === null) break;
    await removeFiles(storage, batchKeys);
    files += batchKeys.length;
  }
  const uploads = await inTransaction(pool, async (client) => {
    const old = await client.query<{ id: string }>(
      `SELECT a.id FROM voxgraph.audio a WHERE a.origin = 'upload' AND a.created_at < now() - make_interval(secs => $1)
         AND NOT EXISTS (SELECT 1 FROM voxgraph.job j WHERE j.input_audio_id = a.id) LIMIT $2`,
      [seconds, BATCH * 4],
    );
    return old.rows.length ? keysOf(client, 'SELECT voxgraph.delete_unreferenced_audio($1::uuid[]) AS key', [old.rows.map((r) => r.id)]) : [];
  });
  await removeFiles(storage, uploads);
  files += uploads.length;
  await pool.query(`DELETE FROM pgboss.job WHERE name = 'dead_letter' AND created_on < now() - make_interval(secs => $1)`, [seconds]);
  await pool.query(`DELETE FROM voxgraph.deleted_audio WHERE deleted_at < now() - make_interval(secs => $1)`, [urlTtlSeconds + 60]);
  if (jobs || files) log.info({ jobs, files }, 'retention: deleted finished jobs and files past RETENTION_SECONDS');
  return { jobs, files };
}
