// Cancelling is one transaction over both sides: pg-boss's job goes to `cancelled` (so no worker
// can claim it, and a worker holding it finds its fenced heartbeat touching nothing) and our row
// gets its CANCELLED event, which also wakes the worker through its LISTEN.
//
// Lock order: pg-boss's row first, then ours — the order every worker statement takes them (claim,
// complete, fail). Locking ours first deadlocked against a worker settling the same job, and
// PostgreSQL then aborted one side (INTERNAL_SERVER_ERROR here, or a lost settle there). So the
// row is read unlocked, pg-boss cancels (waiting for a settle in flight), and record_job_event,
// which locks our row, says whether the job was still ours to cancel. A job others share the run
// of hands it over first (handOverRunOf).
import type { PgBoss } from 'pg-boss';
import type pg from 'pg';
import { inTransaction } from '../db/pool.ts';
import { apiError, ErrorCode, notFound } from '../errors.ts';
import { asBossDb } from '../queue/boss.ts';
import { FINAL_STATUSES } from './kinds.ts';
import type { JobRow } from './rows.ts';
import { payloadOf } from './enqueue.ts';
import { handOverRun } from './result-cache.ts';
import { getAudio, getJob, recordJobEvent } from './store.ts';

const notCancellable = (job: JobRow) =>
  apiError(ErrorCode.JOB_NOT_CANCELLABLE, `job ${job.id} already finished (${job.status.toUpperCase()})`, { status: job.status.toUpperCase() });

export async function cancelJob(pool: pg.Pool, boss: PgBoss, tenant: string, id: string): Promise<JobRow> {
  return inTransaction(pool, async (client) => {
    const job = await getJob(client, tenant, id);
    if (!job) throw notFound('job', id);
    if (FINAL_STATUSES.has(job.status)) throw notCancellable(job);
    await boss.cancel(job.kind, id, { db: asBossDb(client) });
    await handOverRunOf(client, boss, tenant, id);
    const seq = await recordJobEvent(client, id, 'cancelled', { code: 'CANCELLED', message: 'cancelled by the client' });
    const now = (await getJob(client, tenant, id))!;
    // The job ended while we waited for its pg-boss row (a worker's settle committed first); the
    // rollback undoes nothing that happened, pg-boss's cancel touched a finished job not at all.
    if (seq === null) throw notCancellable(now);
    return now;
  });
}

/**
 * Before a job is cancelled: jobs sharing its run (result-cache.ts) must not wait for a run that
 * stops, so the oldest of them gets a queue message of its own and the others follow it. The
 * job's row is locked first (pg-boss's row, ours, then its followers': the order of its events).
 */
export async function handOverRunOf(client: pg.PoolClient, boss: PgBoss, tenant: string, id: string): Promise<JobRow | null> {
  await getJob(client, tenant, id, true);
  const heir = await handOverRun(client, id);
  if (!heir) return null;
  const input = heir.input_audio_id ? await getAudio(client, tenant, heir.input_audio_id, true) : null;
  // Its pg-boss priority: the last place in its tenant's line (the leader's would be fairer; rerank_jobs sets the exact one at the next maintenance pass).
  const { rows } = await client.query<{ place: number }>(
    `SELECT coalesce(max(-b.priority), 0) + 1 AS place FROM voxgraph.job j JOIN pgboss.job b ON b.name = j.kind::text AND b.id = j.id
     WHERE j.tenant = $1 AND j.status IN ('queued', 'retrying')`,
    [tenant],
  );
  await boss.send(heir.kind, payloadOf(heir, input), { id: heir.id, priority: -(rows[0]?.place ?? 1), db: asBossDb(client) });
  return heir;
}
