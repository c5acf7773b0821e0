// Takes one multipart file upload into storage: streams it to a temporary file while hashing it
// (memory stays flat whatever the size), checks that it is audio we accept and within the limits
// (verify.ts), then moves it into storage. Every failure removes what was written and becomes a
// GraphQL error with a stable code.
import type { Metrics } from '../metrics/registry.ts';
import { createHash, randomUUID } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { copyFile, link, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FileUpload } from 'graphql-upload-ts';
import { apiError, ErrorCode } from '../errors.ts';
import type { Storage } from '../storage/storage.ts';
import { decodedSamples, type AudioInfo } from './audio-info.ts';
import { ACCEPTED_FORMATS, type AudioVerifier } from './verify.ts';

export type StoredUpload = AudioInfo & {
  id: string;
  storageKey: string;
  bytes: number;
  sha256: string;
  filename: string;
};

/** Kept in memory while streaming: a short clip's check then never reads the file back. */
const HEAD_BYTES = 64 * 1024;

export type IngestLimits = { maxUploadBytes: number; maxAudioSeconds: number; maxAudioSamples: number; tenants: { maxStorageBytes: number } };

type IngestDeps = { storage: Storage; verifier: AudioVerifier; limits: IngestLimits; storedBytes: (tenant: string) => Promise<number>; metrics?: Metrics };

/** Stores one uploaded file (or refuses it with a coded error), counted in the upload metrics. */
export async function ingestUpload(upload: Promise<FileUpload> | FileUpload, tenant: string, deps: IngestDeps): Promise<StoredUpload> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const stored = await ingest(upload, tenant, deps);
    deps.metrics?.uploadBytes.inc(stored.bytes);
    deps.metrics?.uploadDuration.observe({ outcome: 'stored' }, seconds());
    return stored;
  } catch (err) {
    const code = (err as { extensions?: { code?: unknown } }).extensions?.code;
    deps.metrics?.uploadRejections.inc({ code: typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR' });
    deps.metrics?.uploadDuration.observe({ outcome: 'refused' }, seconds());
    throw err;
  }
}

async function ingest(upload: Promise<FileUpload> | FileUpload, tenant: string, deps: IngestDeps): Promise<StoredUpload> {
  const { storage, verifier, limits } = deps;
  let file: FileUpload;
  try {
    file = await upload;
  } catch (err) {
    throw uploadError(err, limits);
  }
  const id = randomUUID();
  const tmp = join(storage.tempDir(), `${id}.part`);
  try {
    const hash = createHash('sha256');
    let bytes = 0;
    const head: Buffer[] = []; // the first HEAD_BYTES, for the format check
    let headBytes = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        if (bytes > limits.maxUploadBytes) return done(tooLarge(limits));
        hash.update(chunk);
        if (headBytes < HEAD_BYTES) {
          head.push(chunk.subarray(0, HEAD_BYTES - headBytes));
          headBytes += head.at(-1)!.length;
        }
        done(null, chunk);
      },
    });
    // graphql-upload-ts has already spooled the file to a temporary file of its own (fs-capacitor).
    // Read it once to hash and count it, then take that file by a hard link: one copy on disk, not
    // two. Where that is impossible (another filesystem, another version of graphql-upload-ts
    // without the path) the bytes are copied as they are read.
    const spool = spoolPath(file);
    try {
      await pipeline(file.createReadStream(), meter, spool ? discard() : createWriteStream(tmp, { flags: 'wx' }));
      if (spool) await link(spool, tmp).catch(() => copyFile(spool, tmp, constants.COPYFILE_EXCL));
    } catch (err) {
      throw uploadError(err, limits);
    }
    if (bytes === 0) throw apiError(ErrorCode.UPLOAD_EMPTY, 'the uploaded file is empty');
    const quota = limits.tenants.maxStorageBytes;
    if (quota > 0) {
      const kept = await deps.storedBytes(tenant);
      if (kept + bytes > quota) {
        throw apiError(ErrorCode.QUOTA_EXCEEDED, `this tenant keeps ${kept} bytes of audio; with this upload it would pass its ${quota}`, {
          quota: 'storageBytes',
          limit: quota,
        });
      }
    }

    const verdict = await verifier.verify(tmp, bytes, limits, Buffer.concat(head));
    if (!verdict.ok) {
      throw verdict.reason === 'unsupported'
        ? apiError(ErrorCode.UNSUPPORTED_AUDIO, `the file is not audio in a supported format (${ACCEPTED_FORMATS})`, { detail: verdict.detail })
        : apiError(ErrorCode.CORRUPT_AUDIO, 'the audio is damaged or truncated', { detail: verdict.detail });
    }
    const info = verdict.info;
    if (info.durationSeconds > limits.maxAudioSeconds) {
      throw apiError(ErrorCode.AUDIO_TOO_LONG, `the audio is ${Math.round(info.durationSeconds)} s long; the limit is ${limits.maxAudioSeconds} s`, {
        maxSeconds: limits.maxAudioSeconds,
      });
    }
    // What a worker must hold to process it: duration × sample rate × channels.
    const samples = decodedSamples(info);
    if (samples > limits.maxAudioSamples) {
      throw apiError(
        ErrorCode.AUDIO_TOO_MANY_SAMPLES,
        `the audio decodes to ${samples} samples (${Math.round(info.durationSeconds)} s × ${info.sampleRate} Hz × ${info.channels} channels); the limit is ${limits.maxAudioSamples}`,
        { maxSamples: limits.maxAudioSamples, samples },
      );
    }

    const storageKey = `${tenant}/${id}.${info.extension}`;
    await storage.putFile(storageKey, tmp);
    return { ...info, id, storageKey, bytes, sha256: hash.digest('hex'), filename: file.filename };
  } finally {
    // Gone already when it was moved into storage; `rm` would stat it first, on every upload.
    await unlink(tmp).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}

function tooLarge(limits: IngestLimits) {
  return apiError(ErrorCode.UPLOAD_TOO_LARGE, `the file exceeds the upload limit of ${limits.maxUploadBytes} bytes`, {
    maxBytes: limits.maxUploadBytes,
  });
}

function uploadError(err: unknown, limits: IngestLimits) {
  const e = err as { code?: string; status?: number; extensions?: { code?: string } };
  if (e.extensions?.code) return err as Error;
  if (e.code === 'FILE_TOO_LARGE' || e.status === 413) return tooLarge(limits);
  return apiError(ErrorCode.UPLOAD_INCOMPLETE, 'the upload did not complete', { detail: String((err as Error)?.message ?? err).slice(0, 200) });
}

/** The file graphql-upload-ts 2.2's fs-capacitor spools an upload to (pinned exactly: an internal). */
function spoolPath(file: FileUpload): string | undefined {
  const path = (file as unknown as { capacitor?: { _path?: unknown } }).capacitor?._path;
  return typeof path === 'string' ? path : undefined;
}

const discard = () => new Writable({ write: (_chunk, _enc, done) => done() });
