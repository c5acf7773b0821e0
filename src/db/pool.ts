import pg from 'pg';
import type { Logger } from '../log.ts';

export type Pool = pg.Pool;
export type Queryable = pg.Pool | pg.PoolClient;

export function createPool(databaseUrl: string, log: Logger, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max, application_name: 'voxgraph-api' });
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
