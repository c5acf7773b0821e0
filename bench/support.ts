// What both benchmarks need: a free port, a fresh database when DATABASE_URL is given (the API
// child otherwise starts its embedded PostgreSQL), and the API as a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createDatabase } from '../test/support/database.ts';

export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

export async function freshDatabase(): Promise<{ url: string | undefined; drop: () => Promise<void> }> {
  const admin = process.env.DATABASE_URL;
  if (!admin) return { url: undefined, drop: async () => {} };
  return createDatabase(admin, 'vg_bench');
}

export type ApiChild = { child: ChildProcess; url: string; stop: () => Promise<void> };

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Runs the API as a child process (`node src/main.ts`, so its RSS is its own) and resolves once
 * GET /readyz answers 200. `env` adds to the bench settings below. Its logs pass through until
 * stop() begins (then they are only shutdown noise), or always with BENCH_LOG_LEVEL set.
 */
export async function startApiChild(o: {
  databaseUrl: string | undefined;
  dataDir: string;
  apiKey: string;
  env: Record<string, string>;
  readySeconds?: number;
  /** Sees everything the API writes (its JSON log lines), whether or not it is passed through. */
  onOutput?: (chunk: string) => void;
  /** A given port, e.g. to start the API again where clients reconnect; else a free one. */
  port?: number;
}): Promise<ApiChild> {
  const port = o.port ?? (await freePort());
  const env: Record<string, string | undefined> = {
    ...process.env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: o.dataDir,
    API_KEYS: `${o.apiKey}:bench`,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    ...o.env,
  };
  if (o.databaseUrl) env.DATABASE_URL = o.databaseUrl;
  else {
    delete env.DATABASE_URL;
    env.EMBEDDED_PG_PORT = String(await freePort());
  }
  // The same V8 flag as `npm start` (package.json): a small young generation frees upload buffers sooner.
  // BENCH_API_NODE_FLAGS: more flags for the API's node, e.g. "--cpu-prof --cpu-prof-dir=bench/out/prof".
  const flags = (process.env.BENCH_API_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, ['--max-semi-space-size=2', ...flags, 'src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let forwardLogs = true;
  const out = (c: Buffer) => {
    o.onOutput?.(c.toString());
    if (forwardLogs) process.stderr.write(c);
  };
  child.stdout!.on('data', out);
  child.stderr!.on('data', out);
  const exited = once(child, 'exit');
  const stop = async () => {
    forwardLogs = process.env.BENCH_LOG_LEVEL !== undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM'); // main.ts stops the app (and the embedded PostgreSQL) on SIGTERM
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };

  const url = `http://127.0.0.1:${port}`;
  const readySeconds = o.readySeconds ?? 120;
  const deadline = Date.now() + readySeconds * 1000;
  let last = '';
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the API exited early (code ${child.exitCode})`);
    try {
      const r = await fetch(`${url}/readyz`);
      last = await r.text();
      if (r.status === 200) return { child, url, stop };
    } catch (err) {
      last = String(err);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the API was not ready after ${readySeconds} s: ${last}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
