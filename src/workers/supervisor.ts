// `npm start` runs WORKERS Python worker processes (gpu-worker/) beside the API and restarts any
// that exits, with backoff. In production the workers usually run on their own machines instead
// (WORKERS=0 here); they need nothing from this process but the database and the storage.
import { spawn, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../log.ts';

export const WORKER_DIR = fileURLToPath(new URL('../../gpu-worker', import.meta.url));

export type WorkerOptions = {
  python: string;
  count: number;
  env: Record<string, string | undefined>; // the worker's whole environment
  log: Logger;
  shutdownGraceMs?: number;
};

export class WorkerSupervisor {
  private readonly children = new Map<number, ChildProcess>();
  private stopping = false;
  private readonly restarts = new Map<number, number>();

  private readonly opts: WorkerOptions;

  constructor(opts: WorkerOptions) {
    this.opts = opts;
  }

  start() {
    for (let slot = 0; slot < this.opts.count; slot++) this.spawn(slot);
  }

  private spawn(slot: number) {
    const { python, env, log } = this.opts;
    const child = spawn(python, ['-m', 'voxgraph_worker'], {
      cwd: WORKER_DIR,
      env: { ...env, WORKER_ID: `${hostname()}-api${process.pid}-w${slot}`, PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    this.children.set(slot, child);
    log.info({ slot, pid: child.pid }, 'worker started');
    child.on('error', (err) => log.error({ err, slot }, 'worker could not be started'));
    child.on('exit', (code, signal) => {
      this.children.delete(slot);
      if (this.stopping) return;
      const n = (this.restarts.get(slot) ?? 0) + 1;
      this.restarts.set(slot, n);
      const delay = Math.min(30_000, 500 * 2 ** Math.min(n, 6));
      log.warn({ slot, code, signal, restartInMs: delay }, 'worker exited; restarting');
      setTimeout(() => {
        if (!this.stopping) this.spawn(slot);
      }, delay).unref();
      // A worker that stayed up a while earns a fresh backoff.
      setTimeout(() => this.restarts.set(slot, 0), 60_000).unref();
    });
  }


  /** SIGTERM: workers stop claiming, finish or hand back their jobs, and exit; SIGKILL after the grace. */
  async stop(): Promise<void> {
    this.stopping = true;
    const grace = this.opts.shutdownGraceMs ?? 30_000;
    await Promise.all(
      [...this.children.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), grace);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
  }
}
