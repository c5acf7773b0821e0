// Idempotency keys: a job mutation retried with the same idempotencyKey returns the job the first
// request created and creates nothing more (no job, no queue message, no stored file), also when
// 16 copies race; the same key with another input is IDEMPOTENCY_CONFLICT; keys are per tenant and
// hold for 24 hours. No worker runs here: the jobs stay QUEUED, which is all these rules need.
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { speech } from './support/audio.ts';
import { gql, gqlUpload } from './support/client.ts';
import { random } from './support/random.ts';
import { KEY_A, KEY_B, startTestServer, waitReady, type TestServer } from './support/server.ts';

let s: TestServer;
let db: pg.Client;
before(async () => {
  s = await startTestServer({ WORKERS: '0' });
  await waitReady(s.url);
  db = new pg.Client({ connectionString: s.databaseUrl });
  await db.connect();
});
after(async () => {
  await db.end();
  await s.close();
});

const SYNTH = `mutation($text: String!, $key: String, $emotion: Emotion) {
  synthesize(input: { text: $text, idempotencyKey: $key, emotion: $emotion }) { id status } }`;
const DENOISE_FILE = `mutation($f: Upload!, $key: String) { denoise(input: { file: $f, idempotencyKey: $key }) { id } }`;

const count = async (sql: string, values: unknown[] = []) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, values)).rows[0]!.n;
const jobsOf = (tenant: string) => count(`voxgraph.job WHERE tenant = $1`, [tenant]);
const storedFiles = () => {
  const walk = (dir: string): number =>
    readdirSync(dir).reduce((n, name) => (statSync(join(dir, name)).isDirectory() ? n + walk(join(dir, name)) : n + 1), 0);
  try {
    return walk(join(s.dataDir, 'objects'));
  } catch {
    return 0;
  }
};

test('the same key and input twice: the same job, created once', async () => {
  const before = await jobsOf('tenant-a');
  const first = await gql(s.url, KEY_A, SYNTH, { text: 'say it once', key: 'order-1' });
  const again = await gql(s.url, KEY_A, SYNTH, { text: 'say it once', key: 'order-1' });
  assert.equal(first.errors, undefined);
  assert.equal(again.errors, undefined);
  assert.equal(again.data.synthesize.id, first.data.synthesize.id);
  assert.equal(await jobsOf('tenant-a'), before + 1);
  assert.equal(await count(`pgboss.job WHERE id = $1`, [first.data.synthesize.id]), 1);
  // Without a key every request is a new job.
  const a = await gql(s.url, KEY_A, SYNTH, { text: 'say it once' });
  const b = await gql(s.url, KEY_A, SYNTH, { text: 'say it once' });
  assert.notEqual(a.data.synthesize.id, b.data.synthesize.id);
});

test('16 racing uploads with one key: one job, one stored file, every response names it', { timeout: 60_000 }, async () => {
  const clip = speech('the same file sixteen times');
  const filesBefore = storedFiles();
  const audiosBefore = await count(`voxgraph.audio WHERE tenant = 'tenant-a'`);
  const responses = await Promise.all(Array.from({ length: 16 }, () => gqlUpload(s.url, KEY_A, DENOISE_FILE, { f: null, key: 'upload-race' }, 'f', clip)));
  for (const r of responses) assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  const ids = new Set(responses.map((r) => r.data.denoise.id));
  assert.equal(ids.size, 1);
  assert.equal(await count(`voxgraph.job WHERE id = $1`, [[...ids][0]]), 1);
  assert.equal(await count(`voxgraph.audio WHERE tenant = 'tenant-a'`), audiosBefore + 1);
  assert.equal(storedFiles(), filesBefore + 1, 'the replays removed the files they stored');
});

