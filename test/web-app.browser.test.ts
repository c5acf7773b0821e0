// The web app in a real browser (Debian's Chromium) against a real server and worker: sign-in
// (an invalid key refused, the development key prefilled, the keyboard alone enough), a noisy
// clip uploaded and watched to SUCCEEDED in the live list, its page with both waveforms and the
// result playing; an align job's word timeline highlighting the word being played; a synthesize
// job playing; the feed adding a job submitted elsewhere without a reload; the engines page; a
// phone's width without sideways scrolling. SCREENSHOTS=docs/screenshots writes the README's.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import puppeteer, { type Browser, type ElementHandle, type Page } from 'puppeteer-core';
import { createClient } from '../sdk/src/index.ts';
import { longAudio, noisySpeech, speech, speechWithTimings } from './support/audio.ts';
import { startTestServer, waitReady, type TestServer } from './support/server.ts';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = process.env.SCREENSHOTS;
let s: TestServer;
let browser: Browser;
let page: Page;
const offsite: string[] = [];

before(async () => {
  assert.ok(existsSync(CHROMIUM), 'chromium is installed by scripts/ensure-system-deps.sh --test');
  assert.ok(existsSync('web/dist/index.html'), 'the app is built (npm run web:build; npm test does it)');
  s = await startTestServer({ API_KEYS: undefined, WORKERS: '1' }); // development mode: tenant "dev", key printed
  await waitReady(s.url);
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--autoplay-policy=no-user-gesture-required', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--mute-audio'],
  });
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.on('request', (r) => {
    if (!r.url().startsWith(s.url) && !/^(data|blob):/.test(r.url())) offsite.push(r.url());
  });
  page.on('pageerror', (e) => console.error('# page error:', e));
  page.on('console', (m) => m.type() === 'error' && console.error('# console:', m.text()));
});
after(async () => {
  await browser?.close();
  await s?.close();
});

async function shot(p: Page, name: string) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Waits for a condition in the page, with a screenshot of the page when it does not come. */
async function until(p: Page, fn: string, what: string, timeout = 60_000) {
  try {
    await p.waitForFunction(fn, { timeout, polling: 100 });
  } catch (err) {
    await p.screenshot({ path: join(s.dataDir, '..', `web-failure-${what.replace(/\W+/g, '-')}.png`), fullPage: true });
    const waves = await p.$$eval('[data-waveform]', (els) => els.map((e) => [...e.attributes].map((a) => `${a.name}=${a.value}`).join(' '))).catch(() => []);
    console.error(`# ${what}: waveforms ${JSON.stringify(waves)}`);
    throw new Error(`${what}: ${(err as Error).message}`);
  }
}

/** An in-app navigation (the hash), as a link does. */
const nav = (p: Page, hash: string) => p.evaluate((h) => void (location.hash = h), hash);

const jobRows = (p: Page) => p.$$eval('li.job', (els) => els.map((e) => ({ id: e.getAttribute('data-job-id')!, status: e.getAttribute('data-status')! })));

async function submit(p: Page, opts: { kind: 'denoise' | 'align' | 'synthesize'; files?: string[]; transcript?: string; text?: string }) {
  const before = new Set((await jobRows(p)).map((r) => r.id));
  await p.click(`input[name="kind"][value="${opts.kind.toUpperCase()}"]`);
  if (opts.files) await ((await p.$('#audio-files')) as ElementHandle<HTMLInputElement>).uploadFile(...opts.files);
  if (opts.transcript) await p.type('textarea', opts.transcript);
  if (opts.text) await p.type('textarea', opts.text);
  await p.click('form button[type="submit"]');
  await until(p, `document.querySelectorAll('li.job').length > ${before.size}`, `the new ${opts.kind} job listed`);
  const id = (await jobRows(p)).map((r) => r.id).find((x) => !before.has(x))!;
  return id;
}

