// Result and input URLs: absolute, expiring, HMAC-signed links to GET /files/<audio id>. The
// signature is the authorisation, so a browser <audio> tag or curl can fetch without a header,
// and a URL leaks at most one file until it expires.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { readOrCreateSecret } from './secret-file.ts';

export class UrlSigner {
  private readonly secret: Buffer;
  private readonly publicUrl: () => string;
  private readonly ttlSeconds: number;

  /** `publicUrl` is a function: without PUBLIC_URL it is known only once the server listens. */
  constructor(secret: string, publicUrl: () => string, ttlSeconds: number) {
    this.secret = Buffer.from(secret);
    this.publicUrl = publicUrl;
    this.ttlSeconds = ttlSeconds;
  }

  sign(audioId: string, now = Date.now()): string {
    const exp = Math.floor(now / 1000) + this.ttlSeconds;
    return `${this.publicUrl()}/files/${audioId}?exp=${exp}&sig=${this.mac(audioId, exp)}`;
  }

  /** 'ok' | 'expired' | 'invalid' */
  verify(audioId: string, exp: string | null, sig: string | null, now = Date.now()): 'ok' | 'expired' | 'invalid' {
    if (!exp || !sig || !/^\d{1,12}$/.test(exp)) return 'invalid';
    const expected = Buffer.from(this.mac(audioId, Number(exp)));
    const given = Buffer.from(sig);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    return Number(exp) * 1000 < now ? 'expired' : 'ok';
  }

  private mac(audioId: string, exp: number): string {
    return createHmac('sha256', this.secret).update(`${audioId}:${exp}`).digest('base64url');
  }
}

/** SIGNING_SECRET, else one generated once and kept in DATA_DIR (all API processes on it share it). */
export function signingSecret(configured: string | undefined, dataDir: string): string {
  return configured ?? readOrCreateSecret(join(dataDir, 'signing-secret'), () => randomBytes(32).toString('base64url'));
}
