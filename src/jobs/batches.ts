// Batches: jobs submitted together (submitBatch, written by enqueue.ts in one transaction). A
// batch's state — counts per status, progress, when it finished, its version — is folded from its
// jobs' events in feed order (src/events/feed.ts), so the state a query shows at version N is the
// state a batchUpdated subscriber was given as N, and a resume after N misses nothing.
import type { PgBoss } from 'pg-boss';
import type pg from 'pg';
import { inTransaction, type Queryable } from '../db/pool.ts';
import { notFound } from '../errors.ts';
import { currentTx, FEED_START, readBatchFeed, type FeedEvent, type FeedPosition } from '../events/feed.ts';
import { asBossDb } from '../queue/boss.ts';
import { handOverRunOf } from './cancel.ts';
import { FINAL_STATUSES, JOB_STATUSES, type JobKind, type JobStatus } from './kinds.ts';

export type BatchRow = { id: string; tenant: string; size: number; created_at: Date };
export type BatchCounts = Record<JobStatus, number>;

/** A batch as of one version: what queries show and batchUpdated items carry. */
export type BatchView = {
  batch: BatchRow;
  /** How many of its jobs' events this state includes. */
  version: number;
  counts: BatchCounts;
  /** Mean over its jobs of their progress, a finished job counting 1. */
  progress: number;
  /** When its last job finished; null while one has not. */
  finishedAt: Date | null;
  /** In a batchUpdated item: the job whose event this version is, and that event. */
  changed: { jobId: string; event: FeedEvent } | null;
};

const zeroCounts = (): BatchCounts => Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as BatchCounts;

/** Applies a batch's events one by one; view() is the state after the last one. */
export class BatchFold {
  private readonly jobs = new Map<string, { status: JobStatus; progress: number }>();
  private readonly counts = zeroCounts();
  private done = 0; // sum over jobs of their progress (a finished job: 1)
  private finishedAt: Date | null = null;
  private last: { jobId: string; event: FeedEvent } | null = null;
  version = 0;
  position: FeedPosition = FEED_START;
  readonly batch: BatchRow;

  constructor(batch: BatchRow) {
    this.batch = batch;
  }

  apply(e: FeedEvent): void {
    const before = this.jobs.get(e.job_id);
    const weight = (j: { status: JobStatus; progress: number }) => (FINAL_STATUSES.has(j.status) ? 1 : j.progress);
    if (before) {
      this.counts[before.status] -= 1;
      this.done -= weight(before);
    }
    const now = { status: e.status, progress: e.progress };
    this.jobs.set(e.job_id, now);
    this.counts[now.status] += 1;
    this.done += weight(now);
    this.version += 1;
    this.position = e.position;
    this.last = { jobId: e.job_id, event: e };
    const finished = this.counts.succeeded + this.counts.failed + this.counts.cancelled;
    this.finishedAt = finished === this.batch.size ? e.at : null;
  }

  get finished(): boolean {
    return this.finishedAt !== null;
  }

  view(withChange: boolean): BatchView {
    return {
      batch: this.batch,
      version: this.version,
      counts: { ...this.counts },
      progress: Math.min(1, Math.max(0, this.done / this.batch.size)),
      finishedAt: this.finishedAt,
      changed: withChange ? this.last : null,
    };
  }
}

/** Folds every event of the batch the feed has so far. */
export async function foldBatch(db: Queryable, batch: BatchRow): Promise<BatchFold> {
  const fold = new BatchFold(batch);
  for (;;) {
    const page = await readBatchFeed(db, batch.id, fold.position, 1000);
    for (const e of page.events) fold.apply(e);
    if (page.events.length < 1000) return fold;
  }
}

export async function insertBatch(db: Queryable, id: string, tenant: string, size: number): Promise<BatchRow> {
  const { rows } = await db.query<BatchRow>('INSERT INTO voxgraph.batch (id, tenant, size) VALUES ($1, $2, $3) RETURNING *', [id, tenant, size]);
  return rows[0]!;
}

