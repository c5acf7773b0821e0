// Where audio bytes live. One small interface so a cloud object store can replace the local disk;
// the Python worker has the same interface (gpu-worker/voxgraph_worker/storage.py) over the same
// layout. Keys look like "<tenant>/<audio id>.<ext>".
import type { Readable } from 'node:stream';

export type ObjectStat = { bytes: number };

/** A stored object or a file left behind by a write (a worker's `.part`, an upload's spool). */
export type StoredFile = { key: string; modifiedMs: number; kind: 'object' | 'partial' | 'upload' };

export interface Storage {
  /** Moves a finished local file into storage under `key` (atomic: readers never see a partial object). */
  putFile(key: string, localPath: string): Promise<void>;
  /** Streams [start, end] inclusive, or the whole object. */
  read(key: string, range?: { start: number; end: number }): Readable;
  stat(key: string): Promise<ObjectStat | null>;
  delete(key: string): Promise<void>;
  /** A directory for uploads in progress, on the same filesystem as the objects when possible. */
  tempDir(): string;
  /** Every file last written before `beforeMs` (objects, partial writes, upload spools). */
  listOlderThan(beforeMs: number): AsyncIterable<StoredFile>;
  /** Removes what listOlderThan gave: an object by key, or a partial write or spool. */
  remove(file: StoredFile): Promise<void>;
  /** A URL the object store itself serves (FILE_URLS=presigned); absent where it has none (local disk). */
  presignedUrl?(key: string, ttlSeconds: number, contentType?: string): Promise<string>;
}

/**
 * The key rule every store applies (and the worker's storage.py): "<tenant>/<name>", no empty,
 * "." or ".." part, no leading "/" or "\\" — so a key names one object on disk and in a bucket.
 */
export function checkKey(key: string): string {
  if (!key || key.startsWith('/') || key.includes('\\') || key.split('/').some((p) => p === '' || p === '.' || p === '..')) throw new Error(`invalid storage key: ${key}`);
  return key;
}