async function openJob(p: Page, id: string) {
  await p.click(`li.job[data-job-id="${id}"] a.job-link`);
  await until(p, `document.querySelector('.job-page[data-job-id="${id}"]')`, 'the job page');
}

async function playAndHear(p: Page, label: string) {
  await until(p, `document.querySelector('[data-waveform="${label}"][data-state="ready"]')`, `${label} waveform drawn`);
  await p.click(`[data-waveform="${label}"] figcaption button`);
  await until(p, `Number(document.querySelector('[data-waveform="${label}"]')?.dataset.time ?? 0) > 0.2`, `${label} playing (its playhead moves)`);
}

test('an invalid key is refused with the server\'s code, and no page is shown', { timeout: 60_000 }, async () => {
  const ctx = await browser.createBrowserContext();
  const p = await ctx.newPage();
  await p.goto(`${s.url}/`, { waitUntil: 'networkidle0' });
  const prefilled = await p.$eval('#api-key', (e) => (e as HTMLInputElement).value);
  assert.equal(prefilled, s.devKey, 'development mode fills in the printed key');
  await shot(p, 'sign-in');
  await p.$eval('#api-key', (e) => ((e as HTMLInputElement).value = ''));
  await p.type('#api-key', 'not-a-valid-key-0123456789');
  await p.click('button[type="submit"]');
  await until(p, `document.querySelector('[role="alert"]')?.textContent.includes('UNAUTHENTICATED')`, 'the refusal shown');
  assert.equal(await p.$('li.job'), null);
  await ctx.close();
});

test('sign in with the keyboard alone; the lists start empty with their empty states', { timeout: 60_000 }, async () => {
  await page.goto(`${s.url}/`, { waitUntil: 'networkidle0' });
  await page.focus('#api-key');
  await page.keyboard.press('Enter');
  await until(page, `document.querySelector('#live-jobs') && document.querySelector('.empty')`, 'signed in, the empty list shown');
  // Every form control has a label, every button a name.
  const unlabeled = await page.$$eval('input, select, textarea, button', (els) =>
    els.filter((e) => {
      const c = e as HTMLInputElement;
      if (c.type === 'hidden') return false;
      const name = c.getAttribute('aria-label') || (c.labels && c.labels.length) || (e.tagName === 'BUTTON' && e.textContent?.trim());
      return !name;
    }).map((e) => e.outerHTML.slice(0, 80)),
  );
  assert.deepEqual(unlabeled, []);
});

test('a noisy clip is uploaded, reaches SUCCEEDED in the live list, and its page shows both waveforms and plays the result', { timeout: 180_000 }, async () => {
  const id = await submit(page, { kind: 'denoise', files: [noisySpeech('the quick brown fox jumps over the lazy dog', 5)] });
  await until(page, `document.querySelector('li.job[data-job-id="${id}"]')?.dataset.status === 'SUCCEEDED'`, 'SUCCEEDED in the list without a reload');
  await shot(page, 'jobs');
  await openJob(page, id);
  await until(page, `document.querySelectorAll('[data-waveform]').length === 2`, 'input and result waveforms');
  await until(page, `document.querySelector('[data-waveform="Input"][data-state="ready"]')`, 'input drawn');
  await playAndHear(page, 'Result');
  await shot(page, 'job-denoise');
  // before/after: the input plays once toggled.
  await page.click('input[name="ab"]'); // "before"
  await playAndHear(page, 'Input');
  const log = await page.$$eval('table.events tbody tr', (rows) => rows.map((r) => r.children[2]!.textContent));
  assert.deepEqual([log[0], log.at(-1)], ['QUEUED', 'SUCCEEDED']);
  await nav(page, '#/');
});

