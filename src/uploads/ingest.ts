// Takes one multipart file upload into storage: streams it to a temporary file while hashing it
// (memory stays flat whatever the size), checks it decodes as audio, then moves it into storage.
// Every failure removes what was written and becomes a GraphQL error with a stable code.
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FileUpload } from 'graphql-upload-ts';
import { apiError, ErrorCode } from '../errors.ts';
import type { Storage } from '../storage/storage.ts';
import { checkDecodes, probeAudio, type AudioInfo } from './probe.ts';

export type StoredUpload = AudioInfo & {
  id: string;
  storageKey: string;
  bytes: number;
  sha256: string;
  filename: string;
};

export type IngestLimits = { maxUploadBytes: number; maxAudioSeconds: number };

export async function ingestUpload(
  upload: Promise<FileUpload> | FileUpload,
  tenant: string,
  storage: Storage,
  limits: IngestLimits,
): Promise<StoredUpload> {
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
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        if (bytes > limits.maxUploadBytes) return done(tooLarge(limits));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(file.createReadStream(), meter, createWriteStream(tmp, { flags: 'wx' }));
    } catch (err) {
      throw uploadError(err, limits);
    }
    if (bytes === 0) throw apiError(ErrorCode.UPLOAD_EMPTY, 'the uploaded file is empty');

    const probed = await probeAudio(tmp);
    if (!probed.ok) {
      throw probed.reason === 'unsupported'
        ? apiError(ErrorCode.UNSUPPORTED_AUDIO, 'the file is not audio in a supported format (wav, flac, ogg/opus, mp3, m4a/aac, webm, aiff)', { detail: probed.detail })
        : apiError(ErrorCode.CORRUPT_AUDIO, 'the audio could not be decoded', { detail: probed.detail });
    }
    const info = probed.info;
    if (info.durationSeconds > limits.maxAudioSeconds) {
      throw apiError(ErrorCode.AUDIO_TOO_LONG, `the audio is ${Math.round(info.durationSeconds)} s long; the limit is ${limits.maxAudioSeconds} s`, {
        maxSeconds: limits.maxAudioSeconds,
      });
    }
    // Roughly 10 s per 100 MB of compressed audio on one core; scale the limit with the size.
    const decoded = await checkDecodes(tmp, 60_000 + Math.ceil(bytes / 10_000));
    if (!decoded.ok) throw apiError(ErrorCode.CORRUPT_AUDIO, 'the audio is damaged or truncated', { detail: decoded.detail });

    const storageKey = `${tenant}/${id}.${info.extension}`;
    await storage.putFile(storageKey, tmp);
    return { ...info, id, storageKey, bytes, sha256: hash.digest('hex'), filename: file.filename };
  } finally {
    await rm(tmp, { force: true });
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
