// Retention runs as a pg-boss schedule: RETENTION_SWEEP_CRON (UTC) sends one job to the
// `retention` queue per occurrence, whichever API process's cron pass gets there first, and a
// process's worker on that queue runs the sweep (deletion.ts sweepRetention). The queue is a
// singleton one: a sweep still running when the next is due is not run beside it. A missed
// occurrence (every API process down) is caught up once at the next start.
import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import type { Logger } from '../log.ts';
import type { Storage } from '../storage/storage.ts';
import { sweepRetention } from './deletion.ts';

export const RETENTION_QUEUE = 'retention';

export type RetentionSettings = { seconds: number; cron: string; urlTtlSeconds: number };

export async function startRetentionSchedule(boss: PgBoss, pool: pg.Pool, storage: Storage, log: Logger, r: RetentionSettings): Promise<void> {
  if (!(await boss.getQueue(RETENTION_QUEUE))) await boss.createQueue(RETENTION_QUEUE, { policy: 'singleton', retryLimit: 0, expireInSeconds: 3600 });
  if (!r.seconds) {
    await boss.unschedule(RETENTION_QUEUE); // RETENTION_SECONDS=0 keeps everything
    return;
  }
  await boss.schedule(RETENTION_QUEUE, r.cron, null, { tz: 'UTC', missed: 'once' });
  await boss.work(RETENTION_QUEUE, { pollingIntervalSeconds: 1 }, async () => {
    const swept = await sweepRetention(pool, storage, log, r.seconds, r.urlTtlSeconds);
    if (swept.jobs || swept.files) log.info(swept, 'retention sweep');
  });
}
