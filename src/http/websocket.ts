// graphql-ws (the graphql-transport-ws protocol) on the same port and path as HTTP, executed
// through Yoga's envelope so both transports share the schema, plugins and context.
import type { Server } from 'node:http';
import { GraphQLError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { ApiKeys } from '../auth/api-keys.ts';
import type { Logger } from '../log.ts';
import { apiError, ErrorCode } from '../errors.ts';
import type { ConnectionCounter } from './connection-limits.ts';
import { checkQueryText, type GraphqlLimits } from './graphql-limits.ts';
import type { createYogaServer } from './yoga.ts';

type Yoga = ReturnType<typeof createYogaServer>;

export type WebSocketLimits = {
  graphql: GraphqlLimits;
  connections: ConnectionCounter;
  maxSubscriptionsPerConnection: number;
  maxMessageBytes: number;
  initTimeoutMs: number;
};

/**
 * Close code for a tenant over MAX_CONNECTIONS_PER_TENANT (4000-4999: the application's own). Not
 * 4429: graphql-ws already means "too many initialisation requests" by that, and a client must be
 * able to tell a second connection_init from a full tenant.
 */
export const TOO_MANY_CONNECTIONS = 4029;

/** The message types a client may send (graphql-ws PROTOCOL.md). */
const CLIENT_MESSAGE_TYPES = new Set(['connection_init', 'subscribe', 'complete', 'ping', 'pong']);

/** A message's `type`, when it is a JSON object with a string one (graphql-ws judges the rest). */
function messageType(text: string): string | undefined {
  try {
    const type = (JSON.parse(text) as { type?: unknown } | null)?.type;
    return typeof type === 'string' ? type : undefined;
  } catch {
    return undefined;
  }
}

export function attachWebSocket(server: Server, yoga: Yoga, keys: ApiKeys, log: Logger, limits: WebSocketLimits, keepAliveMs = 12_000) {
  const wss = new WebSocketServer({ server, path: yoga.graphqlEndpoint, maxPayload: limits.maxMessageBytes });
  // A client that breaks the WebSocket framing (a message over maxPayload, invalid UTF-8, a bad
  // opcode) makes ws emit 'error' with a WS_ERR_* code and close the socket itself (1009, 1007,
  // 1002). graphql-ws 6.x answers every socket 'error' with console.error and a stack trace, so
  // any client could flood our stderr; such errors are the client's and stop here (registered
  // before useServer's listener, so it runs first).
  //
  // And a client that sends a message only a server may send (next, error, connection_ack) makes
  // graphql-ws 6.4.2's server throw "Unexpected message of type … received", which use/ws turns
  // into 4500 Internal Server Error plus a console.error: it is the client's bad request (4400).
  wss.on('connection', (socket) => {
    const on = socket.on.bind(socket) as (event: string | symbol, listener: (...args: any[]) => void) => typeof socket;
    socket.on = ((event: string | symbol, listener: (...args: any[]) => void) => {
      if (event !== 'message') return on(event, listener);
      return on('message', (data: unknown, isBinary: boolean) => {
        const type = messageType(String(data));
        if (type !== undefined && !CLIENT_MESSAGE_TYPES.has(type)) return socket.close(4400, `Unexpected message of type ${type.slice(0, 40)}`);
        listener(data, isBinary);
      });
    }) as typeof socket.on;
    const emit = socket.emit.bind(socket) as (event: string | symbol, ...args: unknown[]) => boolean;
    socket.emit = ((event: string | symbol, ...args: unknown[]) => {
      const code = (args[0] as { code?: unknown } | undefined)?.code;
      if (event === 'error' && typeof code === 'string' && code.startsWith('WS_ERR_')) {
        log.debug({ code }, 'WebSocket protocol error from a client');
        return true;
      }
      return emit(event, ...args);
    }) as typeof socket.emit;
  });
  const tenantOf = new WeakMap<object, string>(); // socket -> the tenant it was counted for
  const disposable = useServer(
    {
      // Without a valid key in connectionParams.authorization: closed with 4403 Forbidden; a
      // tenant at its connection limit: closed with 4029.
      onConnect: (ctx) => {
        const auth = keys.authenticate(ctx.connectionParams?.authorization);
        if (!auth) return false;
        if (!limits.connections.take(auth.tenant)) {
          ctx.extra.socket.close(TOO_MANY_CONNECTIONS, 'Too many connections for this tenant');
          return false;
        }
        tenantOf.set(ctx.extra.socket, auth.tenant);
        return true;
      },
      onClose: (ctx) => {
        const tenant = tenantOf.get(ctx.extra.socket);
        if (tenant !== undefined) {
          tenantOf.delete(ctx.extra.socket);
          limits.connections.release(tenant);
        }
      },
      // A client that opens the socket but never sends connection_init is closed (4408) after this.
      connectionInitWaitTimeout: limits.initTimeoutMs,
      execute: (args: any) => args.rootValue.execute(args),
      subscribe: (args: any) => args.rootValue.subscribe(args),
      onSubscribe: async (ctx, _id, params) => {
        const max = limits.maxSubscriptionsPerConnection;
        if (max > 0 && Object.keys(ctx.subscriptions).length > max) { // this one included
          return [apiError(ErrorCode.QUOTA_EXCEEDED, `at most ${max} subscriptions per connection`, { quota: 'subscriptionsPerConnection', limit: max })];
        }
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
        });
        // A refusal is an error message for this operation, never the socket's end (graphql-ws closes
        // the socket with 4500 when onSubscribe throws, and the limit plugins throw).
        const asErrors = (err: unknown) => [err instanceof GraphQLError ? err : new GraphQLError(String((err as Error)?.message ?? err), { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
        let document;
        try {
          checkQueryText(params.query, true, limits.graphql); // the socket was authenticated at connection_init
          document = parse(params.query);
        } catch (err) {
          return asErrors(err);
        }
        const args = {
          schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        try {
          const errors = validate(args.schema, args.document);
          if (errors.length) return errors;
        } catch (err) {
          return asErrors(err);
        }
        return args;
      },
      onError: (_ctx, _id, _payload, errors) => {
        log.debug({ errors: errors.map((e) => e.message) }, 'graphql-ws operation error');
      },
    },
    wss,
    keepAliveMs,
  );
  return {
    close: async () => {
      for (const client of wss.clients) client.close(1001, 'Going away');
      await disposable.dispose();
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };
}
