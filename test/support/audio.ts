// Real test audio made offline: espeak-ng speech with its own word timings, noise from sox at a
// fixed seed, and other containers converted by ffmpeg.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'voxgraph-audio-'));
let n = 0;
const out = (ext: string) => join(dir, `a${n++}.${ext}`);
/** A fresh path in this run's scratch directory. */
export const scratchFile = out;

/** espeak-ng speech, 16 kHz mono WAV. */
export function speech(text: string, opts: { voice?: string; rate?: number } = {}): string {
  const raw = out('wav');
  execFileSync('espeak-ng', ['-v', opts.voice ?? 'en-us', '-s', String(opts.rate ?? 160), '-w', raw, text]);
  const wav = out('wav');
  execFileSync('sox', [raw, '-r', '16000', '-c', '1', '-b', '16', wav]);
  return wav;
}

/** `speech` plus white noise at `snrDb`, with half a second of noise-only lead-in. */
export function noisySpeech(text: string, snrDb: number): string {
  const clean = speech(text);
  const padded = out('wav');
  execFileSync('sox', [clean, padded, 'pad', '0.5', '0.5']);
  const py = `
import numpy as np, soundfile as sf, sys
x, sr = sf.read(sys.argv[1], dtype='float32')
rng = np.random.default_rng(1234)
p = np.mean(x[x != 0] ** 2) if np.any(x) else 1e-4
noise = rng.standard_normal(len(x)).astype('float32') * np.sqrt(p / 10 ** (float(sys.argv[3]) / 10))
sf.write(sys.argv[2], np.clip(x + noise, -1, 1), sr, subtype='PCM_16')
`;
  const noisy = out('wav');
  execFileSync('/usr/bin/python3', ['-c', py, padded, noisy, String(snrDb)]);
  return noisy;
}

/** Long audio (noise-ish speech) of `seconds`, 16 kHz mono: a slow enough job to interrupt. */
export function longAudio(seconds: number): string {
  const base = noisySpeech('the quick brown fox jumps over the lazy dog near the river bank', 10);
  const wav = out('wav');
  const repeats = Math.ceil(seconds / 5);
  execFileSync('sox', [base, wav, 'repeat', String(repeats), 'trim', '0', String(seconds)]);
  return wav;
}

export function convert(input: string, ext: string, args: string[] = []): string {
  const o = out(ext);
  execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-i', input, ...args, o]);
  return o;
}

export type WavInfo = { sampleRate: number; channels: number; bitsPerSample: number; frames: number; samples: Int16Array };

/** Parses a PCM WAV (what our results are), failing loudly on anything else. */
export function parseWav(buf: Buffer): WavInfo {
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a RIFF/WAVE file');
  let off = 12;
  let fmt: { channels: number; sampleRate: number; bits: number } | null = null;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === 'fmt ') fmt = { channels: buf.readUInt16LE(off + 10), sampleRate: buf.readUInt32LE(off + 12), bits: buf.readUInt16LE(off + 22) };
    if (id === 'data') {
      if (!fmt) throw new Error('data before fmt');
      const data = buf.subarray(off + 8, off + 8 + size);
      if (data.length !== size) throw new Error('truncated data chunk');
      const samples = new Int16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length));
      return { sampleRate: fmt.sampleRate, channels: fmt.channels, bitsPerSample: fmt.bits, frames: samples.length / fmt.channels, samples };
    }
    off += 8 + size + (size % 2);
  }
  throw new Error('no data chunk');
}

export const rms = (s: Int16Array, from = 0, to = s.length) => {
  let acc = 0;
  for (let i = from; i < to; i++) acc += (s[i]! / 32768) ** 2;
  return Math.sqrt(acc / Math.max(1, to - from));
};

export const read = (p: string) => readFileSync(p);


/** espeak-ng speech with the exact time of every word (from espeak's own WORD events). */
export function speechWithTimings(text: string, language = 'en', variant: string | null = 'f3'): { path: string; words: Array<{ text: string; start: number; end: number }> } {
  const path = out('wav');
  const py = `
import json, sys, soundfile as sf
sys.path.insert(0, 'gpu-worker')
from voxgraph_worker.engines.support import espeak
text, lang, variant, path = sys.argv[1:5]
s = espeak.synthesize(text, espeak.Voice(language=lang, variant=variant or None, rate=150))
sf.write(path, s.samples, s.sample_rate, subtype='PCM_16')
print(json.dumps([{"text": text[w.text_start:w.text_end], "start": w.start, "end": w.end} for w in s.words]))
`;
  const json = execFileSync('/usr/bin/python3', ['-c', py, text, language, variant ?? '', path], { encoding: 'utf8' });
  return { path, words: JSON.parse(json) };
}
