// Every SQL statement the API runs against voxgraph's tables. Reads are always scoped to a tenant:
// another tenant's id reads exactly like one that does not exist. The ones every job runs are
// named: node-postgres prepares a named statement once per connection instead of having
// PostgreSQL parse and plan it on every call.
import { createHash } from 'node:crypto';
import type { Queryable } from '../db/pool.ts';
import type { StoredUpload } from '../uploads/ingest.ts';
import type { JobKind, JobStatus } from './kinds.ts';
import type { AudioRow, JobEventRow, JobRow } from './rows.ts';

export async function insertAudio(db: Queryable, tenant: string, a: StoredUpload): Promise<AudioRow> {
  // voxgraph.insert_audios: the statement the workers write their results with too.
  const row = {
    id: a.id, tenant, storage_key: a.storageKey, content_type: a.contentType, format: a.format, codec: a.codec, bytes: a.bytes,
    sha256: a.sha256, duration_seconds: a.durationSeconds, sample_rate: a.sampleRate, channels: a.channels, origin: 'upload',
  };
  const { rows } = await db.query<AudioRow>({ name: 'voxgraph_insert_audio', text: 'SELECT * FROM voxgraph.insert_audios($1::jsonb)', values: [JSON.stringify([row])] });
  return rows[0]!;
}

/** `forJob`: a job is about to refer to it; KEY SHARE makes a racing deleteAudio (FOR UPDATE) wait for that job or come first. */
export async function getAudio(db: Queryable, tenant: string, id: string, forJob = false): Promise<AudioRow | null> {
  const { rows } = await db.query<AudioRow>({
    name: forJob ? 'voxgraph_get_audio_for_job' : 'voxgraph_get_audio',
    text: `SELECT * FROM voxgraph.audio WHERE id = $1 AND tenant = $2${forJob ? ' FOR KEY SHARE' : ''}`,
    values: [id, tenant],
  });
  return rows[0] ?? null;
}

/** For signed downloads: the signature already proved who may read it. */
export async function getAudioById(db: Queryable, id: string): Promise<AudioRow | null> {
  const { rows } = await db.query<AudioRow>('SELECT * FROM voxgraph.audio WHERE id = $1', [id]);
  return rows[0] ?? null;
}

export async function getAudios(db: Queryable, ids: readonly string[]): Promise<AudioRow[]> {
  const { rows } = await db.query<AudioRow>('SELECT * FROM voxgraph.audio WHERE id = ANY($1::uuid[])', [ids]);
  return rows;
}

/** Jobs by id, whoever's (callers reach them through a row of their own tenant). */
export async function getJobsByIds(db: Queryable, ids: readonly string[]): Promise<JobRow[]> {
  const { rows } = await db.query<JobRow>('SELECT * FROM voxgraph.job WHERE id = ANY($1::uuid[])', [ids]);
  return rows;
}

export type NewJob = {
  id: string;
  tenant: string;
  kind: JobKind;
  engine: string | null;
  priority: number;
  params: Record<string, unknown>;
  inputAudioId: string | null;
  runAt?: Date | null;
  deadline?: Date | null;
};

/** The job row and its QUEUED event (voxgraph.submit_job); returns the row. */
export async function submitJob(db: Queryable, j: NewJob): Promise<JobRow> {
  const { rows } = await db.query<JobRow>({
    name: 'voxgraph_submit_job',
    text: 'SELECT * FROM voxgraph.submit_job($1, $2, $3, $4, $5, $6, $7, $8, $9)',
    values: [j.id, j.tenant, j.kind, j.engine, j.priority, j.params, j.inputAudioId, j.runAt ?? null, j.deadline ?? null],
  });
  return rows[0]!;
}

/** Appends an event through voxgraph.record_job_event (see migrations/). Null when refused (job already final). */
export async function recordJobEvent(
  db: Queryable,
  id: string,
  status: JobStatus,
  error?: { code: string; message: string },
): Promise<number | null> {
  const { rows } = await db.query<{ seq: number | null }>(
    `SELECT voxgraph.record_job_event($1, $2::voxgraph.job_status, p_error_code => $3, p_error_message => $4) AS seq`,
    [id, status, error?.code ?? null, error?.message ?? null],
  );
  return rows[0]?.seq ?? null;
}

