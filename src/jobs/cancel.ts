// Cancelling is one transaction over both sides: pg-boss's job goes to `cancelled` (so no worker
// can claim it, and a worker holding it finds its fenced heartbeat touching nothing) and our row
// gets its CANCELLED event, which also wakes the worker through its LISTEN.
//
// Lock order: pg-boss's row first, then ours — the order every worker statement takes them (claim,
// complete, fail). Locking ours first deadlocked against a worker settling the same job, and
// PostgreSQL then aborted one side (INTERNAL_SERVER_ERROR here, or a lost settle there). So the
// row is read unlocked, pg-boss cancels (waiting for a settle in flight), and record_job_event,
// which locks our row, says whether the job was still ours to cancel.
import type { PgBoss } from 'pg-boss';
import type pg from 'pg';
import { inTransaction } from '../db/pool.ts';
import { apiError, ErrorCode, notFound } from '../errors.ts';
import { asBossDb } from '../queue/boss.ts';
import { FINAL_STATUSES } from './kinds.ts';
import type { JobRow } from './rows.ts';
import { getJob, recordJobEvent } from './store.ts';

const notCancellable = (job: JobRow) =>
  apiError(ErrorCode.JOB_NOT_CANCELLABLE, `job ${job.id} already finished (${job.status.toUpperCase()})`, { status: job.status.toUpperCase() });

export async function cancelJob(pool: pg.Pool, boss: PgBoss, tenant: string, id: string): Promise<JobRow> {
  return inTransaction(pool, async (client) => {
    const job = await getJob(client, tenant, id);
    if (!job) throw notFound('job', id);
    if (FINAL_STATUSES.has(job.status)) throw notCancellable(job);
    await boss.cancel(job.kind, id, { db: asBossDb(client) });
    const seq = await recordJobEvent(client, id, 'cancelled', { code: 'CANCELLED', message: 'cancelled by the client' });
    const now = (await getJob(client, tenant, id))!;
    // The job ended while we waited for its pg-boss row (a worker's settle committed first); the
    // rollback undoes nothing that happened, pg-boss's cancel touched a finished job not at all.
    if (seq === null) throw notCancellable(now);
    return now;
  });
}
