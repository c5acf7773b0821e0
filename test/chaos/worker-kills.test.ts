// Chaos (README, "Faults"): 300 jobs while a worker is SIGKILLed every 4 s (two workers, each
// killed one restarted at once). Every job SUCCEEDS with exactly one result; every subscriber sees
// every state, in order, up to the final one; every retry is in the log as RETRYING with its code;
// a killed worker's job is claimed again within heartbeat + supervise interval + retry delay + 5 s.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { longAudio } from '../support/audio.ts';
import { gql, gqlUpload } from '../support/client.ts';
import { followJobs, gapsIn } from '../support/follow.ts';
import { KEY_A, startTestServer, type TestServer } from '../support/server.ts';
import { startWorker, type WorkerProcess } from '../support/worker.ts';

const JOBS = 300;
const HEARTBEAT = 10; // JOB_HEARTBEAT_SECONDS (its minimum)
const SUPERVISE = 2; // SUPERVISE_INTERVAL_SECONDS
const KILL_EVERY_MS = 4000;

let s: TestServer;
let db: pg.Client;
const workers: WorkerProcess[] = [];
before(async () => {
  s = await startTestServer({ WORKERS: '0', JOB_HEARTBEAT_SECONDS: String(HEARTBEAT), SUPERVISE_INTERVAL_SECONDS: String(SUPERVISE), JOB_RETRY_LIMIT: '10', RATE_LIMIT_JOBS_PER_SECOND: '0' });
  db = new pg.Client(s.databaseUrl);
  await db.connect();
});
after(async () => {
  for (const w of workers) w.child.kill('SIGKILL');
  await db.end();
  await s.close();
});

test(`${JOBS} jobs, a worker SIGKILLed every ${KILL_EVERY_MS / 1000} s: all SUCCEEDED once, no subscriber misses a state`, { timeout: 600_000 }, async () => {
  // 30 s clips: long enough that kills land mid-batch (the run takes about a minute here).
  const clip = longAudio(30);
  const ids: string[] = [];
  let audioId = '';
  for (let i = 0; i < JOBS; i++) {
    // Every tenth job uploads its own file; the rest reuse one.
    const r = i % 10 === 0 || !audioId
      ? await gqlUpload(s.url, KEY_A, `mutation($f: Upload!) { denoise(input: { file: $f, cache: false }) { id input { id } } }`, { f: null }, 'f', clip)
      : await gql(s.url, KEY_A, `mutation($a: ID!) { denoise(input: { audioId: $a, cache: false }) { id input { id } } }`, { a: audioId });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    ids.push(r.data.denoise.id);
    audioId ||= r.data.denoise.input.id;
  }
  const following = followJobs(s.url, KEY_A, ids);
  const slots: WorkerProcess[] = await Promise.all([0, 1].map(() => startWorker(s.databaseUrl, s.dataDir)));
  workers.push(...slots);

  const kills: number[] = [];
  let stop = false;
  const killer = (async () => {
    for (let k = 0; !stop; k++) {
      await new Promise((r) => setTimeout(r, KILL_EVERY_MS));
      if (stop) break;
      const slot = k % 2;
      slots[slot]!.child.kill('SIGKILL');
      kills.push(Date.now());
      await slots[slot]!.exited;
      slots[slot] = await startWorker(s.databaseUrl, s.dataDir);
      workers.push(slots[slot]!);
    }
  })();
  const t0 = Date.now();
  const seen = await following;
  stop = true;
  await killer;
  const seconds = (Date.now() - t0) / 1000;

  // Every job succeeded, every subscriber saw every state in order.
  const problems = ids.flatMap((id) => gapsIn(seen.get(id)!).map((p) => `${id}: ${p}`));
  assert.deepEqual(problems.slice(0, 5), [], `${problems.length} problems`);
  const finals = ids.map((id) => seen.get(id)!.states.at(-1)!);
  assert.deepEqual([...new Set(finals.map((f) => f.status))], ['SUCCEEDED']);

  // Exactly one result each, stored and on disk.
  const { rows } = await db.query(`SELECT j.id, a.storage_key FROM voxgraph.job j JOIN voxgraph.audio a ON a.id = j.result_audio_id WHERE j.id = ANY($1)`, [ids]);
  assert.equal(rows.length, JOBS);
  assert.equal(new Set(rows.map((r) => r.storage_key)).size, JOBS);
  for (const r of rows) assert.ok(existsSync(join(s.dataDir, 'objects', r.storage_key)), r.storage_key);
  const results = (await db.query(`SELECT count(*)::int AS n FROM voxgraph.audio WHERE origin = 'result'`)).rows[0].n;
  assert.equal(results, JOBS, 'no result row for a lost attempt');

  // Every retry in the log: each new attempt follows a RETRYING with its code.
  const events = (await db.query(`SELECT job_id, seq, status::text, attempts, error_code, at FROM voxgraph.job_event WHERE job_id = ANY($1) ORDER BY job_id, seq`, [ids])).rows;
  const byJob = new Map<string, typeof events>();
  for (const e of events) byJob.set(e.job_id, [...(byJob.get(e.job_id) ?? []), e]);
  let retries = 0;
  const delays: number[] = [];
  for (const [id, log] of byJob) {
    for (let i = 1; i < log.length; i++) {
      const e = log[i]!;
      if (e.status !== 'running' || e.attempts === log[i - 1]!.attempts) continue;
      if (e.attempts === 1) continue;
      retries++;
      const retrying = log.slice(0, i).reverse().find((x) => x.status === 'retrying');
      assert.ok(retrying && retrying.attempts === e.attempts - 1, `${id}: attempt ${e.attempts} without a RETRYING of attempt ${e.attempts - 1}`);
      assert.ok(['WORKER_LOST', 'JOB_TIMEOUT', 'WORKER_SHUTDOWN'].includes(retrying.error_code), `${id}: RETRYING with ${retrying.error_code}`);
      // From the kill that lost the attempt to the next claim.
      const started = log.slice(0, i).reverse().find((x) => x.status === 'running' && x.attempts === e.attempts - 1)!;
      const kill = kills.find((t) => t >= new Date(started.at).getTime());
      if (kill !== undefined) delays.push((new Date(e.at).getTime() - kill) / 1000);
    }
  }
  const retryDelayMax = 4; // JOB_RETRY_DELAY_SECONDS 1 with backoff, for the first two retries
  const bound = HEARTBEAT + SUPERVISE + retryDelayMax + 5;
  delays.sort((a, b) => a - b);
  console.log(`chaos: ${JOBS} jobs in ${seconds.toFixed(0)} s, ${kills.length} kills, ${retries} retries, kill → next claim: median ${delays[delays.length >> 1]?.toFixed(1)} s, max ${delays.at(-1)?.toFixed(1)} s (bound ${bound} s), subscriber resumes ${[...seen.values()].reduce((n, f) => n + f.resumes, 0)}`);
  assert.ok(kills.length >= 3, 'the run saw kills');
  assert.ok(retries > 0, 'some attempts were lost to kills');
  assert.ok((delays.at(-1) ?? 0) <= bound, `a lost job was claimed again ${delays.at(-1)} s after its worker died (bound ${bound} s)`);
});
