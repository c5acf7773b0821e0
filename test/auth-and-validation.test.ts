// Authentication on every transport, and argument validation with codes a client can act on.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { speech } from './support/audio.ts';
import { gql, gqlUpload, subscribeWs, WATCH_JOB } from './support/client.ts';
import { KEY_A, startTestServer, type TestServer } from './support/server.ts';

let s: TestServer;
let audioId: string;
before(async () => {
  s = await startTestServer({ MAX_TEXT_CHARS: '100' });
  const res = await gqlUpload(s.url, KEY_A, `mutation($f: Upload!) { uploadAudio(file: $f) { id } }`, { f: null }, 'f', speech('validation'));
  audioId = res.data.uploadAudio.id;
});
after(() => s.close());

const code = (r: { errors?: Array<{ extensions?: Record<string, any> }> }) => r.errors?.[0]?.extensions?.code;
const field = (r: { errors?: Array<{ extensions?: Record<string, any> }> }) => r.errors?.[0]?.extensions?.field;

describe('authentication', () => {
  test('no key, a wrong key and a malformed header are UNAUTHENTICATED', async () => {
    for (const key of [null, 'wrong-key-0123456789abcdef', '']) {
      const r = await gql(s.url, key, `query($id: ID!) { job(id: $id) { id } }`, { id: audioId });
      assert.equal(code(r), 'UNAUTHENTICATED', JSON.stringify(r));
    }
  });

  test('an upload without a key is refused and stores nothing', async () => {
    const r = await gqlUpload(s.url, null, `mutation($f: Upload!) { uploadAudio(file: $f) { id } }`, { f: null }, 'f', speech('x'));
    assert.equal(code(r), 'UNAUTHENTICATED');
  });

  test('a WebSocket without a valid key in connectionParams is closed with 4403', async () => {
    const r = await subscribeWs(s.url, 'nope-not-a-key-0123456789', WATCH_JOB, { id: audioId }).done;
    assert.equal((r.error as { code?: number }).code, 4403);
  });

  test('introspection needs no key (teams generate SDKs from it); data does', async () => {
    const r = await gql(s.url, null, `{ __schema { queryType { name } } }`);
    assert.equal(r.data.__schema.queryType.name, 'Query');
  });
});

describe('validation', () => {
  const denoise = (input: object) => gql(s.url, KEY_A, `mutation($i: DenoiseInput!) { denoise(input: $i) { id } }`, { i: input });
  const align = (input: object) => gql(s.url, KEY_A, `mutation($i: AlignInput!) { align(input: $i) { id } }`, { i: input });
  const synth = (input: object) => gql(s.url, KEY_A, `mutation($i: SynthesizeInput!) { synthesize(input: $i) { id } }`, { i: input });

  test('neither audioId nor file', async () => {
    const r = await denoise({});
    assert.equal(code(r), 'BAD_USER_INPUT');
    assert.equal(field(r), 'audioId');
  });
  test('an audioId that is not an id', async () => assert.equal(code(await denoise({ audioId: "'; drop table x; --" })), 'BAD_USER_INPUT'));
  test('an unknown audioId', async () => assert.equal(code(await denoise({ audioId: '00000000-0000-4000-8000-000000000000' })), 'NOT_FOUND'));
  test('priority out of range', async () => assert.equal(field(await denoise({ audioId, priority: 1000 })), 'priority'));
  test('a bad engine name', async () => assert.equal(field(await denoise({ audioId, engine: '../../etc' })), 'engine'));
  test('an unsupported language', async () => assert.equal(field(await align({ audioId, transcript: 'hello', language: 'xx' })), 'language'));
  test('a blank transcript', async () => assert.equal(field(await align({ audioId, transcript: '   ' })), 'transcript'));
  test('text with control characters', async () => assert.equal(field(await synth({ text: 'hi\u0000there' })), 'text'));
  test('text over MAX_TEXT_CHARS', async () => assert.equal(field(await synth({ text: 'a'.repeat(101) })), 'text'));
  test('a bad voice name', async () => assert.equal(field(await synth({ text: 'hello', voice: 'f1; rm -rf /' })), 'voice'));
  test('a value the schema cannot coerce (an unknown emotion) is BAD_REQUEST', async () => {
    assert.equal(code(await synth({ text: 'hello', emotion: 'FURIOUS' })), 'BAD_REQUEST');
  });
  test('a syntax error is GRAPHQL_PARSE_FAILED', async () => assert.equal(code(await gql(s.url, KEY_A, '{ job(id: ')), 'GRAPHQL_PARSE_FAILED'));
  test('an oversized JSON body is refused with 413', async () => {
    const r = await fetch(`${s.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY_A}` },
      body: JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(2 << 20) } }),
    });
    assert.equal(r.status, 413);
  });
  test('nothing was enqueued by any of these', async () => {
    const r = await gql(s.url, KEY_A, `{ jobs { nodes { id } } }`);
    assert.deepEqual(r.data.jobs.nodes, []);
  });
});
