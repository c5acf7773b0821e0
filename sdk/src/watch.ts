// Live updates that survive dropped connections. A job's (or batch's) subscription is numbered
// by `version`, and the server replays every event after `afterVersion`, so:
// - each item seen moves `afterVersion` forward in the subscription's variables (graphql-ws and
//   graphql-sse send them again when they reconnect by themselves);
// - an item at or below the last version yielded is a replay and is dropped; one that skips a
//   version (which the server never sends) makes the iterator subscribe again after the last one;
// - a subscription that ends without a final state (a connection the client closed, graphql-ws's
//   race, a server going away) is subscribed again after the last version, unless the job is
//   final already and nothing after that version is left to see.
// The tenant feed does the same with its opaque cursors.
import { ConnectionError } from './errors.ts';
import { BatchUpdatedDocument, JobUpdatedDocument, JobsUpdatedDocument } from './gql/graphql.ts';
import type { BatchUpdatedSubscription, JobFieldsFragment, JobKind, JobStatus, JobsUpdatedSubscription, JobUpdatedSubscription } from './gql/graphql.ts';
import { stream, type SubscriptionTransport } from './subscriptions.ts';

export type Job = JobFieldsFragment;
export type BatchUpdate = BatchUpdatedSubscription['batchUpdated'];
export type FeedItem = JobsUpdatedSubscription['jobsUpdated'];

export const FINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);
export const isFinal = (job: { status: JobStatus }) => FINAL_STATUSES.has(job.status);

export type WatchOptions = {
  /** Start after this version (what an earlier watch yielded last); default: the current state first. */
  afterVersion?: number;
  /** Stop iterating (the iterator then returns). */
  signal?: AbortSignal;
};

export type WatchDeps = {
  transport: () => SubscriptionTransport;
  /** The job's version and status now: whether a subscription that ended early left anything unseen. */
  jobNow: (id: string) => Promise<{ version: number; status: JobStatus } | null>;
  batchNow: (id: string) => Promise<{ version: number; finishedAt: string | null | undefined } | null>;
  /** How many subscriptions in a row may fail to connect before the iterator throws. */
  maxReconnects: number;
};

/** Every state of a job from the first one yielded, each version once and in order, until a final state. */
export function watchJob(deps: WatchDeps, id: string, opts: WatchOptions = {}): AsyncGenerator<Job, void, undefined> {
  return versioned(deps, {
    query: JobUpdatedDocument.toString(),
    id,
    pick: (d: JobUpdatedSubscription) => d.jobUpdated,
    done: isFinal,
    now: async () => {
      const job = await deps.jobNow(id);
      return job && { version: job.version, done: isFinal(job) };
    },
  }, opts);
}

/** A batch's states (the state after each event of any of its jobs), each version once, until all its jobs have finished. */
export function watchBatch(deps: WatchDeps, id: string, opts: WatchOptions = {}): AsyncGenerator<BatchUpdate, void, undefined> {
  return versioned(deps, {
    query: BatchUpdatedDocument.toString(),
    id,
    pick: (d: BatchUpdatedSubscription) => d.batchUpdated,
    done: (b) => Boolean(b.finishedAt),
    now: async () => {
      const batch = await deps.batchNow(id);
      return batch && { version: batch.version, done: Boolean(batch.finishedAt) };
    },
  }, opts);
}

type Versioned<D, T> = {
  query: string;
  id: string;
  pick: (data: D) => T;
  done: (item: T) => boolean;
  now: () => Promise<{ version: number; done: boolean } | null>;
};

async function* versioned<D, T extends { version: number }>(deps: WatchDeps, spec: Versioned<D, T>, opts: WatchOptions): AsyncGenerator<T, void, undefined> {
  let last = opts.afterVersion ?? null;
  let failures = 0;
  for (let round = 0; ; round++) {
    if (opts.signal?.aborted) return;
    const variables: Record<string, unknown> = { id: spec.id, afterVersion: last ?? undefined };
    const items = stream<D>(deps.transport(), spec.query, variables);
    const stopOnAbort = () => void items.return?.();
    opts.signal?.addEventListener('abort', stopOnAbort, { once: true });
    let gap = false;
    let progressed = false;
    try {
      for await (const data of items) {
        const item = spec.pick(data);
        failures = 0;
        if (last !== null && item.version <= last) continue; // a replay after a reconnect
        if (last !== null && item.version !== last + 1) {
          gap = true;
          break;
        }
        last = item.version;
        variables.afterVersion = last;
        progressed = true;
        yield item;
        if (spec.done(item)) return;
      }
    } catch (err) {
      if (!(err instanceof ConnectionError) || ++failures > deps.maxReconnects) throw err;
    } finally {
      opts.signal?.removeEventListener('abort', stopOnAbort);
      await items.return?.();
    }
    if (opts.signal?.aborted) return;
    if (!gap && last !== null) {
      const now = await spec.now();
      if (!now || (now.done && now.version <= last)) return;
    }
    // Subscribed again at once after progress; after a round that brought nothing, wait a little.
    if (!progressed) await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** Math.min(failures, 6))));
  }
}

export type FeedOptions = { kind?: JobKind; status?: JobStatus; afterCursor?: string; signal?: AbortSignal };

/** The tenant feed: every event of the tenant's jobs (filtered by kind and status), resumed after the last cursor on a reconnect. Never ends by itself. */
export async function* feed(deps: WatchDeps, opts: FeedOptions = {}): AsyncGenerator<FeedItem, void, undefined> {
  let last = opts.afterCursor;
  // The last cursors yielded: a reconnect that replays from an older cursor repeats none of them.
  const recent = new Set<string>();
  let failures = 0;
  for (;;) {
    if (opts.signal?.aborted) return;
    const variables: Record<string, unknown> = { kind: opts.kind, status: opts.status, afterCursor: last };
    const items = stream<JobsUpdatedSubscription>(deps.transport(), JobsUpdatedDocument.toString(), variables);
    const stopOnAbort = () => void items.return?.();
    opts.signal?.addEventListener('abort', stopOnAbort, { once: true });
    try {
      for await (const { jobsUpdated: item } of items) {
        failures = 0;
        if (recent.has(item.cursor)) continue;
        recent.add(item.cursor);
        if (recent.size > 1000) recent.delete(recent.values().next().value!);
        last = item.cursor;
        variables.afterCursor = last;
        yield item;
      }
    } catch (err) {
      if (!(err instanceof ConnectionError) || ++failures > deps.maxReconnects) throw err;
    } finally {
      opts.signal?.removeEventListener('abort', stopOnAbort);
      await items.return?.();
    }
    if (opts.signal?.aborted) return;
    await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** failures)));
  }
}
