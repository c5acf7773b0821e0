// createClient: the SDK's one entry point. Every method is typed from the generated documents.
import { ConnectionError, JobFailedError } from './errors.ts';
import * as D from './gql/graphql.ts';
import { httpRequest, type HttpOptions, type RequestOptions } from './http.ts';
import type { Progress } from './multipart.ts';
import { sseTransport, wsTransport, type SubscriptionTransport } from './subscriptions.ts';
import type { UploadSource } from './upload-source.ts';
import { feed, isFinal, watchBatch, watchJob, type FeedOptions, type Job, type WatchDeps, type WatchOptions } from './watch.ts';

export type ClientOptions = {
  /** The GraphQL endpoint, e.g. "http://localhost:4000/graphql" (a bare origin gets /graphql). */
  url: string;
  /** An API key (sent as `Authorization: Bearer …`); a function is asked again for each request. */
  apiKey?: string | (() => string | undefined);
  /** Subscriptions over graphql-ws ("ws", the default) or Server-Sent Events ("sse"). */
  subscriptions?: 'ws' | 'sse';
  /** Reconnect attempts before a subscription fails with ConnectionError (default 10, with backoff up to 5 s). */
  retryAttempts?: number;
  /** A WebSocket class where there is no global one (Node < 22: the `ws` package). */
  webSocketImpl?: unknown;
  fetch?: typeof fetch;
};

/** A file in a job input: an UploadSource to upload with the job, or the id of an uploaded audio. */
type WithFile<T> = Omit<T, 'file'> & { file?: UploadSource | null };
export type DenoiseInput = WithFile<D.DenoiseInput>;
export type AlignInput = WithFile<D.AlignInput>;
export type SynthesizeInput = D.SynthesizeInput;
export type BatchJobInput = { denoise: DenoiseInput } | { align: AlignInput } | { synthesize: SynthesizeInput };
export type SubmitBatchInput = Omit<D.SubmitBatchInput, 'jobs'> & { jobs: BatchJobInput[] };
export type UploadOptions = { signal?: AbortSignal; onProgress?: (p: Progress) => void };

export type Audio = D.AudioFieldsFragment;
export type Batch = D.SubmitBatchMutation['submitBatch'];
export type Engine = D.EngineFieldsFragment;
export type QueueStatus = D.QueueQuery['queue'];
export type JobEvent = NonNullable<D.JobEventsQuery['job']>['events'][number];
export type WordExport = { format: D.WordExportFormat; contentType: string; filename: string; text: string };

export type VoxgraphClient = ReturnType<typeof createClient>;

