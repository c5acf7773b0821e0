// What one GraphQL operation may cost (README, "Limits"): documents too big or too complex are
// refused with a code before they run, a flood of big anonymous documents cannot fill the heap, a
// list of 100 jobs with their audio, events and results costs a handful of queries, and the
// introspection policy holds.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { getIntrospectionQuery } from 'graphql';
import { startApiChild } from '../bench/support.ts';
import { speech } from './support/audio.ts';
import { createTestDatabase } from './support/database.ts';
import { gql, gqlUpload, subscribeWs } from './support/client.ts';
import { KEY_A, startTestServer, type TestServer } from './support/server.ts';

const post = async (s: TestServer, key: string | null, body: string) => {
  const r = await fetch(`${s.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) }, body });
  return { status: r.status, body: (await r.json()) as { data?: any; errors?: Array<{ message: string; extensions?: Record<string, any> }> } };
};
const code = (r: { body: { errors?: Array<{ extensions?: Record<string, any> }> } }) => r.body.errors?.[0]?.extensions?.code;

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

describe('documents over a limit are refused with a code, before they run', () => {
  test('a 1 MiB body of aliased __typename without a key: QUERY_TOO_LARGE (413), and 150 distinct ones do not grow the server', async () => {
    // The server in a process of its own, so its memory is its own.
    const db = await createTestDatabase();
    const dataDir = mkdtempSync(join(tmpdir(), 'voxgraph-limits-'));
    const api = await startApiChild({ databaseUrl: db.url, dataDir, apiKey: KEY_A, env: { WORKERS: '0', NODE_ENV: 'development' } });
    try {
      const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${api.child.pid}/status`, 'utf8'))![1]) / 1024;
      await post({ url: api.url } as TestServer, null, JSON.stringify({ query: '{ __typename }' }));
      const before = rss();
      for (let i = 0; i < 150; i++) {
        const query = `{ ${Array.from({ length: 60_000 }, (_, k) => `a${i}_${k}: __typename`).join(' ')} }`.slice(0, (1 << 20) - 100);
        const r = await post({ url: api.url } as TestServer, null, JSON.stringify({ query }));
        assert.equal(r.status, 413);
        assert.equal(code(r), 'QUERY_TOO_LARGE');
        assert.equal(r.body.errors![0]!.extensions!.limit, 'bytes');
      }
      const grew = rss() - before;
      // 150 MiB of bodies went through: one kept per request would add ≥ 150 MiB. Without a leak
      // RSS still grows 35–65 MiB here, by when the collector runs (measured 2026-12-03: 35.6,
      // 64.8, 36.8, 35.1; CI under load saw 71 and 72), so the bar is 100, not the 64 it was.
      assert.ok(grew < 100, `the server's RSS grew ${grew.toFixed(0)} MiB`);
      assert.equal((await fetch(`${api.url}/healthz`)).status, 200);
    } finally {
      await api.stop();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('4,000 aliased __schema in 163 KB: refused without running', async () => {
    const query = `{ ${Array.from({ length: 4000 }, (_, k) => `s${k}: __schema { types { name fields { name } } }`).join(' ')} }`;
    const t = Date.now();
    const r = await post(s, KEY_A, JSON.stringify({ query }));
    assert.equal(code(r), 'QUERY_TOO_LARGE');
    assert.ok(Date.now() - t < 500, `${Date.now() - t} ms`);
  });

  test('tokens, aliases, directives and cost each have a limit', async () => {
    const cases: Array<[string, string, string]> = [
      ['tokens', 'QUERY_TOO_LARGE', `{ ${'x '.repeat(2100)} }`], // 4 KB, 2,100 tokens
      ["aliases", "QUERY_TOO_COMPLEX", `{ ${Array.from({ length: 31 }, (_, k) => `a${k}: engines { name }`).join(" ")} }`],
      ['directives', 'QUERY_TOO_COMPLEX', `{ __typename ${'@include(if: true) '.repeat(21)} }`],
      ['cost', 'QUERY_TOO_COMPLEX', `{ ${Array.from({ length: 25 }, (_, k) => `j${k}: jobs(first: 100) { nodes { id kind status input { id url sha256 bytes } events { version status error { code message } } } }`).join(' ')} }`],
    ];
    for (const [limit, expected, query] of cases) {
      const r = await post(s, KEY_A, JSON.stringify({ query }));
      assert.equal(code(r), expected, `${limit}: ${JSON.stringify(r.body).slice(0, 300)}`);
      assert.equal(r.body.errors![0]!.extensions!.limit, limit);
      assert.equal(typeof r.body.errors![0]!.extensions!.max, 'number');
    }
  });

  test('depth has a limit too (the schema is shallow: shown with GRAPHQL_MAX_DEPTH=3)', async () => {
    const p = await startTestServer({ GRAPHQL_MAX_DEPTH: '3' });
    try {
      const ok = await post(p, KEY_A, JSON.stringify({ query: '{ jobs { nodes { id } } }' }));
      assert.equal(ok.body.errors, undefined);
      const deep = await post(p, KEY_A, JSON.stringify({ query: '{ jobs { nodes { input { id } } } }' }));
      assert.equal(code(deep), 'QUERY_TOO_COMPLEX');
      assert.equal(deep.body.errors![0]!.extensions!.limit, 'depth');
    } finally {
      await p.close();
    }
  });

  test('the same limits hold over graphql-ws', async () => {
    const aliases = Array.from({ length: 31 }, (_, k) => `a${k}: id`).join(' ');
    const r = await subscribeWs(s.url, KEY_A, `subscription { jobUpdated(id: "00000000-0000-4000-8000-000000000000") { ${aliases} } }`, {}).done;
    assert.equal((r.error as Array<{ extensions?: { code?: string } }>)?.[0]?.extensions?.code, 'QUERY_TOO_COMPLEX', JSON.stringify(r));
    const big = await subscribeWs(s.url, KEY_A, `subscription { ${'x '.repeat(9000)} }`, {}).done;
    assert.equal((big.error as Array<{ extensions?: { code?: string } }>)?.[0]?.extensions?.code, 'QUERY_TOO_LARGE', JSON.stringify(big));
  });
});

