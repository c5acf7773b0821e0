// Ogg with Opus or Vorbis. Ogg frames everything in pages, each with a CRC-32 and a sequence
// number, and the last page of a stream carries the end-of-stream flag. So: every page's CRC must
// hold, pages must follow one another without a gap or stray bytes, the last must end the stream
// (a truncated file lacks it), and every packet must decode (libopus / libvorbis in WebAssembly).
// The length is the final granule position: samples at 48 kHz minus the pre-skip for Opus, at the
// stream's rate for Vorbis. Runs in a worker thread (verify-thread.ts).
import { createReadStream } from 'node:fs';
import { OggVorbisDecoder } from '@wasm-audio-decoders/ogg-vorbis';
import CodecParser, { type OggPage } from 'codec-parser';
import { OpusDecoder } from 'opus-decoder';
import { accepted, corrupt, unsupported, type Verdict } from '../audio-info.ts';
import { CHUNK_BYTES, decodeErrors, drain } from './decoding.ts';

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
type Decoder = { ready: Promise<void>; free: () => void; decode: (pages: OggPage[]) => Promise<string[]> };

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
    decode: async (pages) => {
      const packets = pages.flatMap((p) => p.codecFrames.map((f) => f.data));
      return packets.length ? decodeErrors(await d.decodeFrames(packets)) : [];
    },
  };
}

function vorbisDecoder(): Decoder {
  const d = new OggVorbisDecoder();
  return { ready: d.ready, free: () => d.free(), decode: async (pages) => (pages.length ? decodeErrors(await d.decodeOggPages(pages)) : []) };
}

/** 'delegate': Ogg with another codec (FLAC, Speex …): ffmpeg decides. */
export async function verifyOgg(path: string, size: number): Promise<Verdict | 'delegate'> {
  let codec = '';
  let head: any = null;
  // onCodecHeader is in codec-parser's API but not in its typings.
  const options = { enableFrameCRC32: false, enableLogging: false, onCodec: (c: string) => (codec ||= c), onCodecHeader: (h: unknown) => (head ??= h) };
  const parser = new CodecParser('audio/ogg', options as ConstructorParameters<typeof CodecParser>[1]);
  let decoder: Decoder | null = null;
  let serial: number | null = null;
  let sequence = -1;
  let bytes = 0;
  let last: OggPage | null = null;
  let problem: Verdict | 'delegate' | null = null;
  const errors: string[] = [];

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
      // only the headers, which the Opus decoder takes from its options.
      if (codec === 'opus' && !head) return;
      decoder = codec === 'opus' ? opusDecoder(head as OpusHead) : vorbisDecoder();
      await decoder.ready;
    }
    if (decoder) errors.push(...(await decoder.decode(batch)));
  };

  // codec-parser throws on an Ogg codec it does not know (Speex …): ffmpeg may.
  const pages = (it: Iterator<unknown>) => {
    try {
      return drain<OggPage>(it);
    } catch {
      problem ??= 'delegate';
      return [];
    }
  };
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_BYTES })) {
      await take(pages(parser.parseChunk(chunk as Buffer)));
      if (problem) return problem;
    }
    await take(pages(parser.flush()));
    if (problem) return problem;
  } finally {
    (decoder as Decoder | null)?.free();
  }
  const end = last as OggPage | null;
  if (!end || !codec || !head) return unsupported('an Ogg file with no audio stream we know');
  if (bytes !== size) return corrupt(`${size - bytes} bytes of the file are not Ogg pages (damaged or truncated)`);
  if (!end.isLastPage) return corrupt('the Ogg stream has no end-of-stream page (truncated)');
  if (errors.length) return corrupt(`${codec} decoding failed: ${errors[0]}`);

  const granule = Number(end.absoluteGranulePosition);
  const opus = codec === 'opus';
  const durationSeconds = opus ? (granule - head.preSkip) / 48_000 : granule / head.sampleRate;
  if (!(durationSeconds > 0)) return corrupt('the Ogg stream holds no samples');
  return accepted({
    format: 'ogg',
    codec,
    contentType: 'audio/ogg',
    extension: 'ogg',
    durationSeconds,
    // Opus always decodes at 48 kHz (the header's input rate is only a hint of the source's).
    sampleRate: opus ? 48_000 : head.sampleRate,
    channels: head.channels,
  });
}
