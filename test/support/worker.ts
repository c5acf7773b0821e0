// A real Python worker process (gpu-worker/), started by a test that wants to control it
// (kill it, start another) rather than leave it to the API's supervisor.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { WORKER_DIR } from '../../src/workers/supervisor.ts';

export type WorkerProcess = { child: ChildProcess; stderr: () => string; exited: Promise<number | null> };

/** `entryPoint`: through bin/voxgraph-worker (what a worker-only host runs) instead of python -m. */
export async function startWorker(databaseUrl: string, dataDir: string, env: Record<string, string> = {}, opts: { entryPoint?: boolean } = {}): Promise<WorkerProcess> {
  const [cmd, args] = opts.entryPoint ? [join(WORKER_DIR, '..', 'bin', 'voxgraph-worker'), []] : ['/usr/bin/python3', ['-m', 'voxgraph_worker']];
  const child = spawn(cmd, args, {
    cwd: WORKER_DIR,
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      WORKER_POLL_SECONDS: '1',
      PYTHONUNBUFFERED: '1',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker not ready after 60 s:\n${log}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('worker ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${code}) before it was ready:\n${log}`));
    });
  });
  return { child, stderr: () => log, exited };
}
