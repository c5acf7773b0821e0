// Files nothing refers to (a result stored by a worker killed before it settled, a `.part` from a
// write cut short, an upload spool left by a killed API process) are removed once older than
// STORAGE_ORPHAN_AGE_SECONDS; a file an audio row refers to never is, however old; a young one is
// left alone; one API process sweeps at a time.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { log } from '../src/log.ts';
import { sweepOrphanFiles } from '../src/storage/orphan-sweep.ts';
import { speech } from './support/audio.ts';
import { gql, gqlUpload } from './support/client.ts';
import { KEY_A, startTestServer, type TestServer } from './support/server.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer({ WORKERS: '0' });
});
after(() => s.close());

const HOUR = 3600;
const aged = (path: string, seconds: number) => {
  const t = (Date.now() - seconds * 1000) / 1000;
  utimesSync(path, t, t);
  return path;
};

test('old unreferenced files go; referenced and young ones stay', async () => {
  const up = await gqlUpload(s.url, KEY_A, `mutation($f: Upload!) { uploadAudio(file: $f) { id url } }`, { f: null }, 'f', speech('keep me'));
  const objects = join(s.dataDir, 'objects', 'tenant-a');
  const [kept] = (await s.deps.pool.query(`SELECT storage_key FROM voxgraph.audio WHERE id = $1`, [up.data.uploadAudio.id])).rows.map((r) => join(s.dataDir, 'objects', r.storage_key));
  aged(kept!, 2 * HOUR);
  mkdirSync(objects, { recursive: true });
  const file = (dir: string, name: string) => (writeFileSync(join(dir, name), 'x'), join(dir, name));
  const lostResult = aged(file(objects, `${randomUUID()}.wav`), 2 * HOUR);
  const part = aged(file(objects, '.tmp-k1ll3d.part'), 2 * HOUR);
  const spool = aged(file(join(s.dataDir, 'tmp'), 'capacitor-123'), 2 * HOUR);
  const young = aged(file(objects, `${randomUUID()}.wav`), 60);

  const [a, b] = await Promise.all([sweepOrphanFiles(s.deps.pool, s.deps.storage, log, HOUR), sweepOrphanFiles(s.deps.pool, s.deps.storage, log, HOUR)]);
  const ran = [a, b].filter(Boolean);
  assert.ok(ran.length >= 1);
  assert.deepEqual(
    ran.reduce((x, y) => ({ objects: x!.objects + y!.objects, partial: x!.partial + y!.partial, uploads: x!.uploads + y!.uploads })),
    { objects: 1, partial: 1, uploads: 1 },
    'each orphan removed once, by whichever process held the lock',
  );
  assert.ok(!existsSync(lostResult) && !existsSync(part) && !existsSync(spool));
  assert.ok(existsSync(kept!) && existsSync(young));
  const r = await fetch(up.data.uploadAudio.url);
  assert.equal(r.status, 200, 'the referenced file still downloads');
  const again = await gql(s.url, KEY_A, `query($id: ID!) { audio(id: $id) { id } }`, { id: up.data.uploadAudio.id });
  assert.equal(again.data.audio.id, up.data.uploadAudio.id);
});
