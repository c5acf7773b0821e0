// Relay conventions for SDK users: Job, Audio and Batch implement Node and node(id)/nodes(ids)
// fetch them (the caller's tenant only; ids are the UUIDs the API always gave); jobs, batches and
// a batch's jobs are connections (edges { cursor node }, pageInfo, and nodes for convenience) that
// page through everything once. The schema meets the Relay server specification's shapes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildSchema, isInterfaceType, isObjectType, isNonNullType, getNamedType } from 'graphql';
import { readFileSync } from 'node:fs';
import { speech } from './support/audio.ts';
import { gql, gqlUpload } from './support/client.ts';
import { KEY_A, KEY_B, startTestServer, waitReady, type TestServer } from './support/server.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer({ WORKERS: '0' });
  await waitReady(s.url);
});
after(async () => {
  await s.close();
});

const NODE = `query($id: ID!) { node(id: $id) { __typename id ... on Job { kind status } ... on Audio { sha256 } ... on Batch { size } } }`;

test('node(id) gives back each kind of object by its id, only to its own tenant', async () => {
  const audio = (await gqlUpload(s.url, KEY_A, `mutation($f: Upload!) { uploadAudio(file: $f) { id sha256 } }`, { f: null }, 'f', speech('a node'))).data.uploadAudio;
  const job = (await gql(s.url, KEY_A, `mutation { synthesize(input: { text: "a node" }) { id } }`)).data.synthesize;
  const batch = (await gql(s.url, KEY_A, `mutation { submitBatch(input: { jobs: [{ synthesize: { text: "in a batch" } }] }) { id } }`)).data.submitBatch;
  assert.deepEqual((await gql(s.url, KEY_A, NODE, { id: job.id })).data.node, { __typename: 'Job', id: job.id, kind: 'SYNTHESIZE', status: 'QUEUED' });
  assert.deepEqual((await gql(s.url, KEY_A, NODE, { id: audio.id })).data.node, { __typename: 'Audio', id: audio.id, sha256: audio.sha256 });
  assert.deepEqual((await gql(s.url, KEY_A, NODE, { id: batch.id })).data.node, { __typename: 'Batch', id: batch.id, size: 1 });
  for (const id of [job.id, audio.id, batch.id]) assert.equal((await gql(s.url, KEY_B, NODE, { id })).data.node, null, 'another tenant');
  for (const id of ['', 'nope', '00000000-0000-4000-8000-000000000000', 'x'.repeat(500)]) assert.equal((await gql(s.url, KEY_A, NODE, { id })).data.node, null);
  const many = await gql(s.url, KEY_A, `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`, { ids: [batch.id, 'nope', job.id, audio.id] });
  assert.deepEqual(many.data.nodes, [{ __typename: 'Batch', id: batch.id }, null, { __typename: 'Job', id: job.id }, { __typename: 'Audio', id: audio.id }]);
  const tooMany = await gql(s.url, KEY_A, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: Array.from({ length: 101 }, () => job.id) });
  assert.equal(tooMany.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
});

test('connections page through every job once: edges, cursors and pageInfo agree', async () => {
  for (let i = 0; i < 7; i++) await gql(s.url, KEY_B, `mutation($t: String!) { synthesize(input: { text: $t }) { id } }`, { t: `page ${i}` });
  const seen: string[] = [];
  let after: string | null = null;
  for (let page = 0; ; page++) {
    const r: any = await gql(s.url, KEY_B, `query($after: String) { jobs(first: 3, after: $after) { edges { cursor node { id } } nodes { id } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`, { after });
    const c = r.data.jobs;
    assert.deepEqual(c.nodes.map((n: any) => n.id), c.edges.map((e: any) => e.node.id));
    assert.equal(c.pageInfo.startCursor, c.edges[0]?.cursor ?? null);
    assert.equal(c.pageInfo.endCursor, c.edges.at(-1)?.cursor ?? null);
    assert.equal(c.pageInfo.hasPreviousPage, page > 0);
    seen.push(...c.nodes.map((n: any) => n.id));
    if (!c.pageInfo.hasNextPage) break;
    after = c.pageInfo.endCursor;
  }
  assert.equal(seen.length, 7);
  assert.equal(new Set(seen).size, 7);
  const b = await gql(s.url, KEY_B, `{ batches(first: 5) { edges { cursor node { id } } pageInfo { hasNextPage } } }`);
  assert.deepEqual(b.data.batches, { edges: [], pageInfo: { hasNextPage: false } });
});

test('the schema has the Relay server specification\'s shapes', () => {
  const schema = buildSchema(readFileSync(new URL('../schema/schema.graphql', import.meta.url), 'utf8'));
  const node = schema.getType('Node');
  assert.ok(isInterfaceType(node));
  assert.ok(isNonNullType(node.getFields().id!.type) && getNamedType(node.getFields().id!.type).name === 'ID');
  for (const name of ['Job', 'Audio', 'Batch']) assert.ok((schema.getType(name) as any).getInterfaces().includes(node), name);
  const q = schema.getQueryType()!.getFields();
  assert.equal(getNamedType(q.node!.type).name, 'Node');
  assert.deepEqual(q.node!.args.map((a) => a.name), ['id']);
  for (const [name, item] of [['JobConnection', 'Job'], ['BatchConnection', 'Batch']]) {
    const conn = schema.getType(name!);
    assert.ok(isObjectType(conn), name);
    const edge = getNamedType(conn.getFields().edges!.type);
    assert.ok(isObjectType(edge));
    assert.equal(getNamedType(edge.getFields().node!.type).name, item);
    assert.equal(getNamedType(edge.getFields().cursor!.type).name, 'String');
    const info = getNamedType(conn.getFields().pageInfo!.type);
    assert.ok(isObjectType(info));
    assert.deepEqual(Object.keys(info.getFields()).sort(), ['endCursor', 'hasNextPage', 'hasPreviousPage', 'startCursor']);
  }
});
