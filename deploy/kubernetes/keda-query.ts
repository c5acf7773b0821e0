// KEDA's PostgreSQL scaler asks this of the database for each worker Deployment: the jobs of one
// pg-boss queue that a worker should be on now — waiting (created, retry) whose start time has
// come, plus running (active, so a busy pool is not scaled down under its jobs). Jobs scheduled
// for later (runAt, retry delay) do not count. test/kubernetes.test.ts runs it on a real database.
import { JOB_KINDS, type JobKind } from '../../src/jobs/kinds.ts';

export function queueDepthQuery(queue: JobKind): string {
  if (!JOB_KINDS.includes(queue)) throw new Error(`not a queue: ${queue}`);
  return `SELECT count(*) FROM pgboss.job WHERE name = '${queue}' AND (state = 'active' OR (state IN ('created', 'retry') AND start_after <= now()))`;
}