test('an align job shows its word timeline, highlighting the word being played', { timeout: 180_000 }, async () => {
  const clip = speechWithTimings('one two three four five six seven');
  await page.waitForSelector('#live-jobs');
  const id = await submit(page, { kind: 'align', files: [clip.path], transcript: 'one two three four five six seven' });
  await until(page, `document.querySelector('li.job[data-job-id="${id}"]')?.dataset.status === 'SUCCEEDED'`, 'align SUCCEEDED');
  await openJob(page, id);
  await until(page, `document.querySelectorAll('.timeline .word').length === 7`, 'seven words on the timeline');
  await playAndHear(page, 'Input');
  await until(page, `document.querySelector('.timeline .word.current') && document.querySelector('.now-playing').dataset.currentWord !== ''`, 'a word highlighted as it plays');
  await shot(page, 'job-align');
  // A click on a word seeks there: the playhead jumps to the sixth word and it is highlighted.
  await page.click('.timeline .word:nth-child(6) button');
  await until(page, `document.querySelector('.now-playing').dataset.currentWord === 'six' || document.querySelector('.now-playing').dataset.currentWord === 'seven'`, 'seeked to "six"');
  await nav(page, '#/');
});

test('a synthesize job plays; a job submitted elsewhere appears in the list without a reload', { timeout: 180_000 }, async () => {
  await page.waitForSelector('#live-jobs');
  const id = await submit(page, { kind: 'synthesize', text: 'spoken by the web app' });
  await until(page, `document.querySelector('li.job[data-job-id="${id}"]')?.dataset.status === 'SUCCEEDED'`, 'synthesize SUCCEEDED');
  await openJob(page, id);
  await playAndHear(page, 'Result');
  await until(page, `document.querySelectorAll('.timeline .word').length === 5`, 'its words on the timeline');
  await nav(page, '#/');
  await page.waitForSelector('li.job');

  const elsewhere = createClient({ url: s.url, apiKey: s.devKey });
  try {
    const job = await elsewhere.synthesize({ text: 'from another client', cache: false });
    await until(page, `document.querySelector('li.job[data-job-id="${job.id}"]')?.dataset.status === 'SUCCEEDED'`, 'the other client\'s job listed and finished, live');
  } finally {
    await elsewhere.close();
  }
});

test('several files make one batch; a recording from the microphone is a job of its own', { timeout: 180_000 }, async () => {
  await page.waitForSelector('#live-jobs');
  const before = (await jobRows(page)).length;
  await page.click('input[name="kind"][value="DENOISE"]');
  await ((await page.$('#audio-files')) as ElementHandle<HTMLInputElement>).uploadFile(speech('first file'), speech('second file'));
  await until(page, `document.querySelector('form button[type="submit"]').textContent.includes('2 jobs as a batch')`, 'the batch button');
  await page.click('form button[type="submit"]');
  await until(page, `document.querySelectorAll('li.job').length === ${before + 2} && [...document.querySelectorAll('li.job')].slice(0, 2).every((e) => e.dataset.status === 'SUCCEEDED')`, 'both jobs of the batch listed and done');
  // Chromium's fake microphone (a beep): record, stop, and the recording (as WAV) is the file.
  await page.click('.recorder button');
  await until(page, `document.querySelector('.recorder button')?.textContent.includes('Stop')`, 'recording');
  await new Promise((r) => setTimeout(r, 1500));
  await page.click('.recorder button');
  await until(page, `document.querySelector('ul.files li')?.textContent.startsWith('recording-')`, 'the recording chosen');
  await page.click('form button[type="submit"]');
  await until(page, `document.querySelectorAll('li.job').length === ${before + 3} && document.querySelector('li.job').dataset.status === 'SUCCEEDED'`, 'the recording denoised');
});