test('100 jobs with their input audio, events and results cost a handful of queries (DataLoader), not 300', async () => {
  const up = await gqlUpload(s.url, KEY_A, `mutation($f: Upload!) { uploadAudio(file: $f) { id } }`, { f: null }, 'f', speech('list'));
  for (let i = 0; i < 100; i++) {
    const r = await gql(s.url, KEY_A, `mutation($a: ID!) { denoise(input: { audioId: $a }) { id } }`, { a: up.data.uploadAudio.id });
    assert.equal(r.errors, undefined);
  }
  const pool = s.deps.pool as unknown as { query: (...a: unknown[]) => unknown };
  const real = pool.query;
  let queries = 0;
  pool.query = (...a: unknown[]) => (queries++, real.apply(s.deps.pool, a));
  try {
    const r = await gql(s.url, KEY_A, `{ jobs(first: 100) { nodes { id input { url sha256 } events { version status } result { __typename ... on DenoiseResult { audio { url } } } } } }`);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    assert.equal(r.data.jobs.nodes.length, 100);
    assert.ok(queries <= 4, `${queries} queries`);
  } finally {
    pool.query = real;
  }
});

describe('introspection policy', () => {
  test('development default: introspection needs no key (GraphiQL, SDK generators), data does', async () => {
    const r = await post(s, null, JSON.stringify({ query: getIntrospectionQuery() }));
    assert.equal(r.body.errors, undefined);
    assert.ok(r.body.data.__schema.types.length > 10);
  });

  test('GRAPHQL_INTROSPECTION=authenticated (the production default): a request without a key is refused before parsing', async () => {
    const p = await startTestServer({ GRAPHQL_INTROSPECTION: 'authenticated' });
    try {
      const r = await post(p, null, JSON.stringify({ query: '{ __typename }' }));
      assert.equal(r.status, 401);
      assert.equal(code(r), 'UNAUTHENTICATED');
      assert.equal((await post(p, KEY_A, JSON.stringify({ query: getIntrospectionQuery() }))).body.errors, undefined);
    } finally {
      await p.close();
    }
  });

  test('GRAPHQL_INTROSPECTION=off: no introspection for anyone (use schema/schema.graphql)', async () => {
    const p = await startTestServer({ GRAPHQL_INTROSPECTION: 'off' });
    try {
      const r = await post(p, KEY_A, JSON.stringify({ query: getIntrospectionQuery() }));
      assert.ok(r.body.errors?.length, JSON.stringify(r.body).slice(0, 200));
      assert.equal((await post(p, KEY_A, JSON.stringify({ query: '{ jobs { nodes { id } } }' }))).body.errors, undefined);
    } finally {
      await p.close();
    }
  });
});
