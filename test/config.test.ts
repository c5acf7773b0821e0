// Configuration is parsed once, at the edge: values that would misbehave later are refused at start.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { ConfigError, LOG_LEVELS, loadConfig, parseApiKeys } from '../src/config.ts';
import { WORKER_DIR } from '../src/workers/supervisor.ts';
import { workerEnv } from '../src/workers/worker-env.ts';

test('tenant names must be safe directory names', () => {
  for (const tenant of ['.', '..', '.hidden', '-x', 'a/b', '', 'x'.repeat(64)]) {
    assert.throws(() => parseApiKeys(`key-of-sixteen-chars-0:${tenant}`), ConfigError, tenant);
  }
  assert.deepEqual([...parseApiKeys('key-of-sixteen-chars-0:acme.eu-1,key-of-sixteen-chars-1:b_2')], [
    ['key-of-sixteen-chars-0', 'acme.eu-1'],
    ['key-of-sixteen-chars-1', 'b_2'],
  ]);
});

test('production refuses to start without API keys', () => {
  assert.throws(() => loadConfig({ NODE_ENV: 'production' }), ConfigError);
});

test('the orphan sweep cannot be set to remove files a write may still be finishing', () => {
  assert.throws(() => loadConfig({ STORAGE_ORPHAN_AGE_SECONDS: '300' }), /STORAGE_ORPHAN_AGE_SECONDS must be at least 660/);
  assert.throws(() => loadConfig({ STORAGE_ORPHAN_AGE_SECONDS: '700', JOB_HEARTBEAT_SECONDS: '900' }), /at least 970/);
  assert.equal(loadConfig({ STORAGE_ORPHAN_AGE_SECONDS: '660' }).storageSweep.orphanAgeSeconds, 660);
});

test('every worker setting npm start passes is one its workers accept, with the same meaning', () => {
  // The values the API accepts for what it hands on (src/workers/worker-env.ts), each through both
  // parsers. LOG_LEVEL=fatal and WORKER_CONCURRENCY=auto once left npm start unable to run workers.
  const cases: Array<Record<string, string>> = [
    ...LOG_LEVELS.map((l) => ({ LOG_LEVEL: l })),
    ...['1', '4', 'auto', 'AUTO'].map((c) => ({ WORKER_CONCURRENCY: c })),
    ...['0', '2.5', '20'].map((g) => ({ WORKER_SHUTDOWN_GRACE_SECONDS: g })),
    ...['0.5', '5'].map((h) => ({ WORKER_HANDBACK_SECONDS: h })),
  ];
  const envs = cases.map((c) => workerEnv(loadConfig(c), 'postgres://db/x', {}));
  const script = `import json, sys
from voxgraph_worker import config
out = []
for env in json.load(sys.stdin):
    c = config.load(env)
    out.append([c.log_level, "auto" if c.concurrency_auto else c.concurrency, c.shutdown_grace_seconds, c.handback_seconds])
print(json.dumps(out))`;
  const seen: Array<[string, number | string, number, number]> = JSON.parse(
    execFileSync('/usr/bin/python3', ['-c', script], { cwd: WORKER_DIR, encoding: 'utf8', input: JSON.stringify(envs) }),
  );
  const pyLevel: Record<string, string> = { warn: 'warning', trace: 'debug' };
  cases.forEach((c, i) => {
    const cfg = loadConfig(c);
    assert.deepEqual(
      seen[i],
      [pyLevel[cfg.logLevel] ?? cfg.logLevel, cfg.workerConcurrency, cfg.shutdown.workerGraceSeconds, cfg.shutdown.workerHandbackSeconds],
      JSON.stringify(c),
    );
  });
});
