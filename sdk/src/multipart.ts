// A GraphQL multipart request body as a stream (Node's fetch sends it chunked), so a large file
// is never held in memory and upload progress is the bytes the server has pulled.
import { fileName, fileType, type ExtractedFile, type UploadSource } from './upload-source.ts';

export type Progress = { sentBytes: number; totalBytes: number | null };

const encoder = new TextEncoder();

export function multipartBody(operations: string, files: ExtractedFile[], onProgress?: (p: Progress) => void) {
  const boundary = `----voxgraph${Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('')}`;
  const map = Object.fromEntries(files.map((f, i) => [String(i), [f.path]]));
  const field = (name: string, value: string) =>
    encoder.encode(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  const fileHead = (i: number, f: UploadSource) =>
    encoder.encode(
      `--${boundary}\r\nContent-Disposition: form-data; name="${i}"; filename="${fileName(f, i).replace(/["\r\n\\]/g, '_')}"\r\nContent-Type: ${fileType(f).replace(/[\r\n]/g, '')}\r\n\r\n`,
    );
  const head = [field('operations', operations), field('map', JSON.stringify(map))];
  const tail = encoder.encode(`--${boundary}--\r\n`);
  const known = files.every((f) => f.file instanceof Blob);
  const totalBytes = known
    ? head.reduce((n, b) => n + b.byteLength, 0) +
      files.reduce((n, f, i) => n + fileHead(i, f.file).byteLength + (f.file as Blob).size + 2, 0) +
      tail.byteLength
    : null;

  async function* chunks(): AsyncGenerator<Uint8Array> {
    yield* head;
    for (const [i, f] of files.entries()) {
      yield fileHead(i, f.file);
      const source = f.file instanceof Blob ? f.file.stream() : f.file.stream;
      for await (const chunk of source as AsyncIterable<Uint8Array>) yield chunk;
      yield encoder.encode('\r\n');
    }
    yield tail;
  }
  let sentBytes = 0;
  const it = chunks();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await it.next();
      if (done) return controller.close();
      sentBytes += value.byteLength;
      onProgress?.({ sentBytes, totalBytes });
      controller.enqueue(value);
    },
    async cancel(reason) {
      await it.throw(reason).catch(() => {});
    },
  });
  return { body, contentType: `multipart/form-data; boundary=${boundary}`, totalBytes };
}
