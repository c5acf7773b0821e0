// A tenant never sees, subscribes to, cancels, reuses or downloads another tenant's jobs or audio:
// the answer is exactly the one for an id that does not exist.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { speech } from './support/audio.ts';
import { gql, gqlUpload, subscribeWs, WATCH_JOB } from './support/client.ts';
import { KEY_A, KEY_B, startTestServer, type TestServer } from './support/server.ts';

let s: TestServer;
let jobA: { id: string; input: { id: string; url: string } };
before(async () => {
  s = await startTestServer(); // no workers: A's job stays QUEUED
  const res = await gqlUpload(s.url, KEY_A, `mutation($f: Upload!) { denoise(input: { file: $f }) { id input { id url } } }`, { f: null }, 'f', speech('tenant a only'));
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  jobA = res.data.denoise;
});
after(() => s.close());

const JOB = `query($id: ID!) { job(id: $id) { id status } }`;
const AUDIO = `query($id: ID!) { audio(id: $id) { id } }`;

test('the owner sees its job and audio', async () => {
  assert.equal((await gql(s.url, KEY_A, JOB, { id: jobA.id })).data.job.id, jobA.id);
  assert.equal((await gql(s.url, KEY_A, AUDIO, { id: jobA.input.id })).data.audio.id, jobA.input.id);
});

test("another tenant's job and audio read as null, like unknown ids", async () => {
  assert.deepEqual((await gql(s.url, KEY_B, JOB, { id: jobA.id })).data, { job: null });
  assert.deepEqual((await gql(s.url, KEY_B, JOB, { id: randomUUID() })).data, { job: null });
  assert.deepEqual((await gql(s.url, KEY_B, AUDIO, { id: jobA.input.id })).data, { audio: null });
  const list = await gql(s.url, KEY_B, `{ jobs { nodes { id } pageInfo { hasNextPage } } }`);
  assert.deepEqual(list.data.jobs.nodes, []);
});

test("subscribing to another tenant's job fails exactly like an unknown id", async () => {
  const theirs = await subscribeWs(s.url, KEY_B, WATCH_JOB, { id: jobA.id }).done;
  const unknown = await subscribeWs(s.url, KEY_B, WATCH_JOB, { id: randomUUID() }).done;
  assert.deepEqual(theirs.items, []);
  const code = (r: { error?: unknown }) => (r.error as Array<{ extensions: { code: string } }>)[0]!.extensions.code;
  assert.equal(code(theirs), 'NOT_FOUND');
  assert.equal(code(unknown), 'NOT_FOUND');
});

test("cancelling another tenant's job is NOT_FOUND and leaves it alone", async () => {
  const res = await gql(s.url, KEY_B, `mutation($id: ID!) { cancelJob(id: $id) { id } }`, { id: jobA.id });
  assert.equal(res.errors?.[0]?.extensions?.code, 'NOT_FOUND');
  assert.equal((await gql(s.url, KEY_A, JOB, { id: jobA.id })).data.job.status, 'QUEUED');
});

test("another tenant's audio cannot be used as a job input", async () => {
  const res = await gql(s.url, KEY_B, `mutation($a: ID!) { denoise(input: { audioId: $a }) { id } }`, { a: jobA.input.id });
  assert.equal(res.errors?.[0]?.extensions?.code, 'NOT_FOUND');
});

test('a signed URL works only as issued: a changed id, signature or expiry is refused', async () => {
  assert.equal((await fetch(jobA.input.url)).status, 200);
  const u = new URL(jobA.input.url);
  const forgedId = new URL(u);
  forgedId.pathname = `/files/${randomUUID()}`;
  assert.equal((await fetch(forgedId)).status, 403);
  const forgedExp = new URL(u);
  forgedExp.searchParams.set('exp', String(Number(u.searchParams.get('exp')) + 3600));
  assert.equal((await fetch(forgedExp)).status, 403);
  const noSig = new URL(u);
  noSig.searchParams.delete('sig');
  assert.equal((await fetch(noSig)).status, 403);
});