test('the same key with another input is IDEMPOTENCY_CONFLICT, and nothing is written', async () => {
  const first = await gql(s.url, KEY_A, SYNTH, { text: 'first words', key: 'order-2' });
  const jobs = await jobsOf('tenant-a');
  for (const variables of [
    { text: 'other words', key: 'order-2' },
    { text: 'first words', key: 'order-2', emotion: 'HAPPY' }, // a parameter the first left at its default
  ]) {
    const r = await gql(s.url, KEY_A, SYNTH, variables);
    assert.equal(r.errors?.[0]?.extensions?.code, 'IDEMPOTENCY_CONFLICT');
    assert.equal(r.errors?.[0]?.extensions?.field, 'idempotencyKey');
    assert.equal(r.errors?.[0]?.extensions?.jobId, first.data.synthesize.id);
  }
  // A file under a key first used without one: a conflict too, and its upload is not kept.
  const files = storedFiles();
  const up = await gqlUpload(s.url, KEY_A, DENOISE_FILE, { f: null, key: 'order-2' }, 'f', speech('not the same request'));
  assert.equal(up.errors?.[0]?.extensions?.code, 'IDEMPOTENCY_CONFLICT');
  assert.equal(storedFiles(), files);
  assert.equal(await jobsOf('tenant-a'), jobs);
});

test('keys are per tenant: another tenant with the same key gets its own job', async () => {
  const a = await gql(s.url, KEY_A, SYNTH, { text: 'mine', key: 'shared-key' });
  const b = await gql(s.url, KEY_B, SYNTH, { text: 'yours', key: 'shared-key' });
  assert.equal(b.errors, undefined, 'no conflict across tenants');
  assert.notEqual(a.data.synthesize.id, b.data.synthesize.id);
  const bAgain = await gql(s.url, KEY_B, `query($id: ID!) { job(id: $id) { id } }`, { id: a.data.synthesize.id });
  assert.equal(bAgain.data.job, null);
});

test('a key older than 24 hours is free again', async () => {
  const first = await gql(s.url, KEY_A, SYNTH, { text: 'yesterday', key: 'order-3' });
  await db.query(`UPDATE voxgraph.idempotency_key SET created_at = now() - interval '24 hours 1 minute' WHERE key = 'order-3'`);
  const later = await gql(s.url, KEY_A, SYNTH, { text: 'today, something else', key: 'order-3' });
  assert.equal(later.errors, undefined);
  assert.notEqual(later.data.synthesize.id, first.data.synthesize.id);
  const replay = await gql(s.url, KEY_A, SYNTH, { text: 'today, something else', key: 'order-3' });
  assert.equal(replay.data.synthesize.id, later.data.synthesize.id);
});

test('generated bad keys are BAD_USER_INPUT on idempotencyKey, and nothing is created', async () => {
  const r = random(9);
  const jobs = await jobsOf('tenant-a');
  const alphabet = ['a', ' ', '\t', '\n', '\u0000', 'é', '😀', '\u007f', '\u200b', 'Z'];
  const bad: string[] = ['', 'x'.repeat(201), ' leading', 'trailing ', 'in side'];
  while (bad.length < 60) {
    const len = 1 + r.int(40);
    let k = Array.from({ length: len }, () => (r.next() < 0.7 ? String.fromCharCode(0x21 + r.int(94)) : r.pick(alphabet))).join('');
    if (/^[\x21-\x7e]+$/.test(k)) k += r.pick([' ', 'é', '\u0000']); // make sure it is a bad key
    bad.push(k);
  }
  for (const key of bad) {
    const res = await gql(s.url, KEY_A, SYNTH, { text: 'never queued', key });
    assert.equal(res.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(key));
    assert.equal(res.errors?.[0]?.extensions?.field, 'idempotencyKey', JSON.stringify(key));
  }
  assert.equal(await jobsOf('tenant-a'), jobs);
  // The longest good key, every printable character, is accepted.
  const good = Array.from({ length: 200 }, (_, i) => String.fromCharCode(0x21 + (i % 94))).join('');
  assert.equal((await gql(s.url, KEY_A, SYNTH, { text: 'queued', key: good })).errors, undefined);
});

test('a retry after the runAt it asked for has passed is still the same request', async () => {
  const runAt = new Date(Date.now() + 1500).toISOString();
  const q = `mutation($t: DateTime) { synthesize(input: { text: "scheduled once", idempotencyKey: "scheduled-1", runAt: $t }) { id } }`;
  const first = await gql(s.url, KEY_A, q, { t: runAt });
  await new Promise((r) => setTimeout(r, 2000));
  const again = await gql(s.url, KEY_A, q, { t: runAt });
  assert.equal(again.errors, undefined, JSON.stringify(again.errors));
  assert.equal(again.data.synthesize.id, first.data.synthesize.id);
});
