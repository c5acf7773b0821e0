// FLAC: the STREAMINFO block declares the sample rate, channels and the total number of samples;
// every frame is decoded (libFLAC in WebAssembly) and the samples counted, and the frames must
// cover every byte after the metadata blocks (tags aside). A truncated file, or one damaged
// anywhere (the parser drops frames whose CRC fails), decodes to fewer samples than declared or
// leaves bytes that are not frames. Runs in a worker thread (verify-thread.ts).
import { createReadStream } from 'node:fs';
import { FLACDecoder } from '@wasm-audio-decoders/flac';
import CodecParser from 'codec-parser';
import { accepted, corrupt, unsupported, type AudioInfo, type Verdict } from '../audio-info.ts';
import { id3v2Size } from '../sniff.ts';
import { bounded, CHUNK_BYTES, decodeErrors, drain, readAt, stopReason, tagBytes, type DecodeLimits } from './decoding.ts';

type StreamInfo = { sampleRate: number; channels: number; totalSamples: number; audioStart: number };
type Frame = { data: Uint8Array; samples: number };

// CRC-16 as FLAC defines it for frame footers: polynomial 0x8005, MSB first, initial 0.
const CRC16 = new Uint16Array(256).map((_, i) => {
  let r = i << 8;
  for (let j = 0; j < 8; j++) r = r & 0x8000 ? (r << 1) ^ 0x8005 : r << 1;
  return r & 0xffff;
});

/**
 * A FLAC frame has no length field: a frame ends where the next one's sync code begins. At the end
 * of a file codec-parser (2.5) can hand the last two frames over as one, and that passes its CRC
 * check, because a complete frame (with its CRC) followed by another leaves the CRC at the second
 * frame's; libFLAC then decodes only the first. So the frames it flushes at the end are split
 * wherever a sync code follows a prefix whose CRC-16 (footer included) is zero, i.e. a complete
 * frame. One pass with a running CRC.
 */
export function splitFrames(frame: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  let crc = 0;
  for (let at = start; at < frame.length; at++) {
    if (at - start >= 6 && at < frame.length - 6 && crc === 0 && frame[at] === 0xff && (frame[at + 1]! & 0xfe) === 0xf8) {
      out.push(frame.subarray(start, at));
      start = at;
    }
    crc = ((crc << 8) ^ CRC16[((crc >> 8) ^ frame[at]!) & 0xff]!) & 0xffff;
  }
  out.push(frame.subarray(start));
  return out;
}

/** The most a FLAC frame can take (65,535 samples × 8 channels × 32 bits, and headers): a longer tail is not a frame. */
const MAX_TAIL_BYTES = 2.2 * 2 ** 20;

/** Where the last complete frame of `bytes` ends: the longest prefix whose CRC-16 (footer included) is zero; 0 if none. */
export function lastFrameEnd(bytes: Uint8Array): number {
  let crc = 0;
  let end = 0;
  for (let at = 0; at < bytes.length; at++) {
    crc = ((crc << 8) ^ CRC16[((crc >> 8) ^ bytes[at]!) & 0xff]!) & 0xffff;
    if (crc === 0 && at >= 6) end = at + 1;
  }
  return end;
}

/** STREAMINFO (the format requires it first, right after "fLaC"), and where the frames begin. */
async function streamInfo(path: string): Promise<StreamInfo | null> {
  const start = id3v2Size(await readAt(path, 0, 10));
  const b = await readAt(path, start, 42);
  if (b.length < 42 || String.fromCharCode(...b.subarray(0, 4)) !== 'fLaC' || (b[4]! & 0x7f) !== 0) return null;
  const s = b.subarray(8, 42);
  const sampleRate = (s[10]! << 12) | (s[11]! << 4) | (s[12]! >> 4);
  const channels = ((s[12]! >> 1) & 7) + 1;
  const totalSamples = (s[13]! & 0x0f) * 2 ** 32 + ((s[14]! << 24) >>> 0) + (s[15]! << 16) + (s[16]! << 8) + s[17]!;
  // Walk the metadata block headers (1 byte: last flag + type, 3 bytes: length) to the first frame.
  let at = start + 4;
  for (let n = 0; n < 1024; n++) {
    const h = await readAt(path, at, 4);
    if (h.length < 4) return null;
    at += 4 + ((h[1]! << 16) | (h[2]! << 8) | h[3]!);
    if (h[0]! & 0x80) return { sampleRate, channels, totalSamples, audioStart: at };
  }
  return null;
}

