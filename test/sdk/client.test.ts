// The SDK against a real server and worker: uploads from every source it takes, each job kind
// and a batch submitted and watched to the end, downloads and exports, SSE as well as graphql-ws,
// and the server's error codes as typed error classes.
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { after, before, test } from 'node:test';
import {
  BadUserInputError,
  createClient,
  JobFailedError,
  NotFoundError,
  resultAudio,
  UnauthenticatedError,
  VoxgraphError,
  type Job,
  type VoxgraphClient,
} from '../../sdk/src/index.ts';
import { downloadToFile, fileFromPath, fileFromStream } from '../../sdk/src/node.ts';
import { parseWav, speech } from '../support/audio.ts';
import { KEY_A, startTestServer, waitReady, type TestServer } from '../support/server.ts';

let s: TestServer;
let vg: VoxgraphClient;
before(async () => {
  s = await startTestServer({ WORKERS: '1' });
  await waitReady(s.url);
  vg = createClient({ url: s.url, apiKey: KEY_A });
});
after(async () => {
  await vg?.close();
  await s?.close();
});

const sha256 = (b: Buffer | Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Collects a watch, checking that each version follows the one before. */
async function collect(states: AsyncIterable<Job>): Promise<Job[]> {
  const seen: Job[] = [];
  for await (const j of states) {
    if (seen.length) assert.equal(j.version, seen.at(-1)!.version + 1, `versions ${seen.map((x) => x.version)} then ${j.version}`);
    seen.push(j);
  }
  return seen;
}

test('upload takes a Blob, a file path and a Node stream; each stores the exact bytes, with progress', async () => {
  const path = speech('three ways to upload');
  const bytes = readFileSync(path);
  const fromBlob = await vg.upload(new Blob([bytes], { type: 'audio/wav' }));
  const progress: number[] = [];
  const fromPath = await vg.upload(await fileFromPath(path), { onProgress: (p) => progress.push(p.sentBytes) });
  const fromStream = await vg.upload(fileFromStream(createReadStream(path, { highWaterMark: 4096 }), 'clip.wav'));
  for (const a of [fromBlob, fromPath, fromStream]) {
    assert.equal(a.sha256, sha256(bytes));
    assert.equal(a.contentType, 'audio/wav');
  }
  assert.ok(progress.length > 1, 'progress reported more than once');
  assert.deepEqual(progress, [...progress].sort((a, b) => a - b), 'progress only grows');
  assert.ok(progress.at(-1)! > statSync(path).size, 'the last report counts the whole body');
});

test('denoise with the file in the mutation: watch yields every version in order to SUCCEEDED; waitFor and download agree', async () => {
  const job = await vg.denoise({ file: await fileFromPath(speech('a job from the sdk')), cache: false });
  assert.equal(job.kind, 'DENOISE');
  const states = await collect(vg.watch(job.id));
  assert.equal(states.at(-1)!.status, 'SUCCEEDED');
  const done = await vg.waitFor(job.id);
  assert.equal(done.version, states.at(-1)!.version);
  const audio = resultAudio(done);
  assert.ok(audio);
  const wav = parseWav(Buffer.from(await (await vg.download(done)).arrayBuffer()));
  assert.ok(wav.frames > 1000);
  const file = `${s.dataDir}/../sdk-download-${job.id}.wav`;
  await downloadToFile(audio, file);
  assert.equal(sha256(readFileSync(file)), audio.sha256);
  // The full event log, oldest first, ends where the watch ended.
  const events = await vg.events(job.id);
  assert.equal(events!.at(-1)!.version, done.version);
});

test('align and synthesize return their words; exportWords gives SRT', async () => {
  const clip = await vg.upload(await fileFromPath(speech('hello brave new world')));
  const aligned = await vg.waitFor((await vg.align({ audioId: clip.id, transcript: 'hello brave new world', cache: false })).id);
  assert.equal(aligned.result?.__typename, 'AlignResult');
  assert.deepEqual(aligned.result!.__typename === 'AlignResult' && aligned.result.words.map((w) => w.text), ['hello', 'brave', 'new', 'world']);
  const spoken = await vg.waitFor((await vg.synthesize({ text: 'typed end to end', emotion: 'HAPPY', cache: false })).id);
  assert.equal(spoken.result?.__typename, 'SynthesizeResult');
  const srt = await vg.exportWords(spoken.id, 'SRT');
  assert.equal(srt?.format, 'SRT');
  assert.match(srt!.text, /00:00:0\d,\d{3} --> .*\n(typed|end|to)/);
});

test('submitBatch sends every file in one request; watchBatch yields every version until all jobs finished', async () => {
  const batch = await vg.submitBatch({
    jobs: [
      { denoise: { file: await fileFromPath(speech('first of a batch')), cache: false } },
      { denoise: { file: new Blob([readFileSync(speech('second of a batch'))]), cache: false } },
      { synthesize: { text: 'third of a batch', cache: false } },
    ],
  });
  assert.equal(batch.size, 3);
  assert.equal(batch.jobs.nodes.length, 3);
  let last = -1;
  let final;
  for await (const b of vg.watchBatch(batch.id)) {
    if (last >= 0) assert.equal(b.version, last + 1);
    last = b.version;
    final = b;
  }
  assert.ok(final?.finishedAt);
  assert.equal(final.counts.succeeded, 3);
});

test('over SSE the watch yields the same gapless sequence, matching the event log', async () => {
  const sse = createClient({ url: `${s.url}/graphql`, apiKey: KEY_A, subscriptions: 'sse' });
  try {
    const job = await sse.synthesize({ text: 'server sent events', cache: false });
    const states = await collect(sse.watch(job.id));
    assert.equal(states.at(-1)!.status, 'SUCCEEDED');
    const log = (await sse.events(job.id))!.map((e) => `${e.version}:${e.status}`);
    assert.deepEqual(states.map((j) => `${j.version}:${j.status}`), log.slice(log.length - states.length));
    // afterVersion resumes exactly after the version given.
    const resumed = await collect(sse.watch(job.id, { afterVersion: states[0]!.version }));
    assert.deepEqual(resumed.map((j) => j.version), states.slice(1).map((j) => j.version));
  } finally {
    await sse.close();
  }
});

test('error codes arrive as typed error classes', async () => {
  const nf = await vg.cancel(randomUUID()).catch((e) => e);
  assert.ok(nf instanceof NotFoundError && nf instanceof VoxgraphError, String(nf));
  assert.equal(nf.code, 'NOT_FOUND');

  const bad = await vg.align({ file: new Blob([readFileSync(speech('x'))]), transcript: '' }).catch((e) => e);
  assert.ok(bad instanceof BadUserInputError, String(bad));
  assert.equal(bad.field, 'transcript');

  const anonymous = createClient({ url: s.url, apiKey: 'not-a-key-0123456789abcdef' });
  try {
    assert.ok((await anonymous.jobs().catch((e) => e)) instanceof UnauthenticatedError);
    const watching = await (async () => {
      for await (const _ of anonymous.watch(randomUUID())) return 'yielded';
      return 'ended';
    })().catch((e) => e);
    assert.ok(watching instanceof UnauthenticatedError, `over WebSocket too: ${watching}`);
  } finally {
    await anonymous.close();
  }

  const cancelled = await vg.synthesize({ text: 'never mind', runAt: new Date(Date.now() + 3600_000).toISOString(), cache: false });
  await vg.cancel(cancelled.id);
  const failed = await vg.waitFor(cancelled.id).catch((e) => e);
  assert.ok(failed instanceof JobFailedError);
  assert.equal(failed.code, 'CANCELLED');
  assert.equal((await vg.watch(randomUUID()).next().catch((e) => e)).constructor, NotFoundError);
});

test('the example script (run against the built package, sdk/dist) denoises a file and prints a URL that downloads the result', { timeout: 120_000 }, async () => {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['sdk/examples/denoise-file.ts', speech('the five line example')], {
    env: { ...process.env, VOXGRAPH_URL: s.url, VOXGRAPH_API_KEY: KEY_A },
  });
  assert.match(stderr, /SUCCEEDED 100%/);
  const url = stdout.trim();
  assert.match(url, /^http:\/\/.*\/files\//);
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.ok(parseWav(Buffer.from(await res.arrayBuffer())).frames > 1000);
});

test('the built package works on Node 22: the example script run by a Node 22 binary (from npm) succeeds', { timeout: 180_000 }, async () => {
  const { execFile } = await import('node:child_process');
  const { existsSync } = await import('node:fs');
  const { arch, platform } = await import('node:os');
  const { promisify } = await import('node:util');
  const run = promisify(execFile);
  // npm's platform package of Node 22 (a plain binary, no install script), kept between runs.
  const prefix = '.test-data/node22';
  const pkg = `node-${platform()}-${arch()}`;
  const bin = `${prefix}/node_modules/${pkg}/bin/node`;
  if (!existsSync(bin)) await run('npm', ['install', '--no-save', '--no-package-lock', '--prefix', prefix, `${pkg}@22`], { timeout: 150_000 });
  const { stdout: version } = await run(bin, ['--version']);
  assert.match(version, /^v22\./);
  // Type stripping is on by default from Node 22.18; the example is the same file users run.
  const { stdout, stderr } = await run(bin, ['sdk/examples/denoise-file.ts', speech('node twenty two')], { env: { ...process.env, VOXGRAPH_URL: s.url, VOXGRAPH_API_KEY: KEY_A } });
  assert.match(stderr, /SUCCEEDED 100%/);
  assert.equal((await fetch(stdout.trim())).status, 200);
  console.log(`# example ran on Node ${version.trim()}`);
});
