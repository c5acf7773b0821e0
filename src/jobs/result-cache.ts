// The result cache and in-flight coalescing (migrations/…_job-feed-batches-and-result-cache.sql has the rules). Both
// run inside the new job's transaction (enqueue.ts), after its row is written:
// - a success of the same tenant with the same cache key, within RESULT_CACHE_TTL_SECONDS, by an
//   engine@version a live worker offers now: the job gets that result at once (RUNNING, then
//   SUCCEEDED, in the same transaction: its subscribers see the usual sequence) and no queue message;
// - else a job of the tenant with that key still in flight (and no runAt or deadline of either):
//   the job follows it (run_of) and gets its events, without a queue message of its own.
import { createHash } from 'node:crypto';
import type { Queryable } from '../db/pool.ts';
import { canonical } from './idempotency.ts';
import type { JobKind } from './kinds.ts';
import type { JobRow } from './rows.ts';

/** What decides a job's result: kind, the input audio's content, the parameters, the engine asked for. */
export function cacheKeyOf(kind: JobKind, inputSha256: string | null, params: Record<string, unknown>, engine: string | null): string {
  return createHash('sha256').update(canonical({ kind, input: inputSha256, params, engine })).digest('hex');
}

/** The newest reusable success, its result audio held (KEY SHARE) so that a deletion racing us waits or comes first. */
export async function findCachedResult(db: Queryable, tenant: string, key: string, ttlSeconds: number, engines: readonly string[]): Promise<JobRow | null> {
  if (!engines.length || ttlSeconds <= 0) return null;
  const { rows } = await db.query<JobRow>({
    name: 'voxgraph_find_cached_result',
    text: `SELECT * FROM voxgraph.job
           WHERE tenant = $1 AND cache_key = $2 AND status = 'succeeded' AND finished_at > now() - make_interval(secs => $3)
             AND engine_version = ANY($4::text[])
           ORDER BY finished_at DESC LIMIT 1`,
    values: [tenant, key, ttlSeconds, engines],
  });
  const hit = rows[0];
  if (!hit) return null;
  if (hit.result_audio_id) {
    const held = await db.query('SELECT 1 FROM voxgraph.audio WHERE id = $1 FOR KEY SHARE', [hit.result_audio_id]);
    if (!held.rowCount) return null;
  }
  return hit;
}

/**
 * The oldest job with this key still in flight, locked: its events wait for our commit, so the
 * one that ends it sees us as its follower (without the lock it could end unaware of us). A
 * transaction waits for the first leader it locks (an event being written to it), but once it
 * holds one (a batch following several), a leader locked by someone else is skipped: waiting
 * while holding one, in submission order, could deadlock against a worker settling both in
 * another order. The job then runs on its own.
 */
export async function findRunInFlight(db: Queryable, tenant: string, key: string, selfId: string, wait: boolean): Promise<JobRow | null> {
  const { rows } = await db.query<JobRow>({
    name: wait ? 'voxgraph_find_run_in_flight' : 'voxgraph_find_run_in_flight_skip_locked',
    text: `SELECT * FROM voxgraph.job
           WHERE tenant = $1 AND cache_key = $2 AND status IN ('queued', 'running', 'retrying') AND run_of IS NULL
             AND run_at IS NULL AND deadline IS NULL AND id <> $3
           ORDER BY created_at, id LIMIT 1 FOR UPDATE${wait ? '' : ' SKIP LOCKED'}`,
    values: [tenant, key, selfId],
  });
  // Re-checked after the lock: it may have finished while we waited.
  const j = rows[0];
  return j && ['queued', 'running', 'retrying'].includes(j.status) ? j : null;
}

/**
 * Sets the job's key, first taking a transaction lock on (tenant, key): identical submissions
 * racing each other go one at a time, so the second sees the first in flight (committed) and
 * follows it instead of both running. Different keys never wait for each other.
 */
export async function setCacheKey(db: Queryable, tenant: string, id: string, key: string): Promise<void> {
  await db.query({ name: 'voxgraph_lock_cache_key', text: `SELECT pg_advisory_xact_lock(hashtextextended($1 || ':' || $2, 7))`, values: [tenant, key] });
  await db.query({ name: 'voxgraph_set_cache_key', text: 'UPDATE voxgraph.job SET cache_key = $2 WHERE id = $1', values: [id, key] });
}

/** The job answered with `source`'s result: RUNNING and SUCCEEDED now, as if it had run. */
export async function answerFromCache(db: Queryable, id: string, source: JobRow): Promise<void> {
  await db.query('UPDATE voxgraph.job SET cached = true, cached_from = $2, engine_version = $3 WHERE id = $1', [id, source.id, source.engine_version]);
  await db.query(`SELECT voxgraph.record_job_event($1, 'running', p_progress => 0, p_attempts => 0, p_engine => $2)`, [id, source.engine]);
  await db.query(`SELECT voxgraph.record_job_event($1, 'succeeded', p_result => $2::jsonb, p_result_audio_id => $3)`, [id, JSON.stringify(source.result), source.result_audio_id]);
}

/** The job shares `leader`'s run: from now on it gets its events; it starts where the leader is. */
export async function followRun(db: Queryable, id: string, leader: JobRow): Promise<void> {
  await db.query('UPDATE voxgraph.job SET cached = true, cached_from = $2, run_of = $2 WHERE id = $1', [id, leader.id]);
  if (leader.status === 'running') {
    await db.query(`SELECT voxgraph.record_job_event($1, 'running', p_progress => $2, p_attempts => $3, p_engine => $4)`, [id, leader.progress, leader.attempts, leader.engine]);
  }
}

/**
 * Before `leader` is cancelled: its oldest follower takes the run over (the caller sends its queue
 * message) and the others follow that one; returns it, or null without followers. The new leader
 * goes back to QUEUED (its followers with it): nothing runs for it yet.
 */
export async function handOverRun(db: Queryable, leaderId: string): Promise<JobRow | null> {
  const { rows } = await db.query<JobRow>(
    `SELECT * FROM voxgraph.job WHERE run_of = $1 AND status IN ('queued', 'running', 'retrying') ORDER BY created_at, id FOR UPDATE`,
    [leaderId],
  );
  const next = rows[0];
  if (!next) return null;
  await db.query('UPDATE voxgraph.job SET run_of = NULL, cached_from = NULL, cached = false WHERE id = $1', [next.id]);
  await db.query('UPDATE voxgraph.job SET run_of = $2, cached_from = $2 WHERE run_of = $1', [leaderId, next.id]);
  if (next.status !== 'queued') await db.query(`SELECT voxgraph.record_job_event($1, 'queued')`, [next.id]);
  return { ...next, run_of: null, cached_from: null, cached: false };
}
