// Per-tenant limits (README, "Limits"): a job rate with a burst (RATE_LIMITED, HTTP 429 with
// Retry-After), a quota of unfinished jobs and of stored bytes (QUOTA_EXCEEDED), connections per
// tenant and subscriptions per connection; and fair claiming: one tenant's backlog, at any
// priority, does not hold back another tenant's job.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { speech } from './support/audio.ts';
import { gql, gqlUpload, subscribeSse, subscribeWs, wsClient } from './support/client.ts';
import { KEY_A, KEY_B, startTestServer, waitReady, type TestServer } from './support/server.ts';

const code = (r: { errors?: Array<{ extensions?: Record<string, any> }> }) => r.errors?.[0]?.extensions?.code;
const DENOISE = `mutation($a: ID!, $p: Int) { denoise(input: { audioId: $a, priority: $p, cache: false }) { id } }`;

async function upload(s: TestServer, key: string): Promise<string> {
  const r = await gqlUpload(s.url, key, `mutation($f: Upload!) { uploadAudio(file: $f) { id } }`, { f: null }, 'f', speech('limits'));
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  return r.data.uploadAudio.id;
}

describe('the job rate', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ RATE_LIMIT_JOBS_PER_SECOND: '2', RATE_LIMIT_JOBS_BURST: '5' });
  });
  after(() => s.close());

  test('a burst is admitted, then RATE_LIMITED with retryAfterSeconds and HTTP 429; other tenants are not affected; it refills', async () => {
    const a = await upload(s, KEY_A);
    const results = [];
    for (let i = 0; i < 8; i++) {
      const r = await fetch(`${s.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY_A}` },
        body: JSON.stringify({ query: DENOISE, variables: { a } }),
      });
      results.push({ status: r.status, retryAfter: r.headers.get('retry-after'), body: (await r.json()) as any });
    }
    const admitted = results.filter((r) => !r.body.errors);
    const limited = results.filter((r) => code(r.body) === 'RATE_LIMITED');
    assert.equal(admitted.length, 5, 'the burst');
    assert.equal(limited.length, 3);
    for (const r of limited) {
      assert.equal(r.status, 429);
      assert.ok(Number(r.retryAfter) >= 1);
      assert.ok(r.body.errors[0].extensions.retryAfterSeconds > 0 && r.body.errors[0].extensions.retryAfterSeconds <= 0.5);
    }
    const b = await upload(s, KEY_B);
    assert.equal((await gql(s.url, KEY_B, DENOISE, { a: b })).errors, undefined, 'tenant B has its own bucket');
    await new Promise((r) => setTimeout(r, 600)); // 2 per second: one token back
    assert.equal((await gql(s.url, KEY_A, DENOISE, { a })).errors, undefined);
  });

  test('a refused upload job stores nothing (refused before the file is read)', async () => {
    const before = (await gql(s.url, KEY_A, `{ jobs(first: 100) { nodes { id } } }`)).data.jobs.nodes.length;
    let limited = 0;
    for (let i = 0; i < 8; i++) {
      const r = await gqlUpload(s.url, KEY_A, `mutation($f: Upload!) { denoise(input: { file: $f }) { id } }`, { f: null }, 'f', speech('x'));
      if (code(r) === 'RATE_LIMITED') limited++;
    }
    assert.ok(limited >= 3, `${limited}`);
    const after = (await gql(s.url, KEY_A, `{ jobs(first: 100) { nodes { id } } }`)).data.jobs.nodes.length;
    assert.equal(after - before, 8 - limited);
  });
});

