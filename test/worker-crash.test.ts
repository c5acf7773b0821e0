// A worker killed with SIGKILL mid-job: pg-boss's supervisor (run by the API) notices the lost
// heartbeat, the job goes back for retry (RETRYING, code WORKER_LOST), and another worker
// finishes it as attempt 2.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { longAudio } from './support/audio.ts';
import { gqlUpload, wsClient, WATCH_JOB } from './support/client.ts';
import { KEY_A, startTestServer, type TestServer } from './support/server.ts';
import { startWorker, type WorkerProcess } from './support/worker.ts';

let s: TestServer;
const workers: WorkerProcess[] = [];
before(async () => {
  s = await startTestServer({ WORKERS: '0' });
});
after(async () => {
  for (const w of workers) w.child.kill('SIGKILL');
  await s.close();
});

test('a SIGKILLed worker\'s job is retried and finished by another worker', { timeout: 180_000 }, async () => {
  const a = await startWorker(s.databaseUrl, s.dataDir);
  workers.push(a);
  // Long enough (≈ 10+ s of work on this machine) to be killed mid-way.
  const res = await gqlUpload(s.url, KEY_A, `mutation($f: Upload!) { denoise(input: { file: $f }) { id } }`, { f: null }, 'f', longAudio(1500));
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  const id = res.data.denoise.id;

  const seen: any[] = [];
  const client = wsClient(s.url, KEY_A);
  let killed = false;
  const finished = new Promise<void>((resolve, reject) => {
    client.subscribe(
      { query: WATCH_JOB, variables: { id, after: 0 } },
      {
        next: (v: any) => {
          const job = v.data.jobUpdated;
          seen.push(job);
          if (!killed && job.status === 'RUNNING' && job.progress > 0) {
            killed = true;
            a.child.kill('SIGKILL');
            startWorker(s.databaseUrl, s.dataDir).then((b) => workers.push(b), reject);
          }
        },
        error: reject,
        complete: resolve,
      },
    );
  });
  await finished;
  await client.dispose();

  assert.ok(killed, 'the job was seen running');
  const statuses = seen.map((j) => j.status).filter((st, i, arr) => st !== arr[i - 1]);
  assert.deepEqual(statuses, ['QUEUED', 'RUNNING', 'RETRYING', 'RUNNING', 'SUCCEEDED']);
  const retrying = seen.find((j) => j.status === 'RETRYING');
  assert.equal(retrying.error.code, 'WORKER_LOST');
  const final = seen.at(-1);
  assert.equal(final.attempts, 2);
  assert.equal(final.result.__typename, 'DenoiseResult');
  assert.equal((await fetch(final.result.audio.url)).status, 200);
});
