// graphql-ws (the graphql-transport-ws protocol) on the same port and path as HTTP, executed
// through Yoga's envelope so both transports share the schema, plugins and context.
import type { Server } from 'node:http';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { ApiKeys } from '../auth/api-keys.ts';
import type { Logger } from '../log.ts';
import type { createYogaServer } from './yoga.ts';

type Yoga = ReturnType<typeof createYogaServer>;

export function attachWebSocket(server: Server, yoga: Yoga, keys: ApiKeys, log: Logger, keepAliveMs = 12_000) {
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
        const args = {
          schema,
          operationName: params.operationName,
          document: parse(params.query),
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        if (errors.length) return errors;
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
