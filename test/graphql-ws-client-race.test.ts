// DOCUMENTS UPSTREAM BEHAVIOUR: graphql-ws 6.4.2's client, not our server.
//
// A client that unsubscribes inside `next` when it sees a job's final state (what UI code does on
// unmount), while the server's `complete` for that subscription arrives in the same socket read,
// runs the subscription's releaser twice (dist/client.js: `releaser()` from the caller, then again
// for the Complete message, whose listener is removed only a microtask later), so the connection's
// lock count drops by two. At zero the client closes the shared socket with 1000 and completes every
// other subscription on it without an error and without its events.
//
// Here each round watches 8 jobs still queued (no worker runs) and 8 that already finished, on one
// socket. The finished ones get their final state and `complete` back to back, so each of their
// unsubscribes may release twice; the queued ones must stay open until the client is disposed. When this test fails, upstream has fixed the
// race: check the version, drop the workaround notes (README "Subscriptions") and this test.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { speech } from './support/audio.ts';
import { gql, gqlUpload } from './support/client.ts';
import { KEY_A, startTestServer, type TestServer } from './support/server.ts';

const ROUNDS = 10; // 16 subscriptions at a time on one socket, 160 in all
const WATCH = `subscription($id: ID!) { jobUpdated(id: $id) { status } }`;

let s: TestServer;
const finished: string[] = [];
const queued: string[] = [];
before(async () => {
  s = await startTestServer({ WORKERS: '0' });
  const up = await gqlUpload(s.url, KEY_A, `mutation($f: Upload!) { uploadAudio(file: $f) { id } }`, { f: null }, 'f', speech('race'));
  for (let i = 0; i < 16; i++) {
    const { data } = await gql(s.url, KEY_A, `mutation($a: ID!) { denoise(input: { audioId: $a }) { id } }`, { a: up.data.uploadAudio.id });
    if (i % 2) queued.push(data.denoise.id);
    else {
      await gql(s.url, KEY_A, `mutation($id: ID!) { cancelJob(id: $id) { status } }`, { id: data.denoise.id });
      finished.push(data.denoise.id); // CANCELLED: final
    }
  }
});
after(() => s.close());

/**
 * One round on one client: a subscription to each queued job, then one to each finished job
 * (unsubscribing on its final state, or waiting for complete). Returns how many subscriptions to
 * queued jobs ended before the client was disposed: lost, since their jobs never finished.
 */
async function round(unsubscribeOnFinal: boolean): Promise<number> {
  const client = createClient({
    url: s.url.replace(/^http/, 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${KEY_A}` },
    retryAttempts: 0,
    lazy: true,
  });
  let early = 0;
  let disposed = false;
  const open = queued.map(
    (id) =>
      new Promise<void>((resolve) => {
        const end = () => {
          if (!disposed) early++;
          resolve();
        };
        client.subscribe<any>({ query: WATCH, variables: { id } }, { next: () => {}, error: end, complete: end });
      }),
  );
  await new Promise((r) => setTimeout(r, 200)); // every queued subscription is established
  await Promise.all(
    finished.map(
      (id) =>
        new Promise<void>((resolve) => {
          const unsubscribe = client.subscribe<any>(
            { query: WATCH, variables: { id } },
            {
              next: (v) => {
                if (v.data?.jobUpdated?.status === 'CANCELLED' && unsubscribeOnFinal) {
                  unsubscribe();
                  resolve();
                }
              },
              error: () => resolve(),
              complete: () => resolve(),
            },
          );
        }),
    ),
  );
  await new Promise((r) => setTimeout(r, 200)); // time for the client to close the socket, if it does
  disposed = true;
  await client.dispose();
  await Promise.all(open);
  return early;
}

test('graphql-ws 6.4.2 client: unsubscribing inside next loses other subscriptions on the socket (upstream race)', { timeout: 120_000 }, async () => {
  let lost = 0;
  for (let r = 0; r < ROUNDS; r++) lost += await round(true);
  assert.ok(lost > 0, 'no subscription was lost: has graphql-ws fixed the releaser race? (see the header of this file)');
  console.log(`# unsubscribe inside next: ${lost} of ${ROUNDS * queued.length} open subscriptions were completed by the client, without their jobs' final states`);
});

test('the same subscriptions lose nothing when the client waits for the server\'s complete', { timeout: 120_000 }, async () => {
  let lost = 0;
  for (let r = 0; r < ROUNDS; r++) lost += await round(false);
  assert.equal(lost, 0);
});
