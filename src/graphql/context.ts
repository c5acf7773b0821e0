import type { PgBoss } from 'pg-boss';
import type pg from 'pg';
import type { Auth } from '../auth/api-keys.ts';
import type { Config } from '../config.ts';
import { apiError, ErrorCode } from '../errors.ts';
import type { JobEventBus } from '../events/job-events.ts';
import type { Logger } from '../log.ts';
import type { UrlSigner } from '../storage/signed-url.ts';
import type { Storage } from '../storage/storage.ts';
import type { AudioVerifier } from '../uploads/verify.ts';

/** The long-lived parts every resolver may use. */
export type Deps = {
  config: Config;
  pool: pg.Pool;
  boss: PgBoss;
  storage: Storage;
  verifier: AudioVerifier;
  signer: UrlSigner;
  events: JobEventBus;
  log: Logger;
};

export type Context = { deps: Deps; auth: Auth | null };

export function tenantOf(ctx: Context): string {
  if (!ctx.auth) throw apiError(ErrorCode.UNAUTHENTICATED, 'a valid API key is required: send "Authorization: Bearer <key>"');
  return ctx.auth.tenant;
}
