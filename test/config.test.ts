// Configuration is parsed once, at the edge: values that would misbehave later are refused at start.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { API_SETTINGS, ConfigError, LOG_LEVELS, loadConfig, parseApiKeys } from '../src/config.ts';
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
  const pyLevel: Record<string, string> = { warn: 'warning', trace: 'debug', silent: 'error' };
  cases.forEach((c, i) => {
    const cfg = loadConfig(c);
    assert.deepEqual(
      seen[i],
      [pyLevel[cfg.logLevel] ?? cfg.logLevel, cfg.workerConcurrency, cfg.shutdown.workerGraceSeconds, cfg.shutdown.workerHandbackSeconds],
      JSON.stringify(c),
    );
  });
});

test('every setting either side reads is documented in the README, and every documented one is read', () => {
  // The worker's: every key its config.load asks the environment for.
  const script = `import json
from voxgraph_worker import config
class Env(dict):
    seen = set()
    def get(self, k, d=None):
        self.seen.add(k)
        return super().get(k, d)
    def __getitem__(self, k):
        self.seen.add(k)
        return super().__getitem__(k)
    def __contains__(self, k):
        self.seen.add(k)
        return super().__contains__(k)
env = Env(DATABASE_URL="postgres://x/y", DATA_DIR="/tmp")
config.load(env)
# and each plug-in's weights folder (config reads every …_MODEL_DIR; each plug-in names its own)
from voxgraph_worker.engines.catalog import plugins
print(json.dumps(sorted(env.seen | {cls.weights_setting for cls in plugins()})))`;
  const worker: string[] = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { cwd: WORKER_DIR, encoding: 'utf8' }));
  const testOnly = new Set(['VOXGRAPH_TEST_ENGINES', 'NODE_ENV', 'WORKER_ID']); // tests' hook; NODE_ENV and WORKER_ID are described in prose
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 5));
  const documented = new Set([...section.matchAll(/^\| (.+?) \|/gm)].flatMap((m) => [...m[1]!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((n) => n[1]!)));
  const read = new Set([...API_SETTINGS, ...worker]);
  assert.deepEqual([...read].filter((k) => !documented.has(k) && !testOnly.has(k)).sort(), [], 'read but not in the README tables');
  assert.deepEqual([...documented].filter((k) => !read.has(k)).sort(), [], 'in the README tables but read by neither side');
});
