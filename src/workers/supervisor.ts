// `npm start` runs WORKERS Python worker processes (gpu-worker/) beside the API and restarts any
// that exits, with backoff. In production the workers usually run on their own machines instead
// (WORKERS=0 here); they need nothing from this process but the database and the storage.
//
// Shutdown (README, "Stopping"): each worker runs in its own process group, so a Ctrl-C or a
// signal to our group reaches only this process, and each worker hears exactly one SIGTERM, from
// here. It then stops claiming, lets running jobs finish for its grace period and hands back the
// rest within the hand-back time; stop() waits that budget plus a margin before SIGKILL. A worker
// also gets SIGTERM from the kernel if this process dies (VOXGRAPH_SUPERVISOR_PID: prctl there).
import { spawn, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../log.ts';

export const WORKER_DIR = fileURLToPath(new URL('../../gpu-worker', import.meta.url));

/** A worker that stayed up this long earns a fresh restart backoff. */
export const STABLE_MS = 60_000;
/** Beyond the worker's own budget, before stop() kills it: process exit, a slow last commit. */
export const STOP_MARGIN_SECONDS = 5;

export type WorkerOptions = {
  python: string;
  count: number;
  env: Record<string, string | undefined>; // the worker's whole environment
  log: Logger;
  /** WORKER_SHUTDOWN_GRACE_SECONDS + WORKER_HANDBACK_SECONDS: what a worker may take to stop. */
  stopBudgetSeconds: number;
};

/**
 * When to restart a worker that exited after `upMs` of uptime, following `failures` quick exits:
 * 1 s, 2 s, 4 s … up to 30 s while it keeps dying young; a fresh 1 s once it had stayed up
 * STABLE_MS. Counted from its uptime, not from its last exit, so a crash loop never resets.
 */
export function restartBackoff(failures: number, upMs: number): { failures: number; delayMs: number } {
  const n = upMs >= STABLE_MS ? 1 : failures + 1;
  return { failures: n, delayMs: Math.min(30_000, 500 * 2 ** Math.min(n, 6)) };
}

type Slot = { child: ChildProcess; startedAt: number; failures: number };

export class WorkerSupervisor {
  private readonly slots = new Map<number, Slot>();
  private stopping = false;
  private readonly opts: WorkerOptions;

  constructor(opts: WorkerOptions) {
    this.opts = opts;
  }

  start() {
    for (let slot = 0; slot < this.opts.count; slot++) this.spawn(slot, 0);
  }

  /** The workers' pids (for tests and logs). */
  get pids(): number[] {
    return [...this.slots.values()].map((s) => s.child.pid!).filter(Boolean);
  }

  private spawn(slot: number, failures: number) {
    const { python, env, log } = this.opts;
    const child = spawn(python, ['-m', 'voxgraph_worker'], {
      cwd: WORKER_DIR,
      env: { ...env, WORKER_ID: `${hostname()}-api${process.pid}-w${slot}`, VOXGRAPH_SUPERVISOR_PID: String(process.pid), PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'inherit', 'inherit'],
      detached: true, // its own process group: signals to ours do not reach it
    });
    const entry: Slot = { child, startedAt: Date.now(), failures };
    this.slots.set(slot, entry);
    log.info({ slot, pid: child.pid }, 'worker started');
    child.on('error', (err) => log.error({ err, slot }, 'worker could not be started'));
    child.on('exit', (code, signal) => {
      if (this.slots.get(slot) === entry) this.slots.delete(slot);
      if (this.stopping) return;
      const { failures: n, delayMs: delay } = restartBackoff(entry.failures, Date.now() - entry.startedAt);
      log.warn({ slot, code, signal, restartInMs: delay }, 'worker exited; restarting');
      setTimeout(() => {
        if (!this.stopping) this.spawn(slot, n);
      }, delay).unref();
    });
  }

  /** One SIGTERM each; SIGKILL for any still running after its stop budget and the margin. */
  async stop(): Promise<void> {
    this.stopping = true;
    const waitMs = (this.opts.stopBudgetSeconds + STOP_MARGIN_SECONDS) * 1000;
    await Promise.all(
      [...this.slots.values()].map(
        ({ child }) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => {
              this.opts.log.error({ pid: child.pid, waitedMs: waitMs }, 'worker did not stop within its budget; killing it');
              child.kill('SIGKILL');
            }, waitMs);
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
