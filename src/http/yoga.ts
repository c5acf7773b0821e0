// Yoga serves GraphQL over HTTP (queries, mutations, SSE subscriptions) and GraphiQL at /graphql.
// Multipart uploads are parsed by graphql-upload-ts instead of Yoga's built-in parser, because
// Yoga holds whole files in memory while graphql-upload-ts streams them.
import { useOperationMetrics } from '../metrics/graphql-plugin.ts';
import { useOperationTracing } from '../tracing/graphql-plugin.ts';
import { tracingEnabled } from '../tracing/sdk.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { GraphQLError } from 'graphql';
import { createYoga, type Plugin } from 'graphql-yoga';
import { processRequest, UploadError, type UploadOptions } from 'graphql-upload-ts';
import type { ApiKeys } from '../auth/api-keys.ts';
import { apiError, ErrorCode } from '../errors.ts';
import { commitOutcomeUnknown, isDatabaseUnavailable, isOverloaded } from '../db/pool.ts';
import { schema } from '../graphql/schema.ts';
import { limitPlugins, parseCaches } from './graphql-limits.ts';
import { createLoaders, type Context, type Deps } from '../graphql/context.ts';

type ServerContext = { req: IncomingMessage; res: ServerResponse };

/** Headers any of which marks a multipart request as non-simple (CSRF prevention). */
export const CSRF_HEADERS = ['graphql-require-preflight', 'x-graphql-yoga-csrf', 'apollo-require-preflight'];

/** A page the user typed, or one of our own pages asked for (Sec-Fetch-Site), or no browser at all. */
const sameSiteOrTyped = (request: Request) => ['none', 'same-origin', null].includes(request.headers.get('sec-fetch-site'));

function useStreamingUploads(options: UploadOptions): Plugin<ServerContext> {
  return {
    onRequestParse({ request, serverContext, setRequestParser }) {
      if (!request.headers.get('content-type')?.toLowerCase().startsWith('multipart/form-data')) return;
      setRequestParser(async () => {
        const { req, res } = serverContext as unknown as ServerContext;
        try {
          return await processRequest(req, res, options);
        } catch (err) {
          // Whatever the parser refuses is the request's fault: graphql-upload-ts's UploadError,
          // its http-errors for malformed fields and maps (a 4xx status), busboy's framing errors
          // (plain Errors: "Malformed part header", "Unexpected end of form"). Only a system error
          // (a spool that cannot be written: it has a syscall) is ours.
          if (!(err as { syscall?: string }).syscall) {
            const status = (err as { status?: unknown }).status;
            const tooLarge = (err as { code?: string }).code === 'FILE_TOO_LARGE' || status === 413;
            const code = tooLarge ? ErrorCode.UPLOAD_TOO_LARGE : err instanceof UploadError ? ErrorCode.BAD_USER_INPUT : ErrorCode.BAD_REQUEST;
            throw new GraphQLError(`invalid multipart request: ${(err as Error).message}`, { extensions: { code, http: { status: tooLarge ? 413 : 400 } } });
          }
          throw err;
        }
      });
    },
  };
}

export function createYogaServer(deps: Deps, keys: ApiKeys, devKey: string | undefined) {
  const { config, log } = deps;
  return createYoga<ServerContext, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    multipart: false,
    // Non-multipart bodies are limited in server.ts before they reach Yoga; multipart is limited by
    // graphql-upload-ts per file (maxFileSize) and per field (maxFieldSize).
    maxRequestBodySize: false,
    landingPage: false,
    // GraphiQL bundled into the page: the default loads it from a CDN, which an offline or
    // air-gapped deployment cannot reach.
    renderGraphiQL,
    graphiql: (request) => ({
      title: 'voxgraph',
      subscriptionsProtocol: 'WS',
      // Development only: GraphiQL opens with the printed development key already filled in — but
      // not in a page another site asked for (a browser says so in Sec-Fetch-Site; and no origin is
      // allowed to read our responses anyway unless CORS_ORIGINS names it).
      headers: devKey && sameSiteOrTyped(request) ? JSON.stringify({ Authorization: `Bearer ${devKey}` }) : undefined,
    }),
    // Same origin only unless CORS_ORIGINS lists others (Yoga's default would reflect any Origin).
    cors: config.http.corsOrigins.length
      ? { origin: config.http.corsOrigins, credentials: false, allowedHeaders: ['authorization', 'content-type', ...CSRF_HEADERS], methods: ['GET', 'POST'] }
      : false,
    logging: {
      debug: (...a: unknown[]) => log.debug({ module: 'yoga' }, a.map(String).join(' ')),
      info: (...a: unknown[]) => log.info({ module: 'yoga' }, a.map(String).join(' ')),
      warn: (...a: unknown[]) => log.warn({ module: 'yoga' }, a.map(String).join(' ')),
      // Yoga reports every client error here; ours are logged where they arise (maskError).
      error: (...a: unknown[]) => log.debug({ module: 'yoga' }, a.map(String).join(' ')),
    },
    maskedErrors: {
      // GraphQL errors (ours, validation, Yoga's HTTP-level ones) reach the client with a code;
      // anything else is a bug: logged in full, shown as INTERNAL_SERVER_ERROR.
      maskError(error) {
        const original = (error as GraphQLError).originalError ?? error;
        const graphqlError = original instanceof GraphQLError ? original : error instanceof GraphQLError && !error.originalError ? error : null;
        if (graphqlError) {
          if (graphqlError.extensions?.code) return graphqlError;
          return new GraphQLError(graphqlError.message, { ...graphqlError, extensions: { ...graphqlError.extensions, code: ErrorCode.BAD_REQUEST } });
        }
        if (isOverloaded(original)) {
          log.warn({ err: original }, 'database pool or statement timeout');
          return apiError(ErrorCode.SERVER_BUSY, 'the server is too busy to answer now; retry shortly', { retryAfterSeconds: 2 });
        }
        if (commitOutcomeUnknown(original) || isDatabaseUnavailable(original)) {
          const outcomeUnknown = commitOutcomeUnknown(original);
          log.warn({ err: original, outcomeUnknown }, 'database unavailable');
          return apiError(
            ErrorCode.DATABASE_UNAVAILABLE,
            outcomeUnknown ? 'the database went away as the change was committed: it may have happened; look before retrying' : 'the database is unavailable; retry shortly',
            { retryAfterSeconds: 2, ...(outcomeUnknown ? { outcomeUnknown: true } : {}) },
          );
        }
        log.error({ err: original }, 'unexpected error in a GraphQL operation');
        return apiError(ErrorCode.INTERNAL_SERVER_ERROR, 'Unexpected error.');
      },
    },
    context: ({ request, connectionParams }: { request?: Request; connectionParams?: Record<string, unknown> }) => ({
      deps,
      auth: keys.authenticate(request?.headers.get('authorization') ?? connectionParams?.authorization),
      loaders: createLoaders(deps.pool, deps.config.workerReadySeconds),
      sse: !connectionParams && Boolean(request?.headers.get('accept')?.includes('text/event-stream')),
    }),
    parserAndValidationCache: parseCaches(config.graphql),
    plugins: [
      ...limitPlugins(config.graphql, (request) => keys.authenticate(request.headers.get('authorization')) !== null),
      useCSRFPrevention({ requestHeaders: CSRF_HEADERS }),
      useStreamingUploads({ maxFileSize: config.maxUploadBytes, maxFiles: config.maxBatchSize, maxFieldSize: 1_000_000 }),
      useOperationMetrics(deps.metrics),
      ...(tracingEnabled() ? [useOperationTracing()] : []),
    ],
  });
}
