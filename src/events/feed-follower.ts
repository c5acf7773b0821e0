// One subscriber's walk along a feed (feed.ts): every event after its position, in feed order,
// without a gap or a repeat. The bus (job-events.ts) only wakes it — each notification of the
// tenant, a reconnect, the periodic check — and the table is the truth: a wake-up reads the next
// page. An event the bus announced that is not below the horizon yet (an older transaction is
// still open) is looked for again shortly, backing off, until it is.
import type { JobEventBus } from './job-events.ts';
import { comparePositions, type FeedEvent, type FeedPage, type FeedPosition } from './feed.ts';

const PAGE = 200;
/** Reads of one follower are this far apart at least while events keep coming (a busy tenant's dashboard). */
const MIN_READ_GAP_MS = 20;
const FIRST_RETRY_MS = 5;
const MAX_RETRY_MS = 500;

export type FeedRead = (after: FeedPosition, limit: number) => Promise<FeedPage>;

export class FeedFollower {
  private last: FeedPosition;
  private readonly pending: FeedEvent[] = [];
  private heardTx = -1n; // the newest transaction the bus told of
  private woken = false;
  private wake: (() => void) | null = null;
  private retryMs = FIRST_RETRY_MS;
  private lastReadAt = 0;
  private closed = false;
  private readonly unlisten: () => void;
  private readonly read: FeedRead;
  private readonly idleMs: number;

  /** `idleMs`: the longest wait without a wake-up before reading anyway (a safety net under the bus's own check). */
  constructor(events: JobEventBus, tenant: string, read: FeedRead, after: FeedPosition, idleMs: number) {
    this.read = read;
    this.last = after;
    this.idleMs = idleMs;
    // Listening before the first read: nothing committed after it goes unheard.
    this.unlisten = events.listenTenant(tenant, (s) => {
      if (s && s.tx > this.heardTx) this.heardTx = s.tx;
      this.woken = true;
      const w = this.wake;
      this.wake = null;
      w?.();
    });
  }

  get position(): FeedPosition {
    return this.last;
  }

  /** The next event after the position, waiting for one if need be; null once closed. */
  async next(): Promise<FeedEvent | null> {
    for (;;) {
      if (this.closed) return null;
      const queued = this.pending.shift();
      if (queued) return queued;
      const gap = this.lastReadAt + MIN_READ_GAP_MS - Date.now();
      if (gap > 0) await this.sleep(gap, false);
      this.woken = false;
      this.lastReadAt = Date.now();
      const page = await this.read(this.last, PAGE);
      for (const e of page.events) {
        if (comparePositions(e.position, this.last) <= 0) continue;
        this.pending.push(e);
        this.last = e.position;
      }
      if (page.events.length < PAGE) {
        // Everything below the horizon has been read (and filtered): start the next read there,
        // not at the last match (a filter that rarely matches would rescan the tenant's events).
        const floor = { tx: page.horizon, n: 0n };
        if (comparePositions(floor, this.last) > 0) this.last = floor;
      }
      if (this.pending.length || page.events.length === PAGE) {
        this.retryMs = FIRST_RETRY_MS;
        continue;
      }
      if (this.woken) continue; // something was announced while we read
      if (this.heardTx >= page.horizon) {
        // Announced but not below the horizon yet: look again soon.
        await this.sleep(this.retryMs, true);
        this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
      } else {
        this.retryMs = FIRST_RETRY_MS;
        await this.sleep(this.idleMs, true);
      }
    }
  }

  close() {
    this.closed = true;
    this.unlisten();
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private sleep(ms: number, wakeable: boolean): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      if (wakeable) this.wake = done;
    });
  }
}
