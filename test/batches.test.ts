// Batches: submitBatch creates many jobs of any kinds (their files in one multipart request) in one
// transaction — all or none, nothing stored when refused; batchUpdated gives the batch's state
// after every event of its jobs, numbered without a gap, resumable, ending when every job has
// finished; the batch query agrees with it; cancelBatch ends what is left; a batch's key makes a
// retry safe. Real worker, real PostgreSQL, real multipart requests.
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { speech } from './support/audio.ts';
import { gql, gqlUpload, gqlUploadMany, subscribeWs } from './support/client.ts';
import { random } from './support/random.ts';
import { KEY_A, KEY_B, startTestServer, waitReady, type TestServer } from './support/server.ts';

let s: TestServer;
let db: pg.Client;
before(async () => {
  s = await startTestServer({ WORKERS: '1', MAX_BATCH_SIZE: '8' });
  await waitReady(s.url);
  db = new pg.Client({ connectionString: s.databaseUrl });
  await db.connect();
});
after(async () => {
  await db.end();
  await s.close();
});

const BATCH_FIELDS = `id size version progress createdAt finishedAt
  counts { queued running retrying succeeded failed cancelled }
  changedJob { id status version }`;
const SUBMIT = `mutation($input: SubmitBatchInput!) { submitBatch(input: $input) { ${BATCH_FIELDS} jobs(first: 20) { nodes { id kind status } } } }`;
const WATCH = `subscription($id: ID!, $after: Int) { batchUpdated(id: $id, afterVersion: $after) { ${BATCH_FIELDS} } }`;

const count = async (sql: string, values: unknown[] = []) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, values)).rows[0]!.n;
const storedFiles = () => {
  const walk = (dir: string): number => readdirSync(dir).reduce((n, name) => (statSync(join(dir, name)).isDirectory() ? n + walk(join(dir, name)) : n + 1), 0);
  try {
    return walk(join(s.dataDir, 'objects'));
  } catch {
    return 0;
  }
};
const snapshot = async () => ({
  jobs: await count(`voxgraph.job WHERE tenant = 'tenant-a'`),
  audio: await count(`voxgraph.audio WHERE tenant = 'tenant-a'`),
  batches: await count(`voxgraph.batch`),
  queue: await count(`pgboss.job WHERE name IN ('denoise', 'align', 'synthesize')`),
  files: storedFiles(),
});

const clip = speech('one batch of many jobs');

async function uploadedAudio(): Promise<string> {
  const r = await gqlUpload(s.url, KEY_A, `mutation($f: Upload!) { uploadAudio(file: $f) { id } }`, { f: null }, 'f', clip);
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  return r.data.uploadAudio.id;
}

/** Every item's version is the one before plus one; a job's own versions only grow. */
function assertNoGaps(items: any[], from: number) {
  items.forEach((b, i) => assert.equal(b.version, from + i + 1, `item ${i}: version ${b.version} after ${from + i}`));
  const seen = new Map<string, number>();
  for (const b of items) {
    const j = b.changedJob;
    assert.ok(j, 'every item after the first names the job that changed');
    assert.equal(j.version, (seen.get(j.id) ?? 0) + 1, `job ${j.id} went from version ${seen.get(j.id)} to ${j.version}`);
    seen.set(j.id, j.version);
  }
}

