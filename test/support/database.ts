// Each test file gets a fresh database on the test cluster: TEST_ADMIN_DATABASE_URL (set by
// scripts/test.ts: DATABASE_URL when given, else an embedded PostgreSQL). The benchmarks use the
// same helper on DATABASE_URL's cluster.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export type ScratchDatabase = { url: string; drop: () => Promise<void> };

export function adminUrl(): string {
  const url = process.env.TEST_ADMIN_DATABASE_URL;
  if (!url) throw new Error('TEST_ADMIN_DATABASE_URL is not set: run the tests with `npm test`');
  return url;
}

/** CREATE DATABASE <prefix>_<random> on the cluster of `admin`; drop() removes it, connections and all. */
export async function createDatabase(admin: string, prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const query = async (sql: string) => {
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await query(`CREATE DATABASE ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

export const createTestDatabase = () => createDatabase(adminUrl(), 'vg_test');
