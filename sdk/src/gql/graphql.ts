/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** Give exactly one of audioId and file. */
export type AlignInput = {
  audioId?: string | number | null | undefined;
  /** Default true: an identical job of this tenant (same kind, input audio content, parameters and engine) that succeeded within RESULT_CACHE_TTL_SECONDS answers this one at once (Job.cached), and one still in flight shares its run. false: neither. */
  cache?: boolean | null | undefined;
  /** If the job has not started by then it ends FAILED with DEADLINE_EXCEEDED instead of running late. In the future, after runAt. */
  deadline?: string | null | undefined;
  /** An engine name; the default is the best one the worker has. */
  engine?: string | null | undefined;
  file?: unknown;
  /** A key of your choosing (1..200 printable ASCII characters) that makes retrying this mutation safe: the same key with the same input within 24 hours returns the same job and creates nothing; with a different input it is IDEMPOTENCY_CONFLICT. */
  idempotencyKey?: string | null | undefined;
  /** ISO 639 code, one of: en, zh, yue, fr, de, it, ja, ko, pt, ru, es. Defaults to en. */
  language?: string | null | undefined;
  /** -100..100 (default 0): the order among this tenant's own waiting jobs, higher first. Tenants take turns whatever their priorities. */
  priority?: number | null | undefined;
  /** Not started before this instant (in the past: now). At most 30 days ahead. */
  runAt?: string | null | undefined;
  transcript: string;
  /** POST this job's events here (default: the tenant's webhookSettings). */
  webhook?: WebhookInput | null | undefined;
};

/** How a result audio is encoded: WAV (16-bit PCM), FLAC (16-bit), MP3, OPUS (Ogg Opus; a rate Opus does not code is resampled to 48 kHz). */
export type AudioFormat =
  | 'FLAC'
  | 'MP3'
  | 'OPUS'
  | 'WAV';

/** One job of a batch: exactly one of the fields, the kind's own input (its idempotencyKey left out: the batch has one). */
export type BatchJobInput =
  {   align: AlignInput; denoise?: never; synthesize?: never; }
  |  { align?: never;   denoise: DenoiseInput; synthesize?: never; }
  |  { align?: never; denoise?: never;   synthesize: SynthesizeInput; };

/** Give exactly one of audioId (audio already uploaded) and file (upload it with this request). */
export type DenoiseInput = {
  audioId?: string | number | null | undefined;
  /** Default true: an identical job of this tenant (same kind, input audio content, parameters and engine) that succeeded within RESULT_CACHE_TTL_SECONDS answers this one at once (Job.cached), and one still in flight shares its run. false: neither. */
  cache?: boolean | null | undefined;
  /** If the job has not started by then it ends FAILED with DEADLINE_EXCEEDED instead of running late. In the future, after runAt. */
  deadline?: string | null | undefined;
  /** An engine name; the default is the best one the worker has. */
  engine?: string | null | undefined;
  file?: unknown;
  /** The result's encoding. Default WAV. */
  format?: AudioFormat | null | undefined;
  /** A key of your choosing (1..200 printable ASCII characters) that makes retrying this mutation safe: the same key with the same input within 24 hours returns the same job and creates nothing; with a different input it is IDEMPOTENCY_CONFLICT. */
  idempotencyKey?: string | null | undefined;
  /** -100..100 (default 0): the order among this tenant's own waiting jobs, higher first. Tenants take turns whatever their priorities. */
  priority?: number | null | undefined;
  /** Not started before this instant (in the past: now). At most 30 days ahead. */
  runAt?: string | null | undefined;
  /** Sample rate of the result in Hz, 8000..48000. Default: the input's. */
  sampleRate?: number | null | undefined;
  /** POST this job's events here (default: the tenant's webhookSettings). */
  webhook?: WebhookInput | null | undefined;
};

export type Emotion =
  | 'ANGRY'
  | 'CALM'
  | 'EXCITED'
  | 'HAPPY'
  | 'NEUTRAL'
  | 'SAD'
  | 'WHISPER';

export type JobKind =
  | 'ALIGN'
  | 'DENOISE'
  | 'SYNTHESIZE';

/** QUEUED → RUNNING → SUCCEEDED, with RETRYING between attempts; FAILED and CANCELLED are final too. */
export type JobStatus =
  | 'CANCELLED'
  | 'FAILED'
  | 'QUEUED'
  | 'RETRYING'
  | 'RUNNING'
  | 'SUCCEEDED';

export type SubmitBatchInput = {
  /** A key of your choosing (1..200 printable ASCII characters) that makes retrying this mutation safe: the same key with the same input within 24 hours returns the same batch and creates nothing; with a different input it is IDEMPOTENCY_CONFLICT. */
  idempotencyKey?: string | null | undefined;
  /** 1..MAX_BATCH_SIZE jobs (default 100), in one transaction: all are created or none. */
  jobs: Array<BatchJobInput>;
};

