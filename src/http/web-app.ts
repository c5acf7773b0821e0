// The web app (web/, built by `npm run web:build` into web/dist) at /: index.html for / and the
// hashed bundle under /assets/. Nothing comes from a CDN; a strict CSP allows only this origin
// (plus blob: for recordings and exports, and ws(s): for subscriptions).
import { readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};
const ASSET = /^\/assets\/[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'", // React's style attributes (word positions)
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self' ws: wss:",
  "worker-src 'self' blob:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

export const isWebAppPath = (pathname: string) => pathname === '/' || pathname === '/index.html' || ASSET.test(pathname);

/**
 * Serves the app. In development (devKey set) the page carries the printed key so the sign-in
 * form comes prefilled, as GraphiQL does — but not in a page another site asked for.
 */
export function serveWebApp(req: IncomingMessage, res: ServerResponse, pathname: string, devKey: string | undefined) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return;
  }
  if (ASSET.test(pathname)) {
    const file = join(WEB_DIST, pathname);
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('no such asset');
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': size,
      'Cache-Control': 'public, max-age=31536000, immutable', // file names carry their content hash
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : readFileSync(file));
    return;
  }
  let html: string;
  try {
    html = readFileSync(join(WEB_DIST, 'index.html'), 'utf8');
  } catch {
    res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' }).end('The web app is not built: run `npm run web:build` (npm start and npm test do).');
    return;
  }
  const site = req.headers['sec-fetch-site'];
  if (devKey && (site === undefined || site === 'none' || site === 'same-origin')) {
    html = html.replace('<head>', `<head>\n    <meta name="voxgraph-dev-key" content="${devKey.replace(/[^A-Za-z0-9._~-]/g, '')}" />`);
  }
  res.writeHead(200, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-cache',
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  });
  res.end(req.method === 'HEAD' ? undefined : html);
}
