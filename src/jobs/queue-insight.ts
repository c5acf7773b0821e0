// Where a waiting job stands and when it should start, and what the queues hold: read from
// pg-boss's tables (the queue the workers claim from) and our job rows. One module, one SQL
// statement per question.
//
// How a start is estimated: a waiting job starts after the jobs ahead of it in its queue are
// claimed. "Ahead" is pg-boss's own claim order (priority desc, created_on; our priority is the
// job's place in its tenant's line, so the position already accounts for fair turns between
// tenants). The queue's claim rate is measured from the last CLAIM_SAMPLE first-attempt starts of
// the kind within CLAIM_WINDOW_SECONDS (what the live workers actually take per second under the
// current mix of jobs and batch sizes). estimatedStartAt = now + (ahead + 1) / rate, not before
// runAt. With fewer than two recent starts, or no live worker for the kind, there is no estimate
// (null): an idle pool has no rate to extrapolate. test/queue-insight.test.ts measures how good it
// is on 100 jobs.
import type { Queryable } from '../db/pool.ts';
import { JOB_KINDS, type JobKind } from './kinds.ts';

export const CLAIM_SAMPLE = 50;
export const CLAIM_WINDOW_SECONDS = 600;

export type Standing = { id: string; kind: JobKind; ahead: number; startAfter: Date };

/** For each waiting job among `ids` (pg-boss state created or retry): how many jobs its queue will hand out first. */
export async function standings(db: Queryable, ids: readonly string[]): Promise<Standing[]> {
  const { rows } = await db.query<{ id: string; kind: JobKind; ahead: number; start_after: Date }>({
    name: 'voxgraph_queue_standings',
    text: `SELECT me.id, me.name AS kind, me.start_after,
              (SELECT count(*) FROM pgboss.job o
               WHERE o.name = me.name AND o.state < 'active' AND o.id <> me.id
                 AND o.start_after <= greatest(now(), me.start_after)
                 AND (o.priority > me.priority OR (o.priority = me.priority AND o.created_on < me.created_on)))::int AS ahead
       FROM pgboss.job me
       WHERE me.id = ANY($1::uuid[]) AND me.name = ANY($2::text[]) AND me.state < 'active'`,
    values: [ids, JOB_KINDS],
  });
  return rows.map((r) => ({ id: r.id, kind: r.kind, ahead: r.ahead, startAfter: r.start_after }));
}

export type ClaimRate = { kind: JobKind; perSecond: number; liveWorkers: number };

/** Each kind's recent claim rate (first attempts started per second) and how many live workers offer it. */
export async function claimRates(db: Queryable, liveWithinSeconds: number): Promise<ClaimRate[]> {
  const { rows } = await db.query<{ kind: JobKind; n: number; span: number | null; live: number }>({
    name: 'voxgraph_claim_rates',
    text: `WITH kinds(kind) AS (SELECT unnest(enum_range(NULL::voxgraph.job_kind))),
       recent AS (
         SELECT k.kind, s.started_at FROM kinds k
         CROSS JOIN LATERAL (
           SELECT j.started_at FROM voxgraph.job j
           WHERE j.kind = k.kind AND j.started_at > now() - make_interval(secs => $1)
           ORDER BY j.started_at DESC LIMIT $2
         ) s
       )
       SELECT k.kind::text AS kind,
              (SELECT count(*) FROM recent r WHERE r.kind = k.kind)::int AS n,
              (SELECT extract(epoch FROM max(r.started_at) - min(r.started_at)) FROM recent r WHERE r.kind = k.kind)::float8 AS span,
              (SELECT count(*) FROM voxgraph.worker w
               WHERE w.heartbeat_at > now() - make_interval(secs => $3)
                 AND EXISTS (SELECT 1 FROM jsonb_array_elements(w.engines) e WHERE e->>'kind' = k.kind::text))::int AS live
       FROM kinds k`,
    values: [CLAIM_WINDOW_SECONDS, CLAIM_SAMPLE, liveWithinSeconds],
  });
  return rows.map((r) => ({ kind: r.kind, liveWorkers: r.live, perSecond: r.n >= 2 && r.span && r.span > 0 ? (r.n - 1) / r.span : 0 }));
}

/** The estimate for one standing (see the top of this module); null without a rate. */
export function estimateStart(s: Standing, rate: ClaimRate | undefined, now = new Date()): Date | null {
  if (!rate || rate.liveWorkers === 0 || rate.perSecond <= 0) return null;
  const at = new Date(now.getTime() + ((s.ahead + 1) / rate.perSecond) * 1000);
  return at < s.startAfter ? s.startAfter : at;
}

export type QueueDepth = { kind: JobKind; state: string; jobs: number; yours: number; scheduled: number };

/** Jobs per queue and pg-boss state (created, retry, active), with the caller's share and those waiting for a runAt. */
export async function queueDepths(db: Queryable, tenant: string): Promise<QueueDepth[]> {
  const { rows } = await db.query<QueueDepth>({
    name: 'voxgraph_queue_depths',
    text: `SELECT b.name AS kind, b.state::text AS state, count(*)::int AS jobs,
              count(*) FILTER (WHERE b.data->>'tenant' = $1)::int AS yours,
              count(*) FILTER (WHERE b.start_after > now())::int AS scheduled
       FROM pgboss.job b
       WHERE b.name = ANY($2::text[]) AND b.state IN ('created', 'retry', 'active')
       GROUP BY b.name, b.state`,
    values: [tenant, JOB_KINDS],
  });
  return rows;
}
