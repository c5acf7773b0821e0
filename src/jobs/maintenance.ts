// What the API does every SUPERVISE_INTERVAL_SECONDS beside pg-boss's own supervisor, in one
// process at a time (a PostgreSQL advisory lock: several API processes share one database):
// - mirror pg-boss's recoveries onto our rows (RETRYING / FAILED with WORKER_LOST or JOB_TIMEOUT);
// - end jobs pg-boss dropped while they waited (FAILED, EXPIRED_IN_QUEUE);
// - end jobs whose deadline passed before they started (FAILED, DEADLINE_EXCEEDED);
// - keep waiting jobs' places in their tenants' lines current (fair claiming);
// - drop idempotency keys older than their 24 h;
// - mark FAILED webhook deliveries whose queue job ended without recording an outcome.
// (Retention is a pg-boss schedule of its own: retention-schedule.ts.)
import type pg from 'pg';
import type { Logger } from '../log.ts';
import { sweepKeys } from './idempotency.ts';
import { failOrphanedDeliveries } from '../webhooks/store.ts';
import { failJobsDroppedFromQueue, failJobsPastDeadline, reconcileStalledJobs, rerankJobs } from './store.ts';

const LOCK = "hashtextextended('voxgraph.maintenance', 0)";

export async function runMaintenance(pool: pg.Pool, log: Logger): Promise<void> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ got: boolean }>(`SELECT pg_try_advisory_lock(${LOCK}) AS got`);
    if (!rows[0]?.got) return; // another API process is at it
    try {
      const lost = await reconcileStalledJobs(client);
      if (lost) log.warn({ jobs: lost }, 'jobs whose worker stopped responding were put back for retry');
      const dropped = await failJobsDroppedFromQueue(client);
      if (dropped) log.warn({ jobs: dropped }, 'jobs dropped by the queue while waiting were failed (EXPIRED_IN_QUEUE)');
      const late = await failJobsPastDeadline(client);
      if (late) log.info({ jobs: late }, 'jobs whose deadline passed before they started were failed (DEADLINE_EXCEEDED)');
      await rerankJobs(client);
      await sweepKeys(client);
      const orphaned = await failOrphanedDeliveries(client);
      if (orphaned) log.warn({ deliveries: orphaned }, 'webhook deliveries whose last attempt left no outcome were marked FAILED');
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${LOCK})`);
    }
  } finally {
    client.release();
  }
}
