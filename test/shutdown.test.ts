// Stopping `npm start` keeps its promises (README, "Stopping"): one signal to the process group
// (Ctrl-C sends SIGINT to all of it, npm forwards it again) or to the npm process alone, or npm
// itself dying, gives the same orderly shutdown — workers finish or hand back their jobs within
// their grace, the API stops after them, the embedded PostgreSQL last — and every process exits,
// npm with 0. A job running at the time ends SUCCEEDED or is handed back (WORKER_SHUTDOWN), never
// WORKER_LOST.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { freePort } from '../bench/support.ts';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';
import { log } from '../src/log.ts';
import { allProcesses, descendants } from '../bench/proc-cpu.ts';
import { scratchFile } from './support/audio.ts';
import { gqlUpload, wsClient } from './support/client.ts';
import { createTestDatabase } from './support/database.ts';

const KEY = 'shutdown-test-key-0123456789';
const dirs: string[] = [];
const started: ChildProcess[] = [];
after(() => {
  // A test that failed part-way leaves its stack running, detached (PostgreSQL in a session of
  // its own): it would keep this file's process, and the test run, alive for ever.
  for (const npm of started) {
    for (const pid of [npm.pid!, ...descendants(allProcesses(), npm.pid!).map((p) => p.pid)]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    npm.stdout?.destroy();
    npm.stderr?.destroy();
  }
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

type Stack = { npm: ChildProcess; url: string; dataDir: string; log: () => string; exited: Promise<number | null> };

/** `npm start` in a process group of its own, as a terminal would run it. */
async function npmStart(env: Record<string, string>): Promise<Stack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'voxgraph-shutdown-'));
  dirs.push(dataDir);
  const port = await freePort();
  const full: Record<string, string | undefined> = {
    ...process.env,
    PORT: String(port),
    DATA_DIR: dataDir,
    EMBEDDED_PG_PORT: String(await freePort()),
    API_KEYS: `${KEY}:t`,
    WORKERS: '1',
    LOG_LEVEL: 'info',
    ...env,
  };
  if (!env.DATABASE_URL) delete full.DATABASE_URL;
  const npm = spawn('npm', ['start'], { env: full, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(npm);
  let out = '';
  npm.stdout!.on('data', (c: Buffer) => (out += c));
  npm.stderr!.on('data', (c: Buffer) => (out += c));
  const exited = once(npm, 'exit').then(([code]) => code as number | null);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (npm.exitCode !== null) throw new Error(`npm start exited early:\n${out}`);
    const ready = await fetch(`${url}/readyz`).then((r) => r.status === 200, () => false);
    if (ready) break;
    if (i > 600) throw new Error(`not ready after 60 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { npm, url, dataDir, log: () => out, exited };
}

/** Pink noise, 16 kHz mono: the denoiser takes about a second per 130 s of it here. */
function noiseFile(seconds: number): string {
  const path = scratchFile('wav');
  execFileSync('sox', ['-n', '-r', '16000', '-c', '1', '-b', '16', path, 'synth', String(seconds), 'pinknoise', 'vol', '0.3']);
  return path;
}

/** Submits a denoise job and watches it over graphql-ws until the subscription ends. */
async function runningJob(s: Stack, audio: string) {
  const res = await gqlUpload(s.url, KEY, `mutation($f: Upload!) { denoise(input: { file: $f }) { id } }`, { f: null }, 'f', audio);
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  const id: string = res.data.denoise.id;
  const seen: Array<{ status: string; version: number; progress: number; error: { code: string } | null }> = [];
  const client = wsClient(s.url, KEY);
  let running!: () => void;
  const isRunning = new Promise<void>((r) => (running = r));
  const ended = new Promise<void>((resolve) => {
    client.subscribe<any>(
      { query: `subscription($id: ID!) { jobUpdated(id: $id, afterVersion: 0) { status version progress error { code } } }`, variables: { id } },
      {
        next: (v) => {
          seen.push(v.data.jobUpdated);
          // Running means the engine has started: progress reported. RUNNING alone is written at the
          // claim, a moment before the worker starts the job (a signal then hands it straight back).
          if (v.data.jobUpdated.status === 'RUNNING' && v.data.jobUpdated.progress > 0) running();
        },
        error: () => resolve(), // the API closing the socket at the end of its shutdown
        complete: () => resolve(),
      },
    );
  });
  await isRunning;
  return { id, seen, ended };
}

function ourProcesses(s: Stack): number[] {
  return [s.npm.pid!, ...descendants(allProcesses(), s.npm.pid!).map((p) => p.pid)];
}

async function allGone(pids: number[], withinMs = 10_000) {
  const alive = () => pids.filter((pid) => allProcesses().has(pid));
  for (const deadline = Date.now() + withinMs; alive().length && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(alive(), [], 'every process of the stack has exited');
}

/** The statuses in order, progress events (RUNNING again) folded. */
const statuses = (seen: Array<{ status: string }>) => seen.map((e) => e.status).filter((st, i, all) => st !== all[i - 1]);

describe('stopping npm start', { concurrency: false, timeout: 240_000 }, () => {
  test('Ctrl-C (SIGINT to the group, repeated): the running job finishes within the grace, the database stops last, exit 0', async () => {
    const s = await npmStart({ WORKER_SHUTDOWN_GRACE_SECONDS: '30' }); // embedded PostgreSQL
    const job = await runningJob(s, noiseFile(700));
    const pids = ourProcesses(s);
    assert.ok(pids.length >= 4, `npm, node, a worker and PostgreSQL: ${pids}`);
    process.kill(-s.npm.pid!, 'SIGINT');
    await new Promise((r) => setTimeout(r, 200));
    process.kill(-s.npm.pid!, 'SIGINT'); // impatient: a second Ctrl-C
    await job.ended;
    assert.equal(await s.exited, 0, s.log());
    await allGone(pids);
    // The worker's success reached subscribers: PostgreSQL and the API were still up for it.
    assert.deepEqual(statuses(job.seen), ['QUEUED', 'RUNNING', 'SUCCEEDED'], s.log());
    assert.match(s.log(), /already shutting down; ignored/);
    assert.doesNotMatch(s.log(), /second signal|WORKER_LOST/);
    // And it is what the database kept.
    const db = await startEmbeddedPostgres(s.dataDir, await freePort(), log);
    try {
      const c = new pg.Client(db.url);
      await c.connect();
      const { rows } = await c.query(`SELECT status::text, error_code FROM voxgraph.job_event WHERE job_id = $1 ORDER BY seq`, [job.id]);
      await c.end();
      assert.deepEqual(statuses(rows), ['queued', 'running', 'succeeded']);
    } finally {
      await db.stop();
    }
  });

  test('SIGTERM to the group: a job longer than the grace is handed back (WORKER_SHUTDOWN), exit 0', async () => {
    const db = await createTestDatabase();
    try {
      const s = await npmStart({ DATABASE_URL: db.url, WORKER_SHUTDOWN_GRACE_SECONDS: '1' });
      const job = await runningJob(s, noiseFile(1500));
      const pids = ourProcesses(s);
      process.kill(-s.npm.pid!, 'SIGTERM');
      await job.ended;
      assert.equal(await s.exited, 0, s.log());
      await allGone(pids);
      const c = new pg.Client(db.url);
      await c.connect();
      const { rows } = await c.query(`SELECT status::text, error_code FROM voxgraph.job_event WHERE job_id = $1 ORDER BY seq`, [job.id]);
      const state = (await c.query(`SELECT state::text FROM pgboss.job WHERE id = $1`, [job.id])).rows[0].state;
      await c.end();
      assert.deepEqual(statuses(rows), ['queued', 'running', 'retrying']);
      assert.equal(rows.at(-1).error_code, 'WORKER_SHUTDOWN');
      assert.equal(state, 'retry', 'back in the queue for the next worker, one attempt spent');
      assert.deepEqual(statuses(job.seen), ['QUEUED', 'RUNNING', 'RETRYING'], 'subscribers saw the hand-back before the API stopped');
    } finally {
      await db.drop();
    }
  });

  test('SIGTERM to the npm process alone stops everything, exit 0', async () => {
    const s = await npmStart({});
    const pids = ourProcesses(s);
    process.kill(s.npm.pid!, 'SIGTERM');
    assert.equal(await s.exited, 0, s.log());
    await allGone(pids);
  });

  test('npm killed outright (SIGKILL): the API notices and stops the rest in order', async () => {
    const s = await npmStart({});
    const pids = ourProcesses(s).filter((p) => p !== s.npm.pid);
    process.kill(s.npm.pid!, 'SIGKILL');
    await allGone(pids, 20_000);
  });
});
