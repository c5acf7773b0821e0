// Every error a client can act on carries one of these codes in `extensions.code`. The list is
// the API's contract (documented in README "Error codes"); never rename a code.
import { GraphQLError } from 'graphql';

export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED', // no or unknown API key
  NOT_FOUND: 'NOT_FOUND', // no such id for this tenant (also: another tenant's id)
  BAD_REQUEST: 'BAD_REQUEST', // not a valid GraphQL request (syntax, unknown field, CSRF header missing, body too large)
  BAD_USER_INPUT: 'BAD_USER_INPUT', // an argument failed validation; `extensions.field` names it
  UPLOAD_TOO_LARGE: 'UPLOAD_TOO_LARGE',
  UPLOAD_EMPTY: 'UPLOAD_EMPTY',
  UPLOAD_INCOMPLETE: 'UPLOAD_INCOMPLETE', // the request ended before the file did
  UNSUPPORTED_AUDIO: 'UNSUPPORTED_AUDIO', // not audio, or a format we cannot decode
  CORRUPT_AUDIO: 'CORRUPT_AUDIO', // audio that fails to decode (truncated, damaged)
  AUDIO_TOO_LONG: 'AUDIO_TOO_LONG',
  AUDIO_TOO_MANY_SAMPLES: 'AUDIO_TOO_MANY_SAMPLES', // duration × sample rate × channels over MAX_AUDIO_SAMPLES
  JOB_NOT_CANCELLABLE: 'JOB_NOT_CANCELLABLE', // already finished
  JOB_NOT_FINISHED: 'JOB_NOT_FINISHED', // deleteJob on a job still waiting or running: cancel it first (deleteBatch: one of its jobs)
  JOB_IN_BATCH: 'JOB_IN_BATCH', // deleteJob on a job of a batch: a batch goes whole (deleteBatch); `extensions.batchId`
  AUDIO_IN_USE: 'AUDIO_IN_USE', // deleteAudio on the input of an unfinished job or the result of a job; `extensions.jobId`
  IDEMPOTENCY_CONFLICT: 'IDEMPOTENCY_CONFLICT', // the idempotencyKey was used in the last 24 h for a different request; `extensions.jobId` is that request's job
  ENGINE_UNAVAILABLE: 'ENGINE_UNAVAILABLE', // no live worker offers the engine named in the input
  UNSUPPORTED_LANGUAGE: 'UNSUPPORTED_LANGUAGE', // no live engine of the kind speaks the language asked for
  QUERY_TOO_LARGE: 'QUERY_TOO_LARGE', // the query text over its byte or token limit; `extensions.limit`, `max`
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX', // over the depth, alias, directive or cost limit; `extensions.limit`, `max`
  RATE_LIMITED: 'RATE_LIMITED', // over the tenant's job rate; `extensions.retryAfterSeconds` (HTTP 429, Retry-After)
  QUOTA_EXCEEDED: 'QUOTA_EXCEEDED', // over a tenant quota; `extensions.quota` names it, `limit` its value
  SERVER_BUSY: 'SERVER_BUSY', // at capacity for this operation (e.g. upload checks); `extensions.retryAfterSeconds`
  DATABASE_UNAVAILABLE: 'DATABASE_UNAVAILABLE', // the database went away (restart, failover); `retryAfterSeconds`, and `outcomeUnknown: true` when a write may have happened
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export function apiError(code: ErrorCode, message: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}

export const notFound = (what: string, id: string) => apiError(ErrorCode.NOT_FOUND, `${what} ${id} not found`, { id });
