// The tenant feed (jobsUpdated): every event of every job of the caller's tenant, in one order
// that never changes, without a gap or a repeat, resumable by cursor — with 16 clients submitting
// at once (uploads included) and the worker killed mid-run; filters by kind and status; nothing of
// another tenant; and the ordering rule itself: an event written by a transaction that started
// before one already read is not skipped.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { longAudio, speech } from './support/audio.ts';
import { gql, gqlUpload, wsClient } from './support/client.ts';
import { random } from './support/random.ts';
import { KEY_A, KEY_B, startTestServer, waitReady, type TestServer } from './support/server.ts';
import { startWorker, type WorkerProcess } from './support/worker.ts';

let s: TestServer;
let db: pg.Client;
const workers: WorkerProcess[] = [];
before(async () => {
  s = await startTestServer({ WORKERS: '0' });
  await waitReady(s.url);
  db = new pg.Client({ connectionString: s.databaseUrl });
  await db.connect();
});
after(async () => {
  for (const w of workers) w.child.kill('SIGKILL');
  await db.end();
  await s.close();
});

const FEED = `subscription($kind: JobKind, $status: JobStatus, $after: String) {
  jobsUpdated(kind: $kind, status: $status, afterCursor: $after) { cursor job { id kind status version attempts error { code } } } }`;

type Item = { cursor: string; job: { id: string; kind: string; status: string; version: number; attempts: number; error: { code: string } | null } };

/** A feed subscriber that keeps every item until stopped (or until `stopAfter` items). */
function feed(key: string, variables: Record<string, unknown> = {}, stopAfter = Infinity) {
  const client = wsClient(s.url, key);
  const items: Item[] = [];
  const errors: unknown[] = [];
  let started!: () => void;
  const ready = new Promise<void>((r) => (started = r));
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  client.on('connected', () => setTimeout(started, 300)); // the subscription is registered shortly after the socket opens
  client.subscribe<{ jobsUpdated: Item }>(
    { query: FEED, variables },
    {
      next: (v) => {
        if (v.errors) errors.push(...v.errors);
        else items.push(v.data!.jobsUpdated);
        if (items.length >= stopAfter) finish();
      },
      error: (e) => {
        errors.push(e);
        finish();
      },
      complete: () => finish(),
    },
  );
  return {
    items,
    errors,
    ready,
    finished,
    stop: async () => {
      await client.dispose();
    },
  };
}