export type SynthesizeInput = {
  /** Default true: an identical job of this tenant (same kind, input audio content, parameters and engine) that succeeded within RESULT_CACHE_TTL_SECONDS answers this one at once (Job.cached), and one still in flight shares its run. false: neither. */
  cache?: boolean | null | undefined;
  /** If the job has not started by then it ends FAILED with DEADLINE_EXCEEDED instead of running late. In the future, after runAt. */
  deadline?: string | null | undefined;
  /** Default NEUTRAL. */
  emotion?: Emotion | null | undefined;
  /** An engine name; the default is the best one the worker has. */
  engine?: string | null | undefined;
  /** The result's encoding. Default WAV. */
  format?: AudioFormat | null | undefined;
  /** A key of your choosing (1..200 printable ASCII characters) that makes retrying this mutation safe: the same key with the same input within 24 hours returns the same job and creates nothing; with a different input it is IDEMPOTENCY_CONFLICT. */
  idempotencyKey?: string | null | undefined;
  /** How strongly the emotion is expressed: 0 (flat) .. 1 (full). Default 0.5. */
  intensity?: number | null | undefined;
  /** ISO 639 code, one of: en, zh, yue, fr, de, it, ja, ko, pt, ru, es. Defaults to en. */
  language?: string | null | undefined;
  /** -100..100 (default 0): the order among this tenant's own waiting jobs, higher first. Tenants take turns whatever their priorities. */
  priority?: number | null | undefined;
  /** Not started before this instant (in the past: now). At most 30 days ahead. */
  runAt?: string | null | undefined;
  /** Sample rate of the result in Hz, 8000..48000. Default: the engine's own. */
  sampleRate?: number | null | undefined;
  text: string;
  /** A voice of the engine for the language (see Query.engines: voices). */
  voice?: string | null | undefined;
  /** POST this job's events here (default: the tenant's webhookSettings). */
  webhook?: WebhookInput | null | undefined;
};

/** What a webhook is sent for: a status a job reaches, or PROGRESS (a progress report while RUNNING). */
export type WebhookEvent =
  | 'CANCELLED'
  | 'FAILED'
  | 'PROGRESS'
  | 'QUEUED'
  | 'RETRYING'
  | 'RUNNING'
  | 'SUCCEEDED';

/** Where to POST a job's events, signed the Standard Webhooks way with the tenant's secret (webhookSettings.secret). http(s) only, no credentials in the URL, and (unless the server allows private networks) a public address. */
export type WebhookInput = {
  /** Default: every status change (not PROGRESS). */
  events?: Array<WebhookEvent> | null | undefined;
  url: string;
};

/** SRT and VTT: one cue per word. TEXTGRID: Praat long format, one interval tier "words" covering the whole audio (gaps as empty intervals). TSV: whisper's (start and end in ms, text). JSON: {durationSeconds, words}. */
export type WordExportFormat =
  | 'JSON'
  | 'SRT'
  | 'TEXTGRID'
  | 'TSV'
  | 'VTT';

export type UploadAudioMutationVariables = Exact<{
  file: unknown;
}>;


export type UploadAudioMutation = { uploadAudio: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string } };

export type AudioQueryVariables = Exact<{
  id: string | number;
}>;


export type AudioQuery = { audio: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string } | null };

export type DeleteAudioMutationVariables = Exact<{
  id: string | number;
}>;


export type DeleteAudioMutation = { deleteAudio: string };

export type SubmitBatchMutationVariables = Exact<{
  input: SubmitBatchInput;
}>;


export type SubmitBatchMutation = { submitBatch: { id: string, size: number, progress: number, version: number, createdAt: string, finishedAt: string | null, jobs: { nodes: Array<{ id: string, kind: JobKind, status: JobStatus, version: number, createdAt: string }> }, counts: { queued: number, running: number, retrying: number, succeeded: number, failed: number, cancelled: number } } };

export type BatchQueryVariables = Exact<{
  id: string | number;
}>;


export type BatchQuery = { batch: { id: string, size: number, progress: number, version: number, createdAt: string, finishedAt: string | null, counts: { queued: number, running: number, retrying: number, succeeded: number, failed: number, cancelled: number } } | null };

export type CancelBatchMutationVariables = Exact<{
  id: string | number;
}>;


export type CancelBatchMutation = { cancelBatch: { id: string, size: number, progress: number, version: number, createdAt: string, finishedAt: string | null, counts: { queued: number, running: number, retrying: number, succeeded: number, failed: number, cancelled: number } } };

export type BatchUpdatedSubscriptionVariables = Exact<{
  id: string | number;
  afterVersion?: number | null | undefined;
}>;


export type BatchUpdatedSubscription = { batchUpdated: { id: string, size: number, progress: number, version: number, createdAt: string, finishedAt: string | null, changedJob: { id: string, kind: JobKind, status: JobStatus, version: number, progress: number, attempts: number, priority: number, engine: string | null, cached: boolean, cachedFrom: string | null, queuePosition: number | null, estimatedStartAt: string | null, runAt: string | null, deadline: string | null, createdAt: string, startedAt: string | null, finishedAt: string | null, updatedAt: string, error: { code: string, message: string } | null, parameters: { transcript: string | null, text: string | null, language: string | null, emotion: Emotion | null, intensity: number | null, voice: string | null, sampleRate: number | null, format: AudioFormat | null }, input: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string } | null, result:
        | { __typename: 'AlignResult', language: string, engine: string | null, denoised: boolean, snrDb: number | null, unalignedWords: number, words: Array<{ text: string, start: number, end: number, confidence: number | null, aligned: boolean }> }
        | { __typename: 'DenoiseResult', audio: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string } }
        | { __typename: 'SynthesizeResult', audio: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string }, words: Array<{ text: string, start: number, end: number, confidence: number | null, aligned: boolean }> }
       | null } | null, counts: { queued: number, running: number, retrying: number, succeeded: number, failed: number, cancelled: number } } };

export type AudioFieldsFragment = { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string };

export type WordFieldsFragment = { text: string, start: number, end: number, confidence: number | null, aligned: boolean };

