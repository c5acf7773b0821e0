// `npm run bench:upload`: streams a big audio file (200 MiB of WAV by default, or the same audio as
// FLAC) through uploadAudio, watches the API's memory, and measures how a small request fares
// meanwhile: the format check of a big upload must not stall the event loop.
//
// The API runs as a child process (`node src/main.ts`, WORKERS=0) so its RSS is its own; the bench
// samples /proc/<pid>/status (VmRSS) every 50 ms while it uploads the file with a streaming
// multipart request (node:http, the file piped from disk, never held in memory here either), and
// sends a `{ __typename }` request every 20 ms from the start of the upload to its response.
// Database: a fresh database on DATABASE_URL's cluster when DATABASE_URL is set (dropped after),
// else the child's embedded PostgreSQL under a fresh DATA_DIR. Everything under bench/out/ that
// the run wrote is removed at the end.
//
// Settings (env): BENCH_UPLOAD_MB (size of the WAV, default 200), BENCH_UPLOAD_FORMAT (wav | flac:
// the same audio encoded by ffmpeg, so its check decodes every frame), BENCH_KEEP=1 keeps
// bench/out/<run>/ for a look.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { basename, join } from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { freshDatabase, startApiChild, type ApiChild } from './support.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MiB = 1024 * 1024;
const TARGET_RSS_GROWTH_MB = 64;
const SIZE_MB = Number(process.env.BENCH_UPLOAD_MB ?? 200);
const FORMAT = process.env.BENCH_UPLOAD_FORMAT ?? 'wav';
const PROBE_EVERY_MS = 20;
const KEY = `bench-${randomBytes(12).toString('hex')}`;

const runDir = join(ROOT, 'bench', 'out', `upload-${Date.now()}-${process.pid}`);
const dataDir = join(runDir, 'data');
const wavPath = join(runDir, `bench-${SIZE_MB}mb.wav`);

const fmt = (n: number, d = 1) => n.toFixed(d);
const say = (s: string) => console.log(s);



// --- a big WAV, streamed to disk (and hashed on the way) ----------------------------------------
async function writeWav(path: string, totalBytes: number): Promise<string> {
  const sampleRate = 44_100;
  const channels = 2;
  const blockAlign = channels * 2;
  const dataBytes = Math.floor((totalBytes - 44) / blockAlign) * blockAlign;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * blockAlign, 28);
  header.writeUInt16LE(blockAlign, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(dataBytes, 40);

  // One second of a 440 Hz tone plus a little noise (fixed seed), looped.
  const block = Buffer.alloc(sampleRate * blockAlign);
  let seed = 12345;
  for (let i = 0; i < sampleRate; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const noise = (seed / 0x7fffffff - 0.5) * 0.05;
    const v = Math.round((0.3 * Math.sin((2 * Math.PI * 440 * i) / sampleRate) + noise) * 32767);
    for (let c = 0; c < channels; c++) block.writeInt16LE(v, i * blockAlign + c * 2);
  }

  const hash = createHash('sha256');
  const out = createWriteStream(path);
  const put = async (buf: Buffer) => {
    hash.update(buf);
    if (!out.write(buf)) await once(out, 'drain');
  };
  await put(header);
  for (let left = dataBytes; left > 0; left -= block.length) await put(left >= block.length ? block : block.subarray(0, left));
  out.end();
  await once(out, 'finish');
  return hash.digest('hex');
}


function rssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

