// No 5xx from input (README, "Limits"): generated requests from a fixed seed — JSON bodies,
// GET queries, multipart framing (maps, paths, duplicate and missing files, batched operations),
// variables (ids, cursors, numbers at the edges, strings, invalid UTF-8), raw HTTP, and
// graphql-ws messages — get answers below 500 with a code, never INTERNAL_SERVER_ERROR; the
// server logs no error, stays healthy, keeps what it had stored, and its memory stays bounded.
// A failure prints the seed and the request's index: FUZZ_SEED=<seed> replays the same inputs.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { startApiChild, type ApiChild } from '../bench/support.ts';
import { speech } from './support/audio.ts';
import { gql, gqlUpload } from './support/client.ts';
import { createTestDatabase, type ScratchDatabase } from './support/database.ts';
import { random } from './support/random.ts';
import { KEY_A } from './support/server.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const R = random(SEED);
const { int, pick } = R;
const chance = (p: number) => R.next() < p;

let db: ScratchDatabase;
let dataDir: string;
let api: ApiChild;
let output = '';
const known = { jobId: '', audioId: '', audioUrl: '', audioSha: '', cursor: '' };

before(async () => {
  db = await createTestDatabase();
  dataDir = mkdtempSync(join(tmpdir(), 'voxgraph-fuzz-'));
  api = await startApiChild({
    databaseUrl: db.url,
    dataDir,
    apiKey: KEY_A,
    env: { WORKERS: '0', LOG_LEVEL: 'warn' },
    onOutput: (c) => (output += c),
  });
  // Something stored before the storm, to find intact after it.
  const up = await gqlUpload(api.url, KEY_A, `mutation($f: Upload!) { uploadAudio(file: $f) { id url sha256 } }`, { f: null }, 'f', speech('still here'));
  known.audioId = up.data.uploadAudio.id;
  known.audioUrl = up.data.uploadAudio.url;
  known.audioSha = up.data.uploadAudio.sha256;
  const job = await gql(api.url, KEY_A, `mutation($a: ID!) { denoise(input: { audioId: $a }) { id } }`, { a: known.audioId });
  known.jobId = job.data.denoise.id;
  known.cursor = (await gql(api.url, KEY_A, `{ jobs(first: 1) { pageInfo { endCursor } } }`)).data.jobs.pageInfo.endCursor;
});
after(async () => {
  await api.stop();
  await db.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

// --- values ------------------------------------------------------------------------------------
const uuid = () => Array.from({ length: 32 }, () => '0123456789abcdef'[int(16)]).join('').replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
const b64 = (s: string) => Buffer.from(s).toString('base64url');
const weirdStrings = ['', ' ', '\u0000', '\ud800', '\udfff\ud800', '💥'.repeat(50), '../../etc/passwd', "' OR 1=1 --", '%00%E0%A4%A', '\r\n\r\n', '<script>', 'null', '{}', 'a'.repeat(70_000)];
const idValue = (): unknown =>
  pick<() => unknown>([
    () => known.jobId,
    () => known.audioId,
    uuid,
    () => uuid().toUpperCase(),
    () => uuid().slice(0, int(36)),
    () => pick(weirdStrings),
    () => int(2 ** 31),
    () => null,
    () => true,
    () => ({ id: known.jobId }),
    () => [known.jobId],
  ])();
const intValue = (): unknown => pick([-1, 0, 1, 20, 100, 101, -100, -101, 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, -0, 1.5, 1e308, '5', null, true, [], {}]);
const floatValue = (): unknown => pick([0, 1, 0.5, -0.1, 1.0001, 1e-320, 1e308, -1e308, '0.5', null, [], int(1000) / 7]);
const stringValue = (): unknown => (chance(0.6) ? pick(weirdStrings) : chance(0.5) ? 'hello world '.repeat(int(50)) : pick([1, null, [], {}, false]));
const cursorValue = (): unknown =>
  pick<() => unknown>([
    () => known.cursor,
    () => b64(`${pick(['0001-01-01T00:00:00.000Z', '+275760-09-13T00:00:00.000Z', '1999-12-31T23:59:59.999Z', '2026-12-02T00:00:00.000Z', 'x', ''])}|${pick([uuid(), known.jobId, 'x', ''])}`),
    () => b64(`${new Date(int(2 ** 40) * 1000).toISOString()}|${uuid()}|extra`),
    () => b64(`${pick(['0', '-1', '1e15', '99999999999999999', '1764720000000000', '17647200000000001', ' 1764720000000000'])}|${pick([uuid(), known.jobId, 'x'])}`),
    () => b64(String(R.next())),
    () => pick(weirdStrings),
    () => int(1000),
  ])();
const enumValue = (xs: string[]): unknown => (chance(0.7) ? pick(xs) : pick(['', 'denoise', 'NOPE', 1, null, '__proto__']));
const maybe = <T>(v: () => T): T | undefined => (chance(0.7) ? v() : undefined);

// --- GraphQL operations -------------------------------------------------------------------------
type Op = { query: string; variables: () => Record<string, unknown>; upload?: string };
const KINDS = ['DENOISE', 'ALIGN', 'SYNTHESIZE'];
const OPS: Op[] = [
  { query: `query($id: ID!) { job(id: $id) { id status progress input { id url } result { __typename } events { version status } error { code } } }`, variables: () => ({ id: idValue() }) },
  { query: `query($a: String, $f: Int, $k: JobKind, $s: JobStatus) { jobs(after: $a, first: $f, kind: $k, status: $s) { nodes { id status } pageInfo { hasNextPage endCursor } } }`, variables: () => ({ a: maybe(cursorValue), f: maybe(intValue), k: maybe(() => enumValue(KINDS)), s: maybe(() => enumValue(['QUEUED', 'RUNNING', 'FAILED'])) }) },
  { query: `query($id: ID!) { audio(id: $id) { id url bytes sha256 durationSeconds } }`, variables: () => ({ id: idValue() }) },
  { query: `query($k: JobKind, $l: String) { engines(kind: $k, language: $l) { name kind languages } }`, variables: () => ({ k: maybe(() => enumValue(KINDS)), l: maybe(stringValue) }) },
  { query: `mutation($id: ID!) { cancelJob(id: $id) { id status } }`, variables: () => ({ id: idValue() }) },
  {
    query: `mutation($i: SynthesizeInput!) { synthesize(input: $i) { id status } }`,
    variables: () => ({ i: chance(0.1) ? stringValue() : { text: maybe(stringValue), emotion: maybe(() => enumValue(['HAPPY', 'SAD', 'WHISPER'])), intensity: maybe(floatValue), language: maybe(() => (chance(0.5) ? pick(['en', 'zh', 'xx']) : stringValue())), priority: maybe(intValue), engine: maybe(stringValue), sampleRate: maybe(intValue), voice: maybe(stringValue) } }),
  },
  { query: `mutation($i: AlignInput!) { align(input: $i) { id } }`, variables: () => ({ i: { audioId: maybe(idValue), transcript: maybe(stringValue), language: maybe(stringValue), priority: maybe(intValue), engine: maybe(stringValue) } }) },
  { query: `mutation($i: DenoiseInput!) { denoise(input: $i) { id } }`, variables: () => ({ i: chance(0.1) ? null : { audioId: maybe(idValue), priority: maybe(intValue), engine: maybe(stringValue) } }) },
  { query: `mutation($f: Upload!) { uploadAudio(file: $f) { id bytes } }`, variables: () => ({ f: null }), upload: 'variables.f' },
  { query: `mutation($i: DenoiseInput!) { denoise(input: $i) { id } }`, variables: () => ({ i: { file: null, priority: maybe(intValue) } }), upload: 'variables.i.file' },
  { query: `mutation($i: AlignInput!) { align(input: $i) { id } }`, variables: () => ({ i: { file: null, transcript: 'still here' } }), upload: 'variables.i.file' },
];
const TOKENS = ['{', '}', '(', ')', '[', ']', ':', '$', '!', '@include(if: true)', '...', 'on', 'query', 'mutation', 'subscription', 'fragment F on Job { id }', 'job', 'jobs', '__schema', '__type(name: "Job") { name }', '"str"', '"""block"""', '#', '\u0000', '1e999', 'id', ',', 'x: ', 'jobs(first: 100) {'];
/** A known operation, mangled sometimes: cut short, a token put in, or token soup. */
function queryText(op: Op): string {
  const r = R.next();
  if (r < 0.55) return op.query;
  if (r < 0.7) return op.query.slice(0, int(op.query.length));
  if (r < 0.85) {
    const at = int(op.query.length);
    return op.query.slice(0, at) + pick(TOKENS) + op.query.slice(at);
  }
  return Array.from({ length: 1 + int(60) }, () => pick(TOKENS)).join(' ');
}
/** JSON text with a byte in a string made invalid UTF-8. */
const withBadUtf8 = (json: string): Buffer => {
  const buf = Buffer.from(json);
  const quotes = [...json.matchAll(/"[a-z]/g)].map((m) => Buffer.byteLength(json.slice(0, m.index! + 1)));
  if (!quotes.length) return buf;
  const at = pick(quotes);
  return Buffer.concat([buf.subarray(0, at), Buffer.from(pick([[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]])), buf.subarray(at)]);
};

function graphqlBody(): { body: Buffer; op: Op } {
  const op = pick(OPS);
  const one = () => {
    const o: Record<string, unknown> = { query: chance(0.05) ? pick([null, 1, [], {}]) : queryText(op), variables: chance(0.08) ? pick(['x', 1, [], null]) : op.variables() };
    if (chance(0.1)) o.operationName = stringValue();
    if (chance(0.05)) o.extensions = pick([{ persistedQuery: { version: 1, sha256Hash: 'x' } }, 'x', null]);
    return o;
  };
  const r = R.next();
  let text: string;
  if (r < 0.75) text = JSON.stringify(one());
  else if (r < 0.82) text = JSON.stringify(Array.from({ length: 1 + int(4) }, one)); // batched
  else if (r < 0.88) text = JSON.stringify(one()).slice(0, int(200)); // cut short
  else if (r < 0.92) text = '['.repeat(int(200_000)); // nesting
  else if (r < 0.96) text = pick(['', 'null', '1', '"q"', '{"query": "{ __typename }", "query": "{ jobs { nodes { id } } }"}', '{"variables": {}}']);
  else return { body: withBadUtf8(JSON.stringify(one())), op };
  return { body: Buffer.from(text), op };
}

// --- HTTP ---------------------------------------------------------------------------------------
type Answer = { status: number; text: string; what: string };
const answers: Answer[] = [];

const authHeader = () => (chance(0.75) ? `Bearer ${KEY_A}` : pick(['Bearer nope-nope-nope-nope-nope', 'Bearer', 'Basic dXNlcjpwYXNz', `Bearer ${'k'.repeat(9000)}`, '', `bearer ${KEY_A}`, `Bearer ${KEY_A}\u00ff`]));

async function send(what: string, init: RequestInit & { path?: string }) {
  const r = await fetch(`${api.url}${init.path ?? '/graphql'}`, init);
  answers.push({ status: r.status, text: await r.text(), what });
}

async function jsonRequest(i: number) {
  const { body } = graphqlBody();
  const headers: Record<string, string> = {};
  const ct = chance(0.85) ? 'application/json' : pick(['application/graphql-response+json', 'application/json; charset=latin1', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', '']);
  if (ct) headers['content-type'] = ct;
  if (chance(0.9)) headers.authorization = authHeader();
  if (chance(0.2)) headers.accept = pick(['text/event-stream', 'multipart/mixed', 'application/graphql-response+json', '*/*', 'text/html', 'x/y;;;']);
  await send(`json #${i}`, { method: 'POST', headers, body: new Uint8Array(body) });
}

async function getRequest(i: number) {
  const op = pick(OPS);
  const params = [`query=${encodeURIComponent(queryText(op))}`];
  if (chance(0.7)) params.push(`variables=${encodeURIComponent(JSON.stringify(op.variables()))}`);
  if (chance(0.2)) params.push(pick(['variables=%7B', 'query=%E0%A4%A', 'extensions=x', 'operationName=' + 'x'.repeat(5000)]));
  const path = pick(['/graphql', '/graphql', '/files/x', '/files/%E0%A4%A', '/readyz', '/nope', '/graphql/../files']) + '?' + params.join('&');
  await send(`get #${i}`, { method: 'GET', path, headers: { authorization: authHeader(), accept: pick(['application/json', 'text/html', 'text/event-stream']) } });
}

/** A tiny valid WAV: 16 kHz mono, n samples of noise. */
const wav = (n: number) => {
  const data = Buffer.alloc(n * 2);
  for (let k = 0; k < n; k++) data.writeInt16LE(int(20000) - 10000, k * 2);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(16000, 24);
  h.writeUInt32LE(32000, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
};
const fileBytes = (): Buffer =>
  pick<() => Buffer>([
    () => wav(1600 + int(16000)),
    () => wav(1600).subarray(0, int(60)),
    () => {
      const w = wav(800);
      w.writeUInt32LE(0xffffffff, 40); // data size far past the end
      return w;
    },
    () => Buffer.from(Array.from({ length: int(4000) }, () => int(256))),
    () => Buffer.alloc(0),
    () => Buffer.from('fLaC\0\0\0\x22' + 'x'.repeat(40)),
    () => Buffer.from('OggS' + '\0'.repeat(100)),
  ])();

async function multipartRequest(i: number) {
  const op = pick(OPS.filter((o) => o.upload));
  const boundary = `----fuzz${int(1e9)}`;
  const batched = chance(0.1);
  const operations = batched ? JSON.stringify([{ query: op.query, variables: op.variables() }, { query: op.query, variables: op.variables() }]) : JSON.stringify({ query: chance(0.8) ? op.query : queryText(op), variables: op.variables() });
  const path = batched ? `0.${op.upload}` : op.upload!;
  const map = chance(0.6) ? JSON.stringify({ 0: [path] }) : pick<() => string>([
    () => JSON.stringify({ 0: [path], 1: [path] }),
    () => JSON.stringify({ 0: [path, path] }),
    () => JSON.stringify({ 0: ['variables.nope.deeper'] }),
    () => JSON.stringify({ 0: ['query'] }),
    () => JSON.stringify({ 0: [] }),
    () => JSON.stringify({ 0: path }),
    () => JSON.stringify({ 0: ['variables.__proto__.polluted'] }),
    () => JSON.stringify({ __proto__: [path], constructor: ['variables.f.constructor.prototype.x'] }),
    () => JSON.stringify([path]),
    () => pick(['', '{', 'null', '"x"', '{"0":[1]}']),
    () => JSON.stringify({ 0: [`1.${op.upload}`] }),
  ])();
  type Part = { name: string; filename?: string; type?: string; data: Buffer };
  const parts: Part[] = [];
  if (chance(0.95)) parts.push({ name: 'operations', data: Buffer.from(chance(0.05) ? '{' : operations) });
  if (chance(0.95)) parts.push({ name: 'map', data: Buffer.from(map) });
  const files = chance(0.8) ? 1 : pick([0, 2, 3]);
  for (let k = 0; k < files; k++) {
    parts.push({ name: k === 0 && chance(0.9) ? '0' : pick(['0', '1', 'x', '']), filename: chance(0.7) ? 'a.wav' : pick(['../../../etc/passwd', 'nul\u0000.wav', '', 'x'.repeat(300)]), type: pick(['audio/wav', 'application/octet-stream', 'text/plain', '']), data: fileBytes() });
  }
  if (chance(0.05)) parts.reverse(); // the files before the map
  const chunks: Buffer[] = [];
  if (chance(0.05)) chunks.push(Buffer.from('preamble\r\n'));
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}\r\n`;
    if (p.type) head += `Content-Type: ${p.type}\r\n`;
    if (chance(0.03)) head += `X-${'h'.repeat(int(20_000))}: 1\r\n`;
    chunks.push(Buffer.from(head + '\r\n'), p.data, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  let body = Buffer.concat(chunks);
  if (chance(0.05)) body = body.subarray(0, int(body.length)); // cut short
  const ct = chance(0.95) ? `multipart/form-data; boundary=${chance(0.95) ? boundary : 'other'}` : pick(['multipart/form-data', 'multipart/form-data; boundary=', 'multipart/mixed; boundary=x']);
  const headers: Record<string, string> = { 'content-type': ct, authorization: authHeader() };
  if (chance(0.95)) headers['graphql-require-preflight'] = '1';
  await send(`multipart #${i}`, { method: 'POST', headers, body: new Uint8Array(body) });
}

/** A request line or headers Node's own parser must refuse (it answers 400 or closes). */
async function rawRequest(i: number) {
  const lines = pick([
    'GET / HTTP/1.1\r\nHost: x\r\n\r\n',
    'FOO /graphql HTTP/1.1\r\nHost: x\r\n\r\n',
    'POST /graphql HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
    'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello',
    'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
    `GET /graphql?query=${'x'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    'GET /graphql HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n',
    'GET /files/\u00ff\u00fe HTTP/1.1\r\nHost: x\r\n\r\n',
    'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4000000\r\n\r\n{"query":"',
  ]);
  const text = await new Promise<string>((resolve) => {
    const sock = connect(Number(new URL(api.url).port), '127.0.0.1');
    let got = '';
    sock.on('data', (d) => (got += d.toString('latin1')));
    sock.on('error', () => resolve(got));
    sock.on('close', () => resolve(got));
    sock.write(Buffer.from(lines, 'latin1'));
    setTimeout(() => sock.destroy(), 1500);
  });
  const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
  answers.push({ status: m ? Number(m[1]) : 0, text, what: `raw #${i}: ${JSON.stringify(lines.slice(0, 60))}` });
}

// --- graphql-ws -----------------------------------------------------------------------------------
type WsOutcome = { what: string; closeCode: number; closeReason: string; messages: string[]; sent: string[] };
const wsOutcomes: WsOutcome[] = [];

function wsMessage(): string | Buffer {
  const sub = () => ({
    query: chance(0.8) ? `subscription($id: ID!, $v: Int) { jobUpdated(id: $id, afterVersion: $v) { id status version } }` : queryText(pick(OPS)),
    variables: { id: idValue(), v: maybe(intValue) },
  });
  if (chance(0.75)) {
    return pick<() => string>([
      () => JSON.stringify({ id: String(int(5)), type: 'subscribe', payload: sub() }),
      () => JSON.stringify({ id: String(int(5)), type: 'subscribe', payload: { query: `subscription($id: ID!) { jobUpdated(id: $id) { id status } }`, variables: { id: known.jobId } } }),
      () => JSON.stringify({ id: String(int(5)), type: 'complete' }),
      () => JSON.stringify({ type: 'ping' }),
      () => JSON.stringify({ type: 'pong', payload: { x: 1 } }),
    ])();
  }
  return pick<() => string | Buffer>([
    () => JSON.stringify({ type: 'connection_init', payload: pick([{ authorization: `Bearer ${KEY_A}` }, { authorization: 123 }, 'x', [], null, { authorization: `Bearer ${KEY_A}` }]) }),
    () => JSON.stringify({ id: pick(['1', '2', '1', '', 'x'.repeat(1000), 7, null]), type: 'subscribe', payload: chance(0.9) ? sub() : pick([null, 'x', {}, { query: 1 }]) }),
    () => JSON.stringify({ id: pick(['1', '2', '9']), type: 'complete' }),
    () => JSON.stringify({ type: pick(['ping', 'pong']), payload: pick([undefined, { x: 1 }, 'x', 1]) }),
    () => JSON.stringify({ type: pick(['next', 'error', 'connection_ack', 'nope', '', null]), id: '1', payload: {} }),
    () => pick(['{', 'null', '[]', '1', '"x"', '']),
    () => Buffer.from(Array.from({ length: int(300) }, () => int(256))),
    () => 'x'.repeat(70_000),
  ])();
}

async function wsSession(i: number) {
  const ws = new WebSocket(api.url.replace(/^http/, 'ws') + '/graphql', chance(0.9) ? 'graphql-transport-ws' : pick(['graphql-ws', 'nope']));
  const messages: string[] = [];
  ws.on('message', (m) => messages.push(m.toString()));
  ws.on('error', () => {});
  const sentLog: string[] = [];
  let closeReason = '';
  const closed = new Promise<number>((resolve) => ws.on('close', (code, why) => ((closeReason = why.toString()), resolve(code))));
  const opened = await Promise.race([new Promise<boolean>((r) => ws.on('open', () => r(true))), closed.then(() => false)]);
  let sent = 0;
  if (opened) {
    if (chance(0.9)) ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${KEY_A}` } }));
    for (; sent < 20 && ws.readyState === WebSocket.OPEN; sent++) {
      const m = wsMessage();
      sentLog.push(String(m).slice(0, 300));
      ws.send(m);
      await new Promise((r) => setTimeout(r, int(20)));
    }
    await new Promise((r) => setTimeout(r, 200));
    ws.close(1000);
  }
  const closeCode = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => (ws.terminate(), r(-1)), 3000))]);
  wsOutcomes.push({ what: `ws #${i}`, closeCode, closeReason, messages, sent: sentLog });
  return sent;
}

// --- the run --------------------------------------------------------------------------------------
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${api.child.pid}/status`, 'utf8'))![1]) / 1024;

test(`generated hostile input (seed ${SEED}): nothing at or over 500, no INTERNAL_SERVER_ERROR, healthy and intact after`, { timeout: 600_000 }, async () => {
  const before = rss();
  let wsSent = 0;
  const kinds: Array<[number, (i: number) => Promise<unknown>]> = [
    [700, jsonRequest],
    [100, getRequest],
    [300, multipartRequest],
    [30, rawRequest],
  ];
  const plan = kinds.flatMap(([n, f]) => Array.from({ length: n }, () => f));
  for (let k = plan.length - 1; k > 0; k--) {
    const j = int(k + 1);
    [plan[k], plan[j]] = [plan[j]!, plan[k]!];
  }
  // Four at a time: several clients at once, as in front of the internet.
  for (let i = 0; i < plan.length; i += 4) {
    await Promise.all(plan.slice(i, i + 4).map((f, k) => f(i + k).catch((err) => answers.push({ status: 0, text: String(err), what: `#${i + k} threw` }))));
  }
  for (let i = 0; i < 40; i += 4) wsSent += (await Promise.all([i, i + 1, i + 2, i + 3].map(wsSession))).reduce((a, b) => a + b, 0);

  const errors = output.split('\n').filter((l) => /"level":(50|60)/.test(l));
  const why = [...new Set(errors.map((l) => { try { const j = JSON.parse(l); return `${j.msg}: ${j.err?.type} ${j.err?.message} ${(j.err?.stack ?? '').split('\n').slice(1, 4).join(' ')}`; } catch { return l.slice(0, 300); } }))];
  const bad = answers.filter((a) => a.status >= 500 || a.text.includes('INTERNAL_SERVER_ERROR'));
  assert.deepEqual(bad.slice(0, 5).map((a) => `${a.what}: ${a.status} ${a.text.slice(0, 300)}`), [], `seed ${SEED}: ${bad.length} of ${answers.length} answers were 5xx or INTERNAL_SERVER_ERROR; the server logged: ${why.slice(0, 5).join(' | ')}`);
  const badWs = wsOutcomes.filter((o) => [1011, 4500].includes(o.closeCode) || o.messages.some((m) => m.includes('INTERNAL_SERVER_ERROR')));
  assert.deepEqual(badWs.slice(0, 3), [], `seed ${SEED}: graphql-ws sessions ended in an internal error`);
  assert.ok(!/Internal error emitted on a WebSocket socket/.test(output), 'no stack traces on stderr for client protocol errors');
  assert.deepEqual(why.slice(0, 5), [], 'the server logged no error');
  assert.ok(answers.length + wsSent >= 1000, `${answers.length} requests and ${wsSent} WebSocket messages`);

  // Healthy and intact.
  assert.equal((await fetch(`${api.url}/healthz`)).status, 200);
  assert.equal((await fetch(`${api.url}/readyz`)).status, 200);
  const job = await gql(api.url, KEY_A, `query($id: ID!) { job(id: $id) { id status input { id } } }`, { id: known.jobId });
  assert.equal(job.data.job.input.id, known.audioId);
  const audio = await fetch(known.audioUrl);
  assert.equal(audio.status, 200);
  assert.equal(createHash('sha256').update(Buffer.from(await audio.arrayBuffer())).digest('hex'), known.audioSha, 'the stored audio is unchanged');
  // What the server keeps, not its high-water mark: right after a burst RSS still holds garbage
  // (JSON.parse of 1 MiB bodies, upload buffers) that V8 frees when it next collects, which
  // depends on timing (one run under another test file's load peaked at +172 MiB and settled).
  // A leak stays; garbage goes once the server is idle, within seconds (V8's memory reducer).
  const peak = rss() - before;
  for (const settleBy = Date.now() + 30_000; rss() - before >= 64 && Date.now() < settleBy; ) await new Promise((r) => setTimeout(r, 500));
  const grew = rss() - before;
  const statuses: Record<number, number> = {};
  for (const a of answers) statuses[a.status] = (statuses[a.status] ?? 0) + 1;
  console.log(`fuzz seed ${SEED}: ${answers.length} HTTP requests ${JSON.stringify(statuses)}, ${wsOutcomes.length} WebSocket sessions (${wsSent} messages), RSS ${before.toFixed(0)} → ${rss().toFixed(0)} MiB (+${peak.toFixed(0)} right after the burst)`);
  if (process.env.FUZZ_VERBOSE) {
    const by: Record<string, Record<string, number>> = {};
    for (const a of answers) {
      const k = `${a.what.split(' ')[0]} ${a.status} ${/"code":"(\w+)"/.exec(a.text)?.[1] ?? a.text.slice(0, 60)}`;
      by[k] = by[k] ?? {};
      by[k].n = (by[k].n ?? 0) + 1;
      if (by[k].n === 1) console.log('sample', k, '=>', a.text.slice(0, 200));
    }
    console.log(Object.entries(by).sort().map(([k, v]) => `${v.n}\t${k}`).join('\n'));
    console.log(wsOutcomes.map((o) => `${o.closeCode}:${o.messages.length}`).join(' '));
  }
  assert.ok(grew < 64, `the server's RSS grew ${grew.toFixed(0)} MiB`);
});
