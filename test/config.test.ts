// Configuration is parsed once, at the edge: values that would misbehave later are refused at start.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { ConfigError, LOG_LEVELS, loadConfig, parseApiKeys } from '../src/config.ts';
import { WORKER_DIR } from '../src/workers/supervisor.ts';

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

test('every LOG_LEVEL the API accepts is one its workers accept too (npm start passes it on)', () => {
  // LOG_LEVEL=fatal once left every worker of `npm start` exiting with a configuration error.
  const script = `import json, sys
from voxgraph_worker import config
print(json.dumps([config.load({"DATABASE_URL": "postgres://x/y", "DATA_DIR": "/tmp", "LOG_LEVEL": l}).log_level for l in sys.argv[1:]]))`;
  const levels = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, ...LOG_LEVELS], { cwd: WORKER_DIR, encoding: 'utf8' }));
  assert.equal(levels.length, LOG_LEVELS.length);
});
