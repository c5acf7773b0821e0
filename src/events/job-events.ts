// Job events reach every API process by LISTEN on PostgreSQL: voxgraph.record_job_event() sends a
// NOTIFY on 'voxgraph_job_events' at the commit of each change, whoever made it (this process,
// another API process, a Python worker). One dedicated connection listens and hands each event to
// the subscriptions watching that job.
//
// A notification carries the event itself (see migrations/…_event-notifications.sql), so applying
// it costs no query, however many subscribers watch the job. Subscribers still never trust the
// channel alone: an event that arrives out of sequence, one too big for a notification
// (`partial`), or a reconnect of the listener (`resync`, sent to everyone) makes them read what
// they missed from the event log. NOTIFY delivers in commit order, and record_job_event locks the
// job's row, so one job's events arrive in sequence unless something was lost.
//
// A connection can also die without saying so (a half-open TCP connection after a network fault
// or a failover): no error, no notification, ever. So every EVENTS_CHECK_SECONDS the listener
// NOTIFYs itself a ping and reconnects when the echo does not come back in time (/readyz says
// not ready meanwhile), and one query compares every watched job's version with what its watchers
// have seen: a job that moved on without a word is re-read by its subscribers.
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import pg from 'pg';
import { CHANNELS } from '../../protocol/contract.ts';
import type { Queryable } from '../db/pool.ts';
import type { JobStatus } from '../jobs/kinds.ts';
import type { Logger } from '../log.ts';
import { jobVersions } from '../jobs/store.ts';

export const JOB_EVENTS_CHANNEL = CHANNELS.jobEvents;

/** One event as its notification carries it (the job row's fields after the change). */
export type JobEvent = {
  id: string;
  tenant: string;
  seq: number;
  status: JobStatus;
  partial?: true; // only id, tenant, seq and status: read the rest from the table
  progress: number;
  attempts: number;
  engine: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
  resultAudioId: string | null;
  result: Record<string, unknown> | null;
  /** The event's place in its tenant's feed (src/events/feed.ts): its transaction's id and sequence number. */
  tx?: string;
  n?: number;
};

/** What a feed listener hears: an event of its tenant, or null when events may have been missed (re-read). */
export type FeedSignal = { jobId: string; tx: bigint } | null;

/** What a watcher receives: the next event, or 'resync' when events may have been missed. */
export type Delivery = JobEvent | 'resync';

// A watcher that does not keep up (a client that stopped reading) holds at most this many events;
// past that they are dropped for one 'resync', and the subscriber reads the log when it catches up.
const MAX_PENDING = 64;

class Watcher {
  private readonly queue: Delivery[] = [];
  private waiting: ((d: Delivery) => void) | null = null;

  deliver(d: Delivery) {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      return w(d);
    }
    if (d === 'resync' || this.queue.length >= MAX_PENDING) {
      this.queue.length = 0;
      this.queue.push('resync');
    } else this.queue.push(d);
  }

  next(): Promise<Delivery> {
    const d = this.queue.shift();
    return d !== undefined ? Promise.resolve(d) : new Promise((r) => (this.waiting = r));
  }
}

/** `seen(version)`: the watcher has this version of the job (the periodic check compares). */
export type Watch = { next: () => Promise<Delivery>; seen: (version: number) => void; close: () => void };

type Ping = { nonce: string; timer: NodeJS.Timeout };

export type JobEventBusOptions = {
  /** How often the listener is pinged and watched jobs are checked against the table. */
  checkEveryMs: number;
  /** Where the check reads the jobs' versions (the API's pool). */
  db: Queryable;
};

export class JobEventBus {
  private client: pg.Client | null = null;
  private readonly watchers = new Map<string, Set<Watcher>>();
  private readonly tenantListeners = new Map<string, Set<(s: FeedSignal) => void>>();
  private readonly versions = new Map<string, number>(); // job -> the highest version its watchers have
  private readonly taps = new Set<(e: JobEvent) => void>(); // every event of every job (metrics)
  private stopped = false;
  private retryMs = 250;
  private ping: Ping | null = null;
  private checker: NodeJS.Timeout | null = null;
  private checking = false;

