// Configuration is parsed once, at the edge: values that would misbehave later are refused at start.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig, parseApiKeys } from '../src/config.ts';

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
