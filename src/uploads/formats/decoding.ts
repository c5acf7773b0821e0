// What the decoding checks (flac.ts, ogg.ts, mp3.ts) share: how they read the file, how much they
// decode at once, when they stop, and how a decoder reports trouble.
//
// Memory is bounded by what a decoder call *outputs*, not by what it reads: the decoders build
// each call's whole output (a Float32Array per channel), and a few hostile bytes can stand for a
// lot of audio (a constant FLAC subframe, an Opus DTX packet). So frames go to the decoder in
// groups of at most DECODE_SAMPLES_PER_CALL decoded samples, counted from the frames' headers
// before decoding, and a check stops as soon as the audio is known to exceed the caller's limits.
import { open } from 'node:fs/promises';
import { id3v2Size } from '../sniff.ts';

/** Files are read in chunks of this size. */
export const CHUNK_BYTES = 256 * 1024;
/** Decoded samples (all channels) per decoder call at most: 4 MiB as float32. */
export const DECODE_SAMPLES_PER_CALL = 1 << 20;

/** The caller's limits (MAX_AUDIO_SAMPLES, MAX_AUDIO_SECONDS), and when the check must give up. */
export type DecodeLimits = { maxSamples: number; maxSeconds: number; deadline: number };

export async function readAt(path: string, at: number, n: number): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await file.read(buf, 0, n, at);
    return buf.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

/** Bytes of tags around the audio: a leading ID3v2, trailing ID3v1 and APEv2 (MP3, sometimes FLAC). */
export async function tagBytes(path: string, size: number): Promise<number> {
  const lead = id3v2Size(await readAt(path, 0, 10));
  let end = size;
  const tail = await readAt(path, Math.max(0, size - 160), Math.min(size, 160));
  const at = (offset: number, s: string) => offset >= 0 && tail.toString('latin1', offset, offset + s.length) === s;
  if (tail.length >= 128 && at(tail.length - 128, 'TAG')) end -= 128;
  const footer = tail.length - (size - end) - 32;
  if (at(footer, 'APETAGEX')) end -= tail.readUInt32LE(footer + 12) + (tail.readUInt32LE(footer + 20) & 0x80000000 ? 32 : 0);
  return lead + (size - end);
}

/** The @wasm-audio-decoders family returns errors per call instead of throwing. */
export function decodeErrors(out: { errors?: Array<{ message?: string }> }): string[] {
  return (out.errors ?? []).map((e) => String(e.message ?? e));
}

/** codec-parser's parseChunk()/flush() are generators its typings call iterators: collect them. */
export function drain<T>(it: Iterator<unknown>): T[] {
  const out: T[] = [];
  for (let r = it.next(); !r.done; r = it.next()) out.push(r.value as T);
  return out;
}

/** Splits frames into groups that each decode to at most DECODE_SAMPLES_PER_CALL samples. */
export function* bounded<T>(frames: T[], samplesOf: (f: T) => number): Generator<T[]> {
  let group: T[] = [];
  let samples = 0;
  for (const f of frames) {
    const n = Math.max(1, samplesOf(f));
    if (group.length && samples + n > DECODE_SAMPLES_PER_CALL) {
      yield group;
      group = [];
      samples = 0;
    }
    group.push(f);
    samples += n;
  }
  if (group.length) yield group;
}

/**
 * Why a check stops early, or null: past its deadline, or the audio already counted is over a
 * limit. Over a limit, the check returns what it has counted (the caller refuses that with
 * AUDIO_TOO_LONG / AUDIO_TOO_MANY_SAMPLES): decoding the rest would only cost CPU.
 */
export function stopReason(limits: DecodeLimits, frames: number, sampleRate: number, channels: number): 'deadline' | 'limit' | null {
  if (Date.now() > limits.deadline) return 'deadline';
  if (frames * channels > limits.maxSamples || (sampleRate > 0 && frames / sampleRate > limits.maxSeconds)) return 'limit';
  return null;
}
