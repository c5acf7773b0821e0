// A real voxgraph for a test file: its own database, data directory, API keys and (optionally)
// real Python worker processes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { log } from '../../src/log.ts';
import { createTestDatabase } from './database.ts';

export const KEY_A = 'test-key-tenant-a-0123456789';
export const KEY_B = 'test-key-tenant-b-0123456789';

export type TestServer = App & { dataDir: string; close: () => Promise<void> };

/** `env` overrides the test settings; an override of `undefined` removes a setting (e.g. API_KEYS for development mode). */
export async function startTestServer(env: Record<string, string | undefined> = {}, opts: { databaseUrl?: (direct: string) => string } = {}): Promise<TestServer> {
  const db = await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'voxgraph-test-'));
  const settings: Record<string, string | undefined> = {
    NODE_ENV: 'test',
    PORT: '0',
    DATABASE_URL: opts.databaseUrl ? opts.databaseUrl(db.url) : db.url,
    DATA_DIR: dataDir,
    API_KEYS: `${KEY_A}:tenant-a,${KEY_B}:tenant-b`,
    WORKERS: '0',
    JOB_HEARTBEAT_SECONDS: '10',
    JOB_RETRY_DELAY_SECONDS: '1',
    SUPERVISE_INTERVAL_SECONDS: '1',
    WORKER_SHUTDOWN_GRACE_SECONDS: '5',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    ...env,
  };
  for (const [k, v] of Object.entries(settings)) if (v === undefined) delete settings[k];
  const config = loadConfig(settings);
  log.level = config.logLevel;
  const app = await startApp(config, { baseEnv: { PATH: process.env.PATH, HOME: process.env.HOME, WORKER_POLL_SECONDS: '1' } });
  return {
    ...app,
    dataDir,
    close: async () => {
      await app.stop();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Resolves once /readyz says ready (a worker heartbeat seen when workers run). */
export async function waitReady(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const r = await fetch(`${url}/readyz`);
    last = await r.text();
    if (r.status === 200) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`not ready after ${timeoutMs} ms: ${last}`);
}
