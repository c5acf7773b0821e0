import { createReadStream, mkdirSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { SpoolDir } from './spool-dir.ts';
import { checkKey, type ObjectStat, type Storage, type StoredFile } from './storage.ts';

// The worker writes a result as <tenant>/.tmp-*.part, then renames it (gpu-worker/…/storage.py).
const PARTIAL = /^\.tmp-.*\.part$/;

/** Objects under DATA_DIR/objects/<key>; uploads in progress under DATA_DIR/tmp. */
export class LocalDiskStorage implements Storage {
  private readonly root: string;
  private readonly spool: SpoolDir;
  private readonly dirs = new Set<string>(); // directories known to exist (one per tenant)

  constructor(dataDir: string) {
    this.root = resolve(dataDir, 'objects');
    this.spool = new SpoolDir(dataDir);
    mkdirSync(this.root, { recursive: true });
  }

  private path(key: string): string {
    const p = resolve(this.root, checkKey(key));
    // Keys are built by us, but a bug must never turn one into a path outside the store.
    if (!p.startsWith(this.root + sep)) throw new Error(`invalid storage key: ${key}`);
    return p;
  }

  async putFile(key: string, localPath: string): Promise<void> {
    const target = this.path(key);
    const dir = dirname(target);
    if (!this.dirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.dirs.add(dir);
    }
    await rename(localPath, target);
  }

  read(key: string, range?: { start: number; end: number }): Readable {
    return createReadStream(this.path(key), range);
  }

  async stat(key: string): Promise<ObjectStat | null> {
    try {
      const s = await stat(this.path(key));
      return s.isFile() ? { bytes: s.size } : null;
    } catch {
      return null;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  tempDir(): string {
    return this.spool.path;
  }

  async *listOlderThan(beforeMs: number): AsyncIterable<StoredFile> {
    const old = async (p: string) => {
      try {
        const s = await stat(p);
        return s.isFile() && s.mtimeMs < beforeMs ? s.mtimeMs : null;
      } catch {
        return null; // gone meanwhile
      }
    };
    for (const tenant of await readdir(this.root, { withFileTypes: true })) {
      if (!tenant.isDirectory()) continue;
      for (const name of await readdir(join(this.root, tenant.name)).catch(() => [] as string[])) {
        const modifiedMs = await old(join(this.root, tenant.name, name));
        if (modifiedMs !== null) yield { key: `${tenant.name}/${name}`, modifiedMs, kind: PARTIAL.test(name) ? 'partial' : 'object' };
      }
    }
    yield* this.spool.listOlderThan(beforeMs);
  }

  async remove(file: StoredFile): Promise<void> {
    if (file.kind === 'upload') await this.spool.remove(file.key);
    else await this.delete(file.key);
  }
}
