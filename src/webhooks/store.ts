// Every SQL statement about webhooks: tenant settings and secrets, deliveries and their attempts.
// The deliveries themselves are written by voxgraph.enqueue_webhooks() (migrations/…_webhooks.sql).
import { randomBytes } from 'node:crypto';
import type { Queryable } from '../db/pool.ts';

export type WebhookTarget = { url: string; events: string[] };
export type TenantWebhookRow = { tenant: string; url: string | null; events: string[]; secret: string; updated_at: Date };
export type DeliveryRow = {
  id: string;
  job_id: string;
  tenant: string;
  seq: number;
  event: string;
  url: string;
  message_id: string;
  payload: Record<string, unknown>;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  finished_at: Date | null;
};
export type AttemptRow = { delivery_id: string; n: number; at: Date; status_code: number | null; error: string | null; duration_ms: number };

/** A Standard Webhooks secret: whsec_ and 24 random bytes in base64. */
export const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

/** The tenant's settings, created (with a new secret and no default URL) on first use. */
export async function tenantWebhook(db: Queryable, tenant: string): Promise<TenantWebhookRow> {
  const read = () => db.query<TenantWebhookRow>({ name: 'voxgraph_tenant_webhook', text: 'SELECT * FROM voxgraph.tenant_webhook WHERE tenant = $1', values: [tenant] });
  const { rows } = await read();
  if (rows[0]) return rows[0]; // every delivery reads it: a write only the first time
  await db.query('INSERT INTO voxgraph.tenant_webhook (tenant, secret) VALUES ($1, $2) ON CONFLICT (tenant) DO NOTHING', [tenant, newSecret()]);
  return (await read()).rows[0]!;
}

export async function setTenantDefault(db: Queryable, tenant: string, target: WebhookTarget | null): Promise<TenantWebhookRow> {
  await tenantWebhook(db, tenant);
  const { rows } = await db.query<TenantWebhookRow>(
    'UPDATE voxgraph.tenant_webhook SET url = $2, events = $3, updated_at = now() WHERE tenant = $1 RETURNING *',
    [tenant, target?.url ?? null, target?.events ?? []],
  );
  return rows[0]!;
}

export async function rotateSecret(db: Queryable, tenant: string): Promise<TenantWebhookRow> {
  await tenantWebhook(db, tenant);
  const { rows } = await db.query<TenantWebhookRow>('UPDATE voxgraph.tenant_webhook SET secret = $2, updated_at = now() WHERE tenant = $1 RETURNING *', [tenant, newSecret()]);
  return rows[0]!;
}

export async function setJobWebhook(db: Queryable, jobId: string, target: WebhookTarget): Promise<void> {
  await db.query({ name: 'voxgraph_set_job_webhook', text: 'UPDATE voxgraph.job SET webhook = $2 WHERE id = $1', values: [jobId, JSON.stringify(target)] });
}

/** Up to `limit` deliveries nobody has handed to the queue yet, locked (another API process skips them). */
export async function takeUndispatched(db: Queryable, limit: number): Promise<Array<{ id: string }>> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE voxgraph.webhook_delivery SET dispatched = true WHERE id IN (
       SELECT id FROM voxgraph.webhook_delivery WHERE NOT dispatched ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED)
     RETURNING id`,
    [limit],
  );
  return rows;
}

export async function getDelivery(db: Queryable, id: string): Promise<DeliveryRow | null> {
  const { rows } = await db.query<DeliveryRow>('SELECT * FROM voxgraph.webhook_delivery WHERE id = $1', [id]);
  return rows[0] ?? null;
}

/** One attempt's outcome, and the delivery's new status. */
export async function recordAttempt(db: Queryable, id: string, a: { statusCode: number | null; error: string | null; durationMs: number }, status: DeliveryRow['status']) {
  await db.query(
    `WITH d AS (
       UPDATE voxgraph.webhook_delivery SET attempts = attempts + 1, last_status_code = $2, last_error = $3, status = $5,
         finished_at = CASE WHEN $5 = 'pending' THEN NULL ELSE now() END
       WHERE id = $1 RETURNING id, attempts)
     INSERT INTO voxgraph.webhook_attempt (delivery_id, n, status_code, error, duration_ms) SELECT id, attempts, $2, $3, $4 FROM d`,
    [id, a.statusCode, a.error, Math.round(a.durationMs), status],
  );
}

export async function deliveriesOf(db: Queryable, jobIds: readonly string[]): Promise<DeliveryRow[]> {
  const { rows } = await db.query<DeliveryRow>('SELECT * FROM voxgraph.webhook_delivery WHERE job_id = ANY($1::uuid[]) ORDER BY job_id, seq, created_at', [jobIds]);
  return rows;
}

export async function attemptsOf(db: Queryable, deliveryIds: readonly string[]): Promise<AttemptRow[]> {
  const { rows } = await db.query<AttemptRow>('SELECT * FROM voxgraph.webhook_attempt WHERE delivery_id = ANY($1::uuid[]) ORDER BY delivery_id, n', [deliveryIds]);
  return rows;
}

/**
 * New deliveries of the job's events after `afterVersion` that were delivered before (or tried),
 * one per event (its latest), with the same message id: a receiver that keeps ids sees a repeat.
 */
export async function redeliver(db: Queryable, jobId: string, afterVersion: number): Promise<DeliveryRow[]> {
  const { rows } = await db.query<DeliveryRow>(
    `INSERT INTO voxgraph.webhook_delivery (job_id, tenant, seq, event, url, message_id, payload)
     SELECT DISTINCT ON (seq) job_id, tenant, seq, event, url, message_id, payload FROM voxgraph.webhook_delivery
     WHERE job_id = $1 AND seq > $2 ORDER BY seq, created_at DESC
     RETURNING *`,
    [jobId, afterVersion],
  );
  if (rows.length) await db.query(`SELECT pg_notify('voxgraph_webhooks', '')`);
  return rows;
}

/**
 * Maintenance: a delivery still `pending` whose queue job has ended without recording its last
 * attempt (the API process died during it, or could not write the outcome) is FAILED, so that it
 * does not show PENDING for ever. redeliverWebhooks sends it again.
 */
export async function failOrphanedDeliveries(db: Queryable): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE voxgraph.webhook_delivery d
     SET status = 'failed', finished_at = now(), last_error = coalesce(d.last_error || '; ', '') || 'its last attempt ended without an answer recorded'
     WHERE d.status = 'pending' AND d.dispatched AND d.created_at < now() - interval '1 minute'
       AND NOT EXISTS (SELECT 1 FROM pgboss.job b WHERE b.name = 'webhook' AND b.data->>'deliveryId' = d.id::text AND b.state < 'completed')`,
  );
  return rowCount ?? 0;
}
