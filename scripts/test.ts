// `npm test`'s runner: gives both test suites one PostgreSQL cluster — DATABASE_URL when set,
// else an embedded one under .test-data/ — then runs the Python tests and the Node tests.
// Every test file creates its own database on that cluster.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';
import { log } from '../src/log.ts';

log.level = 'warn';
let adminUrl = process.env.DATABASE_URL;
let stop = async () => {};
if (!adminUrl) {
  const dir = resolve('.test-data');
  mkdirSync(dir, { recursive: true });
  const pg = await startEmbeddedPostgres(dir, 54339, log);
  adminUrl = pg.url.replace(/\/[^/]*$/, '/postgres');
  stop = pg.stop;
}
const env = { ...process.env, TEST_ADMIN_DATABASE_URL: adminUrl, VGW_TEST_PG: adminUrl };
const only = process.argv.slice(2);

function run(cmd: string, args: string[]): number {
  console.log(`\n$ ${cmd} ${args.join(' ')}`);
  return spawnSync(cmd, args, { stdio: 'inherit', env }).status ?? 1;
}

// Both suites run even when the first fails, so one run shows every failure.
let status = 0;
try {
  if (!only.length || only.includes('py')) status = run('/usr/bin/python3', ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'gpu-worker/tests']) || status;
  if (!only.length || only.includes('node')) {
    status = run(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=300000', 'test/**/*.test.ts']) || status;
  }
} finally {
  await stop();
}
process.exit(status);
