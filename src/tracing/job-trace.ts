// A job's life as spans of the request that created it, reconstructed by the API from the event
// log once the job is final (the Python worker has no OpenTelemetry SDK to emit its own: Debian
// does not package one). The mutation's trace context travels in the job payload: pg-boss stores
// it on the queue row (pgboss.job.trace_context, `openTelemetry.propagateContext`). The spans:
//   job <kind>            created → finished, a child of pg-boss's send in the mutation's trace;
//                         one span event per job event (QUEUED, RUNNING, progress, …, the final one)
//     queued              created → the first attempt starts
//     attempt <n>         a worker's run: its start → the next RETRYING or the final event
// Every API process hears the final event; the first to set job.traced_at emits, so a job's spans
// are emitted once however many processes run.
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, defaultTextMapGetter } from '@opentelemetry/api';
import type { Queryable } from '../db/pool.ts';
import type { JobEvent } from '../events/job-events.ts';
import type { Logger } from '../log.ts';
import { tracer } from './sdk.ts';

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

type Claimed = { id: string; kind: string; status: string; engine: string | null; attempts: number; error_code: string | null; created_at: Date; finished_at: Date; trace_context: Record<string, string> | null };
type EventRow = { seq: number; status: string; progress: number; attempts: number; error_code: string | null; at: Date };

export function traceJobLives(db: Queryable, log: Logger) {
  const emit = async (jobId: string) => {
    const { rows } = await db.query<Claimed>({
      name: 'voxgraph_trace_claim',
      text: `UPDATE voxgraph.job j SET traced_at = now()
             FROM pgboss.job b
             WHERE j.id = $1 AND j.traced_at IS NULL AND j.finished_at IS NOT NULL AND b.id = j.id AND b.trace_context IS NOT NULL
             RETURNING j.id, j.kind::text, j.status::text, j.engine, j.attempts, j.error_code, j.created_at, j.finished_at, b.trace_context`,
      values: [jobId],
    });
    const job = rows[0];
    if (!job?.trace_context) return;
    const events = (
      await db.query<EventRow>({
        name: 'voxgraph_trace_events',
        text: 'SELECT seq, status::text, progress, attempts, error_code, at FROM voxgraph.job_event WHERE job_id = $1 ORDER BY seq',
        values: [jobId],
      })
    ).rows;
    const parent = propagation.extract(ROOT_CONTEXT, job.trace_context, defaultTextMapGetter);
    const t = tracer();
    const life = t.startSpan(`job ${job.kind}`, {
      kind: SpanKind.CONSUMER,
      startTime: job.created_at,
      attributes: { 'voxgraph.job.id': job.id, 'voxgraph.job.kind': job.kind, 'voxgraph.job.status': job.status, 'voxgraph.job.attempts': job.attempts, 'voxgraph.job.engine': job.engine ?? '' },
    }, parent);
    const inLife = trace.setSpan(parent, life);
    for (const e of events) {
      life.addEvent(e.status === 'running' && e.progress > 0 ? 'PROGRESS' : e.status.toUpperCase(), { 'voxgraph.job.version': e.seq, 'voxgraph.job.progress': e.progress, ...(e.error_code ? { 'voxgraph.job.error': e.error_code } : {}) }, e.at);
    }
    const firstRun = events.find((e) => e.status === 'running');
    const queued = t.startSpan('queued', { startTime: job.created_at }, inLife);
    queued.end(firstRun?.at ?? job.finished_at);
    // One span per attempt: from the event that started it to the event that ended it.
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      const starts = e.status === 'running' && (i === 0 || events[i - 1]!.status !== 'running' || events[i - 1]!.attempts !== e.attempts);
      if (!starts) continue;
      const end = events.slice(i + 1).find((x) => x.status !== 'running') ?? events.at(-1)!;
      const attempt = t.startSpan(`attempt ${e.attempts}`, { startTime: e.at, attributes: { 'voxgraph.job.attempt': e.attempts, 'voxgraph.job.outcome': end.status, ...(end.error_code ? { 'voxgraph.job.error': end.error_code } : {}) } }, inLife);
      for (const p of events.slice(i + 1, events.indexOf(end))) attempt.addEvent('PROGRESS', { 'voxgraph.job.progress': p.progress }, p.at);
      if (end.status !== 'succeeded') attempt.setStatus({ code: SpanStatusCode.ERROR, message: end.error_code ?? end.status });
      attempt.end(end.at);
    }
    if (job.status !== 'succeeded') life.setStatus({ code: SpanStatusCode.ERROR, message: job.error_code ?? job.status });
    life.end(job.finished_at);
  };
  return (e: JobEvent) => {
    if (!FINAL.has(e.status)) return;
    void context.with(ROOT_CONTEXT, () => emit(e.id)).catch((err) => log.warn({ err, jobId: e.id }, "could not emit the job's trace"));
  };
}
