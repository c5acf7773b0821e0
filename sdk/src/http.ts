// GraphQL over HTTP: JSON requests, and multipart requests when the variables hold files.
// Browsers send multipart with XMLHttpRequest (the one browser API that reports upload
// progress); Node streams the body through fetch.
import { ConnectionError, VoxgraphError, type GraphQLErrorPayload } from './errors.ts';
import { errorFor } from './generated/error-codes.ts';
import { multipartBody, type Progress } from './multipart.ts';
import { extractFiles, fileName, type ExtractedFile } from './upload-source.ts';

export type HttpOptions = {
  url: string;
  headers: () => Record<string, string>;
  fetch: typeof fetch;
};

export type RequestOptions = { signal?: AbortSignal; onUploadProgress?: (p: Progress) => void };

type Response<T> = { data?: T | null; errors?: GraphQLErrorPayload[] };

/** The first error as its code's class (every error of the response stays on `.errors`). */
export function toError(errors: GraphQLErrorPayload[]): VoxgraphError {
  return errorFor(errors[0]!, errors);
}

export async function httpRequest<T>(http: HttpOptions, query: string, variables: Record<string, unknown>, opts: RequestOptions = {}): Promise<T> {
  const { clone, files } = extractFiles(variables);
  const operations = JSON.stringify({ query, variables: clone });
  const result = files.length
    ? await sendMultipart<T>(http, operations, files, opts)
    : await sendJson<T>(http, operations, opts);
  if (result.errors?.length) throw toError(result.errors);
  if (!result.data) throw new ConnectionError('the server answered without data or errors');
  return result.data;
}

async function sendJson<T>(http: HttpOptions, body: string, opts: RequestOptions): Promise<Response<T>> {
  let res: globalThis.Response;
  try {
    res = await http.fetch(http.url, {
      method: 'POST',
      headers: { ...http.headers(), 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
      body,
      signal: opts.signal,
    });
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    throw new ConnectionError(`cannot reach ${http.url}: ${(err as Error).message}`, { cause: err });
  }
  return parse<T>(res.status, await res.text());
}

async function sendMultipart<T>(http: HttpOptions, operations: string, files: ExtractedFile[], opts: RequestOptions): Promise<Response<T>> {
  // Yoga's CSRF prevention: a multipart POST must carry a header a plain HTML form cannot send.
  const headers = { ...http.headers(), 'graphql-require-preflight': '1', accept: 'application/graphql-response+json, application/json' };
  if (typeof XMLHttpRequest !== 'undefined') return sendWithXhr<T>(http.url, headers, operations, files, opts);
  const { body, contentType } = multipartBody(operations, files, opts.onUploadProgress);
  let res: globalThis.Response;
  try {
    res = await http.fetch(http.url, {
      method: 'POST',
      headers: { ...headers, 'content-type': contentType },
      body,
      signal: opts.signal,
      // Node's fetch sends a stream body only when told it is half duplex.
      ...({ duplex: 'half' } as object),
    });
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    throw new ConnectionError(`upload to ${http.url} failed: ${(err as Error).message}`, { cause: err });
  }
  return parse<T>(res.status, await res.text());
}

async function sendWithXhr<T>(url: string, headers: Record<string, string>, operations: string, files: ExtractedFile[], opts: RequestOptions): Promise<Response<T>> {
  const form = new FormData();
  form.append('operations', operations);
  form.append('map', JSON.stringify(Object.fromEntries(files.map((f, i) => [String(i), [f.path]]))));
  for (const [i, f] of files.entries()) {
    // A browser cannot stream a request body over HTTP/1.1: a stream is collected first.
    const blob = f.file instanceof Blob ? f.file : await new Response(f.file.stream as ReadableStream<Uint8Array>).blob();
    form.append(String(i), blob, fileName(f.file, i));
  }
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => opts.onUploadProgress?.({ sentBytes: e.loaded, totalBytes: e.lengthComputable ? e.total : null });
    xhr.onload = () => {
      try {
        resolve(parse<T>(xhr.status, xhr.responseText));
      } catch (err) {
        reject(err);
      }
    };
    xhr.onerror = () => reject(new ConnectionError(`upload to ${url} failed`));
    xhr.onabort = () => reject(opts.signal?.reason ?? new DOMException('aborted', 'AbortError'));
    opts.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}

function parse<T>(status: number, text: string): Response<T> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ConnectionError(`HTTP ${status}: not a GraphQL response: ${text.slice(0, 200)}`, { status });
  }
  if (!body || typeof body !== 'object' || (!('data' in body) && !('errors' in body))) {
    throw new ConnectionError(`HTTP ${status}: not a GraphQL response`, { status });
  }
  return body as Response<T>;
}
