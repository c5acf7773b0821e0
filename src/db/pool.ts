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
  // Nor a checked-out one's: node-postgres emits 'error' on a client that loses its connection
  // between two queries (a transaction doing other work, maintenance between statements), and
  // pg-pool listens only while the client is idle. The next query on it fails and the client is
  // discarded on release.
  pool.on('connect', (client) => client.on('error', (err) => log.warn({ err, module: 'db' }, 'database connection failed while in use')));
  return pool;
}

const UNKNOWN_OUTCOME = Symbol('commit outcome unknown');

/**
 * Runs fn in a transaction on one client; rolls back on any error. An error that comes from the
 * COMMIT itself without an answer from the server (the connection broke) leaves the outcome
 * unknown: it may have committed. Such errors are marked (see commitOutcomeUnknown), so a caller
 * does not undo what may now be referenced.
 */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    try {
      await client.query('COMMIT');
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (!code || code.startsWith('08')) {
        broken = true;
        (err as Record<symbol, boolean>)[UNKNOWN_OUTCOME] = true;
      }
      throw err;
    }
    return result;
  } catch (err) {
    if (!broken) await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release(broken);
  }
}

export const commitOutcomeUnknown = (err: unknown): boolean => Boolean(err && (err as Record<symbol, boolean>)[UNKNOWN_OUTCOME]);

/**
 * The database went away under the request: a connection refused, reset or closed, or PostgreSQL
 * shutting down or starting up (57P01-03), any SQLSTATE of class 08. Retrying later may work.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { message?: string; code?: string };
  const code = e?.code ?? '';
  return (
    code.startsWith('08') ||
    ['57P01', '57P02', '57P03', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code) ||
    /Connection terminated|connection ended unexpectedly|Client has encountered a connection error/i.test(e?.message ?? '')
  );
}

/** A pool that could not give a connection in time, or a statement over statement_timeout. */
export function isOverloaded(err: unknown): boolean {
  const e = err as { message?: string; code?: string };
  return e?.code === '57014' || /timeout exceeded when trying to connect/i.test(e?.message ?? '');
}