export async function assignToBatch(db: Queryable, batchId: string, jobIds: string[]): Promise<void> {
  await db.query('UPDATE voxgraph.job SET batch_id = $1 WHERE id = ANY($2::uuid[])', [batchId, jobIds]);
}

export async function getBatch(db: Queryable, tenant: string, id: string): Promise<BatchRow | null> {
  const { rows } = await db.query<BatchRow>({ name: 'voxgraph_get_batch', text: 'SELECT * FROM voxgraph.batch WHERE id = $1 AND tenant = $2', values: [id, tenant] });
  return rows[0] ?? null;
}

/** Newest first, keyset-paginated on (created_at, id). */
export async function listBatches(db: Queryable, tenant: string, before: { createdUs: string; id: string } | null, limit: number): Promise<Array<BatchRow & { created_us: string }>> {
  const { rows } = await db.query<BatchRow & { created_us: string }>(
    `SELECT *, (extract(epoch FROM created_at) * 1000000)::bigint::text AS created_us FROM voxgraph.batch
     WHERE tenant = $1 AND ($2::bigint IS NULL OR (created_at, id) < ('epoch'::timestamptz + $2::bigint * interval '1 microsecond', $3::uuid))
     ORDER BY created_at DESC, id DESC LIMIT $4`,
    [tenant, before?.createdUs ?? null, before?.id ?? null, limit],
  );
  return rows;
}

/**
 * Cancels every job of the batch that has not finished, in one transaction; returns how many.
 * pg-boss's rows first, then ours, as cancelJob does (cancel.ts says why); a job that finished
 * meanwhile is left as it ended.
 */
export async function cancelBatch(pool: pg.Pool, boss: PgBoss, tenant: string, id: string): Promise<{ cancelled: number; tx: bigint }> {
  return inTransaction(pool, async (client) => {
    if (!(await getBatch(client, tenant, id))) throw notFound('batch', id);
    const { rows } = await client.query<{ id: string; kind: JobKind }>(
      `SELECT id, kind FROM voxgraph.job WHERE batch_id = $1 AND status IN ('queued', 'running', 'retrying') ORDER BY id`,
      [id],
    );
    const byKind = new Map<JobKind, string[]>();
    for (const r of rows) byKind.set(r.kind, [...(byKind.get(r.kind) ?? []), r.id]);
    for (const [kind, ids] of byKind) await boss.cancel(kind, ids, { db: asBossDb(client) });
    // A run shared with jobs outside the batch goes to one of them; a run handed to another job of
    // the batch is handed on again in the next pass (until no job of the batch leads one), and the
    // queue messages sent for those are cancelled with the rest (ours since this transaction: no lock to wait for).
    const inBatch = new Set(rows.map((r) => r.id));
    const heirs = new Map<string, JobKind>();
    for (let moved = true; moved; ) {
      moved = false;
      for (const r of rows) {
        const heir = await handOverRunOf(client, boss, tenant, r.id);
        if (heir && inBatch.has(heir.id)) {
          heirs.set(heir.id, heir.kind);
          moved = true;
        }
      }
    }
    for (const [heir, kind] of heirs) await boss.cancel(kind, heir, { db: asBossDb(client) });
    const { rows: done } = await client.query<{ n: number }>(
      `SELECT count(voxgraph.record_job_event(id, 'cancelled', p_error_code => 'CANCELLED', p_error_message => 'its batch was cancelled by the client'))::int AS n
       FROM unnest($1::uuid[]) AS id`,
      [rows.map((r) => r.id)],
    );
    // Its events sit at the greater of our xid and each job's previous feed_tx: wait for the highest.
    const { rows: top } = await client.query<{ tx: string | null }>('SELECT max(feed_tx)::text AS tx FROM voxgraph.job WHERE batch_id = $1', [id]);
    const own = await currentTx(client);
    const highest = top[0]?.tx ? BigInt(top[0].tx) : own;
    return { cancelled: done[0]?.n ?? 0, tx: highest > own ? highest : own };
  });
}
