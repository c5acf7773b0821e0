// GET /metrics: Prometheus's text format. With METRICS_TOKEN set it asks for
// `Authorization: Bearer <token>` (compared in constant time); without, anyone who reaches the
// port may read it — put it behind the network policy then.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Deps } from '../graphql/context.ts';
import { json } from './files.ts';

export async function serveMetrics(req: IncomingMessage, res: ServerResponse, deps: Deps) {
  const token = deps.config.metricsToken;
  if (token) {
    const given = Buffer.from(/^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '');
    const want = Buffer.from(token);
    if (given.length !== want.length || !timingSafeEqual(given, want)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      return json(res, 401, 'UNAUTHENTICATED', 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>');
    }
  }
  const { metrics } = deps;
  const counts = deps.events.subscriberCounts;
  metrics.subscriptions.set({ follows: 'job' }, counts.jobs);
  metrics.subscriptions.set({ follows: 'feed' }, counts.feeds);
  metrics.connections.set(deps.connections.total());
  try {
    await deps.refreshPoolMetrics();
  } catch (err) {
    deps.log.warn({ err }, 'metrics: the pool figures could not be read; serving the last ones');
  }
  const body = await metrics.registry.metrics();
  res.writeHead(200, { 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store' });
  res.end(body);
}