export async function getJob(db: Queryable, tenant: string, id: string, lock = false): Promise<JobRow | null> {
  const { rows } = await db.query<JobRow>({
    name: lock ? 'voxgraph_get_job_for_update' : 'voxgraph_get_job',
    text: `SELECT * FROM voxgraph.job WHERE id = $1 AND tenant = $2${lock ? ' FOR UPDATE' : ''}`,
    values: [id, tenant],
  });
  return rows[0] ?? null;
}

/** Each job's current version (its last event's seq): what the event bus's check compares. */
export async function jobVersions(db: Queryable, ids: readonly string[]): Promise<Array<{ id: string; seq: number }>> {
  const { rows } = await db.query<{ id: string; seq: number }>({
    name: 'voxgraph_job_versions',
    text: 'SELECT id, seq FROM voxgraph.job WHERE id = ANY($1::uuid[])',
    values: [ids],
  });
  return rows;
}

export async function getJobEvents(db: Queryable, id: string, afterSeq: number): Promise<JobEventRow[]> {
  const { rows } = await db.query<JobEventRow>({
    name: 'voxgraph_get_job_events',
    text: 'SELECT * FROM voxgraph.job_event WHERE job_id = $1 AND seq > $2 ORDER BY seq',
    values: [id, afterSeq],
  });
  return rows;
}

/** The event logs of several jobs (oldest first within each). */
export async function getEventsOfJobs(db: Queryable, ids: readonly string[]): Promise<JobEventRow[]> {
  const { rows } = await db.query<JobEventRow>({
    name: 'voxgraph_get_events_of_jobs',
    text: 'SELECT * FROM voxgraph.job_event WHERE job_id = ANY($1::uuid[]) ORDER BY job_id, seq',
    values: [ids],
  });
  return rows;
}

export type JobFilter = { kind?: JobKind; status?: JobStatus; batchId?: string; before?: { createdUs: string; id: string }; limit: number };

/** Newest first, keyset-paginated on (created_at, id). */
export async function listJobs(db: Queryable, tenant: string, f: JobFilter): Promise<Array<JobRow & { created_us: string }>> {
  const { rows } = await db.query<JobRow & { created_us: string }>(
    `SELECT *, (extract(epoch FROM created_at) * 1000000)::bigint::text AS created_us FROM voxgraph.job
     WHERE tenant = $1
       AND ($2::voxgraph.job_kind IS NULL OR kind = $2)
       AND ($3::voxgraph.job_status IS NULL OR status = $3)
       AND ($4::bigint IS NULL OR (created_at, id) < ('epoch'::timestamptz + $4::bigint * interval '1 microsecond', $5::uuid))
       AND ($7::uuid IS NULL OR batch_id = $7)
     ORDER BY created_at DESC, id DESC
     LIMIT $6`,
    [tenant, f.kind ?? null, f.status ?? null, f.before?.createdUs ?? null, f.before?.id ?? null, f.limit, f.batchId ?? null],
  );
  return rows;
}

/**
 * Mirrors onto our rows what pg-boss's supervisor did on its own: a job whose worker died is put
 * back to `retry` (or `failed` when out of attempts) in pg-boss's table without any worker to
 * tell us. Returns how many jobs changed.
 */
export async function reconcileStalledJobs(db: Queryable): Promise<number> {
  // Only the attempt pg-boss gave up (our attempts = its retry_count + 1 until the next claim),
  // fenced again under the row lock by voxgraph.record_lost_attempt.
  const { rows } = await db.query<{ n: number }>(
    `WITH stalled AS (
       SELECT j.id, j.attempts, b.state, b.output->'value'->>'message' AS message
       FROM voxgraph.job j
       JOIN pgboss.job b ON b.name = j.kind::text AND b.id = j.id
       WHERE j.status = 'running' AND b.state IN ('retry', 'failed') AND j.attempts = b.retry_count + 1
     )
     SELECT count(voxgraph.record_lost_attempt(id, attempts, state = 'failed', message))::int AS n FROM stalled`,
  );
  return rows[0]?.n ?? 0;
}

/**
 * Jobs pg-boss no longer has although ours are still waiting: its retention sweep deletes jobs
 * that waited longer than JOB_QUEUE_RETENTION_SECONDS. They end FAILED (EXPIRED_IN_QUEUE) instead
 * of waiting for ever. (Our row and pg-boss's are written in one transaction, so a missing pg-boss
 * job is never one still being sent.)
 */
