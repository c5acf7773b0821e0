// Which container a file is, from its first bytes (magic numbers), never from its name or the
// client's MIME type. Only a guess of where to look: the format check then proves it.

export type Container = 'wav' | 'flac' | 'ogg' | 'mp3' | 'mp4' | 'matroska' | 'aiff';

/** How many leading bytes sniff() wants (it copes with fewer). */
export const SNIFF_BYTES = 64;

const ascii = (b: Uint8Array, at: number, s: string) => s.split('').every((c, i) => b[at + i] === c.charCodeAt(0));

/** Size of an ID3v2 tag at `at` (header + body + footer), or 0 when there is none. */
export function id3v2Size(b: Uint8Array, at = 0): number {
  if (b.length < at + 10 || !ascii(b, at, 'ID3') || b[at + 3]! > 4) return 0;
  const syncsafe = [6, 7, 8, 9].map((i) => b[at + i]!);
  if (syncsafe.some((x) => x & 0x80)) return 0;
  const size = (syncsafe[0]! << 21) | (syncsafe[1]! << 14) | (syncsafe[2]! << 7) | syncsafe[3]!;
  const footer = b[at + 5]! & 0x10 ? 10 : 0;
  return 10 + size + footer;
}

/** An MPEG audio (Layer I–III) frame header at `at`: sync, and no reserved version, layer, rate or bitrate. */
export function isMpegFrameHeader(b: Uint8Array, at = 0): boolean {
  if (b.length < at + 4 || b[at] !== 0xff || (b[at + 1]! & 0xe0) !== 0xe0) return false;
  const version = (b[at + 1]! >> 3) & 3;
  const layer = (b[at + 1]! >> 1) & 3;
  const bitrate = b[at + 2]! >> 4;
  const rate = (b[at + 2]! >> 2) & 3;
  return version !== 1 && layer !== 0 && bitrate !== 15 && bitrate !== 0 && rate !== 3;
}

/**
 * The container of a file from its head. `afterId3` is the head of what follows a leading ID3v2
 * tag (see id3v2Size), which MP3 and sometimes FLAC files start with.
 */
export function sniff(head: Uint8Array, afterId3?: Uint8Array): Container | null {
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WAVE')) return 'wav';
  if (ascii(head, 0, 'RF64') && ascii(head, 8, 'WAVE')) return 'wav';
  if (ascii(head, 0, 'fLaC')) return 'flac';
  if (ascii(head, 0, 'OggS')) return 'ogg';
  if (ascii(head, 4, 'ftyp')) return 'mp4';
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return 'matroska';
  if (ascii(head, 0, 'FORM') && (ascii(head, 8, 'AIFF') || ascii(head, 8, 'AIFC'))) return 'aiff';
  if (isMpegFrameHeader(head)) return 'mp3';
  if (id3v2Size(head) && afterId3) {
    if (ascii(afterId3, 0, 'fLaC')) return 'flac';
    if (isMpegFrameHeader(afterId3)) return 'mp3';
  }
  return null;
}
