// /healthz: the process is up. /readyz: it can do its job — the database answers, every migration
// in migrations/ is applied, and (when this process runs workers) a worker heartbeat is recent.
import { readdirSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { MIGRATIONS_DIR, MIGRATIONS_TABLE } from '../db/migrate.ts';
import { liveWorkers } from '../jobs/store.ts';
import type { Deps } from '../graphql/context.ts';

const migrationCount = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).length;

export function healthz(res: ServerResponse) {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ status: 'ok' }));
}

export async function readyz(res: ServerResponse, deps: Deps) {
  const checks: Record<string, { ok: boolean; detail?: string }> = {};
  try {
    const { rows } = await deps.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM public.${MIGRATIONS_TABLE}`);
    checks.database = { ok: true };
    checks.migrations = { ok: rows[0]!.n >= migrationCount, detail: `${rows[0]!.n}/${migrationCount} applied` };
    if (deps.config.workers > 0) {
      const workers = await liveWorkers(deps.pool, deps.config.workerReadySeconds);
      checks.workers = { ok: workers.length > 0, detail: `${workers.length} live` };
    }
  } catch (err) {
    checks.database = { ok: false, detail: (err as Error).message };
  }
  checks.events = { ok: deps.events.listening };
  if (deps.stopping) checks.stopping = { ok: false, detail: 'shutting down' };
  const ready = Object.values(checks).every((c) => c.ok);
  res.writeHead(ready ? 200 : 503, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ status: ready ? 'ready' : 'not ready', checks }));
}
