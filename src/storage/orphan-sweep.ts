// Files nothing refers to, removed once they are old enough that nothing still can: a result a
// worker stored and was killed before settling, a worker's `.part` from a write cut short, an
// upload's spool left by a killed API process, an upload kept after a COMMIT of unknown outcome
// that did not happen. "Old enough" (STORAGE_ORPHAN_AGE_SECONDS) is longer than any write can take
// to reach its row: a settle retries for the heartbeat + 10 s, a request lasts at most
// HTTP_REQUEST_TIMEOUT_SECONDS (config.ts refuses an age below either).
//
// One process at a time (an advisory lock): several API processes share one database and store.
import type pg from 'pg';
import { referencedStorageKeys } from '../jobs/store.ts';
import type { Logger } from '../log.ts';
import type { Storage, StoredFile } from './storage.ts';

const LOCK = "hashtextextended('voxgraph.orphan-sweep', 0)";
const CHUNK = 1000;

export type SweepResult = { objects: number; partial: number; uploads: number };

export async function sweepOrphanFiles(pool: pg.Pool, storage: Storage, log: Logger, olderThanSeconds: number, now = Date.now()): Promise<SweepResult | null> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ got: boolean }>(`SELECT pg_try_advisory_lock(${LOCK}) AS got`);
    if (!rows[0]?.got) return null;
    try {
      const removed: SweepResult = { objects: 0, partial: 0, uploads: 0 };
      let objects: StoredFile[] = [];
      const flush = async () => {
        const kept = await referencedStorageKeys(client, objects.map((o) => o.key));
        for (const o of objects) if (!kept.has(o.key)) await remove(o, removed);
        objects = [];
      };
      const remove = async (f: StoredFile, count: SweepResult) => {
        await storage.remove(f);
        count[f.kind === 'object' ? 'objects' : f.kind === 'partial' ? 'partial' : 'uploads']++;
        log.info({ key: f.key, kind: f.kind, modified: new Date(f.modifiedMs).toISOString() }, 'orphan file removed');
      };
      for await (const f of storage.listOlderThan(now - olderThanSeconds * 1000)) {
        if (f.kind !== 'object') await remove(f, removed);
        else if (objects.push(f) >= CHUNK) await flush();
      }
      if (objects.length) await flush();
      return removed;
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${LOCK})`);
    }
  } finally {
    client.release();
  }
}
