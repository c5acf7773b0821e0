// API keys: `Authorization: Bearer <key>` over HTTP, `connectionParams.authorization` over
// WebSocket. Each key belongs to one tenant; every row carries its tenant.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { readOrCreateSecret } from '../storage/secret-file.ts';

export type Auth = { tenant: string };

export class ApiKeys {
  // Keyed by the sha256 of the key, so a lookup does not compare secrets byte by byte.
  private readonly byHash = new Map<string, { key: Buffer; tenant: string }>();

  constructor(keys: Map<string, string>) {
    for (const [key, tenant] of keys) this.byHash.set(sha256(key), { key: Buffer.from(key), tenant });
  }

  /** The tenant of an `Authorization` value ("Bearer <key>" or the bare key), or null. */
  authenticate(authorization: unknown): Auth | null {
    if (typeof authorization !== 'string') return null;
    const key = authorization.replace(/^Bearer\s+/i, '').trim();
    if (!key || key.length > 512) return null;
    const entry = this.byHash.get(sha256(key));
    if (!entry) return null;
    const given = Buffer.from(key);
    if (given.length !== entry.key.length || !timingSafeEqual(given, entry.key)) return null;
    return { tenant: entry.tenant };
  }
}

/**
 * Development only (API_KEYS unset): one key for tenant "dev", kept in DATA_DIR so it survives
 * restarts and `npm start` can print it.
 */
export function developmentKey(dataDir: string): string {
  return readOrCreateSecret(join(dataDir, 'dev-api-key'), () => `dev_${randomBytes(24).toString('base64url')}`);
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
