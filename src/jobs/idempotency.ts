// Idempotency keys for job mutations: the same key from the same tenant within KEY_LIFETIME
// returns the job the first request created and writes nothing; the same key with a different
// request is IDEMPOTENCY_CONFLICT. The table and its race rules: migrations/…_idempotency-keys.sql.
import { createHash } from 'node:crypto';
import type { Queryable } from '../db/pool.ts';

/** How long a key holds (Stripe's and the issue's 24 h); older keys are free again and swept. */
export const KEY_LIFETIME_SECONDS = 24 * 60 * 60;

/** JSON with object keys sorted, so that equal requests hash equally whatever their key order. */
export const canonical = (v: unknown): string =>
  Array.isArray(v)
    ? `[${v.map(canonical).join(',')}]`
    : v && typeof v === 'object'
      ? `{${Object.keys(v)
          .sort()
          .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
          .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
          .join(',')}}`
      : JSON.stringify(v ?? null);

/** One job's part of a request: kind, parameters, engine, priority, runAt, deadline and the input (an audio's id, or a sent file's content hash). */
export type HashedJob = {
  kind: string;
  params: Record<string, unknown>;
  engine: string | null;
  priority: number;
  input: { audioId: string } | { sha256: string } | null;
  runAt?: string;
  deadline?: string;
  cache?: false;
  webhook?: { url: string; events: string[] };
};

/** What "the same request" means: the same job, or (a batch) the same jobs in the same order. */
export function requestHash(req: HashedJob | { batch: HashedJob[] }): string {
  return createHash('sha256').update(canonical(req)).digest('hex');
}

/** What a key names: the job or the batch its first request created. */
export type KeyTarget = { jobId: string; batchId?: undefined } | { batchId: string; jobId?: undefined };
export type KeyClaim = { owned: true } | { owned: false; jobId: string | null; batchId: string | null; sameRequest: boolean };

/**
 * Takes the key for a new job or batch (inside its transaction), or says whose it is. A key whose
 * lifetime is over is taken over. A racing request with the same key waits here until the first
 * one's transaction ends, then sees its row (or takes the key, if that one rolled back).
 */
export async function claimKey(db: Queryable, tenant: string, key: string, hash: string, target: KeyTarget): Promise<KeyClaim> {
  const { rows } = await db.query<{ tenant: string }>({
    name: 'voxgraph_claim_idempotency_key',
    text: `INSERT INTO voxgraph.idempotency_key AS k (tenant, key, request_sha256, job_id, batch_id) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (tenant, key) DO UPDATE SET request_sha256 = EXCLUDED.request_sha256, job_id = EXCLUDED.job_id,
             batch_id = EXCLUDED.batch_id, created_at = now()
             WHERE k.created_at < now() - make_interval(secs => $6)
           RETURNING tenant`,
    values: [tenant, key, hash, target.jobId ?? null, target.batchId ?? null, KEY_LIFETIME_SECONDS],
  });
  if (rows.length) return { owned: true };
  const held = await heldKey(db, tenant, key);
  // Gone between the two statements (its job deleted): a retry takes it.
  if (!held) return claimKey(db, tenant, key, hash, target);
  return { owned: false, jobId: held.job_id, batchId: held.batch_id, sameRequest: held.request_sha256 === hash };
}

/** The live row of a key, if any (outside a transaction: a cheap look before the rate limit). */
export async function heldKey(db: Queryable, tenant: string, key: string): Promise<{ job_id: string | null; batch_id: string | null; request_sha256: string } | null> {
  const { rows } = await db.query<{ job_id: string | null; batch_id: string | null; request_sha256: string }>({
    name: 'voxgraph_held_idempotency_key',
    text: `SELECT job_id, batch_id, request_sha256 FROM voxgraph.idempotency_key
           WHERE tenant = $1 AND key = $2 AND created_at >= now() - make_interval(secs => $3)`,
    values: [tenant, key, KEY_LIFETIME_SECONDS],
  });
  return rows[0] ?? null;
}

/** Maintenance: drops keys whose lifetime is over. */
export async function sweepKeys(db: Queryable): Promise<number> {
  const { rowCount } = await db.query(`DELETE FROM voxgraph.idempotency_key WHERE created_at < now() - make_interval(secs => $1)`, [KEY_LIFETIME_SECONDS]);
  return rowCount ?? 0;
}
