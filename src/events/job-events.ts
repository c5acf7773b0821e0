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
import pg from 'pg';
import type { JobStatus } from '../jobs/kinds.ts';
import type { Logger } from '../log.ts';

export const JOB_EVENTS_CHANNEL = 'voxgraph_job_events';

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
};

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

export type Watch = { next: () => Promise<Delivery>; close: () => void };

export class JobEventBus {
  private client: pg.Client | null = null;
  private readonly watchers = new Map<string, Set<Watcher>>();
  private stopped = false;
  private retryMs = 250;

  private readonly databaseUrl: string;
  private readonly log: Logger;

  constructor(databaseUrl: string, log: Logger) {
    this.databaseUrl = databaseUrl;
    this.log = log;
  }

  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: 'voxgraph-events' });
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
  }

  private onNotification(payload: string | undefined) {
    let event: JobEvent;
    try {
      event = JSON.parse(payload ?? '');
    } catch (err) {
      return this.log.warn({ err, payload }, 'bad job event notification');
    }
    // Anyone with access to the database can NOTIFY this channel: only well-formed events count.
    if (!event || typeof event !== 'object' || typeof event.id !== 'string' || typeof event.seq !== 'number') {
      return this.log.warn({ payload }, 'bad job event notification');
    }
    const set = this.watchers.get(event.id);
    if (set) for (const w of set) w.deliver(event);
  }

  private reconnectLater(client: pg.Client) {
    if (this.stopped || this.client !== client) return;
    this.client = null;
    client.removeAllListeners('end');
    client.end().catch(() => {});
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
      close: () => {
        set!.delete(watcher);
        if (set!.size === 0) this.watchers.delete(jobId);
      },
    };
  }

  get listening(): boolean {
    return this.client !== null;
  }

  /** Subscriptions being served (for logs and tests). */
  get watching(): number {
    let n = 0;
    for (const set of this.watchers.values()) n += set.size;
    return n;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const c = this.client;
    this.client = null;
    if (c) {
      c.removeAllListeners('end');
      await c.end().catch(() => {});
    }
  }
}
