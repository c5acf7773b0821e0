// Subscriptions over graphql-ws (WebSocket) or graphql-sse (Server-Sent Events), each behind one
// small interface, and `stream()`, which turns a subscription into an async iterator.
//
// graphql-ws 6.4.2's client has a race (test/graphql-ws-client-race.test.ts): an unsubscribe
// called while the server's `complete` for that subscription is being dispatched in the same
// socket read releases the connection's lock twice, and at zero the client closes the shared
// socket and silently completes every other subscription on it. A consumer that stops iterating
// (a UI that unmounts on a final state) therefore never unsubscribes synchronously here: the
// unsubscribe runs in a later macrotask, after every message of that read has been dispatched,
// and not at all if the server's complete got there first (graphql-ws's unsubscribe is a no-op
// once the subscription is done).
import { createClient as createSseClient, type Client as SseClient } from 'graphql-sse';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { ConnectionError, type GraphQLErrorPayload } from './errors.ts';
import { UnauthenticatedError } from './generated/error-codes.ts';
import { toError } from './http.ts';

export type Sink<T> = {
  next: (value: { data?: T | null; errors?: GraphQLErrorPayload[] }) => void;
  error: (err: unknown) => void;
  complete: () => void;
};

export type SubscriptionTransport = {
  readonly kind: 'ws' | 'sse';
  /** Starts a subscription; the function returned stops it. `variables` is read again on every (re)connect. */
  subscribe<T>(query: string, variables: Record<string, unknown>, sink: Sink<T>): () => void;
  dispose(): Promise<void>;
  /** Sockets (ws) or streams (sse) opened and closed so far: what a test of reconnects counts. */
  readonly stats: { opened: number; closed: number };
};

export type TransportOptions = {
  url: string;
  apiKey: () => string | undefined;
  retryAttempts: number;
  webSocketImpl?: unknown;
  fetch: typeof fetch;
};

// The server closes with 4403 for a missing or unknown key: retrying cannot help.
const FORBIDDEN = 4403;

const backoff = async (retries: number) => {
  await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** retries) * (0.5 + Math.random() / 2)));
};

export function wsTransport(opts: TransportOptions): SubscriptionTransport {
  const stats = { opened: 0, closed: 0 };
  const wsUrl = opts.url.replace(/^http/, 'ws');
  const client: WsClient = createWsClient({
    url: wsUrl,
    webSocketImpl: opts.webSocketImpl,
    lazy: true,
    lazyCloseTimeout: 1000,
    keepAlive: 10_000,
    retryAttempts: opts.retryAttempts,
    retryWait: backoff,
    shouldRetry: (e) => !(isCloseEvent(e) && e.code === FORBIDDEN),
    connectionParams: () => {
      const key = opts.apiKey();
      return key ? { authorization: `Bearer ${key}` } : ({} as Record<string, string>);
    },
    on: { opened: () => void stats.opened++, closed: () => void stats.closed++ },
  });
  return {
    kind: 'ws',
    stats,
    subscribe(query, variables, sink) {
      // graphql-ws sends this same payload object again after a reconnect, so a caller that
      // updates `variables` (afterVersion, afterCursor) resumes from where it got to.
      return client.subscribe({ query, variables }, sink as never);
    },
    dispose: async () => {
      await client.dispose();
    },
  };
}

export function sseTransport(opts: TransportOptions): SubscriptionTransport {
  const stats = { opened: 0, closed: 0 };
  const client: SseClient = createSseClient({
    url: opts.url,
    singleConnection: false, // "distinct connections" mode: what Yoga serves
    retryAttempts: opts.retryAttempts,
    retry: backoff,
    fetchFn: opts.fetch,
    headers: () => {
      const key = opts.apiKey();
      return key ? { authorization: `Bearer ${key}` } : ({} as Record<string, string>);
    },
    on: { connected: () => void stats.opened++ },
  });
  return {
    kind: 'sse',
    stats,
    subscribe(query, variables, sink) {
      // graphql-sse serialises this same request again on every retry (see wsTransport).
      return client.subscribe({ query, variables }, {
        next: sink.next as never,
        error: (e) => {
          stats.closed++;
          sink.error(e);
        },
        complete: () => {
          stats.closed++;
          sink.complete();
        },
      });
    },
    dispose: async () => client.dispose(),
  };
}

function isCloseEvent(e: unknown): e is { code: number; reason: string } {
  return typeof e === 'object' && e !== null && 'code' in e && typeof (e as { code: unknown }).code === 'number' && 'reason' in e;
}

/** What a failed subscription throws: the GraphQL error's class, or a ConnectionError. */
export function subscriptionError(err: unknown): Error {
  if (Array.isArray(err) && err.length && typeof err[0]?.message === 'string') return toError(err as GraphQLErrorPayload[]);
  if (isCloseEvent(err)) {
    if (err.code === FORBIDDEN) return new UnauthenticatedError({ message: err.reason || 'Forbidden', extensions: { code: 'UNAUTHENTICATED' } });
    return new ConnectionError(`the subscription's connection closed (${err.code}${err.reason ? `: ${err.reason}` : ''})`, { cause: err });
  }
  if (err instanceof Error) return err.name === 'NetworkError' ? new ConnectionError(err.message, { cause: err }) : err;
  return new ConnectionError(`the subscription failed: ${String(err)}`, { cause: err });
}

/**
 * One subscription as an async iterator of its `data`. It ends when the server completes it (or,
 * after graphql-ws's race, when the client does: callers that need a final state check for it);
 * it throws the subscription's error; `return()` (a `break` out of `for await`) stops it safely.
 */
export function stream<T>(transport: SubscriptionTransport, query: string, variables: Record<string, unknown>): AsyncIterableIterator<T> {
  const queue: T[] = [];
  let ended = false;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  const unsubscribe = transport.subscribe<T>(query, variables, {
    next: (v) => {
      if (ended) return;
      if (v.errors?.length) {
        failure = toError(v.errors);
        ended = true;
        setTimeout(unsubscribe, 0);
      } else if (v.data) queue.push(v.data);
      notify();
    },
    error: (e) => {
      if (!ended) failure = subscriptionError(e);
      ended = true;
      notify();
    },
    complete: () => {
      ended = true;
      notify();
    },
  });
  const stop = () => {
    if (!ended) {
      ended = true;
      // Never synchronously: see the header of this file.
      setTimeout(unsubscribe, 0);
    }
    queue.length = 0;
    notify();
  };
  const it: AsyncIterableIterator<T> = {
    [Symbol.asyncIterator]: () => it,
    async next() {
      for (;;) {
        if (queue.length) return { value: queue.shift()!, done: false };
        if (failure) {
          const f = failure;
          failure = null;
          throw f;
        }
        if (ended) return { value: undefined, done: true };
        await new Promise<void>((r) => (wake = r));
      }
    },
    async return() {
      stop();
      return { value: undefined, done: true };
    },
  };
  return it;
}