describe('quotas', () => {
  // One tenant per quota, so each test starts from zero.
  const K = { jobs: 'quota-key-jobs-0123456789', bytes: 'quota-key-bytes-0123456789', conns: 'quota-key-conns-0123456789', subs: 'quota-key-subs-0123456789' };
  let s: TestServer;
  before(async () => {
    s = await startTestServer({
      API_KEYS: Object.entries(K).map(([t, k]) => `${k}:${t}`).join(','),
      MAX_ACTIVE_JOBS_PER_TENANT: '3',
      MAX_STORAGE_BYTES_PER_TENANT: '400000',
      MAX_CONNECTIONS_PER_TENANT: '2',
      MAX_SUBSCRIPTIONS_PER_CONNECTION: '2',
    });
  });
  after(() => s.close());
  const WATCH = `subscription($id: ID!) { jobUpdated(id: $id) { status } }`;
  /** A subscription that stays open (no worker runs: the job stays QUEUED); resolves once it delivered its first state. */
  const openSubscription = (c: ReturnType<typeof wsClient>, id: string) =>
    new Promise<unknown>((resolve) => c.subscribe({ query: WATCH, variables: { id } }, { next: () => resolve('open'), error: (e) => resolve(e), complete: () => resolve('complete') }));
  const jobs = async (key: string, n: number) => {
    const a = await upload(s, key);
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push((await gql(s.url, key, DENOISE, { a })).data.denoise.id);
    return ids;
  };

  test('unfinished jobs: the fourth waiting job is QUOTA_EXCEEDED; a cancel frees a slot', async () => {
    const ids = await jobs(K.jobs, 3);
    const a = await upload(s, K.jobs);
    const r = await gql(s.url, K.jobs, DENOISE, { a });
    assert.equal(code(r), 'QUOTA_EXCEEDED');
    assert.deepEqual([r.errors![0]!.extensions!.quota, r.errors![0]!.extensions!.limit], ['activeJobs', 3]);
    await gql(s.url, K.jobs, `mutation($id: ID!) { cancelJob(id: $id) { status } }`, { id: ids[0] });
    assert.equal((await gql(s.url, K.jobs, DENOISE, { a })).errors, undefined);
  });

  test('stored bytes: an upload that would pass the quota is QUOTA_EXCEEDED and stores nothing', async () => {
    const clip = speech('a clip of about a hundred kilobytes, said slowly enough to take a while');
    let stored = 0;
    let refused;
    for (let i = 0; i < 10 && !refused; i++) {
      const r = await gqlUpload(s.url, K.bytes, `mutation($f: Upload!) { uploadAudio(file: $f) { id bytes } }`, { f: null }, 'f', clip);
      if (r.errors) refused = r;
      else stored += r.data.uploadAudio.bytes;
    }
    assert.equal(code(refused!), 'QUOTA_EXCEEDED');
    assert.equal(refused!.errors![0]!.extensions!.quota, 'storageBytes');
    assert.ok(stored <= 400_000 && stored > 0, `${stored} bytes kept`);
  });

  test('connections per tenant: a third graphql-ws socket is closed with 4029, SSE counts too; closing one frees it', async () => {
    const [id] = await jobs(K.conns, 1);
    const open = [wsClient(s.url, K.conns), wsClient(s.url, K.conns)];
    assert.deepEqual(await Promise.all(open.map((c) => openSubscription(c, id!))), ['open', 'open']);
    const third = await subscribeWs(s.url, K.conns, WATCH, { id }).done;
    assert.equal((third.error as { code?: number }).code, 4029);
    const sse = await subscribeSse(s.url, K.conns, WATCH, { id });
    assert.equal((sse.errors[0] as { extensions?: { code?: string } })?.extensions?.code, 'QUOTA_EXCEEDED');
    await open[0]!.dispose();
    await new Promise((r) => setTimeout(r, 200));
    const again = wsClient(s.url, K.conns);
    assert.equal(await openSubscription(again, id!), 'open');
    await Promise.all([open[1]!.dispose(), again.dispose()]);
  });

  test('subscriptions per connection: a third on one socket is QUOTA_EXCEEDED, the others stay open', async () => {
    const ids = await jobs(K.subs, 3);
    const c = wsClient(s.url, K.subs);
    assert.equal(await openSubscription(c, ids[0]!), 'open');
    assert.equal(await openSubscription(c, ids[1]!), 'open');
    const third = (await openSubscription(c, ids[2]!)) as Array<{ extensions?: { code?: string } }>;
    assert.equal(third[0]?.extensions?.code, 'QUOTA_EXCEEDED');
    await c.dispose();
  });
});

test('fair claiming: with 500 of tenant A\'s jobs waiting at top priority, tenant B\'s job starts right after the batch running', { timeout: 300_000 }, async () => {
  const s = await startTestServer({ WORKERS: '1', RATE_LIMIT_JOBS_PER_SECOND: '0' });
  try {
    await waitReady(s.url);
    const a = await upload(s, KEY_A);
    const b = await upload(s, KEY_B);
    for (let i = 0; i < 500; i++) assert.equal((await gql(s.url, KEY_A, DENOISE, { a, p: 100 })).errors, undefined);
    const submitted = Date.now();
    const jobB = (await gql(s.url, KEY_B, DENOISE, { a: b, p: 0 })).data.denoise.id;
    const done = await subscribeWs(s.url, KEY_B, `subscription($id: ID!) { jobUpdated(id: $id) { status startedAt } }`, { id: jobB }).done;
    const final = done.items.at(-1).jobUpdated;
    assert.equal(final.status, 'SUCCEEDED');
    // A's jobs that started after B's job was sent and before it started: at most the batch the
    // worker had already claimed and what the maintenance pass had not yet re-ranked.
    const started: number[] = [];
    for (let after: string | null = null; ; ) {
      const page: any = await gql(s.url, KEY_A, `query($after: String) { jobs(first: 100, after: $after) { nodes { startedAt } pageInfo { hasNextPage endCursor } } }`, { after });
      for (const j of page.data.jobs.nodes) if (j.startedAt) started.push(Date.parse(j.startedAt));
      if (!page.data.jobs.pageInfo.hasNextPage) break;
      after = page.data.jobs.pageInfo.endCursor;
    }
    const aheadOfB = started.filter((t) => t > submitted && t < Date.parse(final.startedAt)).length;
    console.log(`# tenant B's job started ${Date.parse(final.startedAt) - submitted} ms after it was sent; ${aheadOfB} of A's 500 started before it`);
    assert.ok(aheadOfB <= 16, `${aheadOfB} of A's jobs went first`);
    const pending = (await gql(s.url, KEY_A, `{ jobs(first: 100, status: QUEUED) { nodes { id } } }`)).data.jobs.nodes.length;
    assert.ok(pending > 0, "A's backlog was still waiting when B's job ran");
  } finally {
    await s.close();
  }
});
