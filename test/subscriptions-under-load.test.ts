// Every subscriber gets every event, under the load the README's bench measures: 300 jobs, each
// uploaded with its mutation, 16 in flight, two real workers. Half the jobs are watched over
// graphql-ws (several subscriptions per socket), half over SSE; some subscribe with afterVersion: 0
// (the whole history), the others from the current state. Each subscription must end with the
// final state, its versions strictly increasing by one, and match the job's event log.
//
// The clients here wait for the server's `complete` rather than unsubscribing when they see the
// final state: graphql-ws 6.4.2's client loses other subscriptions on the socket when they do
// (documented, and reproduced, in graphql-ws-client-race.test.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Client } from 'graphql-ws';
import { speech } from './support/audio.ts';
import { gql, gqlUpload, subscribeSse, wsClient } from './support/client.ts';
import { KEY_A, startTestServer, waitReady, type TestServer } from './support/server.ts';

const JOBS = 300;
const IN_FLIGHT = 16;
const SOCKETS = 4; // graphql-ws connections shared by the lanes: ~2 subscriptions each at a time
const FINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);
const WATCH = `subscription($id: ID!, $after: Int) { jobUpdated(id: $id, afterVersion: $after) { id status version progress } }`;

let s: TestServer;
let clip: Buffer;
before(async () => {
  s = await startTestServer({ WORKERS: '2' });
  await waitReady(s.url);
  clip = readFileSync(speech('one short clip'));
});
after(() => s.close());

type Seen = { id: string; transport: 'ws' | 'sse'; fromStart: boolean; versions: number[]; statuses: string[]; error?: unknown };

function watchWs(client: Client, id: string, fromStart: boolean): Promise<Seen> {
  const seen: Seen = { id, transport: 'ws', fromStart, versions: [], statuses: [] };
  return new Promise((resolve) => {
    client.subscribe<any>(
      { query: WATCH, variables: { id, after: fromStart ? 0 : null } },
      {
        next: (v) => {
          if (v.errors) seen.error = v.errors;
          else {
            seen.versions.push(v.data.jobUpdated.version);
            seen.statuses.push(v.data.jobUpdated.status);
          }
        },
        error: (error) => resolve({ ...seen, error }),
        complete: () => resolve(seen),
      },
    );
  });
}

async function watchSse(id: string, fromStart: boolean): Promise<Seen> {
  const r = await subscribeSse<any>(s.url, KEY_A, WATCH, { id, after: fromStart ? 0 : null });
  return {
    id,
    transport: 'sse',
    fromStart,
    versions: r.items.map((i) => i.jobUpdated.version),
    statuses: r.items.map((i) => i.jobUpdated.status),
    error: r.errors.length ? r.errors : undefined,
  };
}

test(`${JOBS} uploads + jobs, ${IN_FLIGHT} in flight, 2 workers: every subscription over graphql-ws and SSE delivers every event`, { timeout: 240_000 }, async () => {
  const sockets = Array.from({ length: SOCKETS }, () => wsClient(s.url, KEY_A));
  const seen: Seen[] = [];
  let n = 0;
  const lane = async (l: number) => {
    while (n < JOBS) {
      const i = n++;
      const res = await gqlUpload(s.url, KEY_A, `mutation($f: Upload!) { denoise(input: { file: $f }) { id } }`, { f: null }, 'f', clip);
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      const id = res.data.denoise.id;
      const fromStart = i % 3 === 0;
      seen.push(await (i % 2 ? watchSse(id, fromStart) : watchWs(sockets[l % SOCKETS]!, id, fromStart)));
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, (_, l) => lane(l)));
  await Promise.all(sockets.map((c) => c.dispose()));

  assert.equal(seen.length, JOBS);
  const problems: string[] = [];
  for (const w of seen) {
    const { data } = await gql(s.url, KEY_A, `query($id: ID!) { job(id: $id) { status version events { version status } } }`, { id: w.id });
    const log = data.job.events.map((e: { version: number }) => e.version);
    const expected = w.fromStart ? log : log.filter((v: number) => v >= w.versions[0]!);
    const label = `${w.transport}${w.fromStart ? ' afterVersion 0' : ''} ${w.id}`;
    if (w.error) problems.push(`${label}: error ${JSON.stringify(w.error)}`);
    else if (!FINAL.has(w.statuses.at(-1) ?? '')) problems.push(`${label}: ended without a final state (${w.statuses.join(' ')})`);
    else if (w.statuses.at(-1) !== 'SUCCEEDED') problems.push(`${label}: ${w.statuses.at(-1)}`);
    else if (JSON.stringify(w.versions) !== JSON.stringify(expected)) problems.push(`${label}: saw versions ${w.versions} of ${log}`);
  }
  assert.deepEqual(problems, [], `${problems.length} of ${JOBS} subscriptions went wrong`);
  // Both transports, both ways of subscribing, were exercised.
  for (const t of ['ws', 'sse'] as const) for (const f of [true, false]) assert.ok(seen.some((w) => w.transport === t && w.fromStart === f));
});