export type JobFieldsFragment = { id: string, kind: JobKind, status: JobStatus, version: number, progress: number, attempts: number, priority: number, engine: string | null, cached: boolean, cachedFrom: string | null, queuePosition: number | null, estimatedStartAt: string | null, runAt: string | null, deadline: string | null, createdAt: string, startedAt: string | null, finishedAt: string | null, updatedAt: string, error: { code: string, message: string } | null, parameters: { transcript: string | null, text: string | null, language: string | null, emotion: Emotion | null, intensity: number | null, voice: string | null, sampleRate: number | null, format: AudioFormat | null }, input: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string } | null, result:
    | { __typename: 'AlignResult', language: string, engine: string | null, denoised: boolean, snrDb: number | null, unalignedWords: number, words: Array<{ text: string, start: number, end: number, confidence: number | null, aligned: boolean }> }
    | { __typename: 'DenoiseResult', audio: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string } }
    | { __typename: 'SynthesizeResult', audio: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string }, words: Array<{ text: string, start: number, end: number, confidence: number | null, aligned: boolean }> }
   | null };

export type BatchFieldsFragment = { id: string, size: number, progress: number, version: number, createdAt: string, finishedAt: string | null, counts: { queued: number, running: number, retrying: number, succeeded: number, failed: number, cancelled: number } };

export type EngineFieldsFragment = { name: string, kind: JobKind, version: string, isDefault: boolean, plugin: boolean, devices: Array<string>, languages: Array<string>, maxBatch: number, workers: number, voices: Array<{ language: string, names: Array<string> }> };

export type JobQueryVariables = Exact<{
  id: string | number;
}>;


export type JobQuery = { job: { id: string, kind: JobKind, status: JobStatus, version: number, progress: number, attempts: number, priority: number, engine: string | null, cached: boolean, cachedFrom: string | null, queuePosition: number | null, estimatedStartAt: string | null, runAt: string | null, deadline: string | null, createdAt: string, startedAt: string | null, finishedAt: string | null, updatedAt: string, error: { code: string, message: string } | null, parameters: { transcript: string | null, text: string | null, language: string | null, emotion: Emotion | null, intensity: number | null, voice: string | null, sampleRate: number | null, format: AudioFormat | null }, input: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string } | null, result:
      | { __typename: 'AlignResult', language: string, engine: string | null, denoised: boolean, snrDb: number | null, unalignedWords: number, words: Array<{ text: string, start: number, end: number, confidence: number | null, aligned: boolean }> }
      | { __typename: 'DenoiseResult', audio: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string } }
      | { __typename: 'SynthesizeResult', audio: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string }, words: Array<{ text: string, start: number, end: number, confidence: number | null, aligned: boolean }> }
     | null } | null };

export type JobEventsQueryVariables = Exact<{
  id: string | number;
}>;


export type JobEventsQuery = { job: { id: string, events: Array<{ version: number, status: JobStatus, progress: number, attempts: number, at: string, error: { code: string, message: string } | null }> } | null };

export type JobsQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  kind?: JobKind | null | undefined;
  status?: JobStatus | null | undefined;
}>;


export type JobsQuery = { jobs: { nodes: Array<{ id: string, kind: JobKind, status: JobStatus, version: number, progress: number, attempts: number, priority: number, engine: string | null, cached: boolean, cachedFrom: string | null, queuePosition: number | null, estimatedStartAt: string | null, runAt: string | null, deadline: string | null, createdAt: string, startedAt: string | null, finishedAt: string | null, updatedAt: string, error: { code: string, message: string } | null, parameters: { transcript: string | null, text: string | null, language: string | null, emotion: Emotion | null, intensity: number | null, voice: string | null, sampleRate: number | null, format: AudioFormat | null }, input: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string } | null, result:
        | { __typename: 'AlignResult', language: string, engine: string | null, denoised: boolean, snrDb: number | null, unalignedWords: number, words: Array<{ text: string, start: number, end: number, confidence: number | null, aligned: boolean }> }
        | { __typename: 'DenoiseResult', audio: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string } }
        | { __typename: 'SynthesizeResult', audio: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string }, words: Array<{ text: string, start: number, end: number, confidence: number | null, aligned: boolean }> }
       | null }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type WordExportQueryVariables = Exact<{
  id: string | number;
  format: WordExportFormat;
}>;


export type WordExportQuery = { job: { id: string, result:
      | { __typename: 'AlignResult', export: { format: WordExportFormat, contentType: string, filename: string, text: string } }
      | { __typename: 'DenoiseResult' }
      | { __typename: 'SynthesizeResult', export: { format: WordExportFormat, contentType: string, filename: string, text: string } }
     | null } | null };

export type DenoiseMutationVariables = Exact<{
  input: DenoiseInput;
}>;


export type DenoiseMutation = { denoise: { id: string, kind: JobKind, status: JobStatus, version: number, progress: number, attempts: number, priority: number, engine: string | null, cached: boolean, cachedFrom: string | null, queuePosition: number | null, estimatedStartAt: string | null, runAt: string | null, deadline: string | null, createdAt: string, startedAt: string | null, finishedAt: string | null, updatedAt: string, error: { code: string, message: string } | null, parameters: { transcript: string | null, text: string | null, language: string | null, emotion: Emotion | null, intensity: number | null, voice: string | null, sampleRate: number | null, format: AudioFormat | null }, input: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string } | null, result:
      | { __typename: 'AlignResult', language: string, engine: string | null, denoised: boolean, snrDb: number | null, unalignedWords: number, words: Array<{ text: string, start: number, end: number, confidence: number | null, aligned: boolean }> }
      | { __typename: 'DenoiseResult', audio: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string } }
      | { __typename: 'SynthesizeResult', audio: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string }, words: Array<{ text: string, start: number, end: number, confidence: number | null, aligned: boolean }> }
     | null } };

