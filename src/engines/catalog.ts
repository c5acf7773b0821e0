// The engines on offer, as the live workers report them in their heartbeat rows
// (voxgraph.worker.engines, written by gpu-worker/voxgraph_worker/registry.py describe()).
// One entry per (kind, name) across workers; a worker whose heartbeat is older than
// WORKER_READY_SECONDS is not live and does not count.
import type pg from 'pg';
import { EngineDescriptor } from '../../protocol/contract.ts';
import { apiError, ErrorCode } from '../errors.ts';
import type { JobKind } from '../jobs/kinds.ts';
import { liveWorkers } from '../jobs/store.ts';


export type EngineEntry = {
  kind: string;
  name: string;
  versions: string[];
  devices: string[];
  languages: string[]; // empty: language independent
  voices: Record<string, string[]>;
  maxBatch: number;
  plugin: boolean;
  isDefault: boolean; // the default of its kind on at least one worker
  workers: number;
};

export async function listEngines(db: pg.Pool, liveWithinSeconds: number): Promise<EngineEntry[]> {
  const byKey = new Map<string, EngineEntry>();
  for (const w of await liveWorkers(db, liveWithinSeconds)) {
    for (const raw of Array.isArray(w.engines) ? w.engines : []) {
      // The contract's EngineDescriptor: extra fields from another worker version are ignored, a
      // malformed entry is skipped rather than failing the query.
      const p = EngineDescriptor.safeParse(raw);
      if (!p.success) continue;
      const e = p.data;
      const key = `${e.kind}/${e.name}`;
      const entry = byKey.get(key) ?? { kind: e.kind, name: e.name, versions: [], devices: [], languages: [], voices: {}, maxBatch: 1, plugin: e.plugin, isDefault: false, workers: 0 };
      byKey.set(key, entry);
      entry.workers += 1;
      addUnique(entry.versions, e.version);
      addUnique(entry.devices, e.device);
      for (const l of e.languages) addUnique(entry.languages, l);
      for (const [lang, names] of Object.entries(e.voices)) for (const v of names) addUnique((entry.voices[lang] ??= []), v);
      entry.maxBatch = Math.max(entry.maxBatch, e.maxBatch);
      entry.isDefault ||= e.default;
    }
  }
  return [...byKey.values()].sort((a, b) => a.kind.localeCompare(b.kind) || Number(b.isDefault) - Number(a.isDefault) || a.name.localeCompare(b.name));
}

// Submit-time checks run on every mutation; the workers' rows change every few seconds at most.
const CHECK_CACHE_MS = 1000;
const recent = new WeakMap<pg.Pool, { at: number; entries: Promise<EngineEntry[]> }>();

/** listEngines, reused for up to a second: what the submit-time checks read. */
function recentEngines(db: pg.Pool, liveWithinSeconds: number): Promise<EngineEntry[]> {
  const hit = recent.get(db);
  if (hit && Date.now() - hit.at < CHECK_CACHE_MS) return hit.entries;
  const entries = listEngines(db, liveWithinSeconds);
  recent.set(db, { at: Date.now(), entries });
  entries.catch(() => recent.delete(db));
  return entries;
}

/**
 * The engine@versions whose results a job may reuse (the result cache): the engine it names, or
 * its kind's default, as live workers offer them — from the same short-lived read as the submit
 * check, so a submission costs no extra query.
 */
export async function offeredVersions(db: pg.Pool, liveWithinSeconds: number, kind: JobKind, engine: string | null | undefined): Promise<string[]> {
  return (await recentEngines(db, liveWithinSeconds))
    .filter((e) => e.kind === kind && (engine ? e.name === engine : e.isDefault))
    .flatMap((e) => e.versions.map((v) => `${e.name}@${v}`));
}

export const speaks = (e: EngineEntry, language: string | null | undefined) => !language || e.languages.length === 0 || e.languages.includes(language);

/**
 * Refuses at submit time a job no live worker could run: an engine name nobody offers, or a
 * language no engine of the kind (or the named engine) speaks. With no live worker of the kind at
 * all the job is accepted: workers may be starting, and the job waits in the queue for them.
 */
export async function checkEngineChoice(db: pg.Pool, liveWithinSeconds: number, kind: JobKind, engine: string | null | undefined, language: string | null | undefined) {
  const offered = (await recentEngines(db, liveWithinSeconds)).filter((e) => e.kind === kind);
  if (offered.length === 0) return;
  if (engine) {
    const e = offered.find((x) => x.name === engine);
    if (!e) {
      throw apiError(ErrorCode.ENGINE_UNAVAILABLE, `engine: no live worker offers ${kind} engine "${engine}"; available: ${offered.map((x) => x.name).join(', ')}`, { field: 'engine' });
    }
    if (!speaks(e, language)) throw apiError(ErrorCode.UNSUPPORTED_LANGUAGE, `language: engine "${engine}" does not support "${language}"`, { field: 'language' });
  } else if (!offered.some((e) => speaks(e, language))) {
    throw apiError(ErrorCode.UNSUPPORTED_LANGUAGE, `language: no live ${kind} engine supports "${language}"`, { field: 'language' });
  }
}

function addUnique(list: string[], v: string) {
  if (!list.includes(v)) list.push(v);
}
