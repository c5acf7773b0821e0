// GraphiQL, the UI a newcomer meets first, in a real browser (Debian's Chromium): it loads with no
// internet access (bundled, not from a CDN), development mode fills in the key, and a query run
// from the UI returns data from the server.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import puppeteer, { type Browser } from 'puppeteer-core';
import { speech } from './support/audio.ts';
import { gqlUpload } from './support/client.ts';
import { startTestServer, type TestServer } from './support/server.ts';

const CHROMIUM = '/usr/bin/chromium';
let s: TestServer;
let browser: Browser;
before(async () => {
  assert.ok(existsSync(CHROMIUM), 'chromium is installed by scripts/ensure-system-deps.sh --test');
  s = await startTestServer({ API_KEYS: undefined }); // development mode: one key, tenant "dev"
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
});
after(async () => {
  await browser?.close();
  await s?.close();
});

test('GraphiQL runs a query with the development key and shows the result', { timeout: 90_000 }, async () => {
  const upload = await gqlUpload(s.url, s.devKey!, `mutation($f: Upload!) { uploadAudio(file: $f) { id } }`, { f: null }, 'f', speech('graphiql'));
  const audioId = upload.data.uploadAudio.id;

  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  const offsite: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(s.url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) offsite.push(r.url());
  });
  const query = `{ audio(id: "${audioId}") { id contentType } }`;
  await page.goto(`${s.url}/graphql?query=${encodeURIComponent(query)}`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('.graphiql-execute-button', { timeout: 30_000 });
  await page.click('.graphiql-execute-button');
  try {
    await page.waitForFunction((id: string) => document.querySelector('.result-window')?.textContent?.includes(id), { timeout: 30_000 }, audioId);
  } catch (err) {
    await page.screenshot({ path: `${s.dataDir}/../graphiql-failure.png` });
    throw err;
  }
  const result = await page.$eval('.result-window', (el) => el.textContent ?? '');
  assert.match(result, /audio\/wav/);
  assert.deepEqual(offsite, [], 'the page loads nothing from outside the server');
});
