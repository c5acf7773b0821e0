// GENERATED from src/errors.ts and protocol/contract.ts by `npm run sdk:generate`. Do not edit.
import { VoxgraphError, type GraphQLErrorPayload } from '../errors.ts';

/** Every `extensions.code` the API answers with. */
export const ERROR_CODES = ['UNAUTHENTICATED', 'NOT_FOUND', 'BAD_REQUEST', 'BAD_USER_INPUT', 'UPLOAD_TOO_LARGE', 'UPLOAD_EMPTY', 'UPLOAD_INCOMPLETE', 'UNSUPPORTED_AUDIO', 'CORRUPT_AUDIO', 'AUDIO_TOO_LONG', 'AUDIO_TOO_MANY_SAMPLES', 'JOB_NOT_CANCELLABLE', 'JOB_NOT_FINISHED', 'JOB_IN_BATCH', 'AUDIO_IN_USE', 'IDEMPOTENCY_CONFLICT', 'ENGINE_UNAVAILABLE', 'UNSUPPORTED_LANGUAGE', 'QUERY_TOO_LARGE', 'QUERY_TOO_COMPLEX', 'RATE_LIMITED', 'QUOTA_EXCEEDED', 'SERVER_BUSY', 'DATABASE_UNAVAILABLE', 'INTERNAL_SERVER_ERROR'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** UNAUTHENTICATED: no or unknown API key */
export class UnauthenticatedError extends VoxgraphError {
  declare readonly code: 'UNAUTHENTICATED';
}
/** NOT_FOUND: no such id for this tenant (also: another tenant's id) */
export class NotFoundError extends VoxgraphError {
  declare readonly code: 'NOT_FOUND';
}
/** BAD_REQUEST: not a valid GraphQL request (syntax, unknown field, CSRF header missing, body too large) */
export class BadRequestError extends VoxgraphError {
  declare readonly code: 'BAD_REQUEST';
}
/** BAD_USER_INPUT: an argument failed validation; `extensions.field` names it */
export class BadUserInputError extends VoxgraphError {
  declare readonly code: 'BAD_USER_INPUT';
}
export class UploadTooLargeError extends VoxgraphError {
  declare readonly code: 'UPLOAD_TOO_LARGE';
}
export class UploadEmptyError extends VoxgraphError {
  declare readonly code: 'UPLOAD_EMPTY';
}
/** UPLOAD_INCOMPLETE: the request ended before the file did */
export class UploadIncompleteError extends VoxgraphError {
  declare readonly code: 'UPLOAD_INCOMPLETE';
}
/** UNSUPPORTED_AUDIO: not audio, or a format we cannot decode */
export class UnsupportedAudioError extends VoxgraphError {
  declare readonly code: 'UNSUPPORTED_AUDIO';
}
/** CORRUPT_AUDIO: audio that fails to decode (truncated, damaged) */
export class CorruptAudioError extends VoxgraphError {
  declare readonly code: 'CORRUPT_AUDIO';
}
export class AudioTooLongError extends VoxgraphError {
  declare readonly code: 'AUDIO_TOO_LONG';
}
/** AUDIO_TOO_MANY_SAMPLES: duration × sample rate × channels over MAX_AUDIO_SAMPLES */
export class AudioTooManySamplesError extends VoxgraphError {
  declare readonly code: 'AUDIO_TOO_MANY_SAMPLES';
}
/** JOB_NOT_CANCELLABLE: already finished */
export class JobNotCancellableError extends VoxgraphError {
  declare readonly code: 'JOB_NOT_CANCELLABLE';
}
/** JOB_NOT_FINISHED: deleteJob on a job still waiting or running: cancel it first (deleteBatch: one of its jobs) */
export class JobNotFinishedError extends VoxgraphError {
  declare readonly code: 'JOB_NOT_FINISHED';
}
/** JOB_IN_BATCH: deleteJob on a job of a batch: a batch goes whole (deleteBatch); `extensions.batchId` */
export class JobInBatchError extends VoxgraphError {
  declare readonly code: 'JOB_IN_BATCH';
}
/** AUDIO_IN_USE: deleteAudio on the input of an unfinished job or the result of a job; `extensions.jobId` */
export class AudioInUseError extends VoxgraphError {
  declare readonly code: 'AUDIO_IN_USE';
}
/** IDEMPOTENCY_CONFLICT: the idempotencyKey was used in the last 24 h for a different request; `extensions.jobId` is that request's job */
export class IdempotencyConflictError extends VoxgraphError {
  declare readonly code: 'IDEMPOTENCY_CONFLICT';
}
/** ENGINE_UNAVAILABLE: no live worker offers the engine named in the input */
export class EngineUnavailableError extends VoxgraphError {
  declare readonly code: 'ENGINE_UNAVAILABLE';
}
/** UNSUPPORTED_LANGUAGE: no live engine of the kind speaks the language asked for */
export class UnsupportedLanguageError extends VoxgraphError {
  declare readonly code: 'UNSUPPORTED_LANGUAGE';
}
/** QUERY_TOO_LARGE: the query text over its byte or token limit; `extensions.limit`, `max` */
export class QueryTooLargeError extends VoxgraphError {
  declare readonly code: 'QUERY_TOO_LARGE';
}
/** QUERY_TOO_COMPLEX: over the depth, alias, directive or cost limit; `extensions.limit`, `max` */
export class QueryTooComplexError extends VoxgraphError {
  declare readonly code: 'QUERY_TOO_COMPLEX';
}
/** RATE_LIMITED: over the tenant's job rate; `extensions.retryAfterSeconds` (HTTP 429, Retry-After) */
export class RateLimitedError extends VoxgraphError {
  declare readonly code: 'RATE_LIMITED';
}
/** QUOTA_EXCEEDED: over a tenant quota; `extensions.quota` names it, `limit` its value */
export class QuotaExceededError extends VoxgraphError {
  declare readonly code: 'QUOTA_EXCEEDED';
}
/** SERVER_BUSY: at capacity for this operation (e.g. upload checks); `extensions.retryAfterSeconds` */
export class ServerBusyError extends VoxgraphError {
  declare readonly code: 'SERVER_BUSY';
}
/** DATABASE_UNAVAILABLE: the database went away (restart, failover); `retryAfterSeconds`, and `outcomeUnknown: true` when a write may have happened */
export class DatabaseUnavailableError extends VoxgraphError {
  declare readonly code: 'DATABASE_UNAVAILABLE';
}
export class InternalServerErrorError extends VoxgraphError {
  declare readonly code: 'INTERNAL_SERVER_ERROR';
}

const CLASSES: Record<ErrorCode, typeof VoxgraphError> = {
  UNAUTHENTICATED: UnauthenticatedError,
  NOT_FOUND: NotFoundError,
  BAD_REQUEST: BadRequestError,
  BAD_USER_INPUT: BadUserInputError,
  UPLOAD_TOO_LARGE: UploadTooLargeError,
  UPLOAD_EMPTY: UploadEmptyError,
  UPLOAD_INCOMPLETE: UploadIncompleteError,
  UNSUPPORTED_AUDIO: UnsupportedAudioError,
  CORRUPT_AUDIO: CorruptAudioError,
  AUDIO_TOO_LONG: AudioTooLongError,
  AUDIO_TOO_MANY_SAMPLES: AudioTooManySamplesError,
  JOB_NOT_CANCELLABLE: JobNotCancellableError,
  JOB_NOT_FINISHED: JobNotFinishedError,
  JOB_IN_BATCH: JobInBatchError,
  AUDIO_IN_USE: AudioInUseError,
  IDEMPOTENCY_CONFLICT: IdempotencyConflictError,
  ENGINE_UNAVAILABLE: EngineUnavailableError,
  UNSUPPORTED_LANGUAGE: UnsupportedLanguageError,
  QUERY_TOO_LARGE: QueryTooLargeError,
  QUERY_TOO_COMPLEX: QueryTooComplexError,
  RATE_LIMITED: RateLimitedError,
  QUOTA_EXCEEDED: QuotaExceededError,
  SERVER_BUSY: ServerBusyError,
  DATABASE_UNAVAILABLE: DatabaseUnavailableError,
  INTERNAL_SERVER_ERROR: InternalServerErrorError,
};

/** The error as its code's class (a VoxgraphError when the code is not one of ours). */
export function errorFor(error: GraphQLErrorPayload, errors: GraphQLErrorPayload[] = [error]): VoxgraphError {
  const code = error.extensions?.code;
  const Class = typeof code === 'string' && code in CLASSES ? CLASSES[code as ErrorCode] : VoxgraphError;
  return new Class(error, errors);
}

/** Every code a job can end an attempt with (Job.error.code), and whether another attempt may succeed. */
export const JOB_ERROR_CODES = {
  CANCELLED: { retryable: false, meaning: "cancelJob was called" },
  WORKER_LOST: { retryable: true, meaning: "its worker stopped heartbeating (killed, out of memory, machine lost)" },
  JOB_TIMEOUT: { retryable: true, meaning: "the attempt ran longer than JOB_EXPIRE_SECONDS" },
  EXPIRED_IN_QUEUE: { retryable: false, meaning: "it waited longer than JOB_QUEUE_RETENTION_SECONDS without being claimed" },
  WORKER_SHUTDOWN: { retryable: true, meaning: "handed back by a worker stopping (SIGTERM) after its grace period" },
  ENGINE_ERROR: { retryable: true, meaning: "an unexpected engine failure" },
  DEVICE_OUT_OF_MEMORY: { retryable: true, meaning: "one job alone does not fit in the GPU; another worker or attempt may have room" },
  INPUT_MISSING: { retryable: false, meaning: "the input audio is not in storage" },
  DECODE_FAILED: { retryable: false, meaning: "the input audio does not decode" },
  INVALID_PARAMS: { retryable: false, meaning: "the queue payload lacks a parameter its kind needs" },
  UNKNOWN_KIND: { retryable: false, meaning: "the queue payload names a kind no engine has" },
  UNKNOWN_VOICE: { retryable: false, meaning: "no engine of the kind has the voice" },
  UNKNOWN_EMOTION: { retryable: false, meaning: "the engine does not know the emotion" },
  INVALID_INTENSITY: { retryable: false, meaning: "intensity outside 0..1" },
  EMPTY_TEXT: { retryable: false, meaning: "synthesize text with nothing to say" },
  EMPTY_TRANSCRIPT: { retryable: false, meaning: "an align transcript with no words" },
  UNALIGNABLE_TRANSCRIPT: { retryable: false, meaning: "the transcript cannot be placed in the audio at all (the built-in aligners mark unplaced words instead: Word.aligned false)" },
  ENGINE_UNAVAILABLE: { retryable: false, meaning: "the worker has no engine of that name for the kind" },
  UNSUPPORTED_LANGUAGE: { retryable: false, meaning: "no engine of the kind (or the named one) speaks the language" },
  DEADLINE_EXCEEDED: { retryable: false, meaning: "its deadline passed before it started (swept by the API, or refused by the worker that claimed it late)" },
  JOB_NOT_RUNNABLE: { retryable: false, meaning: "claimed, but our job row is missing or already final (pg-boss's record only)" },
} as const;
export type JobErrorCode = keyof typeof JOB_ERROR_CODES;