export type AlignMutationVariables = Exact<{
  input: AlignInput;
}>;


export type AlignMutation = { align: { id: string, kind: JobKind, status: JobStatus, version: number, progress: number, attempts: number, priority: number, engine: string | null, cached: boolean, cachedFrom: string | null, queuePosition: number | null, estimatedStartAt: string | null, runAt: string | null, deadline: string | null, createdAt: string, startedAt: string | null, finishedAt: string | null, updatedAt: string, error: { code: string, message: string } | null, parameters: { transcript: string | null, text: string | null, language: string | null, emotion: Emotion | null, intensity: number | null, voice: string | null, sampleRate: number | null, format: AudioFormat | null }, input: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string } | null, result:
      | { __typename: 'AlignResult', language: string, engine: string | null, denoised: boolean, snrDb: number | null, unalignedWords: number, words: Array<{ text: string, start: number, end: number, confidence: number | null, aligned: boolean }> }
      | { __typename: 'DenoiseResult', audio: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string } }
      | { __typename: 'SynthesizeResult', audio: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string }, words: Array<{ text: string, start: number, end: number, confidence: number | null, aligned: boolean }> }
     | null } };

export type SynthesizeMutationVariables = Exact<{
  input: SynthesizeInput;
}>;


export type SynthesizeMutation = { synthesize: { id: string, kind: JobKind, status: JobStatus, version: number, progress: number, attempts: number, priority: number, engine: string | null, cached: boolean, cachedFrom: string | null, queuePosition: number | null, estimatedStartAt: string | null, runAt: string | null, deadline: string | null, createdAt: string, startedAt: string | null, finishedAt: string | null, updatedAt: string, error: { code: string, message: string } | null, parameters: { transcript: string | null, text: string | null, language: string | null, emotion: Emotion | null, intensity: number | null, voice: string | null, sampleRate: number | null, format: AudioFormat | null }, input: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string } | null, result:
      | { __typename: 'AlignResult', language: string, engine: string | null, denoised: boolean, snrDb: number | null, unalignedWords: number, words: Array<{ text: string, start: number, end: number, confidence: number | null, aligned: boolean }> }
      | { __typename: 'DenoiseResult', audio: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string } }
      | { __typename: 'SynthesizeResult', audio: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string }, words: Array<{ text: string, start: number, end: number, confidence: number | null, aligned: boolean }> }
     | null } };

export type CancelJobMutationVariables = Exact<{
  id: string | number;
}>;


export type CancelJobMutation = { cancelJob: { id: string, kind: JobKind, status: JobStatus, version: number, progress: number, attempts: number, priority: number, engine: string | null, cached: boolean, cachedFrom: string | null, queuePosition: number | null, estimatedStartAt: string | null, runAt: string | null, deadline: string | null, createdAt: string, startedAt: string | null, finishedAt: string | null, updatedAt: string, error: { code: string, message: string } | null, parameters: { transcript: string | null, text: string | null, language: string | null, emotion: Emotion | null, intensity: number | null, voice: string | null, sampleRate: number | null, format: AudioFormat | null }, input: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string } | null, result:
      | { __typename: 'AlignResult', language: string, engine: string | null, denoised: boolean, snrDb: number | null, unalignedWords: number, words: Array<{ text: string, start: number, end: number, confidence: number | null, aligned: boolean }> }
      | { __typename: 'DenoiseResult', audio: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string } }
      | { __typename: 'SynthesizeResult', audio: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string }, words: Array<{ text: string, start: number, end: number, confidence: number | null, aligned: boolean }> }
     | null } };

export type DeleteJobMutationVariables = Exact<{
  id: string | number;
}>;


export type DeleteJobMutation = { deleteJob: string };

export type JobUpdatedSubscriptionVariables = Exact<{
  id: string | number;
  afterVersion?: number | null | undefined;
}>;


export type JobUpdatedSubscription = { jobUpdated: { id: string, kind: JobKind, status: JobStatus, version: number, progress: number, attempts: number, priority: number, engine: string | null, cached: boolean, cachedFrom: string | null, queuePosition: number | null, estimatedStartAt: string | null, runAt: string | null, deadline: string | null, createdAt: string, startedAt: string | null, finishedAt: string | null, updatedAt: string, error: { code: string, message: string } | null, parameters: { transcript: string | null, text: string | null, language: string | null, emotion: Emotion | null, intensity: number | null, voice: string | null, sampleRate: number | null, format: AudioFormat | null }, input: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string } | null, result:
      | { __typename: 'AlignResult', language: string, engine: string | null, denoised: boolean, snrDb: number | null, unalignedWords: number, words: Array<{ text: string, start: number, end: number, confidence: number | null, aligned: boolean }> }
      | { __typename: 'DenoiseResult', audio: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string } }
      | { __typename: 'SynthesizeResult', audio: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string }, words: Array<{ text: string, start: number, end: number, confidence: number | null, aligned: boolean }> }
     | null } };

export type JobsUpdatedSubscriptionVariables = Exact<{
  afterCursor?: string | null | undefined;
  kind?: JobKind | null | undefined;
  status?: JobStatus | null | undefined;
}>;


