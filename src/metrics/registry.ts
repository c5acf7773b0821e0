// Every metric this process exposes at GET /metrics (prom-client, Prometheus text format), made in
// one place so names and labels are one list. Naming: Prometheus conventions (_seconds, _bytes,
// _total). Two kinds of figures:
// - this process's own (HTTP, GraphQL, uploads, its subscriptions and connections): sum them over
//   API processes;
// - the whole pool's, read from PostgreSQL at scrape time (queue depth, workers) or observed from
//   the job event stream every API process receives (job starts and finishes, queue wait, run
//   time, event lag): every process reports the same, so aggregate with max, not sum.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const JOB_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600];

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry }); // process_cpu_seconds_total, heap, event loop lag, …
  const r = [registry];
  return {
    registry,
    httpDuration: new Histogram({ name: 'http_request_duration_seconds', help: 'HTTP requests by route (a fixed set), method and status code; SSE streams count until they end.', labelNames: ['method', 'route', 'status_code'], buckets: SECONDS, registers: r }),
    graphqlDuration: new Histogram({ name: 'graphql_operation_duration_seconds', help: 'GraphQL queries and mutations, parse to result, by operation name and type (subscriptions: see voxgraph_subscriptions).', labelNames: ['operation_name', 'operation_type'], buckets: SECONDS, registers: r }),
    graphqlErrors: new Counter({ name: 'graphql_errors_total', help: 'Errors in GraphQL results by operation name and extensions.code.', labelNames: ['operation_name', 'code'], registers: r }),
    uploadBytes: new Counter({ name: 'voxgraph_upload_bytes_total', help: 'Bytes of audio uploads stored.', registers: r }),
    uploadDuration: new Histogram({ name: 'voxgraph_upload_duration_seconds', help: 'Uploads from the file part\'s first byte to stored (or refused).', labelNames: ['outcome'], buckets: [...SECONDS, 60, 300], registers: r }),
    uploadRejections: new Counter({ name: 'voxgraph_upload_rejections_total', help: 'Uploads refused, by error code.', labelNames: ['code'], registers: r }),
    jobsSubmitted: new Counter({ name: 'voxgraph_jobs_submitted_total', help: 'Jobs created in the pool, by kind (from the event stream: same in every API process).', labelNames: ['kind'], registers: r }),
    jobsStarted: new Counter({ name: 'voxgraph_jobs_started_total', help: 'Attempts started in the pool, by kind (from the event stream: same in every API process).', labelNames: ['kind'], registers: r }),
    jobsFinished: new Counter({ name: 'voxgraph_jobs_finished_total', help: 'Jobs finished in the pool, by kind, engine and status (from the event stream: same in every API process).', labelNames: ['kind', 'engine', 'status'], registers: r }),
    queueWait: new Histogram({ name: 'voxgraph_job_queue_wait_seconds', help: 'Creation to first start, by kind (from the event stream).', labelNames: ['kind'], buckets: JOB_SECONDS, registers: r }),
    runTime: new Histogram({ name: 'voxgraph_job_run_seconds', help: 'Last start to finish of succeeded and failed jobs, by kind and engine (from the event stream).', labelNames: ['kind', 'engine'], buckets: JOB_SECONDS, registers: r }),
    eventLag: new Histogram({ name: 'voxgraph_event_delivery_lag_seconds', help: 'A job event\'s write in PostgreSQL to its arrival in this process (its subscribers get it then); the two clocks are assumed close.', buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: r }),
    subscriptions: new Gauge({ name: 'voxgraph_subscriptions', help: 'Live subscriptions in this process by what they follow (job, tenant feed).', labelNames: ['follows'], registers: r }),
    connections: new Gauge({ name: 'voxgraph_connections', help: 'Open graphql-ws sockets and SSE subscription streams in this process.', registers: r }),
    queueJobs: new Gauge({ name: 'voxgraph_queue_jobs', help: 'pg-boss jobs by queue and state (created, retry, active), read at scrape time.', labelNames: ['queue', 'state'], registers: r }),
    deadLetters: new Gauge({ name: 'voxgraph_dead_letter_jobs', help: 'Jobs in pg-boss\'s dead-letter queue (failed every attempt; kept 30 days), by the queue they came from.', labelNames: ['queue'], registers: r }),
    workers: new Gauge({ name: 'voxgraph_workers', help: 'Live workers (recent heartbeat) by device.', labelNames: ['device'], registers: r }),
    workerSlots: new Gauge({ name: 'voxgraph_worker_slots', help: 'Batches a live worker runs at once.', labelNames: ['worker', 'device'], registers: r }),
    workerBatchCap: new Gauge({ name: 'voxgraph_worker_batch_cap', help: 'A live worker\'s current batch cap per engine (after out-of-memory halving).', labelNames: ['worker', 'engine'], registers: r }),
    workerBatchSize: new Gauge({ name: 'voxgraph_worker_batch_size', help: 'A live worker\'s configured batch size (WORKER_BATCH_SIZE).', labelNames: ['worker'], registers: r }),
    workerGpuMemory: new Gauge({ name: 'voxgraph_worker_gpu_memory_bytes', help: 'A live worker\'s GPU memory, total and free (absent on the CPU).', labelNames: ['worker', 'device', 'kind'], registers: r }),
    liveWorkersForQueue: new Gauge({ name: 'voxgraph_queue_live_workers', help: 'Live workers offering each queue\'s kind (0 with jobs waiting: nothing will run them).', labelNames: ['queue'], registers: r }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * A label value a client chose (an operation name), bounded: a hostile client sending a new name
 * per request must not grow the registry without end. Past `max` distinct values, "other".
 */
export function boundedLabel(max: number) {
  const seen = new Set<string>();
  return (value: string | null | undefined): string => {
    if (!value) return 'anonymous';
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(value)) return 'other';
    if (seen.has(value)) return value;
    if (seen.size >= max) return 'other';
    seen.add(value);
    return value;
  };
}
