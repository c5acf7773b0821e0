import pg from 'pg';
import type { Logger } from '../log.ts';

export type Pool = pg.Pool;
export type Queryable = pg.Pool | pg.PoolClient;

export type PoolLimits = { poolSize: number; acquireTimeoutMs: number; statementTimeoutMs: number };

export function createPool(databaseUrl: string, log: Logger, limits: PoolLimits = { poolSize: 10, acquireTimeoutMs: 5000, statementTimeoutMs: 15000 }): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: limits.poolSize,
    application_name: 'voxgraph-api',
    // Nobody waits for ever behind a slow request: a request waits this long for a connection, a
    // statement runs this long (both become SERVER_BUSY for the client, see isOverloaded).
    connectionTimeoutMillis: limits.acquireTimeoutMs,
    statement_timeout: limits.statementTimeoutMs,
    keepAlive: true,
  });
  // An idle client's error (server restart) must not crash the process; the pool replaces it.
  pool.on('error', (err) => log.warn({ err, module: 'db' }, 'idle database connection failed'));
  return pool;
}

/** Runs fn in a transaction on one client; rolls back on any error. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** A pool that could not give a connection in time, or a statement over statement_timeout. */
export function isOverloaded(err: unknown): boolean {
  const e = err as { message?: string; code?: string };
  return e?.code === '57014' || /timeout exceeded when trying to connect/i.test(e?.message ?? '');
}
