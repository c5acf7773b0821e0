// Chaos (README, "Faults survived"): the API process killed outright (SIGKILL) while 150 jobs run
// and 16 graphql-ws clients follow them, then started again on the same port. The workers do not
// need the API: they go on claiming and settling. Subscribers resume with afterVersion once the
// API answers again and miss nothing; every job SUCCEEDS with exactly one result.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import pg from 'pg';
import { freePort, startApiChild, type ApiChild } from '../../bench/support.ts';
import { longAudio } from '../support/audio.ts';
import { gql, gqlUpload } from '../support/client.ts';
import { createTestDatabase } from '../support/database.ts';
import { followJobs, gapsIn } from '../support/follow.ts';
import { startWorker, type WorkerProcess } from '../support/worker.ts';

const JOBS = 150;
const KEY = 'api-restart-key-0123456789';
const dataDir = mkdtempSync(join(tmpdir(), 'voxgraph-api-restart-'));
const database = await createTestDatabase();
const apis: ApiChild[] = [];
const workers: WorkerProcess[] = [];
after(async () => {
  for (const w of workers) w.child.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
  for (const a of apis) await a.stop();
  await database.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

const exited = (a: ApiChild) => new Promise<void>((r) => (a.child.exitCode !== null || a.child.signalCode !== null ? r() : a.child.once('exit', () => r())));

test(`the API SIGKILLed and restarted mid-run: ${JOBS} jobs all SUCCEEDED once, every subscriber resumes without a gap`, { timeout: 600_000 }, async () => {
  const port = await freePort();
  const start = async () => {
    const api = await startApiChild({
      databaseUrl: database.url,
      dataDir,
      apiKey: KEY,
      port,
      env: { WORKERS: '0', RATE_LIMIT_JOBS_PER_SECOND: '0', SUPERVISE_INTERVAL_SECONDS: '2', LOG_LEVEL: 'error' },
    });
    apis.push(api);
    return api;
  };
  const first = await start();
  for (let i = 0; i < 2; i++) workers.push(await startWorker(database.url, dataDir));

  const clip = longAudio(30);
  const up = await gqlUpload(first.url, KEY, `mutation($f: Upload!) { uploadAudio(file: $f) { id } }`, { f: null }, 'f', clip);
  assert.equal(up.errors, undefined, JSON.stringify(up.errors));
  const ids: string[] = [];
  for (let i = 0; i < JOBS; i++) {
    const r = await gql(first.url, KEY, `mutation($a: ID!) { denoise(input: { audioId: $a, cache: false }) { id } }`, { a: up.data.uploadAudio.id });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    ids.push(r.data.denoise.id);
  }
  const following = followJobs(first.url, KEY, ids);

  const db = new pg.Client(database.url);
  await db.connect();
  try {
    const succeeded = async () => (await db.query(`SELECT count(*)::int AS n FROM voxgraph.job WHERE id = ANY($1) AND status = 'succeeded'`, [ids])).rows[0].n as number;
    while ((await succeeded()) < JOBS / 3) await new Promise((r) => setTimeout(r, 200));
    first.child.kill('SIGKILL');
    await exited(first);
    const killedAt = Date.now();
    const doneAtKill = await succeeded();
    // Down until the workers have finished more jobs without it (at least 2 s: clients meet a
    // refused port for a while).
    const downUntil = Date.now() + 2000;
    for (const deadline = Date.now() + 60_000; Date.now() < downUntil || (await succeeded()) === doneAtKill; ) {
      assert.ok(Date.now() < deadline, 'the workers finished no job in a minute without the API');
      await new Promise((r) => setTimeout(r, 200));
    }
    const doneWhileDown = (await succeeded()) - doneAtKill;
    await start();
    const backAt = Date.now();

    const seen = await following;
    const resumedWithin = (Date.now() - backAt) / 1000;
    const problems = ids.flatMap((id) => gapsIn(seen.get(id)!).map((p) => `${id}: ${p}`));
    assert.deepEqual(problems.slice(0, 5), [], `${problems.length} problems`);
    assert.deepEqual([...new Set(ids.map((id) => seen.get(id)!.states.at(-1)!.status))], ['SUCCEEDED']);
    const resumes = [...seen.values()].reduce((n, f) => n + f.resumes, 0);
    assert.ok(resumes >= 16, `every client lost its socket and resumed (${resumes} resumes)`);

    const { rows } = await db.query(
      `SELECT count(DISTINCT j.result_audio_id)::int AS results, (SELECT count(*)::int FROM voxgraph.audio WHERE origin = 'result') AS stored,
              max(j.attempts)::int AS attempts
         FROM voxgraph.job j WHERE j.id = ANY($1)`,
      [ids],
    );
    assert.deepEqual(rows[0], { results: JOBS, stored: JOBS, attempts: 1 }, 'one result each, none stored twice, no attempt spent');
    console.log(
      `api restart: down ${((backAt - killedAt) / 1000).toFixed(1)} s, ${doneWhileDown} jobs finished meanwhile, ` +
        `every subscriber had its final state ${resumedWithin.toFixed(1)} s after the restart, ${resumes} resumes`,
    );
  } finally {
    await db.end();
  }
});
