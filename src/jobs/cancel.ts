// Cancelling is one transaction over both sides: pg-boss's job goes to `cancelled` (so no worker
// can claim it, and a worker holding it finds its fenced heartbeat touching nothing) and our row
// gets its CANCELLED event, which also wakes the worker through its LISTEN.
import type { PgBoss } from 'pg-boss';
import type pg from 'pg';
import { inTransaction } from '../db/pool.ts';
import { apiError, ErrorCode, notFound } from '../errors.ts';
import { asBossDb } from './enqueue.ts';
import { FINAL_STATUSES } from './kinds.ts';
import type { JobRow } from './rows.ts';
import { getJob, recordJobEvent } from './store.ts';

export async function cancelJob(pool: pg.Pool, boss: PgBoss, tenant: string, id: string): Promise<JobRow> {
  return inTransaction(pool, async (client) => {
    const job = await getJob(client, tenant, id, true);
    if (!job) throw notFound('job', id);
    if (FINAL_STATUSES.has(job.status)) {
      throw apiError(ErrorCode.JOB_NOT_CANCELLABLE, `job ${id} already finished (${job.status.toUpperCase()})`, { status: job.status.toUpperCase() });
    }
    await boss.cancel(job.kind, id, { db: asBossDb(client) });
    await recordJobEvent(client, id, 'cancelled', { code: 'CANCELLED', message: 'cancelled by the client' });
    return (await getJob(client, tenant, id))!;
  });
}
