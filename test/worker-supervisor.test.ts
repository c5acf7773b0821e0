// `npm start`'s worker supervisor restarts a worker that exits, with a backoff that grows while
// the worker keeps dying young and resets only after it has stayed up STABLE_MS (60 s) — counted
// from its uptime, so a crash loop cannot reset its own backoff and keep every worker down.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { restartBackoff, STABLE_MS, WorkerSupervisor } from '../src/workers/supervisor.ts';

test('the restart delay doubles while a worker keeps dying young, up to 30 s', () => {
  const delays: number[] = [];
  let failures = 0;
  for (let i = 0; i < 8; i++) {
    const next = restartBackoff(failures, 200); // up 0.2 s each time
    delays.push(next.delayMs);
    failures = next.failures;
  }
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
});

test('the backoff resets once a worker stayed up a minute, not a minute after its last exit', () => {
  assert.deepEqual(restartBackoff(5, STABLE_MS), { failures: 1, delayMs: 1000 });
  // Up 59 s after a crash loop: still in it (old behaviour reset here, 60 s after the last exit).
  assert.deepEqual(restartBackoff(5, STABLE_MS - 1000), { failures: 6, delayMs: 30000 });
});

test('a worker that cannot start is restarted with growing delays, and stop() ends it', async () => {
  const lines: Array<{ restartInMs?: number; msg?: string }> = [];
  const log = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l)) });
  // /bin/false stands in for a Python that exits at once (a broken install, a bad setting).
  const sup = new WorkerSupervisor({ python: '/bin/false', count: 1, env: {}, log, stopBudgetSeconds: 1 });
  sup.start();
  const deadline = Date.now() + 10_000;
  while (lines.filter((l) => l.restartInMs).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await sup.stop();
  assert.deepEqual(lines.filter((l) => l.restartInMs).slice(0, 3).map((l) => l.restartInMs), [1000, 2000, 4000]);
});
