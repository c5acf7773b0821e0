// Slow and hostile clients (README, "Limits"): a half-sent upload is cut off after the idle timeout
// and leaves nothing behind; a WebSocket that never initialises is closed; oversized WebSocket
// messages close the socket; other origins cannot read our responses (nor the development key).
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { KEY_A, startTestServer, type TestServer } from './support/server.ts';

const filesIn = (dir: string): string[] => {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  } catch {
    return [];
  }
};

describe('timeouts', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ HTTP_IDLE_TIMEOUT_SECONDS: '1', HTTP_HEADERS_TIMEOUT_SECONDS: '2', WS_INIT_TIMEOUT_SECONDS: '1', WS_MAX_MESSAGE_BYTES: '4096' });
  });
  after(() => s.close());

  test('an upload that stops halfway is cut off after the idle timeout and leaves no file', async () => {
    const port = Number(new URL(s.url).port);
    const boundary = 'xyzBOUNDARY';
    const sock = connect(port, '127.0.0.1');
    const closed = new Promise<number>((resolve) => {
      const t0 = Date.now();
      sock.on('close', () => resolve(Date.now() - t0));
    });
    sock.on('error', () => {});
    const ops = JSON.stringify({ query: 'mutation($f: Upload!) { uploadAudio(file: $f) { id } }', variables: { f: null } });
    const body =
      `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${ops}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.f"]}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\nRIFF`;
    sock.write(
      `POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY_A}\r\nGraphQL-Require-Preflight: 1\r\n` +
        `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 1000000\r\n\r\n${body}${'x'.repeat(50_000)}`,
    );
    const ms = await closed; // and then: silence
    assert.ok(ms >= 900 && ms < 5000, `closed after ${ms} ms`);
    for (let i = 0; i < 30 && filesIn(join(s.dataDir, 'tmp')).length; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(filesIn(join(s.dataDir, 'tmp')), [], 'no partial upload is left');
    assert.deepEqual(filesIn(join(s.dataDir, 'objects')), []);
    assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
  });

  test('a client that sends its headers slowly is cut off', async () => {
    const sock = connect(Number(new URL(s.url).port), '127.0.0.1');
    sock.on('error', () => {});
    const closed = new Promise<void>((resolve) => sock.on('close', () => resolve()));
    sock.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => sock.write('X-Slow: 1\r\n'), 300); // never finishes
    const t0 = Date.now();
    await closed;
    clearInterval(drip);
    assert.ok(Date.now() - t0 < 6000, `${Date.now() - t0} ms`);
  });

  test('a WebSocket that never sends connection_init is closed with 4408', async () => {
    const ws = new WebSocket(s.url.replace(/^http/, 'ws') + '/graphql', 'graphql-transport-ws');
    const [code] = await new Promise<[number]>((resolve) => ws.on('close', (c) => resolve([c])));
    assert.equal(code, 4408);
  });

  test('a WebSocket message over WS_MAX_MESSAGE_BYTES closes the socket (1009)', async () => {
    const ws = new WebSocket(s.url.replace(/^http/, 'ws') + '/graphql', 'graphql-transport-ws');
    await new Promise((r) => ws.on('open', r));
    ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${KEY_A}` } }));
    await new Promise((r) => ws.on('message', r)); // connection_ack
    ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: `{ ${'__typename '.repeat(1000)} }` } }));
    const code = await new Promise<number>((resolve) => ws.on('close', (c) => resolve(c)));
    assert.equal(code, 1009);
  });
});

describe('other origins', () => {
  test('by default no other origin may read a response (no Access-Control-Allow-Origin), preflights included', async () => {
    const s = await startTestServer();
    try {
      const r = await fetch(`${s.url}/graphql`, { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
      assert.equal(r.headers.get('access-control-allow-origin'), null);
      const pre = await fetch(`${s.url}/graphql`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' } });
      assert.equal(pre.headers.get('access-control-allow-origin'), null);
    } finally {
      await s.close();
    }
  });

  test('CORS_ORIGINS lists the origins that may, and no other', async () => {
    const s = await startTestServer({ CORS_ORIGINS: 'https://app.example' });
    try {
      const ok = await fetch(`${s.url}/graphql`, { method: 'POST', headers: { origin: 'https://app.example', 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
      assert.equal(ok.headers.get('access-control-allow-origin'), 'https://app.example');
      const no = await fetch(`${s.url}/graphql`, { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
      assert.notEqual(no.headers.get('access-control-allow-origin'), 'https://evil.example');
      assert.notEqual(no.headers.get('access-control-allow-origin'), '*');
    } finally {
      await s.close();
    }
  });

  test('development: GraphiQL carries the key when the developer opens it, not when another site asks for the page', async () => {
    const s = await startTestServer({ API_KEYS: undefined, NODE_ENV: 'development' });
    try {
      const page = (site: string) => fetch(`${s.url}/graphql`, { headers: { accept: 'text/html', 'sec-fetch-site': site } }).then((r) => r.text());
      assert.ok((await page('none')).includes(s.devKey!), 'typed into the address bar');
      assert.ok(!(await page('cross-site')).includes(s.devKey!), 'asked for by another site');
    } finally {
      await s.close();
    }
  });
});
