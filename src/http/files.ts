// GET/HEAD /files/<audio id>?exp=&sig= — serves stored audio behind a signed, expiring URL, with
// Range support (seeking in <audio> players, resumable downloads).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import parseRange from 'range-parser';
import { z } from 'zod';
import { wasDeleted } from '../jobs/deletion.ts';
import { getAudioById } from '../jobs/store.ts';
import type { Deps } from '../graphql/context.ts';

export async function serveFile(req: IncomingMessage, res: ServerResponse, url: URL, deps: Deps): Promise<void> {
  let id: string;
  try {
    id = decodeURIComponent(url.pathname.slice('/files/'.length));
  } catch {
    return json(res, 403, 'URL_INVALID', 'this link is not valid'); // a malformed %-escape
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, 'METHOD_NOT_ALLOWED', 'use GET or HEAD', { allow: 'GET, HEAD' });
  const verdict = z.uuid().safeParse(id).success ? deps.signer.verify(id, url.searchParams.get('exp'), url.searchParams.get('sig')) : 'invalid';
  if (verdict === 'expired') return json(res, 403, 'URL_EXPIRED', 'this link has expired; query the audio url again for a fresh one');
  if (verdict !== 'ok') return json(res, 403, 'URL_INVALID', 'this link is not valid');

  const audio = await getAudioById(deps.pool, id);
  const stat = audio ? await deps.storage.stat(audio.storage_key) : null;
  if (!audio && (await wasDeleted(deps.pool, id))) return json(res, 410, 'GONE', 'this audio was deleted');
  if (!audio || !stat) return json(res, 404, 'NOT_FOUND', 'no such file');

  const size = stat.bytes;
  const ext = audio.storage_key.split('.').pop();
  const headers: Record<string, string | number> = {
    'Content-Type': audio.content_type,
    'Accept-Ranges': 'bytes',
    ETag: `"${audio.sha256}"`,
    'Cache-Control': 'private, max-age=3600, immutable',
    'Content-Disposition': `inline; filename="${audio.id}.${ext}"`,
  };
  let range: { start: number; end: number } | undefined;
  const rangeHeader = req.headers.range;
  if (rangeHeader && (!req.headers['if-range'] || req.headers['if-range'] === headers.ETag)) {
    const parsed = parseRange(size, rangeHeader, { combine: true });
    if (parsed === -1) {
      res.writeHead(416, { 'Content-Range': `bytes */${size}` });
      return void res.end();
    }
    // Multiple ranges (multipart/byteranges) are rare for audio; serve the first one.
    if (parsed !== -2 && parsed.type === 'bytes' && parsed.length > 0) range = parsed[0];
  }
  if (req.headers['if-none-match'] === headers.ETag && !range) {
    res.writeHead(304, { ETag: String(headers.ETag) });
    return void res.end();
  }
  if (range) {
    res.writeHead(206, { ...headers, 'Content-Range': `bytes ${range.start}-${range.end}/${size}`, 'Content-Length': range.end - range.start + 1 });
  } else {
    res.writeHead(200, { ...headers, 'Content-Length': size });
  }
  if (req.method === 'HEAD') return void res.end();
  try {
    await pipeline(deps.storage.read(audio.storage_key, range), res);
  } catch (err) {
    // A player that seeks or a client that gives up closes the connection mid-file: not an error.
    if ((err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
  }
}

export function json(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify({ error: { code, message } }));
}
