// What the decoding checks (flac.ts, ogg.ts, mp3.ts) share: how they read the file, and how a
// decoder reports trouble.
import { open } from 'node:fs/promises';

/** Files are read in chunks of this size: memory stays flat whatever the length. */
export const CHUNK_BYTES = 256 * 1024;

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