test('a batch of every kind, files in one multipart request: one transaction, followed to the end without a gap, resumable', { timeout: 240_000 }, async () => {
  const audioId = await uploadedAudio();
  const input = {
    idempotencyKey: 'batch-1',
    jobs: [
      { denoise: { file: null } },
      { denoise: { file: null, format: 'FLAC' } },
      { align: { audioId, transcript: 'one batch of many jobs' } },
      { synthesize: { text: 'a batch says hello', emotion: 'HAPPY' } },
    ],
  };
  const before = await snapshot();
  const r = await gqlUploadMany(s.url, KEY_A, SUBMIT, { input }, [['input.jobs.0.denoise.file', clip], ['input.jobs.1.denoise.file', clip]]);
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  const batch = r.data.submitBatch;
  assert.equal(batch.size, 4);
  assert.equal(batch.version, 4, 'the response shows its own four QUEUED events');
  assert.equal(batch.counts.queued + batch.counts.running + batch.counts.succeeded, 4);
  assert.deepEqual(batch.jobs.nodes.map((j: any) => j.kind).sort(), ['align', 'denoise', 'denoise', 'synthesize'].map((k) => k.toUpperCase()));
  const afterSubmit = await snapshot();
  assert.equal(afterSubmit.jobs, before.jobs + 4);
  assert.equal(afterSubmit.audio, before.audio + 2, 'the two files sent with the batch');
  assert.equal(afterSubmit.batches, before.batches + 1);

  const watch = subscribeWs(s.url, KEY_A, WATCH, { id: batch.id, after: 0 });
  const { items, error } = await watch.done;
  assert.equal(error, undefined, JSON.stringify(error));
  const states = items.map((i: any) => i.batchUpdated);
  assertNoGaps(states, 0);
  const last = states.at(-1);
  assert.deepEqual(last.counts, { queued: 0, running: 0, retrying: 0, succeeded: 4, failed: 0, cancelled: 0 });
  assert.equal(last.progress, 1);
  assert.ok(last.finishedAt);
  assert.deepEqual(states.slice(0, 4).map((b: any) => b.changedJob.status), ['QUEUED', 'QUEUED', 'QUEUED', 'QUEUED'], 'the four QUEUED events come first');
  // The batch query agrees with the last item; the feed's count is the event log's.
  const q = (await gql(s.url, KEY_A, `query($id: ID!) { batch(id: $id) { ${BATCH_FIELDS} } }`, { id: batch.id })).data.batch;
  assert.equal(q.version, last.version);
  assert.deepEqual(q.counts, last.counts);
  assert.equal(q.changedJob, null);
  assert.equal(await count(`voxgraph.job_event e JOIN voxgraph.job j ON j.id = e.job_id WHERE j.batch_id = $1`, [batch.id]), last.version);

  // Resuming after any version gives exactly the states after it; a finished batch completes.
  for (const k of [1, 5, last.version - 1]) {
    const resumed = (await subscribeWs(s.url, KEY_A, WATCH, { id: batch.id, after: k }).done).items.map((i: any) => i.batchUpdated);
    assert.deepEqual(resumed, states.slice(k), `resume after ${k}`);
  }
  // Without afterVersion: the current state, then completion.
  const current = (await subscribeWs(s.url, KEY_A, WATCH, { id: batch.id }).done).items.map((i: any) => i.batchUpdated);
  assert.equal(current.length, 1);
  assert.equal(current[0].version, last.version);

  // The same request with the same key: the same batch, nothing created, its files removed.
  const again = await gqlUploadMany(s.url, KEY_A, SUBMIT, { input }, [['input.jobs.0.denoise.file', clip], ['input.jobs.1.denoise.file', clip]]);
  assert.equal(again.errors, undefined, JSON.stringify(again.errors));
  assert.equal(again.data.submitBatch.id, batch.id);
  const afterReplay = await snapshot();
  assert.equal(afterReplay.jobs, afterSubmit.jobs);
  assert.equal(afterReplay.files, storedFiles());
  // The same key with other jobs: a conflict that names the batch.
  const other = await gql(s.url, KEY_A, SUBMIT, { input: { idempotencyKey: 'batch-1', jobs: [{ synthesize: { text: 'something else' } }] } });
  assert.equal(other.errors?.[0]?.extensions?.code, 'IDEMPOTENCY_CONFLICT');
  assert.equal(other.errors?.[0]?.extensions?.batchId, batch.id);

  // Another tenant sees no such batch.
  assert.equal((await gql(s.url, KEY_B, `query($id: ID!) { batch(id: $id) { id } }`, { id: batch.id })).data.batch, null);
  assert.equal((await gql(s.url, KEY_B, `mutation($id: ID!) { cancelBatch(id: $id) { id } }`, { id: batch.id })).errors?.[0]?.extensions?.code, 'NOT_FOUND');
  const watchB = await subscribeWs(s.url, KEY_B, WATCH, { id: batch.id }).done;
  assert.equal((watchB.error as any)?.[0]?.extensions?.code, 'NOT_FOUND');
  // A batch goes whole: not one of its jobs alone (its versions would change meaning).
  const one = batch.jobs.nodes[0].id;
  const del1 = await gql(s.url, KEY_A, `mutation($id: ID!) { deleteJob(id: $id) }`, { id: one });
  assert.equal(del1.errors?.[0]?.extensions?.code, 'JOB_IN_BATCH');
  assert.equal(del1.errors?.[0]?.extensions?.batchId, batch.id);
  assert.equal((await gql(s.url, KEY_B, `mutation($id: ID!) { deleteBatch(id: $id) }`, { id: batch.id })).errors?.[0]?.extensions?.code, 'NOT_FOUND');
  assert.equal((await gql(s.url, KEY_A, `mutation($id: ID!) { deleteBatch(id: $id) }`, { id: batch.id })).data.deleteBatch, batch.id);
  assert.equal((await gql(s.url, KEY_A, `query($id: ID!) { batch(id: $id) { id } }`, { id: batch.id })).data.batch, null);
  assert.equal(await count(`voxgraph.job WHERE id = ANY($1)`, [batch.jobs.nodes.map((j: any) => j.id)]), 0);
});