export function createClient(options: ClientOptions) {
  const url = /\/graphql\/?$/.test(new URL(options.url).pathname) ? options.url : new URL('/graphql', options.url).toString();
  const apiKey = typeof options.apiKey === 'function' ? options.apiKey : () => options.apiKey as string | undefined;
  const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  const http: HttpOptions = {
    url,
    fetch: fetchFn,
    headers: () => {
      const key = apiKey();
      return key ? { authorization: `Bearer ${key}` } : ({} as Record<string, string>);
    },
  };
  let transport: SubscriptionTransport | null = null;
  const subscriptions = () =>
    (transport ??= (options.subscriptions === 'sse' ? sseTransport : wsTransport)({
      url,
      apiKey,
      retryAttempts: options.retryAttempts ?? 10,
      webSocketImpl: options.webSocketImpl,
      fetch: fetchFn,
    }));

  /** Any document, typed: one of the SDK's (`import { JobDocument } from '@voxgraph/sdk'`) or your own. */
  function request<R, V>(document: D.TypedDocumentString<R, V>, variables: V, opts?: RequestOptions): Promise<R> {
    return httpRequest<R>(http, document.toString(), (variables ?? {}) as Record<string, unknown>, opts);
  }

  const job = async (id: string) => (await request(D.JobDocument, { id })).job;
  const batch = async (id: string) => (await request(D.BatchDocument, { id })).batch;
  const watchDeps: WatchDeps = {
    transport: subscriptions,
    jobNow: job,
    batchNow: batch,
    maxReconnects: options.retryAttempts ?? 10,
  };
  const withProgress = (o?: UploadOptions): RequestOptions => ({ signal: o?.signal, onUploadProgress: o?.onProgress });

  return {
    url,
    request,
    /** Stores an audio file (streamed; progress in `onProgress`). */
    upload: async (file: UploadSource, opts?: UploadOptions): Promise<Audio> => (await request(D.UploadAudioDocument, { file }, withProgress(opts))).uploadAudio,
    denoise: async (input: DenoiseInput, opts?: UploadOptions): Promise<Job> => (await request(D.DenoiseDocument, { input }, withProgress(opts))).denoise,
    align: async (input: AlignInput, opts?: UploadOptions): Promise<Job> => (await request(D.AlignDocument, { input }, withProgress(opts))).align,
    synthesize: async (input: SynthesizeInput, opts?: { signal?: AbortSignal }): Promise<Job> => (await request(D.SynthesizeDocument, { input }, opts)).synthesize,
    /** Many jobs (and their files) in one request and one transaction. */
    submitBatch: async (input: SubmitBatchInput, opts?: UploadOptions): Promise<Batch> =>
      (await request(D.SubmitBatchDocument, { input: input as D.SubmitBatchInput }, withProgress(opts))).submitBatch,
    job,
    jobs: async (vars: D.JobsQueryVariables = {}) => (await request(D.JobsDocument, vars)).jobs,
    events: async (id: string): Promise<JobEvent[] | null> => (await request(D.JobEventsDocument, { id })).job?.events ?? null,
    cancel: async (id: string): Promise<Job> => (await request(D.CancelJobDocument, { id })).cancelJob,
    deleteJob: async (id: string): Promise<string> => (await request(D.DeleteJobDocument, { id })).deleteJob,
    audio: async (id: string) => (await request(D.AudioDocument, { id })).audio,
    deleteAudio: async (id: string): Promise<string> => (await request(D.DeleteAudioDocument, { id })).deleteAudio,
    batch,
    cancelBatch: async (id: string) => (await request(D.CancelBatchDocument, { id })).cancelBatch,
    engines: async (vars: D.EnginesQueryVariables = {}): Promise<Engine[]> => (await request(D.EnginesDocument, vars)).engines,
    queue: async (): Promise<QueueStatus> => (await request(D.QueueDocument, {})).queue,
    /** The words of an align or synthesize result as SRT, VTT, TextGrid, TSV or JSON text. */
    exportWords: async (id: string, format: D.WordExportFormat): Promise<WordExport | null> => {
      const r = (await request(D.WordExportDocument, { id, format })).job?.result;
      return r && 'export' in r ? r.export : null;
    },
    /** Every state of the job, each version exactly once, resumed without a gap after a dropped connection; ends at a final state. */
    watch: (id: string, opts?: WatchOptions) => watchJob(watchDeps, id, opts),
    watchBatch: (id: string, opts?: WatchOptions) => watchBatch(watchDeps, id, opts),
    /** The tenant's feed: every event of its jobs, resumed after the last cursor on a reconnect. */
    feed: (opts?: FeedOptions) => feed(watchDeps, opts),
    /** The job's final state; throws JobFailedError when it ended FAILED or CANCELLED. */
    waitFor: async (id: string, opts?: { signal?: AbortSignal }): Promise<Job> => {
      let last: Job | undefined;
      for await (const state of watchJob(watchDeps, id, opts)) last = state;
      if (!last || !isFinal(last)) {
        if (opts?.signal?.aborted) throw opts.signal.reason;
        const now = await job(id);
        if (!now || !isFinal(now)) throw new ConnectionError(`job ${id}: the watch ended before a final state`);
        last = now;
      }
      if (last.status !== 'SUCCEEDED') throw new JobFailedError(last);
      return last;
    },
    /** The bytes behind a signed URL (an Audio's url, or a job's result audio). */
    download: async (what: string | { url: string } | Job, opts?: { signal?: AbortSignal }): Promise<Blob> => {
      const target = typeof what === 'string' ? what : 'url' in what ? what.url : resultAudio(what)?.url;
      if (!target) throw new Error('the job has no result audio (align results are words: see exportWords)');
      const res = await fetchFn(target, { signal: opts?.signal });
      if (!res.ok) throw new ConnectionError(`download failed: HTTP ${res.status}`, { status: res.status });
      return res.blob();
    },
    /** Sockets (or SSE streams) opened and closed so far. */
    get connectionStats() {
      return transport ? { ...transport.stats } : { opened: 0, closed: 0 };
    },
    close: async () => {
      await transport?.dispose();
      transport = null;
    },
  };
}

/** A job's result audio (denoise, synthesize), or null. */
export function resultAudio(job: Job): Audio | null {
  const r = job.result;
  return r && 'audio' in r ? r.audio : null;
}
