// What both benchmarks need: a free port, and a fresh database when DATABASE_URL is given (the
// API child otherwise starts its embedded PostgreSQL).
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createDatabase } from '../test/support/database.ts';

export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

export async function freshDatabase(): Promise<{ url: string | undefined; drop: () => Promise<void> }> {
  const admin = process.env.DATABASE_URL;
  if (!admin) return { url: undefined, drop: async () => {} };
  return createDatabase(admin, 'vg_bench');
}
