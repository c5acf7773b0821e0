// Job starts, finishes, queue wait, run time and event lag, from the event stream every API
// process receives (JobEventBus.tap): the pool's figures, the same in each process. An event does
// not carry its job's kind or creation time, so those are read once per job, in batches (one
// query per tick for the jobs first seen in it), and kept in a bounded cache.
import { LRUCache } from 'lru-cache';
import type { Queryable } from '../db/pool.ts';
import type { JobEvent } from '../events/job-events.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from './registry.ts';

type Known = { kind: string; createdAt: number; lastStartAttempt: number; started: boolean };
const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

export function observeJobEvents(metrics: Metrics, db: Queryable, log: Logger) {
  const known = new LRUCache<string, Known>({ max: 100_000 });
  let pending: JobEvent[] = [];
  let timer: NodeJS.Timeout | null = null;

  const apply = (e: JobEvent, k: Known) => {
    if (e.seq === 1) metrics.jobsSubmitted.inc({ kind: k.kind });
    if (e.status === 'running' && e.attempts !== k.lastStartAttempt && !e.partial) {
      k.lastStartAttempt = e.attempts;
      metrics.jobsStarted.inc({ kind: k.kind });
      if (!k.started && e.startedAt) metrics.queueWait.observe({ kind: k.kind }, Math.max(0, (Date.parse(e.startedAt) - k.createdAt) / 1000));
      k.started = true;
    }
    if (FINAL.has(e.status)) {
      const engine = e.engine ?? 'none';
      metrics.jobsFinished.inc({ kind: k.kind, engine, status: e.status });
      if (e.status !== 'cancelled' && e.startedAt && e.finishedAt) metrics.runTime.observe({ kind: k.kind, engine }, Math.max(0, (Date.parse(e.finishedAt) - Date.parse(e.startedAt)) / 1000));
      known.delete(e.id);
    }
  };

  const flush = async () => {
    timer = null;
    const batch = pending;
    pending = [];
    const missing = [...new Set(batch.filter((e) => !known.has(e.id)).map((e) => e.id))];
    if (missing.length) {
      try {
        const { rows } = await db.query<{ id: string; kind: string; created_at: Date }>({
          name: 'voxgraph_metrics_job_kinds',
          text: 'SELECT id, kind::text, created_at FROM voxgraph.job WHERE id = ANY($1::uuid[])',
          values: [missing],
        });
        for (const r of rows) known.set(r.id, { kind: r.kind, createdAt: r.created_at.getTime(), lastStartAttempt: 0, started: false });
      } catch (err) {
        log.warn({ err }, 'job metrics: could not read the kinds of new jobs (their events are not counted)');
      }
    }
    for (const e of batch) {
      const k = known.get(e.id);
      if (k) apply(e, k); // a job deleted before its kind was read is not counted
    }
  };

  return (e: JobEvent) => {
    if (!e.partial && e.updatedAt) metrics.eventLag.observe(Math.max(0, (Date.now() - Date.parse(e.updatedAt)) / 1000));
    // Progress reports change no counter: only the first event, starts and finishes matter.
    if (e.seq !== 1 && e.status === 'running' && known.get(e.id)?.lastStartAttempt === e.attempts) return;
    pending.push(e);
    timer ??= setTimeout(() => void flush(), 50);
  };
}