test('a large upload shows its progress while it is sent', { timeout: 180_000 }, async () => {
  await page.waitForSelector('#live-jobs');
  const big = longAudio(900); // ≈ 29 MB of 16 kHz WAV
  await page.click('input[name="kind"][value="DENOISE"]');
  await ((await page.$('#audio-files')) as ElementHandle<HTMLInputElement>).uploadFile(big);
  // Every value the upload's progress bar shows, recorded as the page renders it.
  await page.evaluate(() => {
    const w = window as unknown as { seenProgress: number[] };
    w.seenProgress = [];
    new MutationObserver(() => {
      const bar = document.querySelector<HTMLProgressElement>('progress[aria-label="Upload progress"]');
      if (bar) w.seenProgress.push(bar.value);
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
  });
  const count = (await jobRows(page)).length;
  await page.click('form button[type="submit"]');
  await until(page, `document.querySelectorAll('li.job').length === ${count + 1}`, 'the large job listed');
  const seen = await page.evaluate(() => (window as unknown as { seenProgress: number[] }).seenProgress);
  assert.ok(seen.some((v) => v > 0 && v < 1), `progress between 0 and 1 was shown: ${seen.slice(0, 20)}`);
  const id = (await jobRows(page))[0]!.id;
  await page.$$eval(`li.job[data-job-id="${id}"] .job-actions button`, (bs) => (bs.find((b) => b.textContent === 'Cancel') as HTMLButtonElement | undefined)?.click());
});

test('cancel, retry and delete from the list', { timeout: 180_000 }, async () => {
  const elsewhere = createClient({ url: s.url, apiKey: s.devKey });
  try {
    const later = await elsewhere.synthesize({ text: 'not yet', runAt: new Date(Date.now() + 3600_000).toISOString(), cache: false });
    const row = `li.job[data-job-id="${later.id}"]`;
    await until(page, `document.querySelector('${row}')?.dataset.status === 'QUEUED'`, 'the scheduled job listed');
    await page.click(`${row} .job-actions button`); // Cancel
    await until(page, `document.querySelector('${row}')?.dataset.status === 'CANCELLED' && document.querySelector('${row}').textContent.includes('CANCELLED')`, 'cancelled');
    const count = (await jobRows(page)).length;
    await page.$$eval(`${row} .job-actions button`, (bs) => (bs.find((b) => b.textContent === 'Retry') as HTMLButtonElement).click());
    await until(page, `document.querySelectorAll('li.job').length === ${count + 1} && document.querySelector('li.job').dataset.status === 'SUCCEEDED'`, 'the retry submitted and done');
    const retried = (await jobRows(page))[0]!.id;
    assert.equal((await elsewhere.job(retried))!.parameters.text, 'not yet', 'the retry has the same parameters');
    await page.$$eval(`${row} .job-actions button`, (bs) => (bs.find((b) => b.textContent === 'Delete') as HTMLButtonElement).click());
    await until(page, `!document.querySelector('${row}')`, 'deleted from the list');
    assert.equal(await elsewhere.job(later.id), null, 'and from the server');
  } finally {
    await elsewhere.close();
  }
});

test('engines and workers; a phone\'s width without sideways scrolling; nothing loaded from outside', { timeout: 60_000 }, async () => {
  await nav(page, '#/engines');
  await until(page, `document.querySelector('#engines') && document.querySelectorAll('#engines ~ div tbody tr, section[aria-labelledby="engines"] tbody tr').length > 0`, 'engines listed');
  const devices = await page.$$eval('section[aria-labelledby="engines"] tbody tr', (rows) => rows.map((r) => r.children[3]!.textContent));
  assert.ok(devices.every((d) => d === 'cpu'), `devices: ${devices}`);
  await shot(page, 'engines');
  const phone = await browser.newPage();
  await phone.setViewport({ width: 375, height: 800, isMobile: true, hasTouch: true });
  await phone.goto(`${s.url}/#/`, { waitUntil: 'load' });
  await phone.waitForSelector('#api-key'); // a new tab: the key is kept per tab (sessionStorage)
  await phone.focus('#api-key');
  await phone.keyboard.press('Enter');
  await until(phone, `document.querySelector('li.job')`, 'the list on a phone');
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - 375);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
  await shot(phone, 'phone');
  await phone.close();
  assert.deepEqual(offsite, [], 'the app loads nothing from outside the server');
});