test('retention takes a batch whole, once its last job is old enough', { timeout: 60_000 }, async () => {
  const r = await gql(s.url, KEY_A, SUBMIT, { input: { jobs: [{ synthesize: { text: 'kept a month', cache: false } }, { synthesize: { text: 'also a month', cache: false } }] } });
  const id = r.data.submitBatch.id;
  const ids = r.data.submitBatch.jobs.nodes.map((j: any) => j.id);
  for (const j of ids) assert.equal((await subscribeWs(s.url, KEY_A, `subscription($id: ID!) { jobUpdated(id: $id) { status } }`, { id: j }).done).items.at(-1).jobUpdated.status, 'SUCCEEDED');
  // One job old enough, the other not: nothing goes.
  await db.query(`UPDATE voxgraph.job SET finished_at = now() - interval '31 days' WHERE id = $1`, [ids[0]]);
  await db.query(`UPDATE voxgraph.batch SET created_at = now() - interval '31 days' WHERE id = $1`, [id]);
  await s.deps.boss.send('retention', {});
  await new Promise((res) => setTimeout(res, 3000));
  assert.equal(await count(`voxgraph.job WHERE batch_id = $1`, [id]), 2, 'a batch is not taken apart');
  await db.query(`UPDATE voxgraph.job SET finished_at = now() - interval '31 days' WHERE batch_id = $1`, [id]);
  await s.deps.boss.send('retention', {});
  const until = Date.now() + 20_000;
  while ((await count(`voxgraph.batch WHERE id = $1`, [id])) && Date.now() < until) await new Promise((res) => setTimeout(res, 250));
  assert.equal(await count(`voxgraph.batch WHERE id = $1`, [id]), 0);
  assert.equal(await count(`voxgraph.job WHERE id = ANY($1)`, [ids]), 0);
});

