// Job priorities are clamped per tenant by config (MAX_PRIORITY, TENANT_MAX_PRIORITY): a tenant asks
// for what it likes, gets at most its maximum, and Job.priority says what it got. (Priorities only
// order a tenant's own line; fair claiming between tenants is in tenant-limits.test.ts.)
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.ts';
import { gql } from './support/client.ts';
import { KEY_A, KEY_B, startTestServer, waitReady, type TestServer } from './support/server.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer({ WORKERS: '0', MAX_PRIORITY: '50', TENANT_MAX_PRIORITY: 'tenant-b:0' });
  await waitReady(s.url);
});
after(() => s.close());

const SYNTH = `mutation($p: Int) { synthesize(input: { text: "in line", priority: $p }) { priority } }`;

test('each tenant gets at most its maximum; lower priorities are kept', async () => {
  const got = async (key: string, p: number) => (await gql(s.url, key, SYNTH, { p })).data.synthesize.priority;
  assert.equal(await got(KEY_A, 100), 50);
  assert.equal(await got(KEY_A, 20), 20);
  assert.equal(await got(KEY_B, 100), 0);
  assert.equal(await got(KEY_B, -20), -20);
  // Outside -100..100 is still a validation error, not a clamp.
  assert.equal((await gql(s.url, KEY_A, SYNTH, { p: 101 })).errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
});

test('malformed settings stop the start with a clear message', () => {
  for (const v of ['tenant-b', 'tenant-b:200', ':5', 'tenant b:1', 'a:1;b:2']) {
    assert.throws(() => loadConfig({ TENANT_MAX_PRIORITY: v }), (e: unknown) => e instanceof ConfigError && /TENANT_MAX_PRIORITY/.test(e.message), v);
  }
  assert.throws(() => loadConfig({ MAX_PRIORITY: '101' }), ConfigError);
  assert.deepEqual([...loadConfig({ TENANT_MAX_PRIORITY: 'free:0, pro:100' }).tenants.maxPriorityOf], [['free', 0], ['pro', 100]]);
});
