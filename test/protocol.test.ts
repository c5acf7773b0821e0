// The API↔worker contract (protocol/contract.ts, docs/protocol.md) holds at the boundary: what the
// API puts in the queue is the contract's QueuePayload, what a real worker writes as a result is
// its JobResult, and the channels the SQL notifies on are its CHANNELS. (The worker's own tests
// check every result they produce against the generated JSON Schema too.)
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { CHANNELS, DEFAULTS, EngineDescriptor, JobResult, QueuePayload } from '../protocol/contract.ts';
import { speech } from './support/audio.ts';
import { gql, gqlUpload } from './support/client.ts';
import { followJobs } from './support/follow.ts';
import { KEY_A, startTestServer, waitReady, type TestServer } from './support/server.ts';

let s: TestServer;
let db: pg.Client;
before(async () => {
  s = await startTestServer({ WORKERS: '1' });
  db = new pg.Client(s.databaseUrl);
  await db.connect();
});
after(async () => {
  await db.end();
  await s.close();
});

test('every message the API enqueues is a QueuePayload, and every result a worker writes is a JobResult', { timeout: 120_000 }, async () => {
  await waitReady(s.url);
  const up = await gqlUpload(s.url, KEY_A, `mutation($f: Upload!) { uploadAudio(file: $f) { id } }`, { f: null }, 'f', speech('the contract holds'));
  const audioId = up.data.uploadAudio.id;
  const submit = async (mutation: string, variables: Record<string, unknown> = {}) => {
    const r = await gql(s.url, KEY_A, mutation, variables);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return Object.values(r.data as Record<string, { id: string }>)[0]!.id;
  };
  const ids = [
    await submit(`mutation($a: ID!) { denoise(input: { audioId: $a }) { id } }`, { a: audioId }),
    await submit(`mutation($a: ID!) { denoise(input: { audioId: $a, engine: "mmse-lsa" }) { id } }`, { a: audioId }),
    await submit(`mutation($a: ID!, $d: DateTime) { denoise(input: { audioId: $a, format: FLAC, sampleRate: 8000, deadline: $d }) { id } }`, { a: audioId, d: new Date(Date.now() + 86_400_000).toISOString() }),
    await submit(`mutation($a: ID!) { align(input: { audioId: $a, transcript: "the contract holds" }) { id } }`, { a: audioId }),
    await submit(`mutation($a: ID!) { align(input: { audioId: $a, transcript: "le contrat tient", language: "fr" }) { id } }`, { a: audioId }),
    await submit(`mutation { synthesize(input: { text: "defaults everywhere" }) { id } }`),
    await submit(`mutation { synthesize(input: { text: "every field", emotion: WHISPER, intensity: 0.25, language: "de", sampleRate: 22050, format: OPUS }) { id } }`),
  ];

  const { rows } = await db.query(`SELECT id, name, data FROM pgboss.job WHERE id = ANY($1)`, [ids]);
  assert.equal(rows.length, ids.length);
  for (const row of rows) {
    const payload = QueuePayload.parse(row.data);
    assert.equal(payload.kind, row.name, 'the queue is the kind');
  }
  const synth = rows.map((r) => QueuePayload.parse(r.data)).find((p) => p.kind === 'synthesize' && p.params.text === 'defaults everywhere')!;
  assert.equal(synth.kind, 'synthesize');
  if (synth.kind === 'synthesize') {
    assert.deepEqual([synth.params.emotion, synth.params.language, synth.params.intensity], [DEFAULTS.emotion, DEFAULTS.language, DEFAULTS.intensity]);
  }

  const seen = await followJobs(s.url, KEY_A, ids);
  for (const id of ids) assert.equal(seen.get(id)!.states.at(-1)!.status, 'SUCCEEDED', `${id}: ${JSON.stringify(seen.get(id)!.states.at(-1))}`);
  const results = await db.query(`SELECT kind, result FROM voxgraph.job WHERE id = ANY($1)`, [ids]);
  for (const r of results.rows) {
    const result = JobResult.parse(r.result);
    assert.equal(result.kind, r.kind);
  }
});

test("what a live worker says about its engines is the contract's EngineDescriptor", async () => {
  await waitReady(s.url);
  const { rows } = await db.query(`SELECT engines FROM voxgraph.worker`);
  assert.ok(rows.length >= 1);
  for (const row of rows) {
    assert.ok(row.engines.length >= 3, 'an engine of every kind');
    for (const e of row.engines) EngineDescriptor.strict().parse(e);
  }
});

test("the channels the database notifies on are the contract's", () => {
  const sql = readdirSync('migrations').map((f) => readFileSync(`migrations/${f}`, 'utf8')).join('\n');
  const notified = new Set([...sql.matchAll(/pg_notify\(\s*'([a-z_]+)'/g)].map((m) => m[1]));
  assert.deepEqual([...notified].sort(), Object.values(CHANNELS).sort());
});