test("a batch's jobs share one created_at: paging through them still gives each once", async () => {
  const runAt = new Date(Date.now() + 3600_000).toISOString();
  const r = await gql(s.url, KEY_A, `mutation($input: SubmitBatchInput!) { submitBatch(input: $input) { id } }`, { input: { jobs: Array.from({ length: 8 }, (_, i) => ({ synthesize: { text: `page me ${i}`, runAt } })) } });
  const id = r.data.submitBatch.id;
  assert.equal((await gql(s.url, KEY_A, `mutation($id: ID!) { deleteBatch(id: $id) }`, { id })).errors?.[0]?.extensions?.code, 'JOB_NOT_FINISHED');
  const seen: string[] = [];
  let after: string | null = null;
  for (;;) {
    const p: any = (await gql(s.url, KEY_A, `query($id: ID!, $after: String) { batch(id: $id) { jobs(first: 3, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } } }`, { id, after })).data.batch.jobs;
    seen.push(...p.nodes.map((n: any) => n.id));
    assert.ok(p.nodes.length > 0, 'no empty page');
    if (!p.pageInfo.hasNextPage) break;
    after = p.pageInfo.endCursor;
  }
  assert.equal(new Set(seen).size, 8);
  assert.equal(seen.length, 8);
  await gql(s.url, KEY_A, `mutation($id: ID!) { cancelBatch(id: $id) { id } }`, { id });
});

test('cancelBatch ends every job that has not finished; the subscription gives each cancellation and completes', { timeout: 60_000 }, async () => {
  const runAt = new Date(Date.now() + 3600_000).toISOString(); // they wait: nothing runs before the cancel
  const jobs = Array.from({ length: 5 }, (_, i) => ({ synthesize: { text: `waiting number ${i}`, runAt } }));
  const r = await gql(s.url, KEY_A, SUBMIT, { input: { jobs } });
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  const id = r.data.submitBatch.id;
  const watch = subscribeWs(s.url, KEY_A, WATCH, { id, after: 0 });
  const c = await gql(s.url, KEY_A, `mutation($id: ID!) { cancelBatch(id: $id) { ${BATCH_FIELDS} } }`, { id });
  assert.equal(c.errors, undefined, JSON.stringify(c.errors));
  assert.deepEqual(c.data.cancelBatch.counts, { queued: 0, running: 0, retrying: 0, succeeded: 0, failed: 0, cancelled: 5 });
  assert.equal(c.data.cancelBatch.version, 10);
  assert.ok(c.data.cancelBatch.finishedAt);
  const states = (await watch.done).items.map((i: any) => i.batchUpdated);
  assertNoGaps(states, 0);
  assert.equal(states.length, 10);
  assert.equal(await count(`pgboss.job WHERE id = ANY($1) AND state = 'cancelled'`, [r.data.submitBatch.jobs.nodes.map((j: any) => j.id)]), 5);
  // Cancelling again changes nothing.
  const again = await gql(s.url, KEY_A, `mutation($id: ID!) { cancelBatch(id: $id) { version } }`, { id });
  assert.equal(again.data.cancelBatch.version, 10);
});

test('a refused batch creates nothing and keeps no file: the first bad job is named', { timeout: 60_000 }, async () => {
  const audioId = await uploadedAudio();
  const before = await snapshot();
  const cases: Array<[string, unknown[], Array<[string, string | Buffer]>, string, string | null]> = [
    ['blank transcript', [{ denoise: { file: null } }, { align: { audioId, transcript: '  ' } }], [['input.jobs.0.denoise.file', clip]], 'BAD_USER_INPUT', 'jobs.1.align.transcript'],
    ['unknown audio', [{ denoise: { file: null } }, { denoise: { audioId: '00000000-0000-4000-8000-000000000000' } }], [['input.jobs.0.denoise.file', clip]], 'NOT_FOUND', 'jobs.1.denoise.audioId'],
    ['not audio', [{ denoise: { file: null } }, { denoise: { file: null } }], [['input.jobs.0.denoise.file', clip], ['input.jobs.1.denoise.file', Buffer.from('plain text, no audio at all')]], 'UNSUPPORTED_AUDIO', 'jobs.1.denoise.file'],
    ['too many', Array.from({ length: 9 }, () => ({ synthesize: { text: 'hi' } })), [], 'BAD_USER_INPUT', 'jobs'],
    ['none', [], [], 'BAD_USER_INPUT', 'jobs'],
    ['a job with its own key', [{ synthesize: { text: 'hi', idempotencyKey: 'mine' } }], [], 'BAD_USER_INPUT', 'jobs.0.synthesize.idempotencyKey'],
    ['two kinds in one item', [{ synthesize: { text: 'hi' }, denoise: { audioId } }], [], 'BAD_REQUEST', null],
    ['no kind in an item', [{}], [], 'BAD_REQUEST', null],
    ['deadline before runAt', [{ synthesize: { text: 'hi', runAt: new Date(Date.now() + 7200_000).toISOString(), deadline: new Date(Date.now() + 3600_000).toISOString() } }], [], 'BAD_USER_INPUT', 'jobs.0.synthesize.deadline'],
  ];
  for (const [name, jobs, files, code, field] of cases) {
    const r = files.length ? await gqlUploadMany(s.url, KEY_A, SUBMIT, { input: { jobs } }, files) : await gql(s.url, KEY_A, SUBMIT, { input: { jobs } });
    assert.equal(r.errors?.[0]?.extensions?.code, code, `${name}: ${JSON.stringify(r.errors)}`);
    if (field) assert.equal(r.errors?.[0]?.extensions?.field, field, name);
    assert.deepEqual(await snapshot(), before, `${name}: nothing written or stored`);
  }
});

