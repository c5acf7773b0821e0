// What can be uploaded, and how the multipart request spec finds files inside variables.
// https://github.com/jaydenseric/graphql-multipart-request-spec

/** A file to upload: a Blob or File (browsers; Node's fs.openAsBlob — see "@voxgraph/sdk/node"), or a stream. */
export type UploadSource = Blob | StreamUpload;

/** A stream of bytes of unknown length (Node only: browsers cannot stream a request body over HTTP/1.1). */
export type StreamUpload = {
  stream: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;
  name?: string;
  type?: string;
};

export function isUploadSource(v: unknown): v is UploadSource {
  if (typeof Blob !== 'undefined' && v instanceof Blob) return true;
  return typeof v === 'object' && v !== null && 'stream' in v && typeof (v as { stream: unknown }).stream === 'object';
}

export type ExtractedFile = { path: string; file: UploadSource };

/** A copy of `variables` with each file replaced by null, and where each was (`variables.input.file`). */
export function extractFiles(variables: Record<string, unknown>): { clone: Record<string, unknown>; files: ExtractedFile[] } {
  const files: ExtractedFile[] = [];
  const walk = (v: unknown, path: string): unknown => {
    if (isUploadSource(v)) {
      files.push({ path, file: v });
      return null;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}.${i}`));
    if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, `${path}.${k}`)]));
    }
    return v;
  };
  const clone = walk(variables, 'variables') as Record<string, unknown>;
  return { clone, files };
}

export function fileName(file: UploadSource, index: number): string {
  const name = (file as { name?: unknown }).name;
  return typeof name === 'string' && name ? name : `file-${index}`;
}

export function fileType(file: UploadSource): string {
  const type = (file as { type?: unknown }).type;
  return typeof type === 'string' && type ? type : 'application/octet-stream';
}
