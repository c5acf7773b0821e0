// pg-boss: the delivery mechanism between the API and the Python workers. The API only sends and
// cancels; the workers claim and settle with pg-boss's own SQL (gpu-worker/voxgraph_worker/sql/).
// This process runs pg-boss's supervisor, which recovers jobs whose worker died (expiry and lost
// heartbeats) and applies retention.
import { tracingEnabled } from '../tracing/sdk.ts';
import { PgBoss } from 'pg-boss';
import type pg from 'pg';
import type { Config } from '../config.ts';
import { JOB_KINDS } from '../jobs/kinds.ts';
import type { Logger } from '../log.ts';

export type QueueSettings = Config['queue'];

/** The options every job queue is created (and kept) with. */
export function queueOptions(q: QueueSettings) {
  return {
    policy: 'standard' as const,
    retryLimit: q.retryLimit, // retryLimit 2 = three attempts
    retryDelay: q.retryDelaySeconds,
    retryBackoff: true,
    retryDelayMax: 300,
    expireInSeconds: q.expireSeconds,
    heartbeatSeconds: q.heartbeatSeconds,
    retentionSeconds: q.retentionSeconds, // how long a job may wait (then EXPIRED_IN_QUEUE, see jobs/maintenance.ts)
    deleteAfterSeconds: 7 * 24 * 3600,
    // Wakes the Python workers' LISTEN the moment a job is sent.
    notify: true,
    deadLetter: 'dead_letter',
  };
}

export async function startBoss(databaseUrl: string, q: QueueSettings, log: Logger): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: databaseUrl,
    application_name: 'voxgraph-pgboss',
    supervise: true,
    superviseIntervalSeconds: q.superviseIntervalSeconds,
    // Expiry and lost-heartbeat detection run on the monitor interval (default 60 s), not the
    // supervise one: without this a killed worker's job waited up to two minutes.
    monitorIntervalSeconds: q.superviseIntervalSeconds,
    // The retention sweep (jobs that waited past JOB_QUEUE_RETENTION_SECONDS, finished jobs past
    // deleteAfterSeconds) runs once a day by default; hourly, or as often as the retention when it
    // is shorter, a dropped job is seen (EXPIRED_IN_QUEUE) within that of its retention.
    maintenanceIntervalSeconds: Math.max(1, Math.min(3600, q.retentionSeconds)),
    // The retention sweep is a cron schedule (jobs/retention-schedule.ts); the cron pass runs at
    // least as often as the supervisor, so a per-second expression (tests) is honoured.
    schedule: true,
    cronMonitorIntervalSeconds: Math.min(30, q.superviseIntervalSeconds),
    cronWorkerIntervalSeconds: Math.min(30, q.superviseIntervalSeconds),
    max: 4,
    // With tracing on, pg-boss stores the sender's trace context on each job row (trace_context):
    // the job's life is then traced under the mutation that created it (src/tracing/job-trace.ts).
    openTelemetry: { enabled: tracingEnabled(), propagateContext: tracingEnabled() },
  });
  // pg-boss emits 'error' (e.g. 57P01 when the server restarts under it); unhandled it would crash us.
  boss.on('error', (err: Error) => log.error({ err, module: 'pg-boss' }, 'pg-boss error'));
  boss.on('warning', (w: unknown) => log.warn({ warning: w, module: 'pg-boss' }, 'pg-boss warning'));
  await boss.start();
  await ensureQueues(boss, q);
  return boss;
}

export async function ensureQueues(boss: PgBoss, q: QueueSettings) {
  if (!(await boss.getQueue('dead_letter'))) await boss.createQueue('dead_letter', { retentionSeconds: 30 * 24 * 3600 });
  const opts = queueOptions(q);
  for (const kind of JOB_KINDS) {
    if (await boss.getQueue(kind)) {
      const { policy: _policy, ...mutable } = opts;
      await boss.updateQueue(kind, mutable);
    } else {
      await boss.createQueue(kind, opts);
    }
  }
}

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