const waitFor = async (cond: () => boolean | Promise<boolean>, ms: number, what: string) => {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** The event log of these jobs, as (job, version, status) in each job's order. */
const logOf = async (ids: string[]) =>
  (await db.query<{ job_id: string; seq: number; status: string }>(`SELECT job_id, seq, status::text FROM voxgraph.job_event WHERE job_id = ANY($1) ORDER BY job_id, seq`, [ids])).rows;

/** Every job's events appear once each, in their own order, exactly as the log has them. */
function assertComplete(items: Item[], log: Array<{ job_id: string; seq: number; status: string }>, what: string) {
  const byJob = new Map<string, string[]>();
  for (const i of items) byJob.set(i.job.id, [...(byJob.get(i.job.id) ?? []), `${i.job.version}:${i.job.status.toLowerCase()}`]);
  const expected = new Map<string, string[]>();
  for (const e of log) expected.set(e.job_id, [...(expected.get(e.job_id) ?? []), `${e.seq}:${e.status}`]);
  assert.equal(byJob.size, expected.size, `${what}: jobs seen`);
  for (const [id, events] of expected) assert.deepEqual(byJob.get(id), events, `${what}: job ${id}`);
  assert.equal(new Set(items.map((i) => i.cursor)).size, items.length, `${what}: no cursor twice`);
}

test('16 clients at once and a worker killed mid-run: the feed has every event of every job once, in order; a resume continues exactly; filters and tenants hold', { timeout: 300_000 }, async () => {
  const all = feed(KEY_A);
  const denoiseOnly = feed(KEY_A, { kind: 'DENOISE' });
  const finals = feed(KEY_A, { status: 'SUCCEEDED' });
  const other = feed(KEY_B);
  const partial = feed(KEY_A, {}, 25); // leaves after 25 items, resumes from its last cursor below
  await Promise.all([all.ready, denoiseOnly.ready, finals.ready, other.ready, partial.ready]);

  let worker = await startWorker(s.databaseUrl, s.dataDir);
  workers.push(worker);
  const clip = speech('sixteen clients at once');
  const rnd = random(1203);
  const ids = (
    await Promise.all(
      Array.from({ length: 16 }, async (_, c) => {
        const mine: string[] = [];
        for (let k = 0; k < 2; k++) {
          const r =
            rnd.next() < 0.5
              ? await gqlUpload(s.url, KEY_A, `mutation($f: Upload!) { denoise(input: { file: $f, cache: false }) { id } }`, { f: null }, 'f', clip)
              : await gql(s.url, KEY_A, `mutation($t: String!) { synthesize(input: { text: $t, cache: false }) { id } }`, { t: `client ${c} job ${k}` });
          assert.equal(r.errors, undefined, JSON.stringify(r.errors));
          mine.push(r.data.denoise?.id ?? r.data.synthesize.id);
        }
        return mine;
      }),
    )
  ).flat();
  // A long job among them, and the worker killed while it runs (progress reported): a new worker
  // takes over and the killed job is retried. (The short ones may all be done by then.)
  const long = await gqlUpload(s.url, KEY_A, `mutation($f: Upload!) { denoise(input: { file: $f, cache: false }) { id } }`, { f: null }, 'f', longAudio(300));
  assert.equal(long.errors, undefined, JSON.stringify(long.errors));
  ids.push(long.data.denoise.id);
  await waitFor(async () => (await db.query(`SELECT 1 FROM voxgraph.job WHERE id = $1 AND status = 'running' AND progress > 0`, [long.data.denoise.id])).rowCount! > 0, 120_000, 'the long job running');
  worker.child.kill('SIGKILL');
  await worker.exited;
  worker = await startWorker(s.databaseUrl, s.dataDir);
  workers.push(worker);
  const cancelled = ids[ids.length - 2]!;
  await gql(s.url, KEY_A, `mutation($id: ID!) { cancelJob(id: $id) { id } }`, { id: cancelled }); // may have finished already: either is fine

  await partial.finished;
  await partial.stop();
  // What it had when it resumed (a message already in flight may still land in its list after dispose).
  const seenBeforeResume = partial.items.slice();
  const resumed = feed(KEY_A, { after: seenBeforeResume.at(-1)!.cursor });

  const done = async () => (await db.query(`SELECT 1 FROM voxgraph.job WHERE id = ANY($1) AND status NOT IN ('succeeded', 'failed', 'cancelled')`, [ids])).rowCount === 0;
  await waitFor(done, 240_000, 'every job to finish');
  const log = await logOf(ids);
  await waitFor(() => all.items.length >= log.length && seenBeforeResume.length + resumed.items.length >= log.length, 20_000, 'the feed to catch up');
  await new Promise((r) => setTimeout(r, 500)); // anything extra would arrive now
  for (const f of [all, denoiseOnly, finals, other, resumed]) await f.stop();

  assert.deepEqual(all.errors, []);
  assertComplete(all.items, log, 'the whole feed');
  assert.ok(log.some((e) => e.status === 'retrying'), 'the killed job was retried (its RETRYING is in the feed too)');
  // The resume continues exactly where the first connection left: together they are the feed.
  assert.deepEqual([...seenBeforeResume, ...resumed.items].map((i) => i.cursor), all.items.map((i) => i.cursor));
  // The filters are the whole feed, filtered; another tenant hears nothing.
  assert.deepEqual(denoiseOnly.items, all.items.filter((i) => i.job.kind === 'DENOISE'));
  assert.deepEqual(finals.items, all.items.filter((i) => i.job.status === 'SUCCEEDED'));
  assert.deepEqual(other.items, []);
  // A resume from any cursor gives the rest of the feed (replayed from the table this time).
  const k = Math.floor(all.items.length / 2);
  const replay = feed(KEY_A, { after: all.items[k]!.cursor }, all.items.length - k - 1);
  await replay.finished;
  await replay.stop();
  assert.deepEqual(replay.items, all.items.slice(k + 1));
});

test('an event of a transaction older than one already read is not skipped: the feed waits for it and gives it first', { timeout: 60_000 }, async () => {
  // They wait an hour: nothing but this test writes their events.
  const soon = new Date(Date.now() + 3600_000).toISOString();
  const make = async (text: string) => {
    const r = await gql(s.url, KEY_A, `mutation($t: String!, $r: DateTime) { synthesize(input: { text: $t, runAt: $r }) { id } }`, { t: text, r: soon });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return r.data.synthesize.id as string;
  };
  const early = await make('written by the old transaction');
  const f = feed(KEY_A);
  await f.ready;
  // An old transaction takes its id now and writes its event later.
  const old = new pg.Client({ connectionString: s.databaseUrl });
  await old.connect();
  await old.query('BEGIN');
  await old.query('SELECT pg_current_xact_id()');
  const late = await make('committed first, by a younger transaction');
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(f.items.length, 0, "nothing passes the open older transaction");
  await old.query(`SELECT voxgraph.record_job_event($1, 'cancelled', p_error_code => 'CANCELLED', p_error_message => 'old transaction')`, [early]);
  await old.query('COMMIT');
  await old.end();
  await waitFor(() => f.items.length >= 2, 10_000, 'both events');
  await f.stop();
  assert.deepEqual(f.items.map((i) => [i.job.id, i.job.status]), [
    [early, 'CANCELLED'],
    [late, 'QUEUED'],
  ]);
  await gql(s.url, KEY_A, `mutation($id: ID!) { cancelJob(id: $id) { id } }`, { id: late });
});

test('afterCursor must be a cursor this API gave: generated garbage is BAD_USER_INPUT, and the server stays up', { timeout: 60_000 }, async () => {
  const rnd = random(31);
  const good = Buffer.from('f1:12345:6').toString('base64url');
  const samples = [
    '', 'x', good + 'A', Buffer.from('f1:-1:2').toString('base64url'), Buffer.from('f1:99999999999999999999999:1').toString('base64url'),
    Buffer.from('f1:1:2:3').toString('base64url'), Buffer.from('f0:1:2').toString('base64url'), '\u0000', 'a'.repeat(5000),
    ...Array.from({ length: 40 }, () => Buffer.from(Array.from({ length: rnd.int(40) }, () => rnd.int(256))).toString(rnd.next() < 0.5 ? 'base64url' : 'latin1')),
  ];
  for (const after of samples) {
    const f = feed(KEY_A, { after }, 1);
    await f.finished;
    await f.stop();
    assert.equal((f.errors[0] as any)?.[0]?.extensions?.code ?? (f.errors[0] as any)?.extensions?.code, 'BAD_USER_INPUT', `cursor ${JSON.stringify(after).slice(0, 60)}: ${JSON.stringify(f.errors)}`);
  }
  const ok = feed(KEY_A, { after: good });
  await ok.ready;
  await ok.stop();
  assert.deepEqual(ok.errors, []);
  assert.equal((await fetch(`${s.url}/readyz`)).status, 200);
});
