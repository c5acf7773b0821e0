// A dropped connection mid-job: every connection between the SDK's clients and the server is cut
// (a forwarder in between destroys both sides) twice while a long job runs. The watches over
// graphql-ws and over SSE and the tenant feed reconnect by themselves and go on without a gap and
// without a version (or feed item) twice: exactly the job's event log.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { createClient, isFinal, type FeedItem, type Job, type VoxgraphClient } from '../../sdk/src/index.ts';
import { fileFromPath } from '../../sdk/src/node.ts';
import { longAudio } from '../support/audio.ts';
import { KEY_A, startTestServer, waitReady, type TestServer } from '../support/server.ts';
import { startTcpForward, type TcpForward } from '../support/tcp-forward.ts';

let s: TestServer;
let forward: TcpForward;
const clients: VoxgraphClient[] = [];
before(async () => {
  s = await startTestServer({ WORKERS: '1' });
  await waitReady(s.url);
  forward = await startTcpForward(s.url);
});
after(async () => {
  for (const c of clients) await c.close();
  await forward?.close();
  await s?.close();
});

test('connections cut twice mid-job: watch (ws and SSE) and the feed resume with exactly the event log', { timeout: 300_000 }, async () => {
  const direct = createClient({ url: s.url, apiKey: KEY_A });
  const overWs = createClient({ url: forward.url, apiKey: KEY_A, retryAttempts: 20 });
  const overSse = createClient({ url: forward.url, apiKey: KEY_A, subscriptions: 'sse', retryAttempts: 20 });
  clients.push(direct, overWs, overSse);

  const feedItems: FeedItem[] = [];
  const feedStop = new AbortController();
  const feeding = (async () => {
    for await (const item of overWs.feed({ signal: feedStop.signal })) feedItems.push(item);
  })();
  await new Promise((r) => setTimeout(r, 300)); // the feed is subscribed before the job exists

  const job = await direct.denoise({ file: await fileFromPath(longAudio(600)), cache: false });
  const cuts: string[] = [];
  const watch = async (client: VoxgraphClient, name: string) => {
    const states: Job[] = [];
    for await (const state of client.watch(job.id)) {
      if (states.length) assert.equal(state.version, states.at(-1)!.version + 1, `${name}: ${states.map((j) => j.version)} then ${state.version}`);
      states.push(state);
      if (isFinal(state)) break;
    }
    return states;
  };
  const watching = [watch(overWs, 'ws'), watch(overSse, 'sse')];
  // Cut at the first progress report, and again once both have reconnected and the job moved on.
  let cutAt = 0;
  for (const round of [1, 2]) {
    for (;;) {
      const now = (await direct.job(job.id))!;
      if (isFinal(now)) break;
      const reconnected = overWs.connectionStats.opened > round - 1 && overSse.connectionStats.opened > round - 1;
      if (now.status === 'RUNNING' && now.progress > 0 && now.version > cutAt && reconnected) {
        cuts.push(`${forward.cut()} connections at progress ${now.progress.toFixed(2)} (version ${now.version})`);
        cutAt = now.version;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const [viaWs, viaSse] = await Promise.all(watching);
  console.log(`# cut: ${cuts.join('; ')}; ws sockets opened ${overWs.connectionStats.opened}, sse streams ${overSse.connectionStats.opened}`);
  assert.equal(cuts.length, 2, 'both cuts happened while the job ran');

  const db = new pg.Client({ connectionString: s.databaseUrl });
  await db.connect();
  const log = (await db.query<{ seq: number; status: string }>(`SELECT seq, status::text FROM voxgraph.job_event WHERE job_id = $1 ORDER BY seq`, [job.id])).rows.map(
    (e) => `${e.seq}:${e.status.toUpperCase()}`,
  );
  await db.end();
  assert.ok(log.length > 4, `progress events logged: ${log}`);
  for (const [name, states] of [['ws', viaWs!], ['sse', viaSse!]] as const) {
    assert.equal(states.at(-1)!.status, 'SUCCEEDED', name);
    assert.deepEqual(states.map((j) => `${j.version}:${j.status}`), log.slice(states[0]!.version - 1), `${name}: exactly the log from its first version`);
  }
  assert.ok(overWs.connectionStats.opened >= 3, `the ws client reconnected after each cut (${overWs.connectionStats.opened} sockets)`);
  assert.ok(overSse.connectionStats.opened >= 3, `the sse watch reconnected after each cut (${overSse.connectionStats.opened} streams)`);

  // The feed: every event of the job once, in order, although it too was cut twice.
  const until = Date.now() + 10_000;
  while (feedItems.filter((i) => i.job.id === job.id).length < log.length && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  feedStop.abort();
  await feeding;
  assert.deepEqual(feedItems.filter((i) => i.job.id === job.id).map((i) => `${i.job.version}:${i.job.status}`), log, 'the feed: the whole log, once each');
  assert.equal(new Set(feedItems.map((i) => i.cursor)).size, feedItems.length, 'no feed item twice');
});
