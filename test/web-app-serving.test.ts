// How the API serves the web app: index.html at / with a strict CSP (and the development key only
// in development, only to a same-site or typed-in request), hashed assets cached for good, nothing
// else from the disk, and no route shadowed.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from './support/server.ts';

let prod: TestServer;
let dev: TestServer;
before(async () => {
  [prod, dev] = await Promise.all([startTestServer(), startTestServer({ API_KEYS: undefined })]);
});
after(async () => {
  await prod?.close();
  await dev?.close();
});

test('/ is the app with a strict Content-Security-Policy; its assets are immutable', async () => {
  const r = await fetch(`${prod.url}/`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type')!, /^text\/html/);
  const csp = r.headers.get('content-security-policy')!;
  for (const rule of ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "connect-src 'self' ws: wss:"]) assert.ok(csp.includes(rule), `${rule} in ${csp}`);
  const html = await r.text();
  assert.ok(!html.includes('voxgraph-dev-key'), 'no key in production');
  const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  assert.ok(script, 'the page loads its bundle from /assets/');
  const js = await fetch(`${prod.url}${script}`);
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type')!, /^text\/javascript/);
  assert.match(js.headers.get('cache-control')!, /immutable/);
  assert.ok(!/https?:\/\/(?!localhost|127\.0\.0\.1|www\.w3\.org|github\.com|reactjs\.org|react\.dev)[a-z0-9.-]+\/[^"'\s]*\.(js|css|woff2?)/i.test(await js.text()), 'the bundle pulls no script, style or font from another site');
});

test('the development key is in the page only in development, and not for a page another site asked for', async () => {
  const own = await (await fetch(`${dev.url}/`)).text();
  assert.ok(own.includes(`content="${dev.devKey}"`));
  const crossSite = await (await fetch(`${dev.url}/`, { headers: { 'sec-fetch-site': 'cross-site' } })).text();
  assert.ok(!crossSite.includes('voxgraph-dev-key'));
});

test('only the built assets are served: traversal, unknown files and other methods are refused; other routes keep theirs', async () => {
  const built = readdirSync('web/dist/assets');
  assert.ok(built.length > 0);
  for (const path of ['/assets/../../package.json', '/assets/%2e%2e/%2e%2e/package.json', '/assets/.hidden', '/assets/nope.js', '/assets/', '/index.htm', '/src/main.tsx']) {
    const r = await fetch(`${prod.url}${path}`);
    assert.equal(r.status, 404, `${path}: ${r.status}`);
  }
  assert.equal((await fetch(`${prod.url}/`, { method: 'POST' })).status, 405);
  assert.equal((await fetch(`${prod.url}/healthz`)).status, 200);
  assert.match(await (await fetch(`${prod.url}/graphql`, { headers: { accept: 'text/html' } })).text(), /graphiql/i);
});
