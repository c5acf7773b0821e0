// Node-only helpers: files from paths and streams, downloads to disk. Not in the browser build.
import { openAsBlob } from 'node:fs';
import { createWriteStream } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { StreamUpload } from './upload-source.ts';

/** A file on disk as an upload, read as it is sent (never whole in memory). */
export async function fileFromPath(path: string, type?: string): Promise<File> {
  const blob = await openAsBlob(path, type ? { type } : {});
  return new File([blob], basename(path), { type: blob.type || type });
}

/** A Node stream (or any async iterable of bytes) as an upload of unknown length. */
export function fileFromStream(stream: NodeJS.ReadableStream | AsyncIterable<Uint8Array>, name?: string, type?: string): StreamUpload {
  return { stream: stream as AsyncIterable<Uint8Array>, name, type };
}

/** Streams a signed URL (Audio.url) to a file. */
export async function downloadToFile(url: string | { url: string }, path: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
  const res = await fetch(typeof url === 'string' ? url : url.url, { signal: opts.signal });
  if (!res.ok || !res.body) throw new Error(`download failed: HTTP ${res.status}`);
  await pipeline(Readable.fromWeb(res.body as never), createWriteStream(path));
}
