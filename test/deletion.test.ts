// Deleting jobs and audio, and retention: deleteJob takes a finished job's events, queue rows
// (dead-letter copy included) and result with it; deleteAudio refuses audio a live job will read or
// that is a job's result; signed URLs of deleted audio answer 410 Gone; the storage quota gets the
// bytes back; RETENTION_SECONDS sweeps finished jobs and unused uploads; a delete racing a job that
// names the audio never leaves a job without its input.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { speech } from './support/audio.ts';
import { gql, gqlUpload, subscribeWs, WATCH_JOB } from './support/client.ts';
import { KEY_A, KEY_B, startTestServer, waitReady, type TestServer } from './support/server.ts';

let s: TestServer;
let db: pg.Client;
before(async () => {
  s = await startTestServer({ WORKERS: '1', RETENTION_SWEEP_CRON: '* * * * * *' });
  await waitReady(s.url);
  db = new pg.Client({ connectionString: s.databaseUrl });
  await db.connect();
});
after(async () => {
  await db.end();
  await s.close();
});

const DELETE_JOB = `mutation($id: ID!) { deleteJob(id: $id) }`;
const DELETE_AUDIO = `mutation($id: ID!) { deleteAudio(id: $id) }`;
const JOB = `query($id: ID!) { job(id: $id) { id status input { id url bytes } result { ... on DenoiseResult { audio { id url bytes } } } } }`;
const one = async (sql: string, values: unknown[] = []) => (await db.query(sql, values)).rows[0];
const usage = async (tenant: string) => Number((await one(`SELECT coalesce((SELECT storage_bytes FROM voxgraph.tenant_usage WHERE tenant = $1), 0) AS b`, [tenant])).b);
const fileOf = async (audioId: string) => join(s.dataDir, 'objects', (await one(`SELECT storage_key FROM voxgraph.audio WHERE id = $1`, [audioId])).storage_key);

async function finishedDenoise(text: string) {
  const up = await gqlUpload(s.url, KEY_A, `mutation($f: Upload!) { denoise(input: { file: $f }) { id } }`, { f: null }, 'f', speech(text));
  assert.equal(up.errors, undefined, JSON.stringify(up.errors));
  const id = up.data.denoise.id;
  const final = (await subscribeWs(s.url, KEY_A, WATCH_JOB, { id, after: 0 }).done).items.at(-1).jobUpdated;
  assert.equal(final.status, 'SUCCEEDED');
  return (await gql(s.url, KEY_A, JOB, { id })).data.job;
}

test('deleteJob removes a finished job with its events, queue rows and result; the input stays until deleteAudio', { timeout: 60_000 }, async () => {
  const before = await usage('tenant-a');
  const job = await finishedDenoise('delete me later');
  const input = job.input;
  const result = job.result.audio;
  const resultFile = await fileOf(result.id);
  assert.equal(await usage('tenant-a'), before + input.bytes + result.bytes);

  // A job's result goes with the job, not on its own.
  const inUse = await gql(s.url, KEY_A, DELETE_AUDIO, { id: result.id });
  assert.equal(inUse.errors?.[0]?.extensions?.code, 'AUDIO_IN_USE');
  assert.equal(inUse.errors?.[0]?.extensions?.jobId, job.id);
  // Another tenant cannot delete it, nor learn that it exists.
  assert.equal((await gql(s.url, KEY_B, DELETE_JOB, { id: job.id })).errors?.[0]?.extensions?.code, 'NOT_FOUND');

  const del = await gql(s.url, KEY_A, DELETE_JOB, { id: job.id });
  assert.equal(del.errors, undefined, JSON.stringify(del.errors));
  assert.equal(del.data.deleteJob, job.id);
  assert.equal((await gql(s.url, KEY_A, JOB, { id: job.id })).data.job, null);
  assert.equal((await one(`SELECT count(*)::int AS n FROM voxgraph.job_event WHERE job_id = $1`, [job.id])).n, 0);
  assert.equal((await one(`SELECT count(*)::int AS n FROM pgboss.job WHERE id = $1 OR source_id = $1`, [job.id])).n, 0);
  assert.equal(existsSync(resultFile), false, 'the result file is removed');
  const gone = await fetch(result.url);
  assert.equal(gone.status, 410);
  assert.equal((await gone.json()).error.code, 'GONE');
  assert.equal((await fetch(input.url)).status, 200, 'the input is still there');
  assert.equal(await usage('tenant-a'), before + input.bytes);

  assert.equal((await gql(s.url, KEY_A, DELETE_AUDIO, { id: input.id })).data.deleteAudio, input.id);
  assert.equal((await fetch(input.url)).status, 410);
  assert.equal(await usage('tenant-a'), before);
  // Deleting twice is NOT_FOUND, not an error of the server.
  assert.equal((await gql(s.url, KEY_A, DELETE_JOB, { id: job.id })).errors?.[0]?.extensions?.code, 'NOT_FOUND');
  assert.equal((await gql(s.url, KEY_A, DELETE_AUDIO, { id: input.id })).errors?.[0]?.extensions?.code, 'NOT_FOUND');
});