export async function failJobsDroppedFromQueue(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(voxgraph.record_job_event(j.id, 'failed', p_error_code => 'EXPIRED_IN_QUEUE',
       p_error_message => 'the job waited longer than the queue keeps waiting jobs and was dropped'))::int AS n
     FROM voxgraph.job j
     WHERE j.status IN ('queued', 'retrying') AND j.run_of IS NULL -- a job sharing another's run has no queue message of its own
       AND NOT EXISTS (SELECT 1 FROM pgboss.job b WHERE b.name = j.kind::text AND b.id = j.id)`,
  );
  return rows[0]?.n ?? 0;
}

/**
 * Jobs still waiting for their first attempt when their deadline passed: FAILED with
 * DEADLINE_EXCEEDED, and their pg-boss jobs cancelled so that no worker claims them. pg-boss's row
 * first, then ours: the order every worker statement takes (a claim racing this waits, then finds
 * the job cancelled or already running).
 */
export async function failJobsPastDeadline(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `WITH due AS (
       SELECT j.id, j.kind FROM voxgraph.job j
       WHERE j.status = 'queued' AND j.deadline IS NOT NULL AND j.deadline <= now()
       ORDER BY j.deadline LIMIT 1000
     ), cancelled AS (
       UPDATE pgboss.job b SET state = 'cancelled', completed_on = now()
       FROM due WHERE b.name = due.kind::text AND b.id = due.id AND b.state < 'active'
       RETURNING b.id
     )
     SELECT count(voxgraph.record_job_event(c.id, 'failed', p_error_code => 'DEADLINE_EXCEEDED',
       p_error_message => 'its deadline passed before it started'))::int AS n
     FROM cancelled c`,
  );
  return rows[0]?.n ?? 0;
}

/** voxgraph.rerank_jobs: keeps waiting jobs' pg-boss priorities equal to their places in their tenants' lines. */
export async function rerankJobs(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT voxgraph.rerank_jobs() AS n');
  return rows[0]?.n ?? 0;
}

/** resources: what the worker's heartbeat reports beside its engines (device, GPU memory, batching; gpu-worker loop.py _resources). */
export type WorkerResources = { device?: string; memory?: { totalMb: number; freeMb: number } | null; batchSize?: number; batchCaps?: Record<string, number> };
export type WorkerRow = { id: string; hostname: string; device: string; concurrency: number; engines: unknown; resources: WorkerResources; heartbeat_at: Date };

/** What tenants and metrics see of a worker's id (WORKER_ID, by default host-pid): a digest. */
export const workerDigest = (id: string) => createHash('sha256').update(id).digest('hex').slice(0, 16);

export async function liveWorkers(db: Queryable, withinSeconds: number): Promise<WorkerRow[]> {
  const { rows } = await db.query<WorkerRow>(
    `SELECT id, hostname, device, concurrency, engines, resources, heartbeat_at FROM voxgraph.worker
     WHERE heartbeat_at > now() - $1 * interval '1 second' ORDER BY id`,
    [withinSeconds],
  );
  return rows;
}

/** The bytes of audio a tenant keeps (voxgraph.tenant_usage, kept by triggers on voxgraph.audio). */
/** Of these storage keys, the ones an audio row refers to (the orphan sweep keeps those). */
export async function referencedStorageKeys(db: Queryable, keys: readonly string[]): Promise<Set<string>> {
  const { rows } = await db.query<{ storage_key: string }>({
    name: 'voxgraph_referenced_storage_keys',
    text: 'SELECT storage_key FROM voxgraph.audio WHERE storage_key = ANY($1::text[])',
    values: [keys],
  });
  return new Set(rows.map((r) => r.storage_key));
}

export async function tenantStorageBytes(db: Queryable, tenant: string): Promise<number> {
  const { rows } = await db.query<{ bytes: string }>({
    name: 'voxgraph_tenant_storage',
    text: 'SELECT storage_bytes AS bytes FROM voxgraph.tenant_usage WHERE tenant = $1',
    values: [tenant],
  });
  return Number(rows[0]?.bytes ?? 0);
}
