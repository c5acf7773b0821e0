// Random reads of an uploaded file for the checks that run on the main thread (sniffing, the WAV
// chunk walk). Ingest keeps the first bytes it streamed in memory (`head`), so a small file, or
// the header of a large one, is read without touching the disk again; the file is opened only
// for reads beyond them.
import { open, type FileHandle } from 'node:fs/promises';

export class FileBytes {
  private file: FileHandle | null = null;
  readonly path: string;
  readonly size: number;
  private readonly head: Buffer;

  constructor(path: string, size: number, head: Buffer = Buffer.alloc(0)) {
    this.path = path;
    this.size = size;
    this.head = head;
  }

  /** Up to `n` bytes at `at` (fewer at the end of the file). */
  async read(at: number, n: number): Promise<Buffer> {
    const end = Math.min(at + n, this.size);
    if (end <= this.head.length) return this.head.subarray(at, end);
    this.file ??= await open(this.path, 'r');
    const buf = Buffer.alloc(Math.max(0, end - at));
    const { bytesRead } = await this.file.read(buf, 0, buf.length, at);
    return buf.subarray(0, bytesRead);
  }

  async close(): Promise<void> {
    await this.file?.close();
    this.file = null;
  }
}
