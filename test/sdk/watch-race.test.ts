// The SDK's watch is immune to graphql-ws 6.4.2's client race (test/graphql-ws-client-race.test.ts):
// 16 watches at a time on one client, each broken off by the caller the moment it sees its job's
// final state (as UI code unsubscribes on unmount), over 320 jobs that a real worker runs while
// they are watched. Every watch sees every version from its first to the job's last event, once,
// and the client never loses its socket (the race would close it and complete the others).
//
// What protects it (sdk/src/subscriptions.ts): a watch is an async iterator, so the caller's
// `break` runs after the socket read that brought the final state has been dispatched in full
// (the server's complete included), never inside graphql-ws's `next`; its unsubscribe is deferred
// to a later macrotask on top; and a watch that ends without a final state subscribes again after
// its last version. Removing the deferral alone does not make this test fail (tried: the iterator
// boundary suffices); the raw client's loss under the same pattern is test/graphql-ws-client-race.test.ts.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { createClient, isFinal, type VoxgraphClient } from '../../sdk/src/index.ts';
import { speech, read } from '../support/audio.ts';
import { KEY_A, startTestServer, waitReady, type TestServer } from '../support/server.ts';

const JOBS = 320;
const WATCHERS = 16;

let s: TestServer;
let vg: VoxgraphClient;
before(async () => {
  s = await startTestServer({ WORKERS: '1', RATE_LIMIT_JOBS_PER_SECOND: '0' });
  await waitReady(s.url);
  vg = createClient({ url: s.url, apiKey: KEY_A, webSocketImpl: (await import('ws')).default });
});
after(async () => {
  await vg?.close();
  await s?.close();
});

test(`${WATCHERS} watches at a time, each broken off at its job's final state, over ${JOBS} jobs: nothing lost, no version twice, one socket`, { timeout: 300_000 }, async () => {
  const clip = await vg.upload(new Blob([read(speech('watch me'))]));
  // Submitted while the watches run, so some jobs are watched from QUEUED, some mid-run and some
  // already finished (their final state and the server's complete arrive back to back).
  const ids: string[] = [];
  let submitting = true;
  const submitter = (async () => {
    for (let i = 0; i < JOBS; i++) {
      const job = i % 3 === 2 ? await vg.synthesize({ text: `job ${i}`, cache: false }) : await vg.denoise({ audioId: clip.id, cache: false });
      ids.push(job.id);
    }
    submitting = false;
  })();
  const seen = new Map<string, number[]>();
  let next = 0;
  const watcher = async () => {
    for (;;) {
      while (next >= ids.length) {
        if (!submitting) return;
        await new Promise((r) => setTimeout(r, 5));
      }
      const id = ids[next++]!;
      const versions: number[] = [];
      seen.set(id, versions);
      for await (const job of vg.watch(id)) {
        versions.push(job.version);
        if (isFinal(job)) break; // the caller breaks off itself, inside the iteration
      }
    }
  };
  await Promise.all([submitter, ...Array.from({ length: WATCHERS }, watcher)]);

  const db = new pg.Client({ connectionString: s.databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ id: string; last: number; final: boolean }>(
      `SELECT j.id, max(e.seq)::int AS last, bool_or(e.status IN ('succeeded', 'failed', 'cancelled')) AS final
         FROM voxgraph.job j JOIN voxgraph.job_event e ON e.job_id = j.id WHERE j.id = ANY($1) GROUP BY j.id`,
      [ids],
    );
    assert.equal(rows.length, JOBS);
    for (const r of rows) {
      const versions = seen.get(r.id)!;
      assert.ok(r.final, `job ${r.id} finished`);
      assert.ok(versions.length > 0, `job ${r.id}: its watch yielded something`);
      const first = versions[0]!;
      assert.deepEqual(versions, Array.from({ length: r.last - first + 1 }, (_, k) => first + k), `job ${r.id}: every version once, up to its last event`);
    }
  } finally {
    await db.end();
  }
  const stats = vg.connectionStats;
  console.log(`# ${JOBS} jobs watched by ${WATCHERS} watchers: sockets opened ${stats.opened}, closed ${stats.closed}`);
  assert.deepEqual(stats, { opened: 1, closed: 0 }, 'one socket the whole time: the race would have closed it');
});
