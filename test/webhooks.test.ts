// Webhooks: a job's events (those it asked for) are POSTed to its webhook — or its tenant's
// default — signed the Standard Webhooks way and checked here by a real HTTP receiver with the
// `standardwebhooks` package; failures are retried with backoff until WEBHOOK_MAX_ATTEMPTS, a
// receiver that hangs never holds the job up, every attempt shows in Job.webhookDeliveries,
// redeliverWebhooks sends again; private, loopback and link-local targets are refused at submit
// and, for names resolving to them, at connect time.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { gql, subscribeWs } from './support/client.ts';
import { random } from './support/random.ts';
import { KEY_A, KEY_B, startTestServer, waitReady, type TestServer } from './support/server.ts';

type Received = { path: string; headers: IncomingMessage['headers']; body: string; at: number };

/** A real receiver: /ok answers 200, /flaky 500 twice per message then 200, /hang never, /redirect 302. */
async function startReceiver() {
  const received: Received[] = [];
  const tries = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ path, headers: req.headers, body, at: Date.now() });
      if (path.startsWith('/hang')) return; // never answers
      if (path.startsWith('/redirect')) return res.writeHead(302, { location: '/ok' }).end();
      if (path.startsWith('/flaky')) {
        const n = (tries.get(String(req.headers['webhook-id'])) ?? 0) + 1;
        tries.set(String(req.headers['webhook-id']), n);
        if (n <= 2) return res.writeHead(500).end('not yet');
      }
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { received, port, url: (path: string) => `http://127.0.0.1:${port}${path}`, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

const DELIVERIES = `webhookDeliveries { event version url messageId status attempts { statusCode error durationMs } }`;
const SYNTH = `mutation($t: String!, $w: WebhookInput, $c: Boolean) { synthesize(input: { text: $t, webhook: $w, cache: $c }) { id } }`;
const JOB = `query($id: ID!) { job(id: $id) { status version ${DELIVERIES} } }`;

const waitFor = async <T>(fn: () => Promise<T | null | undefined | false>, ms: number, what: string): Promise<T> => {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('with private networks allowed (the receiver is on loopback)', () => {
  let s: TestServer;
  let db: pg.Client;
  let rx: Awaited<ReturnType<typeof startReceiver>>;
  let secret: string;
  before(async () => {
    s = await startTestServer({ WORKERS: '1', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_RETRY_DELAY_SECONDS: '1', WEBHOOK_TIMEOUT_SECONDS: '1', WEBHOOK_MAX_ATTEMPTS: '3' });
    await waitReady(s.url);
    db = new pg.Client({ connectionString: s.databaseUrl });
    await db.connect();
    rx = await startReceiver();
    secret = (await gql(s.url, KEY_A, `{ webhookSettings { secret } }`)).data.webhookSettings.secret;
  });
  after(async () => {
    await rx.close();
    await db.end();
    await s.close();
  });

  const finished = async (id: string, key = KEY_A) => (await subscribeWs(s.url, key, `subscription($id: ID!) { jobUpdated(id: $id) { status } }`, { id }).done).items.at(-1);
  const settled = (id: string, n?: number) =>
    waitFor(async () => {
      const j = (await gql(s.url, KEY_A, JOB, { id })).data.job;
      const ds = j.webhookDeliveries;
      return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(j.status) && ds.length >= (n ?? 1) && ds.every((d: any) => d.status !== 'PENDING') ? j : null;
    }, 60_000, `job ${id}'s webhooks`);

  test('16 jobs at once: every event each asked for arrives signed, once per event, and shows DELIVERED', { timeout: 180_000 }, async () => {
    const all = ['QUEUED', 'RUNNING', 'PROGRESS', 'RETRYING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];
    const ids = await Promise.all(
      Array.from({ length: 16 }, async (_, i) => {
        const r = await gql(s.url, KEY_A, SYNTH, { t: `webhook number ${i} says hello`, w: { url: rx.url(`/ok/${i}`), events: all } });
        assert.equal(r.errors, undefined, JSON.stringify(r.errors));
        return r.data.synthesize.id as string;
      }),
    );
    const jobs = await Promise.all(ids.map((id) => settled(id)));
    const wh = new Webhook(secret);
    for (const [i, id] of ids.entries()) {
      const log = (await db.query(`SELECT seq, status::text FROM voxgraph.job_event WHERE job_id = $1 ORDER BY seq`, [id])).rows;
      const got = rx.received.filter((r) => r.path === `/ok/${i}`);
      // Every logged event once (a receiver may see a retry twice; this one always answered 200 at once).
      assert.equal(got.length, log.length, `job ${i}: ${got.length} webhooks for ${log.length} events`);
      const payloads = got.map((r) => wh.verify(r.body, r.headers as Record<string, string>) as any).sort((a, b) => a.data.version - b.data.version);
      assert.deepEqual(payloads.map((p) => p.data.version), log.map((e) => e.seq));
      assert.deepEqual(payloads.map((p) => p.data.status), log.map((e) => e.status.toUpperCase()));
      for (const p of payloads) assert.equal(p.data.id, id);
      assert.equal(payloads.at(-1).type, 'job.succeeded');
      assert.ok(payloads.some((p) => p.type === 'job.progress') || log.filter((e) => e.status === 'running').length === 1);
      assert.ok(jobs[i].webhookDeliveries.every((d: any) => d.status === 'DELIVERED' && d.attempts.length === 1 && d.attempts[0].statusCode === 200));
    }
    // The signature is not decorative: a changed body or another secret does not verify.
    const sample = rx.received[0]!;
    assert.throws(() => wh.verify(sample.body.replace('"version"', '"versioN"'), sample.headers as Record<string, string>));
    assert.throws(() => new Webhook(`whsec_${Buffer.alloc(24, 1).toString('base64')}`).verify(sample.body, sample.headers as Record<string, string>));
  });

  test('a failing receiver is retried with backoff until it answers; one that hangs or redirects fails after WEBHOOK_MAX_ATTEMPTS, and the job never waits', { timeout: 120_000 }, async () => {
    const flaky = (await gql(s.url, KEY_A, SYNTH, { t: 'try again later', w: { url: rx.url('/flaky'), events: ['SUCCEEDED'] } })).data.synthesize.id;
    const hang = (await gql(s.url, KEY_A, SYNTH, { t: 'nobody answers', w: { url: rx.url('/hang'), events: ['QUEUED', 'SUCCEEDED'] } })).data.synthesize.id;
    const redirect = (await gql(s.url, KEY_A, SYNTH, { t: 'go elsewhere', w: { url: rx.url('/redirect'), events: ['SUCCEEDED'] } })).data.synthesize.id;
    // The hanging receiver holds no job up.
    assert.equal((await finished(hang)).jobUpdated.status, 'SUCCEEDED');
    const f = await settled(flaky);
    assert.deepEqual(f.webhookDeliveries.map((d: any) => [d.event, d.status, d.attempts.map((a: any) => a.statusCode)]), [['SUCCEEDED', 'DELIVERED', [500, 500, 200]]]);
    const h = await settled(hang, 2);
    for (const d of h.webhookDeliveries) {
      assert.equal(d.status, 'FAILED');
      assert.equal(d.attempts.length, 3);
      assert.ok(d.attempts.every((a: any) => a.statusCode === null && /no answer/.test(a.error)), JSON.stringify(d.attempts));
    }
    const r = await settled(redirect);
    assert.deepEqual(r.webhookDeliveries[0].attempts.map((a: any) => a.statusCode), [302, 302, 302]);
    assert.equal(rx.received.filter((x) => x.path === '/ok' && x.headers['webhook-id'] === r.webhookDeliveries[0].messageId).length, 0, 'the redirect was not followed');
    // The retries waited: pg-boss's backoff from 1 s between the flaky receiver's attempts.
    const times = rx.received.filter((x) => x.path === '/flaky').map((x) => x.at);
    assert.equal(times.length, 3);
    assert.ok(times[2]! - times[0]! >= 700, `attempts at +0, +${times[1]! - times[0]!}, +${times[2]! - times[0]!} ms`);
  });

  test("the tenant's default webhook takes jobs without their own; redelivery and a rotated secret", { timeout: 120_000 }, async () => {
    const set = await gql(s.url, KEY_A, `mutation($w: WebhookInput) { setWebhookDefaults(input: $w) { url events } }`, { w: { url: rx.url('/default'), events: ['SUCCEEDED', 'FAILED'] } });
    assert.deepEqual(set.data.setWebhookDefaults, { url: rx.url('/default'), events: ['SUCCEEDED', 'FAILED'] });
    const a = (await gql(s.url, KEY_A, SYNTH, { t: 'the default takes it', c: false })).data.synthesize.id;
    const b = (await gql(s.url, KEY_B, SYNTH, { t: 'another tenant, no default', c: false })).data.synthesize.id;
    const j = await settled(a);
    assert.deepEqual(j.webhookDeliveries.map((d: any) => [d.event, d.url, d.status]), [['SUCCEEDED', rx.url('/default'), 'DELIVERED']]);
    await finished(b, KEY_B);
    assert.deepEqual((await gql(s.url, KEY_B, JOB, { id: b })).data.job.webhookDeliveries, []);

    // Redelivery: the same message again, as a new delivery.
    const before = rx.received.filter((x) => x.path === '/default').length;
    const re = await gql(s.url, KEY_A, `mutation($id: ID!) { redeliverWebhooks(jobId: $id) { event messageId status } }`, { id: a });
    assert.equal(re.errors, undefined, JSON.stringify(re.errors));
    assert.deepEqual(re.data.redeliverWebhooks.map((d: any) => [d.event, d.messageId]), [['SUCCEEDED', j.webhookDeliveries[0].messageId]]);
    await waitFor(async () => rx.received.filter((x) => x.path === '/default').length > before, 20_000, 'the redelivery');
    assert.equal((await gql(s.url, KEY_A, `mutation($id: ID!) { redeliverWebhooks(jobId: $id, afterVersion: 99) { id } }`, { id: a })).data.redeliverWebhooks.length, 0);
    assert.equal((await gql(s.url, KEY_B, `mutation($id: ID!) { redeliverWebhooks(jobId: $id) { id } }`, { id: a })).errors?.[0]?.extensions?.code, 'NOT_FOUND');

    // A rotated secret signs what comes next; the old one no longer verifies it.
    const rotated = (await gql(s.url, KEY_A, `mutation { rotateWebhookSecret { secret } }`)).data.rotateWebhookSecret.secret;
    assert.notEqual(rotated, secret);
    const c = (await gql(s.url, KEY_A, SYNTH, { t: 'signed with the new secret', c: false })).data.synthesize.id;
    const cj = await settled(c);
    const msg = rx.received.find((x) => x.headers['webhook-id'] === cj.webhookDeliveries[0].messageId)!;
    assert.ok(new Webhook(rotated).verify(msg.body, msg.headers as Record<string, string>));
    assert.throws(() => new Webhook(secret).verify(msg.body, msg.headers as Record<string, string>));
    secret = rotated;
    await gql(s.url, KEY_A, `mutation { setWebhookDefaults(input: null) { url } }`);
  });
});

describe('with private networks refused (the default)', () => {
  let s: TestServer;
  let rx: Awaited<ReturnType<typeof startReceiver>>;
  before(async () => {
    s = await startTestServer({ WORKERS: '0', WEBHOOK_MAX_ATTEMPTS: '3', WEBHOOK_RETRY_DELAY_SECONDS: '1' });
    await waitReady(s.url);
    rx = await startReceiver();
  });
  after(async () => {
    await rx.close();
    await s.close();
  });

  test('loopback, private, link-local, mapped and odd URLs are BAD_USER_INPUT at submit; generated ones never break the server', { timeout: 60_000 }, async () => {
    const refused = [
      'http://127.0.0.1/hook', 'http://127.1/x', 'http://[::1]/', 'http://10.0.0.1/', 'http://192.168.1.20:8080/', 'http://172.16.5.4/',
      'http://169.254.169.254/latest/meta-data', 'http://[fe80::1]/', 'http://[fd00::1]/', 'http://[::ffff:127.0.0.1]/', 'http://0.0.0.0/',
      'http://100.64.0.1/', 'http://224.0.0.1/', 'http://2130706433/', 'http://0x7f000001/', 'ftp://example.com/', 'file:///etc/passwd',
      'http://user:pw@example.com/', 'not a url', '', 'https://' + 'a'.repeat(3000) + '.com/', 'javascript:alert(1)',
    ];
    for (const url of refused) {
      const r = await gql(s.url, KEY_A, SYNTH, { t: 'hi', w: { url } });
      assert.equal(r.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', `${url.slice(0, 60)}: ${JSON.stringify(r.errors ?? r.data)}`);
      assert.equal(r.errors?.[0]?.extensions?.field, 'webhook.url');
    }
    const rnd = random(77);
    const chars = 'abc:/.@[]%0123456789-_?#&=\u0000\u00e9 ';
    for (let i = 0; i < 200; i++) {
      const url = (rnd.next() < 0.5 ? 'http://' : '') + Array.from({ length: rnd.int(40) }, () => rnd.pick([...chars])).join('');
      const r = await gql(s.url, KEY_A, SYNTH, { t: 'hi', w: { url } });
      assert.ok(r.data?.synthesize?.id || r.errors?.[0]?.extensions?.code === 'BAD_USER_INPUT', `${JSON.stringify(url)}: ${JSON.stringify(r.errors)}`);
    }
    assert.equal((await fetch(`${s.url}/readyz`)).status, 200);
  });

  test('a name that resolves to loopback is refused when connecting: the delivery FAILS at once, the receiver hears nothing', { timeout: 60_000 }, async () => {
    const r = await gql(s.url, KEY_A, SYNTH, { t: 'to a name', w: { url: `http://localhost:${rx.port}/ok`, events: ['QUEUED'] } });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const d = await waitFor(async () => {
      const ds = (await gql(s.url, KEY_A, JOB, { id: r.data.synthesize.id })).data.job.webhookDeliveries;
      return ds.length && ds[0].status !== 'PENDING' ? ds[0] : null;
    }, 30_000, 'the refused delivery');
    assert.equal(d.status, 'FAILED');
    assert.equal(d.attempts.length, 1, 'not retried: the address will not become allowed');
    assert.match(d.attempts[0].error, /may not reach/);
    assert.equal(rx.received.length, 0);
  });
});