test('an unfinished job cannot be deleted, nor the audio it will read', async () => {
  const up = await gqlUpload(s.url, KEY_A, `mutation($f: Upload!) { uploadAudio(file: $f) { id } }`, { f: null }, 'f', speech('waiting for later'));
  const audioId = up.data.uploadAudio.id;
  const later = new Date(Date.now() + 3_600_000).toISOString();
  const job = await gql(s.url, KEY_A, `mutation($a: ID!, $t: DateTime) { denoise(input: { audioId: $a, runAt: $t }) { id } }`, { a: audioId, t: later });
  const id = job.data.denoise.id;
  const r = await gql(s.url, KEY_A, DELETE_JOB, { id });
  assert.equal(r.errors?.[0]?.extensions?.code, 'JOB_NOT_FINISHED');
  const a = await gql(s.url, KEY_A, DELETE_AUDIO, { id: audioId });
  assert.equal(a.errors?.[0]?.extensions?.code, 'AUDIO_IN_USE');
  assert.equal(a.errors?.[0]?.extensions?.jobId, id);
  // Cancelled, it is finished: both may go, and a finished job that read the audio shows no input.
  await gql(s.url, KEY_A, `mutation($id: ID!) { cancelJob(id: $id) { id } }`, { id });
  assert.equal((await gql(s.url, KEY_A, DELETE_AUDIO, { id: audioId })).data.deleteAudio, audioId);
  assert.equal((await gql(s.url, KEY_A, JOB, { id })).data.job.input, null);
  assert.equal((await gql(s.url, KEY_A, DELETE_JOB, { id })).data.deleteJob, id);
});