  private readonly databaseUrl: string;
  private readonly log: Logger;
  private readonly opts: JobEventBusOptions;

  constructor(databaseUrl: string, log: Logger, opts: JobEventBusOptions) {
    this.databaseUrl = databaseUrl;
    this.log = log;
    this.opts = opts;
  }

  async start(): Promise<void> {
    await this.connect();
    this.checker = setInterval(() => void this.check(), this.opts.checkEveryMs);
    this.checker.unref();
  }

  /** One round of the periodic check: ping the listener, re-read jobs that moved on unnoticed. */
  async check(): Promise<void> {
    if (this.checking || this.stopped) return;
    this.checking = true;
    try {
      this.sendPing();
      // Feed readers re-read on every check too: a notification lost on a silent connection costs them one period at most.
      for (const set of this.tenantListeners.values()) for (const fn of set) fn(null);
      const ids = [...this.watchers.keys()];
      for (let i = 0; i < ids.length; i += 1000) {
        for (const { id, seq } of await jobVersions(this.opts.db, ids.slice(i, i + 1000))) {
          if (seq > (this.versions.get(id) ?? -1)) this.resync(id, 'job changed without a notification');
        }
      }
    } catch (err) {
      this.log.warn({ err }, 'job event check failed');
    } finally {
      this.checking = false;
    }
  }

  private sendPing() {
    const client = this.client;
    if (!client || this.ping) return; // reconnecting, or the last ping is still out (its timer decides)
    const nonce = randomUUID();
    const timer = setTimeout(() => {
      if (this.ping?.nonce !== nonce) return;
      this.ping = null;
      this.log.warn('job event listener did not hear its own ping; reconnecting');
      this.reconnectLater(client);
    }, Math.min(5000, this.opts.checkEveryMs));
    timer.unref();
    this.ping = { nonce, timer };
    client.query('SELECT pg_notify($1, $2)', [JOB_EVENTS_CHANNEL, JSON.stringify({ ping: nonce })]).catch(() => {}); // the timer decides
  }

  private resync(jobId: string, why: string) {
    const set = this.watchers.get(jobId);
    if (!set) return;
    this.log.info({ job: jobId, why }, 'subscribers re-read a job');
    for (const w of set) w.deliver('resync');
  }

  private async connect(): Promise<void> {
    // TCP keepalive too: the kernel then notices a dead peer even while nothing is sent.
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: 'voxgraph-events', keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
    client.on('notification', (msg) => this.onNotification(msg.payload));
    client.on('error', (err) => {
      this.log.warn({ err }, 'job event listener connection failed; reconnecting');
      this.reconnectLater(client);
    });
    client.on('end', () => this.reconnectLater(client));
    await client.connect();
    await client.query(`LISTEN ${JOB_EVENTS_CHANNEL}`);
    this.client = client;
    this.retryMs = 250;
    // Anything may have happened while we were not listening: every subscriber re-reads.
    for (const set of this.watchers.values()) for (const w of set) w.deliver('resync');
    for (const set of this.tenantListeners.values()) for (const fn of set) fn(null);
  }

  /** Hears every well-formed event of every job (the metrics); returns its removal. */
  tap(fn: (e: JobEvent) => void): () => void {
    this.taps.add(fn);
    return () => this.taps.delete(fn);
  }

  /** Live subscriptions this process serves: to single jobs and to tenant feeds. */
  get subscriberCounts(): { jobs: number; feeds: number } {
    let jobs = 0;
    let feeds = 0;
    for (const set of this.watchers.values()) jobs += set.size;
    for (const set of this.tenantListeners.values()) feeds += set.size;
    return { jobs, feeds };
  }

