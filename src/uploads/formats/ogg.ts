// Ogg with Opus or Vorbis. Ogg frames everything in pages, each with a CRC-32 and a sequence
// number, and the last page of a stream carries the end-of-stream flag. So: every page's CRC must
// hold, pages must follow one another without a gap or stray bytes, the last must end the stream
// (a truncated file lacks it), and every packet must decode (libopus / libvorbis in WebAssembly).
// The length is what decodes, and it must agree with the final granule position (samples at
// 48 kHz after the pre-skip for Opus, at the stream's rate for Vorbis), so a last page cannot
// understate an hour of audio. Runs in a worker thread (verify-thread.ts).
import { createReadStream } from 'node:fs';
import { OggVorbisDecoder } from '@wasm-audio-decoders/ogg-vorbis';
import CodecParser, { type OggPage } from 'codec-parser';
import { OpusDecoder } from 'opus-decoder';
import { accepted, corrupt, unsupported, type AudioInfo, type Verdict } from '../audio-info.ts';
import { bounded, CHUNK_BYTES, decodeErrors, drain, stopReason, type DecodeLimits } from './decoding.ts';

// CRC-32 as Ogg defines it: polynomial 0x04c11db7, MSB first, initial 0, computed with the page's
// checksum field zeroed.
const CRC_TABLE = new Uint32Array(256).map((_, i) => {
  let r = i << 24;
  for (let j = 0; j < 8; j++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
  return r >>> 0;
});

export function oggPageCrc(page: Uint8Array): number {
  let crc = 0;
  for (let i = 0; i < page.length; i++) {
    const byte = i >= 22 && i < 26 ? 0 : page[i]!;
    crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  }
  return crc;
}

type OpusHead = { channels: number; streamCount: number; coupledStreamCount: number; channelMappingTable: number[]; preSkip: number };
/** Decodes pages; returns the samples (per channel) they gave and the decoder's errors. */
type Decoder = { ready: Promise<void>; free: () => void; decode: (pages: OggPage[], stop: (samples: number) => boolean) => Promise<{ samples: number; errors: string[] }> };

function opusDecoder(head: OpusHead): Decoder {
  const d = new OpusDecoder({
    channels: head.channels,
    streamCount: head.streamCount,
    coupledStreamCount: head.coupledStreamCount,
    channelMappingTable: head.channelMappingTable,
    preSkip: head.preSkip,
  });
  return {
    ready: d.ready,
    free: () => d.free(),
    decode: async (pages, stop) => {
      const frames = pages.flatMap((p) => p.codecFrames);
      let samples = 0;
      const errors: string[] = [];
      for (const group of bounded(frames, (f) => f.samples * head.channels)) {
        const out = await d.decodeFrames(group.map((f) => f.data));
        samples += out.samplesDecoded;
        errors.push(...decodeErrors(out));
        if (errors.length || stop(samples)) break;
      }
      return { samples, errors };
    },
  };
}

function vorbisDecoder(channels: number): Decoder {
  const d = new OggVorbisDecoder();
  return {
    ready: d.ready,
    free: () => d.free(),
    decode: async (pages, stop) => {
      let samples = 0;
      const errors: string[] = [];
      for (const group of bounded(pages, (p) => p.samples * channels)) {
        const out = await d.decodeOggPages(group);
        samples += out.samplesDecoded;
        errors.push(...decodeErrors(out));
        if (errors.length || stop(samples)) break;
      }
      return { samples, errors };
    },
  };
}

// The most a decoder's count may differ from the final granule position: the encoder's last
// packet is cut by the granule, by up to one packet (Opus: 120 ms at 48 kHz; Vorbis: one block).
const END_TOLERANCE = { opus: 5760, vorbis: 8192 };

/** 'delegate': Ogg with a codec we do not decode here (FLAC, Speex …): ffmpeg decides. */
export async function verifyOgg(path: string, size: number, limits: DecodeLimits): Promise<Verdict | 'delegate'> {
  let codec = '';
  let head: any = null;
  // onCodecHeader is in codec-parser's API but not in its typings.
  const options = { enableFrameCRC32: false, enableLogging: false, onCodec: (c: string) => (codec ||= c), onCodecHeader: (h: unknown) => (head ??= h) };
  const parser = new CodecParser('audio/ogg', options as ConstructorParameters<typeof CodecParser>[1]);
  let decoder: Decoder | null = null;
  let serial: number | null = null;
  let sequence = -1;
  let bytes = 0;
  let decoded = 0;
  let last: OggPage | null = null;
  let problem: Verdict | 'delegate' | null = null;
  let stop: 'deadline' | 'limit' | null = null;
  const errors: string[] = [];
  const rate = () => (codec === 'opus' ? 48_000 : (head?.sampleRate ?? 0));

  const take = async (batch: OggPage[]) => {
    for (const page of batch) {
      bytes += page.rawData.length;
      if (oggPageCrc(page.rawData) !== page.crc32 >>> 0) return void (problem ??= corrupt(`Ogg page ${page.pageSequenceNumber} fails its CRC (truncated or damaged)`));
      if (serial === null) serial = page.streamSerialNumber;
      else if (page.streamSerialNumber !== serial) return void (problem ??= unsupported('Ogg files with more than one logical stream (chained or multiplexed) are not supported'));
      if (page.pageSequenceNumber !== sequence + 1) return void (problem ??= corrupt(`Ogg page ${sequence + 1} is missing (damaged)`));
      sequence = page.pageSequenceNumber;
      last = page;
    }
    if (!batch.length) return;
    if (!decoder && codec) {
      if (codec !== 'opus' && codec !== 'vorbis') return void (problem ??= 'delegate');
      // codec-parser reports the codec's header with the first audio packet; pages before it hold
      // only the headers, which the decoders take from their options or from those pages.
      if (!head) return;
      decoder = codec === 'opus' ? opusDecoder(head as OpusHead) : vorbisDecoder(head.channels);
      await decoder.ready;
    }
    if (decoder) {
      const out = await decoder.decode(batch, (more) => (stop = stopReason(limits, decoded + more, rate(), head.channels)) !== null);
      decoded += out.samples;
      errors.push(...out.errors);
    }
  };

  // codec-parser throws when a codec header is cut off inside its page.
  const pages = (it: Iterator<unknown>) => {
    try {
      return drain<OggPage>(it);
    } catch (err) {
      problem ??= corrupt(`Ogg: ${(err as Error).message}`);
      return [];
    }
  };
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_BYTES })) {
      await take(pages(parser.parseChunk(chunk as Buffer)));
      if (problem) return problem;
      if (!head && Date.now() > limits.deadline) stop = 'deadline';
      if (stop === 'deadline') return corrupt('decoding took too long');
      if (stop === 'limit') return accepted(described(codec, head, decoded));
    }
    await take(pages(parser.flush()));
    if (problem) return problem;
  } finally {
    (decoder as Decoder | null)?.free();
  }
  const end = last as OggPage | null;
  if (!end) return unsupported('no Ogg pages');
  if (bytes !== size) return corrupt(`${size - bytes} bytes of the file are not Ogg pages (damaged or truncated)`);
  if (!end.isLastPage) return corrupt('the Ogg stream has no end-of-stream page (truncated)');
  if (!codec || !head) return 'delegate'; // valid Ogg, a codec codec-parser does not know
  if (errors.length) return corrupt(`${codec} decoding failed: ${errors[0]}`);
  // The length is what decodes; the final granule position must agree with it.
  const granule = Number(end.absoluteGranulePosition) - (codec === 'opus' ? head.preSkip : 0);
  if (Math.abs(decoded - granule) > END_TOLERANCE[codec as 'opus' | 'vorbis']) {
    return corrupt(`the stream decodes to ${decoded} samples but its last page says ${granule}`);
  }
  if (!(decoded > 0)) return corrupt('the Ogg stream holds no samples');
  return accepted(described(codec, head, Math.min(decoded, granule)));
}

function described(codec: string, head: { channels: number; sampleRate: number }, samples: number): AudioInfo {
  // Opus always decodes at 48 kHz (the header's input rate is only a hint of the source's).
  const sampleRate = codec === 'opus' ? 48_000 : head.sampleRate;
  return { format: 'ogg', codec, contentType: 'audio/ogg', extension: 'ogg', durationSeconds: samples / sampleRate, sampleRate, channels: head.channels };
}
