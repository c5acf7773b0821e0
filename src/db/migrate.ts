// Applies migrations/ with node-pg-migrate (SQL files, "-- Up Migration" / "-- Down Migration").
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import type { Logger } from '../log.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));
export const MIGRATIONS_TABLE = 'voxgraph_migrations';

export async function migrate(databaseUrl: string, log: Logger): Promise<void> {
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: MIGRATIONS_TABLE,
    migrationsSchema: 'public',
    checkOrder: true,
    // Concurrent API processes starting together serialise on node-pg-migrate's advisory lock. Its
    // default mode (9.0.0) is 'fail': the second process then exits with "Another migration is
    // already running" (test/many-processes.test.ts starts three at once). Wait instead; the one
    // that waited finds everything applied.
    noLock: false,
    advisoryLockMode: 'wait',
    log: (msg: string) => log.debug({ module: 'migrate' }, msg),
  });
  if (applied.length) log.info({ applied: applied.map((m) => m.name) }, 'migrations applied');
}
