// One delivery attempt: a POST signed the Standard Webhooks way (webhook-id, webhook-timestamp,
// webhook-signature; the `standardwebhooks` package signs), through the address policy's own
// lookup, never following a redirect, within WEBHOOK_TIMEOUT_SECONDS. Any 2xx is delivered.
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { addressAllowed, checkedLookup, ForbiddenAddressError } from './url-policy.ts';

export type AttemptOutcome = { statusCode: number | null; error: string | null; durationMs: number; delivered: boolean; forbidden: boolean };

export function signedHeaders(secret: string, messageId: string, body: string, at = new Date()): Record<string, string> {
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(messageId, at, body),
  };
}

export function send(url: string, body: string, headers: Record<string, string>, opts: { timeoutMs: number; allowPrivate: boolean }): Promise<AttemptOutcome> {
  const started = performance.now();
  const outcome = (o: Partial<AttemptOutcome>): AttemptOutcome => ({
    statusCode: null, error: null, delivered: false, forbidden: false, ...o, durationMs: performance.now() - started,
  });
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return resolve(outcome({ error: 'invalid URL', forbidden: true }));
    }
    const host = target.hostname.replace(/^\[|\]$/g, '');
    // An address written in the URL is never looked up: it is checked here.
    if (isIP(host) && !addressAllowed(host, opts.allowPrivate)) {
      return resolve(outcome({ error: `${host} is an address webhooks may not reach`, forbidden: true }));
    }
    const lib = target.protocol === 'https:' ? https : http;
    const req = lib.request(
      target,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'voxgraph-webhooks/1', 'content-length': Buffer.byteLength(body), ...headers },
        lookup: checkedLookup(opts.allowPrivate),
        timeout: opts.timeoutMs,
      },
      (res) => {
        res.resume(); // the body does not matter; read it so the socket is freed
        res.on('end', () => {
          const code = res.statusCode ?? 0;
          resolve(outcome({ statusCode: code, delivered: code >= 200 && code < 300, error: code >= 200 && code < 300 ? null : `HTTP ${code}` }));
        });
        res.on('error', (err) => resolve(outcome({ statusCode: res.statusCode ?? null, error: err.message })));
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.on('error', (err) => resolve(outcome({ error: err.message, forbidden: err instanceof ForbiddenAddressError })));
    req.end(body);
  });
}