  private onNotification(payload: string | undefined) {
    let event: JobEvent;
    try {
      event = JSON.parse(payload ?? '');
    } catch (err) {
      return this.log.warn({ err, payload }, 'bad job event notification');
    }
    const ping = (event as { ping?: unknown } | null)?.ping;
    if (typeof ping === 'string') {
      // Ours came back: the connection works. Other API processes' pings are theirs to count.
      if (this.ping?.nonce === ping) {
        clearTimeout(this.ping.timer);
        this.ping = null;
      }
      return;
    }
    // Anyone with access to the database can NOTIFY this channel: only well-formed events count.
    if (!event || typeof event !== 'object' || typeof event.id !== 'string' || typeof event.seq !== 'number') {
      return this.log.warn({ payload }, 'bad job event notification');
    }
    for (const tap of this.taps) tap(event);
    const listeners = this.tenantListeners.get(event.tenant);
    if (listeners && typeof event.tx === 'string' && /^\d+$/.test(event.tx)) {
      const signal = { jobId: event.id, tx: BigInt(event.tx) };
      for (const fn of listeners) fn(signal);
    }
    const set = this.watchers.get(event.id);
    if (!set) return;
    this.versions.set(event.id, Math.max(event.seq, this.versions.get(event.id) ?? -1));
    for (const w of set) w.deliver(event);
  }

  private reconnectLater(client: pg.Client) {
    if (this.stopped || this.client !== client) return;
    this.client = null;
    if (this.ping) clearTimeout(this.ping.timer);
    this.ping = null;
    client.removeAllListeners('end');
    client.end().catch(() => {});
    // end() waits for the server to answer its Terminate, which a dead connection never does.
    (client as unknown as { connection?: { stream?: Socket } }).connection?.stream?.destroy();
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, 5000);
    setTimeout(() => {
      if (!this.stopped)
        this.connect().catch((err) => {
          this.log.warn({ err }, 'job event listener reconnect failed');
          this.client = client; // let reconnectLater run again
          this.reconnectLater(client);
        });
    }, delay);
  }

  /**
   * Registers interest in a job. Call it before reading the job's state, so that no change between
   * the read and the first next() is missed; close() unregisters.
   */
  watch(jobId: string): Watch {
    const watcher = new Watcher();
    let set = this.watchers.get(jobId);
    if (!set) this.watchers.set(jobId, (set = new Set()));
    set.add(watcher);
    return {
      next: () => watcher.next(),
      seen: (version) => {
        if (this.watchers.get(jobId) === set) this.versions.set(jobId, Math.max(version, this.versions.get(jobId) ?? -1));
      },
      close: () => {
        set!.delete(watcher);
        if (set!.size === 0) {
          this.watchers.delete(jobId);
          this.versions.delete(jobId);
        }
      },
    };
  }

  /**
   * Calls `fn` for every event of the tenant (feed readers wake on it and read the table), and with
   * null after a reconnect of the listener and at every periodic check. Returns the unsubscribe.
   */
  listenTenant(tenant: string, fn: (s: FeedSignal) => void): () => void {
    let set = this.tenantListeners.get(tenant);
    if (!set) this.tenantListeners.set(tenant, (set = new Set()));
    set.add(fn);
    return () => {
      set!.delete(fn);
      if (set!.size === 0 && this.tenantListeners.get(tenant) === set) this.tenantListeners.delete(tenant);
    };
  }

  /** Connected (a ping that goes unanswered in time reconnects, and this is false meanwhile). */
  get listening(): boolean {
    return this.client !== null;
  }

  /** Subscriptions being served (for logs and tests). */
  get watching(): number {
    let n = 0;
    for (const set of this.watchers.values()) n += set.size;
    for (const set of this.tenantListeners.values()) n += set.size;
    return n;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.checker) clearInterval(this.checker);
    if (this.ping) clearTimeout(this.ping.timer);
    const c = this.client;
    this.client = null;
    if (c) {
      c.removeAllListeners('end');
      await c.end().catch(() => {});
    }
  }
}
