// Figures of the whole pool read from PostgreSQL when /metrics is scraped: pg-boss's queue depth
// per queue and state, its dead letters, and the live workers' rows (device, slots, batch caps, GPU memory). Read at
// most every REFRESH_MS however often it is scraped.
import type { Queryable } from '../db/pool.ts';
import { JOB_KINDS } from '../jobs/kinds.ts';
import type { Metrics } from './registry.ts';
import { liveWorkers, workerDigest } from '../jobs/store.ts';

const REFRESH_MS = 2000;

export function poolMetrics(metrics: Metrics, db: Queryable, liveWithinSeconds: number) {
  let last = 0;
  let running: Promise<void> | null = null;
  const refresh = async () => {
    const [depths, dead, workers] = await Promise.all([
      db.query<{ queue: string; state: string; jobs: number }>({
        name: 'voxgraph_metrics_queue_depth',
        text: `SELECT name AS queue, state::text AS state, count(*)::int AS jobs FROM pgboss.job
               WHERE name = ANY($1::text[]) AND state IN ('created', 'retry', 'active') GROUP BY name, state`,
        values: [JOB_KINDS],
      }),
      db.query<{ queue: string; jobs: number }>({
        name: 'voxgraph_metrics_dead_letters',
        text: `SELECT coalesce(data->>'kind', 'unknown') AS queue, count(*)::int AS jobs FROM pgboss.job WHERE name = 'dead_letter' GROUP BY 1`,
      }),
      liveWorkers(db, liveWithinSeconds),
    ]);
    metrics.queueJobs.reset();
    for (const q of JOB_KINDS) for (const state of ['created', 'retry', 'active']) metrics.queueJobs.set({ queue: q, state }, 0);
    for (const d of depths.rows) metrics.queueJobs.set({ queue: d.queue, state: d.state }, d.jobs);
    metrics.deadLetters.reset();
    for (const q of JOB_KINDS) metrics.deadLetters.set({ queue: q }, 0);
    for (const d of dead.rows) metrics.deadLetters.set({ queue: d.queue }, d.jobs);
    for (const g of [metrics.workers, metrics.workerSlots, metrics.workerBatchCap, metrics.workerBatchSize, metrics.workerGpuMemory, metrics.liveWorkersForQueue]) g.reset();
    const perQueue = new Map<string, number>(JOB_KINDS.map((k) => [k, 0]));
    for (const w of workers) {
      // The same digest as WorkerInfo.id: the default id is host-pid, and a scrape need not carry host names.
      const worker = workerDigest(w.id);
      metrics.workers.inc({ device: w.device });
      metrics.workerSlots.set({ worker, device: w.device }, w.concurrency);
      if (w.resources.batchSize) metrics.workerBatchSize.set({ worker }, w.resources.batchSize);
      for (const [engine, cap] of Object.entries(w.resources.batchCaps ?? {})) metrics.workerBatchCap.set({ worker, engine }, cap);
      if (w.resources.memory) {
        metrics.workerGpuMemory.set({ worker, device: w.device, kind: 'total' }, w.resources.memory.totalMb * 2 ** 20);
        metrics.workerGpuMemory.set({ worker, device: w.device, kind: 'free' }, w.resources.memory.freeMb * 2 ** 20);
      }
      for (const kind of new Set((Array.isArray(w.engines) ? (w.engines as Array<{ kind: string }>) : []).map((e) => e.kind))) perQueue.set(kind, (perQueue.get(kind) ?? 0) + 1);
    }
    for (const [queue, n] of perQueue) metrics.liveWorkersForQueue.set({ queue }, n);
  };
  return async () => {
    if (Date.now() - last < REFRESH_MS) return running ?? undefined;
    last = Date.now();
    running = refresh().finally(() => (running = null));
    return running;
  };
}
