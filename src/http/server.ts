// The one HTTP server: /graphql (Yoga: HTTP, SSE, GraphiQL; graphql-ws upgrades on the same
// path), /files/* (signed downloads), /healthz and /readyz, and the web app at / (/assets/*).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { ApiKeys } from '../auth/api-keys.ts';
import type { Deps } from '../graphql/context.ts';
import { serveFile, json } from './files.ts';
import { healthz, readyz } from './health.ts';
import { serveMetrics } from './metrics.ts';
import { isWebAppPath, serveWebApp } from './web-app.ts';
import { attachWebSocket } from './websocket.ts';
import { createYogaServer } from './yoga.ts';

// Plain GraphQL requests (JSON) are small; only multipart carries files.
const MAX_JSON_BODY = 1 << 20;

export function createHttpServer(deps: Deps, keys: ApiKeys, devKey: string | undefined) {
  const yoga = createYogaServer(deps, keys, devKey);
  const { http: limits } = deps.config;
  // Slow clients: the headers must arrive within headersTimeout, the whole request within
  // requestTimeout, and a connection idle (nothing either way) for timeout is closed — a half-sent
  // upload then fails, and ingest removes what it had written. SSE streams stay busy with Yoga's
  // pings every 12 s; WebSockets are ws's (which clears the timeout on upgrade) and ping too.
  // Node checks the header and request deadlines only every connectionsCheckingInterval (30 s by
  // default), so a 20 s headersTimeout would really be up to 50 s; check often enough to keep it.
  const checkEveryMs = Math.max(250, Math.min(5000, Math.floor(limits.headersTimeoutMs / 4)));
  const server = createServer(
    { requestTimeout: limits.requestTimeoutMs, headersTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: checkEveryMs },
    (req, res) => {
    const started = performance.now();
    res.once('close', () => {
      deps.metrics.httpDuration.observe({ method: routeMethod(req.method), route: routeOf(req.url), status_code: String(res.statusCode) }, (performance.now() - started) / 1000);
    });
    handle(req, res).catch((err) => {
      deps.log.error({ err, url: req.url }, 'request failed');
      if (!res.headersSent) json(res, 500, 'INTERNAL_SERVER_ERROR', 'Unexpected error.');
      else res.destroy();
    });
    },
  );
  server.timeout = limits.idleTimeoutMs;
  server.maxConnections = limits.maxConnections;
  const ws = attachWebSocket(server, yoga, keys, deps.log, {
    graphql: deps.config.graphql,
    connections: deps.connections,
    maxSubscriptionsPerConnection: deps.config.tenants.maxSubscriptionsPerConnection,
    maxMessageBytes: limits.wsMaxMessageBytes,
    initTimeoutMs: limits.wsInitTimeoutMs,
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz') return healthz(res);
    if (url.pathname === '/readyz') return readyz(res, deps);
    if (url.pathname === '/metrics') return serveMetrics(req, res, deps);
    if (url.pathname.startsWith('/files/')) return serveFile(req, res, url, deps);
    if (isWebAppPath(url.pathname)) return serveWebApp(req, res, url.pathname, devKey);
    if (url.pathname === '/graphql') {
      const tooBig = bodyTooBig(req, deps.config.maxUploadBytes);
      if (tooBig) {
        res.writeHead(tooBig.status, { 'Content-Type': 'application/graphql-response+json; charset=utf-8', Connection: 'close' });
        res.end(JSON.stringify({ errors: [{ message: tooBig.message, extensions: { code: tooBig.code } }] }));
        return;
      }
      return yoga(req, res);
    }
    json(res, 404, 'NOT_FOUND', 'no such route; GraphQL is at /graphql, the web app at /');
  }

  return { server, close: () => ws.close() };
}

// The route label of http_request_duration_seconds: a fixed set, whatever paths clients send.
function routeOf(rawUrl: string | undefined): string {
  const path = (rawUrl ?? '/').split('?')[0]!;
  if (path === '/graphql' || path === '/healthz' || path === '/readyz' || path === '/metrics') return path;
  if (path.startsWith('/files/')) return '/files';
  if (path.startsWith('/assets/')) return '/assets';
  if (path === '/' || path === '/index.html') return '/';
  return 'other';
}
const routeMethod = (m: string | undefined) => (m && ['GET', 'POST', 'HEAD', 'OPTIONS'].includes(m) ? m : 'other');

function bodyTooBig(req: IncomingMessage, maxUploadBytes: number) {
  if (req.method !== 'POST') return null;
  const multipart = (req.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/form-data');
  const length = req.headers['content-length'];
  // Room for the operations/map fields and multipart framing around the one file.
  const limit = multipart ? maxUploadBytes + (2 << 20) : MAX_JSON_BODY;
  if (length === undefined) {
    if (!multipart && req.headers['transfer-encoding']) return { status: 411, code: 'BAD_REQUEST', message: 'send a Content-Length with JSON requests' };
    return null;
  }
  if (Number(length) > limit) {
    return multipart
      ? { status: 413, code: 'UPLOAD_TOO_LARGE', message: `the upload exceeds the limit of ${maxUploadBytes} bytes` }
      : { status: 413, code: 'BAD_REQUEST', message: `a GraphQL request body may be at most ${MAX_JSON_BODY} bytes` };
  }
  return null;
}