export async function verifyFlac(path: string, size: number, limits: DecodeLimits): Promise<Verdict> {
  const info = await streamInfo(path);
  if (!info) return corrupt('no STREAMINFO block after the FLAC marker, or metadata blocks that run past the file');
  if (info.sampleRate === 0) return unsupported('a FLAC stream with no sample rate');
  const described = (frames: number): AudioInfo => ({
    format: 'flac',
    codec: 'flac',
    contentType: 'audio/flac',
    extension: 'flac',
    durationSeconds: frames / info.sampleRate,
    sampleRate: info.sampleRate,
    channels: info.channels,
  });
  // Over the limits by its own declaration: nothing to decode (the caller refuses it).
  if (info.totalSamples && stopReason({ ...limits, deadline: Infinity }, info.totalSamples, info.sampleRate, info.channels)) {
    return accepted(described(info.totalSamples));
  }
  const parser = new CodecParser('audio/flac', { enableFrameCRC32: false, enableLogging: false });
  const decoder = new FLACDecoder();
  await decoder.ready;
  let decoded = 0;
  let bytes = 0;
  let lastFrame: Uint8Array | null = null;
  let stop: 'deadline' | 'limit' | null = null;
  const errors: string[] = [];
  try {
    const decode = async (frames: Frame[], last: boolean) => {
      for (const f of frames) bytes += f.data.length;
      if (frames.length) lastFrame = frames.at(-1)!.data;
      const pieces = last ? frames.flatMap((f) => splitFrames(f.data).map((data) => ({ data, samples: f.samples }))) : frames;
      for (const group of bounded(pieces, (f) => f.samples * info.channels)) {
        const out = await decoder.decodeFrames(group.map((f) => f.data));
        decoded += out.samplesDecoded;
        errors.push(...decodeErrors(out));
        if ((stop = stopReason(limits, decoded, info.sampleRate, info.channels)) || errors.length) return;
      }
    };
    for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_BYTES })) {
      await decode(drain<Frame>(parser.parseChunk(chunk as Buffer)), false);
      if (stop || errors.length) break;
    }
    if (!stop && !errors.length) await decode(drain<Frame>(parser.flush()), true);
    // codec-parser 2.5 sometimes never hands over the last frame: for some streams it drops it at
    // flush, and an intact file then looked truncated (seen on an ffmpeg FLAC whose last frame
    // held 956 samples). The bytes after the last frame it gave, up to where a frame's CRC-16
    // closes, go to libFLAC here, a frame per call (the samples cap holds); what follows them stays
    // junk (the check below refuses it). Only when codec-parser skipped nothing before: its last
    // frame must be on disk exactly where the byte count puts it, or the "tail" would be frames
    // already decoded.
    const rest = size - info.audioStart - bytes - ((await tagBytes(path, size)) - id3v2Size(await readAt(path, 0, 10)));
    const last = lastFrame as Uint8Array | null; // set inside decode()
    const contiguous = last !== null && Buffer.from(last).equals(await readAt(path, info.audioStart + bytes - last.length, last.length));
    if (!stop && !errors.length && rest > 0 && rest <= MAX_TAIL_BYTES && contiguous) {
      const tail = await readAt(path, info.audioStart + bytes, rest);
      const frames = tail.subarray(0, lastFrameEnd(tail));
      bytes += frames.length;
      try {
        for (const piece of splitFrames(frames)) {
          if (!piece.length) continue;
          const out = await decoder.decodeFrames([piece]);
          decoded += out.samplesDecoded;
          errors.push(...decodeErrors(out));
          if ((stop = stopReason(limits, decoded, info.sampleRate, info.channels)) || errors.length) break;
        }
      } catch (err) {
        errors.push(String((err as Error)?.message ?? err));
      }
    }
  } finally {
    decoder.free();
  }
  if (stop === 'deadline') return corrupt('decoding took too long');
  if (stop === 'limit') return accepted(described(decoded));
  if (errors.length) return corrupt(`FLAC decoding failed: ${errors[0]}`);
  if (decoded === 0) return corrupt('no FLAC frame decodes');
  // A total of 0 means "unknown" (allowed for streams); then the decoded count stands.
  if (info.totalSamples && decoded !== info.totalSamples) {
    return corrupt(`decoded ${decoded} of the ${info.totalSamples} samples STREAMINFO declares (truncated or damaged)`);
  }
  const junk = size - info.audioStart - bytes - ((await tagBytes(path, size)) - id3v2Size(await readAt(path, 0, 10)));
  if (junk !== 0) return corrupt(`${Math.abs(junk)} bytes of the file are not FLAC frames (damaged or truncated)`);
  return accepted(described(decoded));
}
