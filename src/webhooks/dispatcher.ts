// Moves webhook deliveries from the outbox (voxgraph.webhook_delivery, written with their events)
// to pg-boss's `webhook` queue, and delivers them from it. Every API process runs one; the
// outbox is shared (FOR UPDATE SKIP LOCKED), so each delivery is queued once.
//
// Failure semantics: a non-2xx answer, a timeout or a connection error fails the attempt and
// pg-boss retries it after WEBHOOK_RETRY_DELAY_SECONDS, doubling (at most an hour), up to
// WEBHOOK_MAX_ATTEMPTS; then the delivery is `failed`. An address the policy forbids fails it at
// once (retrying would not help). An API process that dies mid-attempt leaves the pg-boss job
// active until it expires, then it is retried: a receiver may see an event twice (the same
// webhook-id), never not at all while attempts remain. The job itself never waits for any of it.
import pg from 'pg';
import { CHANNELS } from '../../protocol/contract.ts';
import type { PgBoss } from 'pg-boss';
import type { Config } from '../config.ts';
import { inTransaction } from '../db/pool.ts';
import type { Logger } from '../log.ts';
import { asBossDb } from '../queue/boss.ts';
import { send } from './send.ts';
import { getDelivery, recordAttempt, takeUndispatched, tenantWebhook } from './store.ts';
import { signedHeaders } from './send.ts';

export const WEBHOOK_QUEUE = 'webhook';
export const WEBHOOKS_CHANNEL = CHANNELS.webhooks;
const POLL_MS = 5000;

type Deps = { databaseUrl: string; pool: pg.Pool; boss: PgBoss; log: Logger; settings: Config['webhooks'] };

export class WebhookDispatcher {
  private readonly deps: Deps;
  private listener: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(deps: Deps) {
    this.deps = deps;
  }

  async start(): Promise<void> {
    const { boss, settings } = this.deps;
    const opts = {
      retryLimit: settings.maxAttempts - 1,
      retryDelay: settings.retryDelaySeconds,
      retryBackoff: true,
      retryDelayMax: 3600,
      expireInSeconds: Math.ceil(settings.timeoutMs / 1000) + 30,
    };
    if (await boss.getQueue(WEBHOOK_QUEUE)) await boss.updateQueue(WEBHOOK_QUEUE, opts);
    else await boss.createQueue(WEBHOOK_QUEUE, { policy: 'standard', ...opts });
    await boss.work<{ deliveryId: string }>(WEBHOOK_QUEUE, { batchSize: 1, localConcurrency: 8, pollingIntervalSeconds: 1 }, async ([job]) => {
      if (job) await this.deliver(job.data.deliveryId, job.retryCount);
    });
    await this.listen();
    this.timer = setInterval(() => this.kick(), POLL_MS);
    this.timer.unref();
    this.kick();
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.deps.databaseUrl, application_name: 'voxgraph-webhooks', keepAlive: true });
    client.on('notification', () => this.kick());
    client.on('error', (err) => {
      this.deps.log.warn({ err }, 'webhook listener failed; polling until it is back');
      this.listener = null;
      client.end().catch(() => {});
      if (!this.stopped) setTimeout(() => this.listen().catch(() => {}), 1000).unref();
    });
    await client.connect();
    await client.query(`LISTEN ${WEBHOOKS_CHANNEL}`);
    this.listener = client;
    this.kick(); // anything written while we were not listening
  }

  /** Queues every undispatched delivery (one pass at a time; a kick during a pass runs another). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          for (;;) {
            const n = await inTransaction(this.deps.pool, async (client) => {
              const rows = await takeUndispatched(client, 100);
              for (const r of rows) await this.deps.boss.send(WEBHOOK_QUEUE, { deliveryId: r.id }, { db: asBossDb(client) });
              return rows.length;
            });
            if (n < 100) break;
          }
        } while (this.again && !this.stopped);
      } catch (err) {
        this.deps.log.warn({ err }, 'webhook dispatch failed; retrying at the next poll');
      } finally {
        this.running = null;
      }
    })();
  }

  /** One attempt. Throws to have pg-boss retry it. */
  private async deliver(id: string, retryCount: number): Promise<void> {
    const { pool, settings, log } = this.deps;
    const d = await getDelivery(pool, id);
    if (!d || d.status !== 'pending') return; // the job was deleted, or a duplicate of a finished one
    const { secret } = await tenantWebhook(pool, d.tenant);
    const body = JSON.stringify(d.payload);
    const r = await send(d.url, body, signedHeaders(secret, d.message_id, body), { timeoutMs: settings.timeoutMs, allowPrivate: settings.allowPrivateNetworks });
    const last = r.forbidden || retryCount + 1 >= settings.maxAttempts;
    await recordAttempt(pool, id, r, r.delivered ? 'delivered' : last ? 'failed' : 'pending');
    if (!r.delivered) {
      log.info({ delivery: id, job: d.job_id, url: d.url, error: r.error, attempt: retryCount + 1, final: last }, 'webhook attempt failed');
      if (!last) throw new Error(`webhook attempt failed: ${r.error}`);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.deps.boss.offWork(WEBHOOK_QUEUE).catch(() => {});
    await this.running; // a pass in flight holds a pool connection: the pool ends after it
    await this.listener?.end().catch(() => {});
  }
}