export type JobsUpdatedSubscription = { jobsUpdated: { cursor: string, job: { id: string, kind: JobKind, status: JobStatus, version: number, progress: number, attempts: number, priority: number, engine: string | null, cached: boolean, cachedFrom: string | null, queuePosition: number | null, estimatedStartAt: string | null, runAt: string | null, deadline: string | null, createdAt: string, startedAt: string | null, finishedAt: string | null, updatedAt: string, error: { code: string, message: string } | null, parameters: { transcript: string | null, text: string | null, language: string | null, emotion: Emotion | null, intensity: number | null, voice: string | null, sampleRate: number | null, format: AudioFormat | null }, input: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string } | null, result:
        | { __typename: 'AlignResult', language: string, engine: string | null, denoised: boolean, snrDb: number | null, unalignedWords: number, words: Array<{ text: string, start: number, end: number, confidence: number | null, aligned: boolean }> }
        | { __typename: 'DenoiseResult', audio: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string } }
        | { __typename: 'SynthesizeResult', audio: { id: string, url: string, contentType: string, codec: string, durationSeconds: number, sampleRate: number, channels: number, bytes: number, sha256: string, createdAt: string }, words: Array<{ text: string, start: number, end: number, confidence: number | null, aligned: boolean }> }
       | null } } };

export type EnginesQueryVariables = Exact<{
  kind?: JobKind | null | undefined;
  language?: string | null | undefined;
}>;


export type EnginesQuery = { engines: Array<{ name: string, kind: JobKind, version: string, isDefault: boolean, plugin: boolean, devices: Array<string>, languages: Array<string>, maxBatch: number, workers: number, voices: Array<{ language: string, names: Array<string> }> }> };

export type QueueQueryVariables = Exact<{ [key: string]: never; }>;


