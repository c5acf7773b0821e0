// The feed: a tenant's job events in one order that never changes once read, resumable from any
// position. It is the event log read by (tx, n) below the reader's snapshot horizon — why that
// order has no gaps is written in migrations/…_job-feed-batches-and-result-cache.sql. A position is opaque to
// clients (a cursor); jobsUpdated reads the tenant's feed, batchUpdated a batch's part of it.
import type { Queryable } from '../db/pool.ts';
import { apiError, ErrorCode } from '../errors.ts';
import type { JobKind, JobStatus } from '../jobs/kinds.ts';
import type { JobEventRow } from '../jobs/rows.ts';

/** A place in the feed: after the event (tx, n). tx is a 64-bit transaction id. */
export type FeedPosition = { tx: bigint; n: bigint };
export type FeedEvent = JobEventRow & { position: FeedPosition };
/** A page of events and the horizon it was read at: every event of a transaction below it was there to be read. */
export type FeedPage = { events: FeedEvent[]; horizon: bigint };

export const FEED_START: FeedPosition = { tx: 0n, n: 0n };

export const comparePositions = (a: FeedPosition, b: FeedPosition) => (a.tx !== b.tx ? (a.tx < b.tx ? -1 : 1) : a.n === b.n ? 0 : a.n < b.n ? -1 : 1);

const CURSOR_PREFIX = 'f1:';
export const encodeCursor = (p: FeedPosition) => Buffer.from(`${CURSOR_PREFIX}${p.tx}:${p.n}`).toString('base64url');

/** Exactly what encodeCursor makes, else BAD_USER_INPUT naming `field`. */
export function decodeCursor(cursor: string, field: string): FeedPosition {
  const m = /^f1:(\d{1,20}):(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString());
  const p = m ? { tx: BigInt(m[1]!), n: BigInt(m[2]!) } : null;
  if (!p || p.tx >= 2n ** 64n || p.n >= 2n ** 63n || encodeCursor(p) !== cursor) {
    throw apiError(ErrorCode.BAD_USER_INPUT, `${field}: not a cursor from this API`, { field });
  }
  return p;
}

type Row = JobEventRow & { tx: string | null; n: string | null; horizon: string };

const page = (rows: Row[]): FeedPage => ({
  horizon: BigInt(rows[0]?.horizon ?? 0),
  events: rows
    .filter((r) => r.tx !== null)
    .map(({ tx, n, horizon: _h, ...e }) => ({ ...(e as JobEventRow), position: { tx: BigInt(tx!), n: BigInt(n!) } })),
});

// One row even when no event qualifies: the horizon comes from the same snapshot as the events.
const EVENT_COLUMNS = 'e.job_id, e.seq, e.status, e.progress, e.attempts, e.error_code, e.error_message, e.at, e.tx::text AS tx, e.n::text AS n';

export type TenantFeedFilter = { kind?: JobKind | null; status?: JobStatus | null };

/** The tenant's events after `after`, oldest first, at most `limit`; kind and status filter them. */
export async function readTenantFeed(db: Queryable, tenant: string, filter: TenantFeedFilter, after: FeedPosition, limit: number): Promise<FeedPage> {
  const { rows } = await db.query<Row>({
    name: 'voxgraph_read_tenant_feed',
    text: `WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
           SELECT h.xmin::text AS horizon, f.* FROM h LEFT JOIN LATERAL (
             SELECT ${EVENT_COLUMNS} FROM voxgraph.job_event e JOIN voxgraph.job j ON j.id = e.job_id
             WHERE e.tenant = $1 AND (e.tx, e.n) > ($2::xid8, $3::bigint) AND e.tx < h.xmin
               AND ($4::voxgraph.job_kind IS NULL OR j.kind = $4) AND ($5::voxgraph.job_status IS NULL OR e.status = $5)
             ORDER BY e.tx, e.n LIMIT $6
           ) f ON true`,
    values: [tenant, after.tx.toString(), after.n.toString(), filter.kind ?? null, filter.status ?? null, limit],
  });
  return page(rows);
}

/** A batch's events after `after`, in feed order, at most `limit`. */
export async function readBatchFeed(db: Queryable, batchId: string, after: FeedPosition, limit: number): Promise<FeedPage> {
  const { rows } = await db.query<Row>({
    name: 'voxgraph_read_batch_feed',
    text: `WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
           SELECT h.xmin::text AS horizon, f.* FROM h LEFT JOIN LATERAL (
             SELECT ${EVENT_COLUMNS} FROM voxgraph.job j JOIN voxgraph.job_event e ON e.job_id = j.id
             WHERE j.batch_id = $1 AND (e.tx, e.n) > ($2::xid8, $3::bigint) AND e.tx < h.xmin
             ORDER BY e.tx, e.n LIMIT $4
           ) f ON true`,
    values: [batchId, after.tx.toString(), after.n.toString(), limit],
  });
  return page(rows);
}

/** Where a reader that wants only what happens from now on starts: every event below is past. */
export async function feedNow(db: Queryable): Promise<FeedPosition> {
  const { rows } = await db.query<{ xmin: string }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin');
  return { tx: BigInt(rows[0]!.xmin), n: 0n };
}

/** The id of the caller's transaction (taking one if it has none yet). */
export async function currentTx(db: Queryable): Promise<bigint> {
  const { rows } = await db.query<{ tx: string }>('SELECT pg_current_xact_id()::text AS tx');
  return BigInt(rows[0]!.tx);
}

/**
 * Waits (up to `maxMs`) until the feed's horizon has passed transaction `tx`, so that what that
 * transaction wrote can be read in feed order: a mutation that answers with a batch's folded state
 * shows its own change. Normally immediate; an older transaction left open makes it wait.
 */
export async function waitForFeed(db: Queryable, tx: bigint, maxMs = 2000): Promise<boolean> {
  const until = Date.now() + maxMs;
  for (let delay = 2; ; delay = Math.min(delay * 2, 100)) {
    if ((await feedNow(db)).tx > tx) return true;
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, delay));
  }
}