// --- a streaming GraphQL multipart request ------------------------------------------------------
function uploadStreaming(url: string, path: string): Promise<{ status: number; body: string; firstResponseByteMs: number }> {
  const boundary = `----voxgraph-bench-${randomBytes(8).toString('hex')}`;
  const operations = JSON.stringify({
    query: 'mutation($f: Upload!) { uploadAudio(file: $f) { id bytes sha256 durationSeconds sampleRate channels codec } }',
    variables: { f: null },
  });
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${operations}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n${JSON.stringify({ 0: ['variables.f'] })}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="${basename(path)}"\r\nContent-Type: audio/wav\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const length = head.length + statSync(path).size + tail.length;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/graphql`,
      {
        method: 'POST',
        headers: {
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': String(length),
          'graphql-require-preflight': '1',
          authorization: `Bearer ${KEY}`,
        },
      },
      (res) => {
        const firstResponseByteMs = performance.now() - t0;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), firstResponseByteMs }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.write(head);
    const file = createReadStream(path, { highWaterMark: 256 * 1024 });
    file.on('error', reject);
    file.pipe(req, { end: false });
    file.on('end', () => req.end(tail));
  });
}

/** Small GraphQL requests, one every PROBE_EVERY_MS (one at a time), until stop(): their latencies. */
function probe(url: string) {
  const latencies: number[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const t = performance.now();
      const r = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
      await r.text();
      latencies.push(performance.now() - t);
      await new Promise((res) => setTimeout(res, PROBE_EVERY_MS));
    }
  })();
  return { stop: async () => ((running = false), await done, latencies) };
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))] ?? NaN;

// --- the run ------------------------------------------------------------------------------------
async function main() {
  mkdirSync(dataDir, { recursive: true });
  const db = await freshDatabase();
  let api: ApiChild | undefined;
  let failed = false;
  try {
    say(`voxgraph upload bench: ${SIZE_MB} MiB WAV${FORMAT === 'flac' ? ' as FLAC' : ''}, database: ${db.url ? 'fresh database on DATABASE_URL' : 'embedded PostgreSQL (child)'}`);
    let t = performance.now();
    let localSha = await writeWav(wavPath, SIZE_MB * MiB);
    let uploadPath = wavPath;
    if (FORMAT === 'flac') {
      uploadPath = wavPath.replace(/\.wav$/, '.flac');
      execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-i', wavPath, uploadPath]);
      localSha = createHash('sha256').update(readFileSync(uploadPath)).digest('hex');
      rmSync(wavPath);
    }
    const size = statSync(uploadPath).size;
    say(`generated ${uploadPath.replace(ROOT, '')} (${size} bytes) in ${fmt((performance.now() - t) / 1000, 2)} s`);

    t = performance.now();
    const started = (api = await startApiChild({
      databaseUrl: db.url,
      dataDir,
      apiKey: KEY,
      env: {
        WORKERS: '0',
        MAX_UPLOAD_BYTES: String(Math.max(600 * MiB, Math.ceil(SIZE_MB * 1.2 * MiB))),
        MAX_AUDIO_SECONDS: String(10 * 24 * 3600),
      },
    }));
    const child = started.child;
    say(`API child pid ${child.pid} ready in ${fmt((performance.now() - t) / 1000, 2)} s at ${started.url}`);

    // Let the process settle (one warm-up GraphQL request), then take the baseline.
    await fetch(`${started.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ query: '{ __typename }' }),
    }).then((r) => r.text());
    await new Promise((r) => setTimeout(r, 500));
    const pid = child.pid!;
    const before = rssKb(pid);
    let peak = before;
    let samples = 0;
    const timeline: number[] = [];
    const sampler = setInterval(() => {
      try {
        const kb = rssKb(pid);
        samples++;
        timeline.push(kb);
        if (kb > peak) peak = kb;
      } catch {
        /* the child went away; the upload will fail too */
      }
    }, 50);

    t = performance.now();
    let res;
    const prober = probe(started.url);
    let small: number[] = [];
    try {
      res = await uploadStreaming(started.url, uploadPath);
    } finally {
      clearInterval(sampler);
      small = await prober.stop();
    }
    const wallS = (performance.now() - t) / 1000;
    const after = rssKb(pid);

    let audio: { id: string; bytes: number; sha256: string; durationSeconds: number } | undefined;
    let errors: unknown;
    try {
      const parsed = JSON.parse(res.body);
      audio = parsed.data?.uploadAudio;
      errors = parsed.errors;
    } catch {
      errors = res.body.slice(0, 500);
    }
    const growthMb = (peak - before) / 1024;
    const shaOk = audio?.sha256 === localSha;
    const bytesOk = audio?.bytes === size;

    say('');
    say(`file size              ${size} bytes (${fmt(size / MiB)} MiB)`);
    say(`upload wall time       ${fmt(wallS, 2)} s  (request start → response end; response headers after ${fmt(res.firstResponseByteMs / 1000, 2)} s)`);
    say(`throughput             ${fmt(size / MiB / wallS)} MiB/s`);
    say(`server RSS before      ${fmt(before / 1024)} MiB`);
    say(`server RSS peak        ${fmt(peak / 1024)} MiB  (${samples} samples at 50 ms; after: ${fmt(after / 1024)} MiB)`);
    const deciles = Array.from({ length: 11 }, (_, i) => timeline[Math.min(timeline.length - 1, Math.round((i / 10) * (timeline.length - 1)))] ?? NaN);
    say(`server RSS timeline    ${deciles.map((kb) => fmt(kb / 1024, 0)).join(' ')} MiB (every 10% of the upload)`);
    say(`server RSS growth      ${fmt(growthMb)} MiB   target < ${TARGET_RSS_GROWTH_MB} MiB: ${growthMb < TARGET_RSS_GROWTH_MB ? 'MET' : 'NOT MET'}`);
    say(`small requests         ${small.length} during the upload: p50 ${fmt(pct(small, 50))} ms, p99 ${fmt(pct(small, 99))} ms, max ${fmt(pct(small, 100))} ms`);
    say(`HTTP status            ${res.status}`);
    if (audio) {
      say(`server verdict         audio ${audio.id}, ${audio.bytes} bytes (${bytesOk ? 'matches' : 'DIFFERS'}), ${fmt(audio.durationSeconds)} s`);
      say(`sha256                 ${audio.sha256} ${shaOk ? '= local file' : `≠ local ${localSha}`}`);
    } else {
      say(`server verdict         upload failed: ${JSON.stringify(errors)}`);
    }
    failed = !audio || !shaOk || !bytesOk;
  } catch (err) {
    failed = true;
    console.error(err);
  } finally {
    await api?.stop();
    await db.drop().catch((err) => console.error('dropping the bench database failed:', err));
    if (process.env.BENCH_KEEP === '1') say(`kept ${runDir}`);
    else rmSync(runDir, { recursive: true, force: true });
  }
  process.exitCode = failed ? 1 : 0;
}

await main();
