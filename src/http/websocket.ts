// graphql-ws (the graphql-transport-ws protocol) on the same port and path as HTTP, executed
// through Yoga's envelope so both transports share the schema, plugins and context.
import type { Server } from 'node:http';
import { GraphQLError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { ApiKeys } from '../auth/api-keys.ts';
import type { Logger } from '../log.ts';
import { checkQueryText, type GraphqlLimits } from './graphql-limits.ts';
import type { createYogaServer } from './yoga.ts';

type Yoga = ReturnType<typeof createYogaServer>;

export function attachWebSocket(server: Server, yoga: Yoga, keys: ApiKeys, log: Logger, limits: GraphqlLimits, keepAliveMs = 12_000) {
  const wss = new WebSocketServer({ server, path: yoga.graphqlEndpoint, maxPayload: 1 << 20 });
  const disposable = useServer(
    {
      // Refuse the connection (close 4403 Forbidden) without a valid key in connectionParams.authorization.
      onConnect: (ctx) => Boolean(keys.authenticate(ctx.connectionParams?.authorization)),
      execute: (args: any) => args.rootValue.execute(args),
      subscribe: (args: any) => args.rootValue.subscribe(args),
      onSubscribe: async (ctx, _id, params) => {
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
          checkQueryText(params.query, true, limits); // the socket was authenticated at connection_init
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