test('a failed job\'s dead-letter copy (its payload) goes with it', async () => {
  const res = await gql(s.url, KEY_A, `mutation { synthesize(input: { text: "a private text", voice: "nosuchvoice" }) { id } }`);
  const id = res.data.synthesize.id;
  assert.equal((await subscribeWs(s.url, KEY_A, WATCH_JOB, { id, after: 0 }).done).items.at(-1).jobUpdated.status, 'FAILED');
  assert.equal((await one(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'dead_letter' AND source_id = $1`, [id])).n, 1);
  await gql(s.url, KEY_A, DELETE_JOB, { id });
  assert.equal((await one(`SELECT count(*)::int AS n FROM pgboss.job WHERE source_id = $1 OR id = $1`, [id])).n, 0);
});

test('16 deletes racing 16 jobs that name the same audio: every job that was created has its input', { timeout: 60_000 }, async () => {
  for (let round = 0; round < 16; round++) {
    const up = await gqlUpload(s.url, KEY_A, `mutation($f: Upload!) { uploadAudio(file: $f) { id } }`, { f: null }, 'f', speech(`race ${round}`));
    const audioId = up.data.uploadAudio.id;
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const [job, del] = await Promise.all([
      gql(s.url, KEY_A, `mutation($a: ID!, $t: DateTime) { denoise(input: { audioId: $a, runAt: $t }) { id } }`, { a: audioId, t: later }),
      gql(s.url, KEY_A, DELETE_AUDIO, { id: audioId }),
    ]);
    if (job.data?.denoise) {
      // The job won: the audio stays, and the delete was refused.
      assert.equal(del.errors?.[0]?.extensions?.code, 'AUDIO_IN_USE', JSON.stringify(del));
      assert.equal((await gql(s.url, KEY_A, JOB, { id: job.data.denoise.id })).data.job.input.id, audioId);
      await gql(s.url, KEY_A, `mutation($id: ID!) { cancelJob(id: $id) { id } }`, { id: job.data.denoise.id });
    } else {
      assert.equal(job.errors?.[0]?.extensions?.code, 'NOT_FOUND', JSON.stringify(job));
      assert.equal(del.data.deleteAudio, audioId);
    }
  }
});

test('retention deletes finished jobs, their results and unused uploads once RETENTION_SECONDS have passed', { timeout: 60_000 }, async () => {
  const old = await finishedDenoise('old news');
  const fresh = await finishedDenoise('fresh news');
  const files = [await fileOf(old.input.id), await fileOf(old.result.audio.id)];
  // 31 days ago (the default retention is 30).
  await db.query(`UPDATE voxgraph.job SET finished_at = now() - interval '31 days' WHERE id = $1`, [old.id]);
  await db.query(`UPDATE voxgraph.audio SET created_at = now() - interval '31 days' WHERE id = $1`, [old.input.id]);
  // The sweep is a pg-boss schedule: its row carries RETENTION_SWEEP_CRON, and its cron pass has
  // sent at least the start-up catch-up job. pg-boss sends at most one job a minute per schedule,
  // so rather than wait for the next occurrence the test sends the job the schedule would send.
  const schedule = await one(`SELECT cron, timezone FROM pgboss.schedule WHERE name = 'retention'`);
  assert.deepEqual(schedule, { cron: '* * * * * *', timezone: 'UTC' });
  const deadline = Date.now() + 20_000;
  while (!(await one(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'retention'`)).n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  assert.ok((await one(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'retention'`)).n > 0, 'the schedule sent its job');
  await s.deps.boss.send('retention', {});
  while ((await gql(s.url, KEY_A, JOB, { id: old.id })).data.job && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  assert.equal((await gql(s.url, KEY_A, JOB, { id: old.id })).data.job, null, 'swept by the retention queue\'s worker');
  // The upload goes in the same pass, once no job refers to it.
  while ((await one(`SELECT count(*)::int AS n FROM voxgraph.audio WHERE id = $1`, [old.input.id])).n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  assert.ok(files.every((f) => !existsSync(f)), 'its files are removed');
  assert.equal((await fetch(old.result.audio.url)).status, 410);
  assert.equal((await gql(s.url, KEY_A, JOB, { id: fresh.id })).data.job.status, 'SUCCEEDED', 'a recent job stays');
});

test('a result another job read as its input goes once neither job is left', { timeout: 60_000 }, async () => {
  const denoised = await finishedDenoise('a pipeline');
  const resultId = denoised.result.audio.id;
  const resultFile = await fileOf(resultId);
  const aligned = await gql(s.url, KEY_A, `mutation($a: ID!) { align(input: { audioId: $a, transcript: "a pipeline" }) { id } }`, { a: resultId });
  const alignId = aligned.data.align.id;
  assert.equal((await subscribeWs(s.url, KEY_A, WATCH_JOB, { id: alignId, after: 0 }).done).items.at(-1).jobUpdated.status, 'SUCCEEDED');
  await gql(s.url, KEY_A, DELETE_JOB, { id: denoised.id });
  assert.ok(existsSync(resultFile), 'still the align job\'s input');
  await gql(s.url, KEY_A, DELETE_JOB, { id: alignId });
  assert.equal(existsSync(resultFile), false);
  assert.equal((await fetch(denoised.result.audio.url)).status, 410);
});
