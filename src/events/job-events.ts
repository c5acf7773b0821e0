// Job events reach every API process by LISTEN on PostgreSQL: voxgraph.record_job_event() sends a
// NOTIFY on 'voxgraph_job_events' at the commit of each change, whoever made it (this process,
// another API process, a Python worker). Here one dedicated connection listens and wakes the
// subscriptions waiting on that job. A notification only says "job X moved"; subscribers re-read
// the event log from the database, so a dropped connection loses nothing: on reconnect everyone
// is woken and catches up.
import pg from 'pg';
import type { Logger } from '../log.ts';

export const JOB_EVENTS_CHANNEL = 'voxgraph_job_events';

type Waker = () => void;

export class JobEventBus {
  private client: pg.Client | null = null;
  private readonly waiters = new Map<string, Set<Waker>>();
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
    client.on('notification', (msg) => {
      try {
        const { id } = JSON.parse(msg.payload ?? '{}') as { id?: string };
        if (id) this.wake(id);
      } catch (err) {
        this.log.warn({ err, payload: msg.payload }, 'bad job event notification');
      }
    });
    client.on('error', (err) => {
      this.log.warn({ err }, 'job event listener connection failed; reconnecting');
      this.reconnectLater(client);
    });
    client.on('end', () => this.reconnectLater(client));
    await client.connect();
    await client.query(`LISTEN ${JOB_EVENTS_CHANNEL}`);
    this.client = client;
    this.retryMs = 250;
    // Anything that happened while we were not listening: let every subscriber re-read.
    for (const id of this.waiters.keys()) this.wake(id);
  }

  private reconnectLater(client: pg.Client) {
    if (this.stopped || this.client !== client) return;
    this.client = null;
    client.removeAllListeners('end');
    client.end().catch(() => {});
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, 5000);
    setTimeout(() => {
      if (!this.stopped) this.connect().catch((err) => {
        this.log.warn({ err }, 'job event listener reconnect failed');
        this.client = client; // let reconnectLater run again
        this.reconnectLater(client);
      });
    }, delay);
  }

  /**
   * Registers interest in a job before its state is read (so no change between the read and the
   * wait is missed). `wait()` resolves at the next change after the previous wait (or after
   * registration); `close()` unregisters.
   */
  watch(jobId: string): { wait: () => Promise<void>; close: () => void } {
    let pending = false;
    let resolve: (() => void) | null = null;
    const waker: Waker = () => {
      if (resolve) {
        const r = resolve;
        resolve = null;
        r();
      } else pending = true;
    };
    let set = this.waiters.get(jobId);
    if (!set) this.waiters.set(jobId, (set = new Set()));
    set.add(waker);
    return {
      wait: () => {
        if (pending) {
          pending = false;
          return Promise.resolve();
        }
        return new Promise<void>((r) => (resolve = r));
      },
      close: () => {
        set!.delete(waker);
        if (set!.size === 0) this.waiters.delete(jobId);
      },
    };
  }

  private wake(jobId: string) {
    for (const w of this.waiters.get(jobId) ?? []) w();
  }

  get listening(): boolean {
    return this.client !== null;
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
