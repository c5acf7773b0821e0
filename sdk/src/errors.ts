// Errors the SDK throws. A GraphQL error with an `extensions.code` becomes an instance of that
// code's class (generated/error-codes.ts, from the server's list), so callers can `instanceof`
// or switch on `code`; the rest are ConnectionError (no answer) and JobFailedError (waitFor).
import type { JobFieldsFragment } from './gql/graphql.ts';

export type GraphQLErrorPayload = {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: Record<string, unknown>;
};

/** Base of every error the server answered with a code. */
export class VoxgraphError extends Error {
  readonly code: string;
  readonly extensions: Record<string, unknown>;
  readonly path: ReadonlyArray<string | number> | undefined;
  /** Every error of the response, this one first. */
  readonly errors: GraphQLErrorPayload[];
  constructor(error: GraphQLErrorPayload, errors: GraphQLErrorPayload[] = [error]) {
    super(error.message);
    this.name = new.target.name;
    this.code = typeof error.extensions?.code === 'string' ? error.extensions.code : 'UNKNOWN';
    this.extensions = error.extensions ?? {};
    this.path = error.path;
    this.errors = errors;
  }
  /** `extensions.field` of BAD_USER_INPUT: the input field at fault, e.g. "input.transcript". */
  get field(): string | undefined {
    return typeof this.extensions.field === 'string' ? this.extensions.field : undefined;
  }
  /** `extensions.retryAfterSeconds` of RATE_LIMITED, SERVER_BUSY and DATABASE_UNAVAILABLE. */
  get retryAfterSeconds(): number | undefined {
    return typeof this.extensions.retryAfterSeconds === 'number' ? this.extensions.retryAfterSeconds : undefined;
  }
}

/** The server could not be reached, or answered with something that is not GraphQL. */
export class ConnectionError extends Error {
  readonly status: number | undefined;
  constructor(message: string, opts: { status?: number; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'ConnectionError';
    this.status = opts.status;
  }
}

/** waitFor: the job ended FAILED or CANCELLED. `code` is the job's error code (Job.error.code). */
export class JobFailedError extends Error {
  readonly job: JobFieldsFragment;
  readonly code: string;
  constructor(job: JobFieldsFragment) {
    super(`job ${job.id} ended ${job.status}${job.error ? `: ${job.error.code}: ${job.error.message}` : ''}`);
    this.name = 'JobFailedError';
    this.job = job;
    this.code = job.error?.code ?? job.status;
  }
}
