// WAV (RIFF/WAVE) with PCM, IEEE float, A-law or µ-law samples. Such audio needs no decoding to
// verify: every byte pattern is a valid sample, so a file is sound when its chunks are — a `fmt `
// chunk that describes real audio, then a `data` chunk that holds all the bytes it declares. A few
// small reads, on the main thread. Other WAV codecs (ADPCM, GSM, RF64 …) go to ffmpeg.
import { accepted, corrupt, type Verdict } from '../audio-info.ts';
import type { FileBytes } from '../file-bytes.ts';

const FORMATS: Record<number, { name: string; bits: number[] }> = {
  0x0001: { name: 'pcm', bits: [8, 16, 24, 32] },
  0x0003: { name: 'float', bits: [32, 64] },
  0x0006: { name: 'alaw', bits: [8] },
  0x0007: { name: 'mulaw', bits: [8] },
};
const EXTENSIBLE = 0xfffe;
const MAX_CHUNKS = 256; // before `data`: LIST, bext, cue … a file with more is not plausible audio
const UNKNOWN_LENGTH = 0xffffffff; // streaming writers that could not seek back to fill it in

function codecName(format: string, bits: number): string {
  if (format === 'pcm') return bits === 8 ? 'pcm_u8' : `pcm_s${bits}le`;
  if (format === 'float') return `pcm_f${bits}le`;
  return `pcm_${format}`;
}

/** 'delegate': a WAV this module does not judge (another codec, RF64): ffmpeg decides. */
export async function verifyWav(file: FileBytes): Promise<Verdict | 'delegate'> {
  const size = file.size;
  const read = (at: number, n: number) => file.read(at, n);
  const riff = await read(0, 12);
  if (riff.toString('ascii', 0, 4) !== 'RIFF') return 'delegate';

  let fmt: { format: string; channels: number; sampleRate: number; blockAlign: number; bits: number } | null = null;
  let at = 12;
  for (let n = 0; n < MAX_CHUNKS; n++) {
    const h = await read(at, 8);
    if (h.length < 8) return corrupt(fmt ? 'the file ends before its data chunk' : 'the file ends before its fmt chunk');
    const id = h.toString('latin1', 0, 4);
    const length = h.readUInt32LE(4);
    const body = at + 8;
    if (id === 'fmt ') {
      if (length < 16) return corrupt(`a fmt chunk of ${length} bytes`);
      const f = await read(body, Math.min(length, 40));
      if (f.length < 16) return corrupt('the file ends inside its fmt chunk');
      let tag = f.readUInt16LE(0);
      if (tag === EXTENSIBLE && f.length >= 26) tag = f.readUInt16LE(24); // the sub-format GUID starts with the tag
      const known = FORMATS[tag];
      if (!known) return 'delegate';
      const channels = f.readUInt16LE(2);
      const sampleRate = f.readUInt32LE(4);
      const blockAlign = f.readUInt16LE(12);
      const bits = f.readUInt16LE(14);
      if (!known.bits.includes(bits)) return 'delegate';
      if (channels < 1 || sampleRate < 1 || sampleRate > 1_000_000 || blockAlign !== channels * (bits / 8)) {
        return corrupt(`an impossible fmt chunk (${channels} channels, ${sampleRate} Hz, ${bits} bits, block ${blockAlign})`);
      }
      fmt = { format: known.name, channels, sampleRate, blockAlign, bits };
    } else if (id === 'data') {
      if (!fmt) return corrupt('a data chunk before the fmt chunk');
      const available = size - body;
      // A length the writer never filled in (0 or all ones) means "to the end of the file".
      const declared = length === UNKNOWN_LENGTH || (length === 0 && available > 0) ? available : length;
      if (declared > available) return corrupt(`the data chunk declares ${declared} bytes but the file holds ${available} (truncated)`);
      const frames = Math.floor(declared / fmt.blockAlign);
      if (frames === 0) return corrupt('the data chunk holds no samples');
      return accepted({
        format: 'wav',
        codec: codecName(fmt.format, fmt.bits),
        contentType: 'audio/wav',
        extension: 'wav',
        durationSeconds: frames / fmt.sampleRate,
        sampleRate: fmt.sampleRate,
        channels: fmt.channels,
      });
    }
    at = body + length + (length % 2); // chunks are padded to an even length
    if (at > size) return corrupt(`the ${JSON.stringify(id)} chunk runs past the end of the file`);
  }
  return corrupt(`no data chunk in the first ${MAX_CHUNKS} chunks`);
}
