// MP3 (MPEG-1/2/2.5 Layer III, and Layers I/II): a file is a run of frames, optionally between an
// ID3v2 tag at the start and ID3v1/APEv2 tags at the end, and nothing else. So: the frames must
// cover every byte between the tags (a damaged header breaks the run; a cut-off file ends inside
// its last frame), an Xing/Info/VBRI header's frame count must match the frames there are (a file
// cut at a frame boundary has fewer), and every frame must decode (mpg123 in WebAssembly).
// Runs in a worker thread (verify-thread.ts).
import { createReadStream } from 'node:fs';
import CodecParser from 'codec-parser';
import { MPEGDecoder } from 'mpg123-decoder';
import { accepted, corrupt, unsupported, type Verdict } from '../audio-info.ts';
import { bounded, CHUNK_BYTES, decodeErrors, drain, stopReason, tagBytes, type DecodeLimits } from './decoding.ts';

type Frame = { data: Uint8Array; samples: number; header: { channels: number; sampleRate: number } };

// kbit/s by bitrate index, for [MPEG-1, MPEG-2/2.5] × [Layer I, II, III].
const BITRATES = [
  [
    [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  ],
  [
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  ],
];
const SAMPLE_RATES: Record<number, number[]> = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };

/**
 * The length a frame's own header bytes give it. (Read from the raw bytes: codec-parser hands a
 * cut-off last frame over with the previous frame's header fields.)
 */
export function frameLength(b: Uint8Array): number {
  const version = (b[1]! >> 3) & 3; // 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
  const layer = 4 - ((b[1]! >> 1) & 3); // 1, 2 or 3
  const kbps = BITRATES[version === 3 ? 0 : 1]![layer - 1]![b[2]! >> 4] ?? 0;
  const rate = SAMPLE_RATES[version]?.[(b[2]! >> 2) & 3] ?? 0;
  const padding = (b[2]! >> 1) & 1;
  if (!kbps || !rate) return 0;
  if (layer === 1) return (Math.floor((12 * kbps * 1000) / rate) + padding) * 4;
  return Math.floor(((layer === 3 && version !== 3 ? 72 : 144) * kbps * 1000) / rate) + padding;
}

/** The frame count an Xing/Info or VBRI header in the first frame declares (not counting itself). */
function declaredFrames(first: Frame): number | null {
  const b = Buffer.from(first.data.buffer, first.data.byteOffset, first.data.length);
  const mpeg1 = ((b[1]! >> 3) & 3) === 3;
  const mono = b[3]! >> 6 === 3;
  const sideInfo = mpeg1 ? (mono ? 17 : 32) : mono ? 9 : 17;
  for (const at of [4 + sideInfo, 6 + sideInfo]) {
    const tag = b.toString('latin1', at, at + 4);
    if ((tag === 'Xing' || tag === 'Info') && b.length >= at + 12 && b.readUInt32BE(at + 4) & 1) return b.readUInt32BE(at + 8);
  }
  if (b.toString('latin1', 36, 40) === 'VBRI' && b.length >= 54) return b.readUInt32BE(50);
  return null;
}

export async function verifyMp3(path: string, size: number, limits: DecodeLimits): Promise<Verdict> {
  const parser = new CodecParser('audio/mpeg', { enableFrameCRC32: false, enableLogging: false });
  const decoder = new MPEGDecoder({ enableGapless: true });
  await decoder.ready;
  let frames = 0;
  let bytes = 0;
  let first: Frame | null = null;
  let last: Frame | null = null;
  let decoded = 0;
  let sampleRate = 0;
  let channels = 0;
  const errors: string[] = [];
  try {
    const take = (batch: Frame[]) => {
      if (!batch.length) return;
      for (const f of batch) {
        first ??= f;
        last = f;
        frames++;
        bytes += f.data.length;
      }
      for (const group of bounded(batch, (f) => f.samples * f.header.channels)) {
        const out = decoder.decodeFrames(group.map((f) => f.data));
        decoded += out.samplesDecoded;
        sampleRate ||= out.sampleRate;
        errors.push(...decodeErrors(out));
        const h = (first as unknown as Frame).header;
        if ((stop = stopReason(limits, decoded, sampleRate || h.sampleRate, h.channels))) return;
      }
    };
    let stop: 'deadline' | 'limit' | null = null;
    const early = (): Verdict | null => {
      if (stop === 'deadline') return corrupt('decoding took too long');
      if (stop !== 'limit') return null;
      const { sampleRate: rate, channels: ch } = (first as unknown as Frame).header;
      return accepted({ format: 'mp3', codec: 'mp3', contentType: 'audio/mpeg', extension: 'mp3', durationSeconds: decoded / rate, sampleRate: rate, channels: ch });
    };
    for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_BYTES })) {
      take(drain<Frame>(parser.parseChunk(chunk as Buffer)));
      const verdict = early();
      if (verdict) return verdict;
    }
    take(drain<Frame>(parser.flush()));
    const verdict = early();
    if (verdict) return verdict;
  } finally {
    decoder.free();
  }
  const [head, tail] = [first as Frame | null, last as Frame | null];
  if (!head || !tail) return unsupported('no MPEG audio frames');
  channels = head.header.channels;
  const junk = size - (await tagBytes(path, size)) - bytes;
  if (tail.data.length < frameLength(tail.data)) return corrupt('the last MPEG frame is cut short (truncated)');
  if (junk !== 0) return corrupt(`${Math.abs(junk)} bytes of the file are not MPEG frames or tags (damaged or truncated)`);
  const declared = declaredFrames(head);
  if (declared !== null && declared !== frames - 1) {
    return corrupt(`the file holds ${frames - 1} MPEG frames but its header declares ${declared} (truncated)`);
  }
  if (errors.length) return corrupt(`MP3 decoding failed: ${errors[0]}`);
  if (decoded === 0 || !sampleRate) return corrupt('no MPEG frame decodes');
  const layer = 4 - ((head.data[1]! >> 1) & 3);
  return accepted({ format: 'mp3', codec: `mp${layer}`, contentType: 'audio/mpeg', extension: 'mp3', durationSeconds: decoded / sampleRate, sampleRate, channels });
}
