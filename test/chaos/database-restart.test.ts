// Chaos (README, "Faults"): PostgreSQL restarted in the middle of a run, on a cluster this test
// starts itself. The API and its workers recover by themselves; /readyz says not ready during the
// outage and ready after; subscribers (resuming with afterVersion when their subscription ends)
// see every state; no job is lost, none is done twice; and the restart delays the jobs by
// seconds, not a minute.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import pg from 'pg';
import { freePort } from '../../bench/support.ts';
import { startApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded.ts';
import { log } from '../../src/log.ts';
import { longAudio } from '../support/audio.ts';
import { gql, gqlUpload } from '../support/client.ts';
import { followJobs, gapsIn } from '../support/follow.ts';
import { KEY_A } from '../support/server.ts';

const JOBS = 150;
const dir = mkdtempSync(join(tmpdir(), 'voxgraph-pg-restart-'));
let cluster: EmbeddedDatabase | undefined;
let app: App | undefined;
let stopPolling = () => {};
after(async () => {
  stopPolling(); // a test that failed part-way must not leave its poller keeping the process alive
  await app?.stop();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test(`PostgreSQL restarted mid-run: ${JOBS} jobs all SUCCEEDED once, /readyz follows the outage, subscribers miss nothing`, { timeout: 300_000 }, async () => {
  log.level = process.env.TEST_LOG_LEVEL ?? 'fatal'; // the outage is loud by design
  const pgPort = await freePort();
  cluster = await startEmbeddedPostgres(dir, pgPort, log);
  app = await startApp(
    loadConfig({
      NODE_ENV: 'test', PORT: '0', DATABASE_URL: cluster.url, DATA_DIR: join(dir, 'data'), API_KEYS: `${KEY_A}:tenant-a`,
      WORKERS: '2', JOB_HEARTBEAT_SECONDS: '10', SUPERVISE_INTERVAL_SECONDS: '2', EVENTS_CHECK_SECONDS: '2', RATE_LIMIT_JOBS_PER_SECOND: '0',
      LOG_LEVEL: log.level,
    }),
    { baseEnv: { PATH: process.env.PATH, HOME: process.env.HOME, WORKER_POLL_SECONDS: '1' } },
  );
  const url = app.url;
  for (let i = 0; (await fetch(`${url}/readyz`)).status !== 200; i++) {
    if (i > 600) throw new Error('not ready after 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }

  const clip = longAudio(30);
  const up = await gqlUpload(url, KEY_A, `mutation($f: Upload!) { uploadAudio(file: $f) { id } }`, { f: null }, 'f', clip);
  const ids: string[] = [];
  for (let i = 0; i < JOBS; i++) {
    const r = await gql(url, KEY_A, `mutation($a: ID!) { denoise(input: { audioId: $a, cache: false }) { id } }`, { a: up.data.uploadAudio.id });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    ids.push(r.data.denoise.id);
  }
  const following = followJobs(url, KEY_A, ids);

  const ready: Array<[number, number]> = [];
  let polling = true;
  stopPolling = () => (polling = false);
  const poller = (async () => {
    while (polling) {
      const status = await fetch(`${url}/readyz`).then((r) => r.status, () => 0);
      ready.push([Date.now(), status]);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();

  // Once a third of the jobs are done: a fast shutdown and a start again, on the same port.
  const direct = new pg.Client(cluster.url);
  await direct.connect();
  for (;;) {
    const { rows } = await direct.query(`SELECT count(*)::int AS n FROM voxgraph.job WHERE status = 'succeeded'`);
    if (rows[0].n >= JOBS / 3) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await direct.end().catch(() => {});
  const down = Date.now();
  await cluster.stop();
  await new Promise((r) => setTimeout(r, 3000)); // down long enough for every process to notice
  cluster = await startEmbeddedPostgres(dir, pgPort, log);
  const back = Date.now();

  const seen = await following;
  polling = false;
  await poller;

  const problems = ids.flatMap((id) => gapsIn(seen.get(id)!).map((p) => `${id}: ${p}`));
  assert.deepEqual(problems.slice(0, 5), [], `${problems.length} problems`);
  assert.deepEqual([...new Set(ids.map((id) => seen.get(id)!.states.at(-1)!.status))], ['SUCCEEDED']);

  const db = new pg.Client(cluster.url);
  await db.connect();
  try {
    const results = (await db.query(`SELECT count(*)::int AS n, count(DISTINCT j.result_audio_id)::int AS d FROM voxgraph.job j WHERE j.id = ANY($1)`, [ids])).rows[0];
    assert.equal(results.d, JOBS, 'one result each');
    const attempts = (await db.query(`SELECT attempts, count(*)::int AS n FROM voxgraph.job WHERE id = ANY($1) GROUP BY 1`, [ids])).rows;
    assert.deepEqual(attempts, [{ attempts: 1, n: JOBS }], 'the outage cost no job an attempt (a settle waits it out)');
    assert.equal((await db.query(`SELECT count(*)::int AS n FROM voxgraph.audio WHERE origin = 'result'`)).rows[0].n, JOBS, 'no result stored twice');
    // How long the restart held the jobs up: the longest pause between two jobs finishing, past the outage itself.
    const done = (await db.query(`SELECT finished_at FROM voxgraph.job WHERE id = ANY($1) ORDER BY finished_at`, [ids])).rows.map((r) => new Date(r.finished_at).getTime());
    const firstAfter = done.find((t) => t > back)!;
    const stall = (firstAfter - back) / 1000;
    const during = ready.filter(([t]) => t >= down && t <= back + 500).map(([, st]) => st);
    const last = ready.at(-1)![1];
    console.log(`database restart: outage ${((back - down) / 1000).toFixed(1)} s, first job finished ${stall.toFixed(1)} s after the database was back, /readyz during: ${[...new Set(during)].join(',')}, resumes ${[...seen.values()].reduce((n, f) => n + f.resumes, 0)}`);
    assert.ok(during.some((st) => st === 503 || st === 0) || ready.some(([t, st]) => t > down && st === 503), '/readyz said not ready during the outage');
    assert.equal(last, 200, '/readyz ready again after');
    assert.ok(stall < 15, `jobs resumed ${stall.toFixed(1)} s after the database came back`);
  } finally {
    await db.end();
  }
});
