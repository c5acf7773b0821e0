// Requests a careless or hostile client sends get a 4xx and a code, never a 5xx.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { gql } from './support/client.ts';
import { KEY_A, startTestServer, type TestServer } from './support/server.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

test('a download URL with a malformed %-escape is URL_INVALID (403), not a 500', async () => {
  for (const path of ['/files/%E0%A4%A', '/files/%', '/files/%zz?exp=1&sig=x']) {
    const r = await fetch(`${s.url}${path}`);
    assert.equal(r.status, 403, path);
    assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'URL_INVALID');
  }
});

test('forged jobs(after:) cursors are BAD_USER_INPUT, whatever date they carry', async () => {
  const forged = [
    '+275760-09-13T00:00:00.000Z|8b8a2c59-4b77-4b1c-9f5c-0a1d2a3b4c5d',
    '-271821-04-20T00:00:00.000Z|8b8a2c59-4b77-4b1c-9f5c-0a1d2a3b4c5d',
    '1970-01-01|8b8a2c59-4b77-4b1c-9f5c-0a1d2a3b4c5d',
    '2026-01-01T00:00:00.000Z|not-a-uuid',
    '2026-01-01T00:00:00.000Z|8b8a2c59-4b77-4b1c-9f5c-0a1d2a3b4c5d|extra',
  ].map((c) => Buffer.from(c).toString('base64url'));
  for (const after of [...forged, '', '%%%', 'x'.repeat(10_000)]) {
    const r = await gql(s.url, KEY_A, `query($a: String) { jobs(first: 1, after: $a) { nodes { id } } }`, { a: after });
    assert.equal(r.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', `${after.slice(0, 40)}: ${JSON.stringify(r)}`);
  }
});

test('a graphql-ws client that sends a message only a server may send is closed with 4400, not 4500', async () => {
  for (const type of ['next', 'error', 'connection_ack']) {
    const ws = new WebSocket(s.url.replace(/^http/, 'ws') + '/graphql', 'graphql-transport-ws');
    await new Promise((r) => ws.on('open', r));
    ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${KEY_A}` } }));
    await new Promise((r) => ws.once('message', r));
    ws.send(JSON.stringify({ type, id: '1', payload: {} }));
    const code = await new Promise<number>((r) => ws.on('close', (c) => r(c)));
    assert.equal(code, 4400, type);
  }
  assert.equal((await gql(s.url, KEY_A, '{ __typename }')).data.__typename, 'Query');
});