test('generated batches: each is created whole (every job, in one batch) or refused whole with a code', { timeout: 120_000 }, async () => {
  const rnd = random(20261203).next;
  const audioId = await uploadedAudio();
  const makeJob = () => {
    const bad = rnd() < 0.15;
    switch (Math.floor(rnd() * 3)) {
      case 0:
        return { denoise: bad ? { audioId: 'not-an-id' } : { audioId, sampleRate: [8000, 16000, 22050][Math.floor(rnd() * 3)] } };
      case 1:
        return { align: { audioId, transcript: bad ? '\u0000' : 'one batch of many jobs', language: rnd() < 0.1 ? 'xx' : 'en' } };
      default:
        return { synthesize: { text: bad ? '' : 'generated words '.repeat(1 + Math.floor(rnd() * 3)), intensity: rnd() < 0.1 ? 7 : rnd(), priority: Math.floor(rnd() * 300) - 150 } };
    }
  };
  let created = 0;
  let refused = 0;
  for (let i = 0; i < 40; i++) {
    const jobs = Array.from({ length: 1 + Math.floor(rnd() * 10) }, makeJob);
    // What a submission writes (the worker's results come and go meanwhile: not counted).
    const writes = async () => ({ ...(await snapshot()), files: 0, audio: await count(`voxgraph.audio WHERE tenant = 'tenant-a' AND origin = 'upload'`) });
    const before = await writes();
    const r = await gql(s.url, KEY_A, `mutation($input: SubmitBatchInput!) { submitBatch(input: $input) { id size } }`, { input: { jobs } });
    const after = await writes();
    if (r.errors) {
      refused++;
      assert.ok(['BAD_USER_INPUT', 'NOT_FOUND', 'UNSUPPORTED_LANGUAGE'].includes(r.errors[0]!.extensions?.code), JSON.stringify(r.errors));
      assert.deepEqual(after, before, `refused batch ${i} wrote nothing`);
    } else {
      created++;
      assert.equal(r.data.submitBatch.size, jobs.length);
      assert.equal(after.jobs, before.jobs + jobs.length);
      assert.equal(await count(`voxgraph.job WHERE batch_id = $1`, [r.data.submitBatch.id]), jobs.length);
    }
  }
  assert.ok(created > 3 && refused > 3, `created ${created}, refused ${refused}`);
  // Leave nothing running for the next test file's worker.
  const { rows } = await db.query(`SELECT id FROM voxgraph.batch`);
  for (const b of rows) await gql(s.url, KEY_A, `mutation($id: ID!) { cancelBatch(id: $id) { id } }`, { id: b.id });
  const resp = await gql(s.url, KEY_A, `{ batches(first: 100) { nodes { id size } pageInfo { hasNextPage endCursor } } }`);
  assert.equal(resp.errors, undefined, JSON.stringify(resp.errors));
  assert.equal(resp.data.batches.nodes.length, rows.length);
});
