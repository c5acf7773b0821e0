// The engines query and engine choice: what the live workers offer (from their heartbeat rows),
// jobs refused at submit time when no worker could run them, and the synthesize knobs
// (intensity, sampleRate) reaching the engine.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseWav, rms, speech } from './support/audio.ts';
import { gql, gqlUpload, subscribeWs, WATCH_JOB } from './support/client.ts';
import { KEY_A, startTestServer, waitReady, type TestServer } from './support/server.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer({ WORKERS: '1' });
  await waitReady(s.url);
});
after(() => s.close());

const ENGINES = `query($kind: JobKind, $language: String) {
  engines(kind: $kind, language: $language) { kind name version devices languages voices { language names } isDefault plugin maxBatch workers }
}`;

async function engines(vars: Record<string, unknown> = {}) {
  const res = await gql(s.url, KEY_A, ENGINES, vars);
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  return res.data.engines as any[];
}

async function run(mutation: string, input: Record<string, unknown>) {
  const res = await gql(s.url, KEY_A, `mutation($i: ${mutation[0]!.toUpperCase() + mutation.slice(1)}Input!) { ${mutation}(input: $i) { id } }`, { i: input });
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  const r = await subscribeWs(s.url, KEY_A, WATCH_JOB, { id: res.data[mutation].id, after: 0 }).done;
  return r.items.at(-1).jobUpdated;
}

test('every kind lists its built-in engines from the live worker, with a default first', async () => {
  const all = await engines();
  const names = (kind: string) => all.filter((e) => e.kind === kind).map((e) => e.name);
  assert.deepEqual(new Set(names('DENOISE')), new Set(['mmse-lsa', 'fast']));
  assert.deepEqual(new Set(names('ALIGN')), new Set(['auto', 'pocketsphinx', 'espeak-dtw']));
  assert.ok(names('SYNTHESIZE').includes('espeak-ng') && names('SYNTHESIZE').includes('flite'));
  for (const kind of ['DENOISE', 'ALIGN', 'SYNTHESIZE']) {
    const ofKind = all.filter((e) => e.kind === kind);
    assert.equal(ofKind[0].isDefault, true, kind);
    assert.ok(ofKind.every((e) => e.workers === 1 && e.devices.includes('cpu') && e.version && !e.plugin));
  }
  const auto = all.find((e) => e.name === 'auto');
  assert.deepEqual(new Set(auto.languages), new Set(['en', 'zh', 'yue', 'fr', 'de', 'it', 'ja', 'ko', 'pt', 'ru', 'es']));
  assert.ok(all.find((e) => e.name === 'mmse-lsa').maxBatch > 1, 'the default denoiser batches');
  // flite is first for English, espeak-ng for every other language; pocketsphinx is never first.
  assert.equal(all.find((e) => e.name === 'espeak-ng').isDefault, true);
  assert.equal(all.find((e) => e.name === 'pocketsphinx').isDefault, false);
  const espeak = all.find((e) => e.name === 'espeak-ng');
  assert.ok(espeak.voices.find((v: any) => v.language === 'de')?.names.length > 0, 'voices per language');
});

test('filters by kind and language', async () => {
  const de = await engines({ kind: 'SYNTHESIZE', language: 'de' });
  assert.ok(de.length > 0 && de.every((e) => e.kind === 'SYNTHESIZE' && e.languages.includes('de')));
  assert.ok(!de.some((e) => e.name === 'flite'), 'flite speaks English only');
  const bad = await gql(s.url, KEY_A, ENGINES, { language: 'xx' });
  assert.equal(bad.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  const anon = await gql(s.url, null, ENGINES);
  assert.equal(anon.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
});

test('a job naming an engine no worker offers is refused before anything is stored', async () => {
  const res = await gqlUpload(s.url, KEY_A, `mutation($f: Upload!) { denoise(input: { file: $f, engine: "nosuch" }) { id } }`, { f: null }, 'f', speech('hello there'));
  assert.equal(res.errors?.[0]?.extensions?.code, 'ENGINE_UNAVAILABLE');
  assert.equal(res.errors?.[0]?.extensions?.field, 'engine');
  assert.match(res.errors![0]!.message, /mmse-lsa/);
  const jobs = await gql(s.url, KEY_A, `{ jobs { nodes { id } } }`);
  assert.equal(jobs.data.jobs.nodes.length, 0);
  const lang = await gql(s.url, KEY_A, `mutation { synthesize(input: { text: "Hallo", language: "de", engine: "flite" }) { id } }`);
  assert.equal(lang.errors?.[0]?.extensions?.code, 'UNSUPPORTED_LANGUAGE');
});

test('a named engine runs the job', async () => {
  const job = await run('denoise', { audioId: await uploadId(), engine: 'fast' });
  assert.equal(job.status, 'SUCCEEDED', JSON.stringify(job.error));
  assert.equal(job.engine, 'fast');
});

test('synthesize: sampleRate sets the result rate, word times kept; intensity is validated and used', async () => {
  const job = await run('synthesize', { text: 'The result comes at the rate you ask for.', sampleRate: 8000, language: 'de' });
  assert.equal(job.status, 'SUCCEEDED', JSON.stringify(job.error));
  const wav = parseWav(Buffer.from(await (await fetch(job.result.audio.url)).arrayBuffer()));
  assert.equal(wav.sampleRate, 8000);
  assert.equal(job.result.audio.sampleRate, 8000);
  assert.ok(job.result.words.at(-1).end <= wav.frames / 8000 + 1e-6);

  for (const [field, value] of [['intensity', 1.5], ['intensity', -0.1], ['sampleRate', 4000], ['sampleRate', 96000]] as const) {
    const bad = await gql(s.url, KEY_A, `mutation($i: SynthesizeInput!) { synthesize(input: $i) { id } }`, { i: { text: 'hi', [field]: value } });
    assert.equal(bad.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', `${field}=${value}`);
    assert.equal(bad.errors?.[0]?.extensions?.field, field);
  }
  const calm = await run('synthesize', { text: 'I cannot believe you did that again.', emotion: 'ANGRY', intensity: 0, language: 'de' });
  const full = await run('synthesize', { text: 'I cannot believe you did that again.', emotion: 'ANGRY', intensity: 1, language: 'de' });
  const [a, b] = await Promise.all([calm, full].map(async (j) => parseWav(Buffer.from(await (await fetch(j.result.audio.url)).arrayBuffer()))));
  assert.ok(rms(b!.samples) > rms(a!.samples), 'full-intensity anger is louder');
});

async function uploadId(): Promise<string> {
  const res = await gqlUpload(s.url, KEY_A, `mutation($f: Upload!) { uploadAudio(file: $f) { id } }`, { f: null }, 'f', speech('hello there, general'));
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  return res.data.uploadAudio.id;
}
