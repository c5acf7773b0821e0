// FLAC: the STREAMINFO block declares the sample rate, channels and the total number of samples;
// every frame is decoded (libFLAC in WebAssembly) and the samples counted. A truncated file, or one
// damaged anywhere (the parser drops frames whose CRC fails), decodes to fewer samples than declared.
// Runs in a worker thread (verify-thread.ts): decoding a long file takes seconds of CPU.
import { createReadStream } from 'node:fs';
import { FLACDecoder } from '@wasm-audio-decoders/flac';
import CodecParser from 'codec-parser';
import { accepted, corrupt, unsupported, type Verdict } from '../audio-info.ts';
import { id3v2Size } from '../sniff.ts';
import { CHUNK_BYTES, decodeErrors, drain, readAt } from './decoding.ts';

type StreamInfo = { sampleRate: number; channels: number; totalSamples: number };

// CRC-16 as FLAC defines it for frame footers: polynomial 0x8005, MSB first, initial 0.
const CRC16 = new Uint16Array(256).map((_, i) => {
  let r = i << 8;
  for (let j = 0; j < 8; j++) r = r & 0x8000 ? (r << 1) ^ 0x8005 : r << 1;
  return r & 0xffff;
});
const crc16 = (b: Uint8Array) => b.reduce((crc, byte) => ((crc << 8) ^ CRC16[((crc >> 8) ^ byte) & 0xff]!) & 0xffff, 0);

/**
 * A FLAC frame has no length field: a frame ends where the next one's sync code begins. At the end
 * of a file codec-parser (2.5) can hand the last two frames over as one, and that passes its CRC
 * check, because a complete frame (with its CRC) followed by another leaves the CRC at the second
 * frame's. libFLAC then decodes only the first. So split wherever a sync code follows a prefix whose
 * CRC-16 (footer included) is zero, i.e. a complete frame.
 */
export function splitFrames(frame: Uint8Array): Uint8Array[] {
  for (let at = 6; at < frame.length - 6; at++) {
    if (frame[at] === 0xff && (frame[at + 1]! & 0xfe) === 0xf8 && crc16(frame.subarray(0, at)) === 0) {
      return [frame.subarray(0, at), ...splitFrames(frame.subarray(at))];
    }
  }
  return [frame];
}

/** STREAMINFO, which the format requires as the first metadata block right after "fLaC". */
async function streamInfo(path: string): Promise<StreamInfo | null> {
  const b = await readAt(path, id3v2Size(await readAt(path, 0, 10)), 42);
  if (b.length < 42 || String.fromCharCode(...b.subarray(0, 4)) !== 'fLaC' || (b[4]! & 0x7f) !== 0) return null;
  const s = b.subarray(8, 42);
  const sampleRate = (s[10]! << 12) | (s[11]! << 4) | (s[12]! >> 4);
  const channels = ((s[12]! >> 1) & 7) + 1;
  const totalSamples = (s[13]! & 0x0f) * 2 ** 32 + ((s[14]! << 24) >>> 0) + (s[15]! << 16) + (s[16]! << 8) + s[17]!;
  return { sampleRate, channels, totalSamples };
}

export async function verifyFlac(path: string): Promise<Verdict> {
  const info = await streamInfo(path);
  if (!info) return corrupt('no STREAMINFO block after the FLAC marker');
  if (info.sampleRate === 0) return unsupported('a FLAC stream with no sample rate');
  const parser = new CodecParser('audio/flac', { enableFrameCRC32: false, enableLogging: false });
  const decoder = new FLACDecoder();
  await decoder.ready;
  let decoded = 0;
  const errors: string[] = [];
  try {
    const decode = async (batch: Array<{ data: Uint8Array }>) => {
      if (!batch.length) return;
      const out = await decoder.decodeFrames(batch.flatMap((f) => splitFrames(f.data)));
      decoded += out.samplesDecoded;
      errors.push(...decodeErrors(out));
    };
    for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_BYTES })) await decode(drain(parser.parseChunk(chunk as Buffer)));
    await decode(drain(parser.flush()));
  } finally {
    decoder.free();
  }
  if (errors.length) return corrupt(`FLAC decoding failed: ${errors[0]}`);
  if (decoded === 0) return corrupt('no FLAC frame decodes');
  // A total of 0 means "unknown" (allowed for streams); then the decoded count stands.
  if (info.totalSamples && decoded !== info.totalSamples) {
    return corrupt(`decoded ${decoded} of the ${info.totalSamples} samples STREAMINFO declares (truncated or damaged)`);
  }
  return accepted({
    format: 'flac',
    codec: 'flac',
    contentType: 'audio/flac',
    extension: 'flac',
    durationSeconds: decoded / info.sampleRate,
    sampleRate: info.sampleRate,
    channels: info.channels,
  });
}
