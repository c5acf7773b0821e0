// `npm test`'s runner: gives both test suites one PostgreSQL cluster — DATABASE_URL when set,
// else an embedded one under .test-data/ — then runs the Python tests and the Node tests.
// Every test file creates its own database on that cluster.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { globSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { freePort } from '../bench/support.ts';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';
import { log } from '../src/log.ts';

log.level = 'warn';
let adminUrl = process.env.DATABASE_URL;
let stop = async () => {};
if (!adminUrl) {
  const dir = resolve('.test-data');
  mkdirSync(dir, { recursive: true });
  const pg = await startEmbeddedPostgres(dir, await freePort(), log); // a free port: CI or a developer may run other clusters
  adminUrl = pg.url.replace(/\/[^/]*$/, '/postgres');
  stop = pg.stop;
}
const env = { ...process.env, TEST_ADMIN_DATABASE_URL: adminUrl, VGW_TEST_PG: adminUrl };
const only = process.argv.slice(2);
const SERIAL = new Set([
  'test/many-processes.test.ts',
  'test/s3-storage.e2e.test.ts',
  'test/sdk/watch-race.test.ts',
  'test/sdk/resume.test.ts',
  'test/web-app.browser.test.ts',
  'test/graphiql-browser.test.ts',
]);

// Asynchronously, never spawnSync: the embedded PostgreSQL writes its log into a pipe this
// process drains, and a blocked event loop fills that pipe until PostgreSQL's checkpointer blocks
// in write() and every DROP DATABASE waits for a checkpoint that never ends (how CI hung for 85
// minutes).
async function run(cmd: string, args: string[]): Promise<number> {
  console.log(`\n$ ${cmd} ${args.join(' ')}`);
  const child = spawn(cmd, args, { stdio: 'inherit', env });
  const [code] = await once(child, 'exit');
  return code ?? 1;
}

// Both suites run even when the first fails, so one run shows every failure.
let status = 0;
try {
  if (!only.length || only.includes('py')) status = (await run('/usr/bin/python3', ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'gpu-worker/tests'])) || status;
  if (!only.length || only.includes('node')) {
    // Two files at a time, except those that start several processes each or measure time in a
    // browser: two of them at once on a 2-core machine starve each other (timeouts, RSS and
    // estimate checks). They run one at a time after the rest.
    const all = globSync('test/**/*.test.ts').sort();
    const alone = all.filter((f) => SERIAL.has(f));
    status = (await run(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=300000', ...all.filter((f) => !SERIAL.has(f))])) || status;
    status = (await run(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=300000', ...alone])) || status;
  }
} finally {
  await stop();
}
process.exit(status);
