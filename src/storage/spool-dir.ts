// DATA_DIR/tmp: where uploads spool while they are checked, whatever store the objects go to.
// Both stores list its old files for the orphan sweep and remove them the same way.
import { mkdirSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { StoredFile } from './storage.ts';

export class SpoolDir {
  readonly path: string;

  constructor(dataDir: string) {
    this.path = resolve(dataDir, 'tmp');
    mkdirSync(this.path, { recursive: true });
  }

  async *listOlderThan(beforeMs: number): AsyncIterable<StoredFile> {
    for (const name of await readdir(this.path)) {
      const s = await stat(join(this.path, name)).catch(() => null); // gone meanwhile
      if (s?.isFile() && s.mtimeMs < beforeMs) yield { key: name, modifiedMs: s.mtimeMs, kind: 'upload' };
    }
  }

  async remove(name: string): Promise<void> {
    const p = resolve(this.path, name);
    if (!p.startsWith(this.path + sep)) throw new Error(`invalid spool name: ${name}`);
    await rm(p, { force: true });
  }
}
