// A GraphQL client over the real transports: HTTP (JSON and multipart uploads), graphql-ws over
// WebSocket, and SSE.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

export type GqlResponse<T = any> = { data?: T; errors?: Array<{ message: string; extensions?: Record<string, any> }>; status: number };

export async function gql<T = any>(url: string, key: string | null, query: string, variables: Record<string, unknown> = {}): Promise<GqlResponse<T>> {
  const r = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { ...(await r.json()), status: r.status };
}

/** A GraphQL multipart request (the spec) with one file at variables.<path>. */
export async function gqlUpload<T = any>(
  url: string,
  key: string | null,
  query: string,
  variables: Record<string, unknown>,
  filePath: string,
  file: Buffer | string,
  opts: { csrfHeader?: boolean; filename?: string } = {},
): Promise<GqlResponse<T>> {
  const form = new FormData();
  form.set('operations', JSON.stringify({ query, variables }));
  form.set('map', JSON.stringify({ 0: [`variables.${filePath}`] }));
  const bytes = typeof file === 'string' ? readFileSync(file) : file;
  form.set('0', new Blob([new Uint8Array(bytes)]), opts.filename ?? (typeof file === 'string' ? basename(file) : 'upload.bin'));
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  if (opts.csrfHeader !== false) headers['graphql-require-preflight'] = '1';
  const r = await fetch(`${url}/graphql`, { method: 'POST', headers, body: form });
  const text = await r.text();
  try {
    return { ...JSON.parse(text), status: r.status };
  } catch {
    return { errors: [{ message: text }], status: r.status };
  }
}

/** A GraphQL multipart request with several files: `files` maps each variables path to its file. */
export async function gqlUploadMany<T = any>(url: string, key: string | null, query: string, variables: Record<string, unknown>, files: Array<[string, Buffer | string]>): Promise<GqlResponse<T>> {
  const form = new FormData();
  form.set('operations', JSON.stringify({ query, variables }));
  form.set('map', JSON.stringify(Object.fromEntries(files.map(([path], i) => [String(i), [`variables.${path}`]]))));
  files.forEach(([, file], i) => {
    const bytes = typeof file === 'string' ? readFileSync(file) : file;
    form.set(String(i), new Blob([new Uint8Array(bytes)]), typeof file === 'string' ? basename(file) : `upload-${i}.bin`);
  });
  const r = await fetch(`${url}/graphql`, { method: 'POST', headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), 'graphql-require-preflight': '1' }, body: form });
  const text = await r.text();
  try {
    return { ...JSON.parse(text), status: r.status };
  } catch {
    return { errors: [{ message: text }], status: r.status };
  }
}

export function wsClient(url: string, key: string | null) {
  return createClient({
    url: url.replace(/^http/, 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    connectionParams: key ? { authorization: `Bearer ${key}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

/** Collects every item of a subscription until it completes (or errors). */
export function subscribeWs<T = any>(url: string, key: string | null, query: string, variables: Record<string, unknown>) {
  const client = wsClient(url, key);
  const items: T[] = [];
  const done = new Promise<{ items: T[]; error?: unknown }>((resolve) => {
    client.subscribe<T>(
      { query, variables },
      {
        next: (v) => {
          if (v.errors) resolve({ items, error: v.errors });
          else items.push(v.data as T);
        },
        error: (error) => resolve({ items, error }),
        complete: () => resolve({ items }),
      },
    );
  }).finally(() => client.dispose());
  return { items, done };
}

/** The same over SSE (graphql-sse "distinct connections" mode that Yoga serves). */
export async function subscribeSse<T = any>(url: string, key: string, query: string, variables: Record<string, unknown>) {
  const r = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const items: T[] = [];
  const errors: unknown[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let idx;
    while ((idx = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, idx);
      buffer = buffer.slice(idx + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event === 'next' && data) {
        const payload = JSON.parse(data);
        if (payload.errors) errors.push(...payload.errors);
        else items.push(payload.data);
      }
      if (event === 'complete') return { items, errors, status: r.status };
    }
  }
  return { items, errors, status: r.status };
}

export const JOB_FIELDS = `id kind status progress attempts engine version createdAt startedAt finishedAt
  error { code message }
  input { id url sha256 bytes durationSeconds sampleRate channels contentType }
  result {
    __typename
    ... on DenoiseResult { audio { id url contentType bytes sha256 durationSeconds sampleRate channels } }
    ... on AlignResult { language denoised snrDb engine unalignedWords words { text start end confidence aligned } }
    ... on SynthesizeResult { audio { id url contentType bytes sha256 durationSeconds sampleRate channels } words { text start end } }
  }`;

export const WATCH_JOB = `subscription($id: ID!, $after: Int) { jobUpdated(id: $id, afterVersion: $after) { ${JOB_FIELDS} } }`;

/** The statuses a job ends in (its subscription completes after one). */
export const FINAL_STATES: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);