export type QueueQuery = { queue: { kinds: Array<{ kind: JobKind, queued: number, retrying: number, running: number, scheduled: number, liveWorkers: number, claimsPerMinute: number | null, yoursWaiting: number, yoursRunning: number }>, workers: Array<{ id: string, device: string, concurrency: number, kinds: Array<JobKind>, engines: Array<string>, lastHeartbeatAt: string }> } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const AudioFieldsFragmentDoc = new TypedDocumentString(`
    fragment AudioFields on Audio {
  id
  url
  contentType
  codec
  durationSeconds
  sampleRate
  channels
  bytes
  sha256
  createdAt
}
    `, {"fragmentName":"AudioFields"}) as unknown as TypedDocumentString<AudioFieldsFragment, unknown>;
export const WordFieldsFragmentDoc = new TypedDocumentString(`
    fragment WordFields on AlignedWord {
  text
  start
  end
  confidence
  aligned
}
    `, {"fragmentName":"WordFields"}) as unknown as TypedDocumentString<WordFieldsFragment, unknown>;
export const JobFieldsFragmentDoc = new TypedDocumentString(`
    fragment JobFields on Job {
  id
  kind
  status
  version
  progress
  attempts
  priority
  engine
  cached
  cachedFrom
  queuePosition
  estimatedStartAt
  runAt
  deadline
  createdAt
  startedAt
  finishedAt
  updatedAt
  error {
    code
    message
  }
  parameters {
    transcript
    text
    language
    emotion
    intensity
    voice
    sampleRate
    format
  }
  input {
    ...AudioFields
  }
  result {
    __typename
    ... on DenoiseResult {
      audio {
        ...AudioFields
      }
    }
    ... on AlignResult {
      language
      engine
      denoised
      snrDb
      unalignedWords
      words {
        ...WordFields
      }
    }
    ... on SynthesizeResult {
      audio {
        ...AudioFields
      }
      words {
        ...WordFields
      }
    }
  }
}
    fragment AudioFields on Audio {
  id
  url
  contentType
  codec
  durationSeconds
  sampleRate
  channels
  bytes
  sha256
  createdAt
}
fragment WordFields on AlignedWord {
  text
  start
  end
  confidence
  aligned
}`, {"fragmentName":"JobFields"}) as unknown as TypedDocumentString<JobFieldsFragment, unknown>;
export const BatchFieldsFragmentDoc = new TypedDocumentString(`
    fragment BatchFields on Batch {
  id
  size
  progress
  version
  createdAt
  finishedAt
  counts {
    queued
    running
    retrying
    succeeded
    failed
    cancelled
  }
}
    `, {"fragmentName":"BatchFields"}) as unknown as TypedDocumentString<BatchFieldsFragment, unknown>;
export const EngineFieldsFragmentDoc = new TypedDocumentString(`
    fragment EngineFields on Engine {
  name
  kind
  version
  isDefault
  plugin
  devices
  languages
  maxBatch
  workers
  voices {
    language
    names
  }
}
    `, {"fragmentName":"EngineFields"}) as unknown as TypedDocumentString<EngineFieldsFragment, unknown>;
export const UploadAudioDocument = new TypedDocumentString(`
    mutation UploadAudio($file: Upload!) {
  uploadAudio(file: $file) {
    ...AudioFields
  }
}
    fragment AudioFields on Audio {
  id
  url
  contentType
  codec
  durationSeconds
  sampleRate
  channels
  bytes
  sha256
  createdAt
}`) as unknown as TypedDocumentString<UploadAudioMutation, UploadAudioMutationVariables>;
export const AudioDocument = new TypedDocumentString(`
    query Audio($id: ID!) {
  audio(id: $id) {
    ...AudioFields
  }
}
    fragment AudioFields on Audio {
  id
  url
  contentType
  codec
  durationSeconds
  sampleRate
  channels
  bytes
  sha256
  createdAt
}`) as unknown as TypedDocumentString<AudioQuery, AudioQueryVariables>;
export const DeleteAudioDocument = new TypedDocumentString(`
    mutation DeleteAudio($id: ID!) {
  deleteAudio(id: $id)
}
    `) as unknown as TypedDocumentString<DeleteAudioMutation, DeleteAudioMutationVariables>;
export const SubmitBatchDocument = new TypedDocumentString(`
    mutation SubmitBatch($input: SubmitBatchInput!) {
  submitBatch(input: $input) {
    ...BatchFields
    jobs(first: 100) {
      nodes {
        id
        kind
        status
        version
        createdAt
      }
    }
  }
}
    fragment BatchFields on Batch {
  id
  size
  progress
  version
  createdAt
  finishedAt
  counts {
    queued
    running
    retrying
    succeeded
    failed
    cancelled
  }
}`) as unknown as TypedDocumentString<SubmitBatchMutation, SubmitBatchMutationVariables>;
export const BatchDocument = new TypedDocumentString(`
    query Batch($id: ID!) {
  batch(id: $id) {
    ...BatchFields
  }
}
    fragment BatchFields on Batch {
  id
  size
  progress
  version
  createdAt
  finishedAt
  counts {
    queued
    running
    retrying
    succeeded
    failed
    cancelled
  }
}`) as unknown as TypedDocumentString<BatchQuery, BatchQueryVariables>;
export const CancelBatchDocument = new TypedDocumentString(`
    mutation CancelBatch($id: ID!) {
  cancelBatch(id: $id) {
    ...BatchFields
  }
}
    fragment BatchFields on Batch {
  id
  size
  progress
  version
  createdAt
  finishedAt
  counts {
    queued
    running
    retrying
    succeeded
    failed
    cancelled
  }
}`) as unknown as TypedDocumentString<CancelBatchMutation, CancelBatchMutationVariables>;
export const BatchUpdatedDocument = new TypedDocumentString(`
    subscription BatchUpdated($id: ID!, $afterVersion: Int) {
  batchUpdated(id: $id, afterVersion: $afterVersion) {
    ...BatchFields
    changedJob {
      ...JobFields
    }
  }
}
    fragment AudioFields on Audio {
  id
  url
  contentType
  codec
  durationSeconds
  sampleRate
  channels
  bytes
  sha256
  createdAt
}
fragment WordFields on AlignedWord {
  text
  start
  end
  confidence
  aligned
}
fragment JobFields on Job {
  id
  kind
  status
  version
  progress
  attempts
  priority
  engine
  cached
  cachedFrom
  queuePosition
  estimatedStartAt
  runAt
  deadline
  createdAt
  startedAt
  finishedAt
  updatedAt
  error {
    code
    message
  }
  parameters {
    transcript
    text
    language
    emotion
    intensity
    voice
    sampleRate
    format
  }
  input {
    ...AudioFields
  }
  result {
    __typename
    ... on DenoiseResult {
      audio {
        ...AudioFields
      }
    }
    ... on AlignResult {
      language
      engine
      denoised
      snrDb
      unalignedWords
      words {
        ...WordFields
      }
    }
    ... on SynthesizeResult {
      audio {
        ...AudioFields
      }
      words {
        ...WordFields
      }
    }
  }
}
fragment BatchFields on Batch {
  id
  size
  progress
  version
  createdAt
  finishedAt
  counts {
    queued
    running
    retrying
    succeeded
    failed
    cancelled
  }
}`) as unknown as TypedDocumentString<BatchUpdatedSubscription, BatchUpdatedSubscriptionVariables>;
export const JobDocument = new TypedDocumentString(`
    query Job($id: ID!) {
  job(id: $id) {
    ...JobFields
  }
}
    fragment AudioFields on Audio {
  id
  url
  contentType
  codec
  durationSeconds
  sampleRate
  channels
  bytes
  sha256
  createdAt
}
fragment WordFields on AlignedWord {
  text
  start
  end
  confidence
  aligned
}
fragment JobFields on Job {
  id
  kind
  status
  version
  progress
  attempts
  priority
  engine
  cached
  cachedFrom
  queuePosition
  estimatedStartAt
  runAt
  deadline
  createdAt
  startedAt
  finishedAt
  updatedAt
  error {
    code
    message
  }
  parameters {
    transcript
    text
    language
    emotion
    intensity
    voice
    sampleRate
    format
  }
  input {
    ...AudioFields
  }
  result {
    __typename
    ... on DenoiseResult {
      audio {
        ...AudioFields
      }
    }
    ... on AlignResult {
      language
      engine
      denoised
      snrDb
      unalignedWords
      words {
        ...WordFields
      }
    }
    ... on SynthesizeResult {
      audio {
        ...AudioFields
      }
      words {
        ...WordFields
      }
    }
  }
}`) as unknown as TypedDocumentString<JobQuery, JobQueryVariables>;
export const JobEventsDocument = new TypedDocumentString(`
    query JobEvents($id: ID!) {
  job(id: $id) {
    id
    events {
      version
      status
      progress
      attempts
      at
      error {
        code
        message
      }
    }
  }
}
    `) as unknown as TypedDocumentString<JobEventsQuery, JobEventsQueryVariables>;
export const JobsDocument = new TypedDocumentString(`
    query Jobs($first: Int, $after: String, $kind: JobKind, $status: JobStatus) {
  jobs(first: $first, after: $after, kind: $kind, status: $status) {
    nodes {
      ...JobFields
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    fragment AudioFields on Audio {
  id
  url
  contentType
  codec
  durationSeconds
  sampleRate
  channels
  bytes
  sha256
  createdAt
}
fragment WordFields on AlignedWord {
  text
  start
  end
  confidence
  aligned
}
fragment JobFields on Job {
  id
  kind
  status
  version
  progress
  attempts
  priority
  engine
  cached
  cachedFrom
  queuePosition
  estimatedStartAt
  runAt
  deadline
  createdAt
  startedAt
  finishedAt
  updatedAt
  error {
    code
    message
  }
  parameters {
    transcript
    text
    language
    emotion
    intensity
    voice
    sampleRate
    format
  }
  input {
    ...AudioFields
  }
  result {
    __typename
    ... on DenoiseResult {
      audio {
        ...AudioFields
      }
    }
    ... on AlignResult {
      language
      engine
      denoised
      snrDb
      unalignedWords
      words {
        ...WordFields
      }
    }
    ... on SynthesizeResult {
      audio {
        ...AudioFields
      }
      words {
        ...WordFields
      }
    }
  }
}`) as unknown as TypedDocumentString<JobsQuery, JobsQueryVariables>;
export const WordExportDocument = new TypedDocumentString(`
    query WordExport($id: ID!, $format: WordExportFormat!) {
  job(id: $id) {
    id
    result {
      __typename
      ... on AlignResult {
        export(format: $format) {
          format
          contentType
          filename
          text
        }
      }
      ... on SynthesizeResult {
        export(format: $format) {
          format
          contentType
          filename
          text
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<WordExportQuery, WordExportQueryVariables>;
export const DenoiseDocument = new TypedDocumentString(`
    mutation Denoise($input: DenoiseInput!) {
  denoise(input: $input) {
    ...JobFields
  }
}
    fragment AudioFields on Audio {
  id
  url
  contentType
  codec
  durationSeconds
  sampleRate
  channels
  bytes
  sha256
  createdAt
}
fragment WordFields on AlignedWord {
  text
  start
  end
  confidence
  aligned
}
fragment JobFields on Job {
  id
  kind
  status
  version
  progress
  attempts
  priority
  engine
  cached
  cachedFrom
  queuePosition
  estimatedStartAt
  runAt
  deadline
  createdAt
  startedAt
  finishedAt
  updatedAt
  error {
    code
    message
  }
  parameters {
    transcript
    text
    language
    emotion
    intensity
    voice
    sampleRate
    format
  }
  input {
    ...AudioFields
  }
  result {
    __typename
    ... on DenoiseResult {
      audio {
        ...AudioFields
      }
    }
    ... on AlignResult {
      language
      engine
      denoised
      snrDb
      unalignedWords
      words {
        ...WordFields
      }
    }
    ... on SynthesizeResult {
      audio {
        ...AudioFields
      }
      words {
        ...WordFields
      }
    }
  }
}`) as unknown as TypedDocumentString<DenoiseMutation, DenoiseMutationVariables>;
export const AlignDocument = new TypedDocumentString(`
    mutation Align($input: AlignInput!) {
  align(input: $input) {
    ...JobFields
  }
}
    fragment AudioFields on Audio {
  id
  url
  contentType
  codec
  durationSeconds
  sampleRate
  channels
  bytes
  sha256
  createdAt
}
fragment WordFields on AlignedWord {
  text
  start
  end
  confidence
  aligned
}
fragment JobFields on Job {
  id
  kind
  status
  version
  progress
  attempts
  priority
  engine
  cached
  cachedFrom
  queuePosition
  estimatedStartAt
  runAt
  deadline
  createdAt
  startedAt
  finishedAt
  updatedAt
  error {
    code
    message
  }
  parameters {
    transcript
    text
    language
    emotion
    intensity
    voice
    sampleRate
    format
  }
  input {
    ...AudioFields
  }
  result {
    __typename
    ... on DenoiseResult {
      audio {
        ...AudioFields
      }
    }
    ... on AlignResult {
      language
      engine
      denoised
      snrDb
      unalignedWords
      words {
        ...WordFields
      }
    }
    ... on SynthesizeResult {
      audio {
        ...AudioFields
      }
      words {
        ...WordFields
      }
    }
  }
}`) as unknown as TypedDocumentString<AlignMutation, AlignMutationVariables>;
export const SynthesizeDocument = new TypedDocumentString(`
    mutation Synthesize($input: SynthesizeInput!) {
  synthesize(input: $input) {
    ...JobFields
  }
}
    fragment AudioFields on Audio {
  id
  url
  contentType
  codec
  durationSeconds
  sampleRate
  channels
  bytes
  sha256
  createdAt
}
fragment WordFields on AlignedWord {
  text
  start
  end
  confidence
  aligned
}
fragment JobFields on Job {
  id
  kind
  status
  version
  progress
  attempts
  priority
  engine
  cached
  cachedFrom
  queuePosition
  estimatedStartAt
  runAt
  deadline
  createdAt
  startedAt
  finishedAt
  updatedAt
  error {
    code
    message
  }
  parameters {
    transcript
    text
    language
    emotion
    intensity
    voice
    sampleRate
    format
  }
  input {
    ...AudioFields
  }
  result {
    __typename
    ... on DenoiseResult {
      audio {
        ...AudioFields
      }
    }
    ... on AlignResult {
      language
      engine
      denoised
      snrDb
      unalignedWords
      words {
        ...WordFields
      }
    }
    ... on SynthesizeResult {
      audio {
        ...AudioFields
      }
      words {
        ...WordFields
      }
    }
  }
}`) as unknown as TypedDocumentString<SynthesizeMutation, SynthesizeMutationVariables>;
export const CancelJobDocument = new TypedDocumentString(`
    mutation CancelJob($id: ID!) {
  cancelJob(id: $id) {
    ...JobFields
  }
}
    fragment AudioFields on Audio {
  id
  url
  contentType
  codec
  durationSeconds
  sampleRate
  channels
  bytes
  sha256
  createdAt
}
fragment WordFields on AlignedWord {
  text
  start
  end
  confidence
  aligned
}
fragment JobFields on Job {
  id
  kind
  status
  version
  progress
  attempts
  priority
  engine
  cached
  cachedFrom
  queuePosition
  estimatedStartAt
  runAt
  deadline
  createdAt
  startedAt
  finishedAt
  updatedAt
  error {
    code
    message
  }
  parameters {
    transcript
    text
    language
    emotion
    intensity
    voice
    sampleRate
    format
  }
  input {
    ...AudioFields
  }
  result {
    __typename
    ... on DenoiseResult {
      audio {
        ...AudioFields
      }
    }
    ... on AlignResult {
      language
      engine
      denoised
      snrDb
      unalignedWords
      words {
        ...WordFields
      }
    }
    ... on SynthesizeResult {
      audio {
        ...AudioFields
      }
      words {
        ...WordFields
      }
    }
  }
}`) as unknown as TypedDocumentString<CancelJobMutation, CancelJobMutationVariables>;
export const DeleteJobDocument = new TypedDocumentString(`
    mutation DeleteJob($id: ID!) {
  deleteJob(id: $id)
}
    `) as unknown as TypedDocumentString<DeleteJobMutation, DeleteJobMutationVariables>;
export const JobUpdatedDocument = new TypedDocumentString(`
    subscription JobUpdated($id: ID!, $afterVersion: Int) {
  jobUpdated(id: $id, afterVersion: $afterVersion) {
    ...JobFields
  }
}
    fragment AudioFields on Audio {
  id
  url
  contentType
  codec
  durationSeconds
  sampleRate
  channels
  bytes
  sha256
  createdAt
}
fragment WordFields on AlignedWord {
  text
  start
  end
  confidence
  aligned
}
fragment JobFields on Job {
  id
  kind
  status
  version
  progress
  attempts
  priority
  engine
  cached
  cachedFrom
  queuePosition
  estimatedStartAt
  runAt
  deadline
  createdAt
  startedAt
  finishedAt
  updatedAt
  error {
    code
    message
  }
  parameters {
    transcript
    text
    language
    emotion
    intensity
    voice
    sampleRate
    format
  }
  input {
    ...AudioFields
  }
  result {
    __typename
    ... on DenoiseResult {
      audio {
        ...AudioFields
      }
    }
    ... on AlignResult {
      language
      engine
      denoised
      snrDb
      unalignedWords
      words {
        ...WordFields
      }
    }
    ... on SynthesizeResult {
      audio {
        ...AudioFields
      }
      words {
        ...WordFields
      }
    }
  }
}`) as unknown as TypedDocumentString<JobUpdatedSubscription, JobUpdatedSubscriptionVariables>;
export const JobsUpdatedDocument = new TypedDocumentString(`
    subscription JobsUpdated($afterCursor: String, $kind: JobKind, $status: JobStatus) {
  jobsUpdated(afterCursor: $afterCursor, kind: $kind, status: $status) {
    cursor
    job {
      ...JobFields
    }
  }
}
    fragment AudioFields on Audio {
  id
  url
  contentType
  codec
  durationSeconds
  sampleRate
  channels
  bytes
  sha256
  createdAt
}
fragment WordFields on AlignedWord {
  text
  start
  end
  confidence
  aligned
}
fragment JobFields on Job {
  id
  kind
  status
  version
  progress
  attempts
  priority
  engine
  cached
  cachedFrom
  queuePosition
  estimatedStartAt
  runAt
  deadline
  createdAt
  startedAt
  finishedAt
  updatedAt
  error {
    code
    message
  }
  parameters {
    transcript
    text
    language
    emotion
    intensity
    voice
    sampleRate
    format
  }
  input {
    ...AudioFields
  }
  result {
    __typename
    ... on DenoiseResult {
      audio {
        ...AudioFields
      }
    }
    ... on AlignResult {
      language
      engine
      denoised
      snrDb
      unalignedWords
      words {
        ...WordFields
      }
    }
    ... on SynthesizeResult {
      audio {
        ...AudioFields
      }
      words {
        ...WordFields
      }
    }
  }
}`) as unknown as TypedDocumentString<JobsUpdatedSubscription, JobsUpdatedSubscriptionVariables>;
export const EnginesDocument = new TypedDocumentString(`
    query Engines($kind: JobKind, $language: String) {
  engines(kind: $kind, language: $language) {
    ...EngineFields
  }
}
    fragment EngineFields on Engine {
  name
  kind
  version
  isDefault
  plugin
  devices
  languages
  maxBatch
  workers
  voices {
    language
    names
  }
}`) as unknown as TypedDocumentString<EnginesQuery, EnginesQueryVariables>;
export const QueueDocument = new TypedDocumentString(`
    query Queue {
  queue {
    kinds {
      kind
      queued
      retrying
      running
      scheduled
      liveWorkers
      claimsPerMinute
      yoursWaiting
      yoursRunning
    }
    workers {
      id
      device
      concurrency
      kinds
      engines
      lastHeartbeatAt
    }
  }
}
    `) as unknown as TypedDocumentString<QueueQuery, QueueQueryVariables>;