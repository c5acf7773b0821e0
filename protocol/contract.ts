// The contract between the API (Node) and the workers (Python), in one place (docs/protocol.md
// says who writes and who reads each part). Both sides are generated from this file:
//   - the API imports it directly (types inferred from the schemas);
//   - `npm run protocol:generate` writes protocol/schema.json (JSON Schema of every message) and
//     gpu-worker/voxgraph_worker/protocol.py (constants, enums, the error table, the defaults and
//     the JSON Schemas, for the worker and its tests); `npm test` fails when either is stale.
// Change a message here, never in one side's copy. pg-boss's own protocol (claim, heartbeat,
// complete, fail) is pg-boss's SQL, generated separately (scripts/generate-worker-sql.ts).
import { z } from 'zod';

// --- names --------------------------------------------------------------------------------------

/** PostgreSQL NOTIFY channels (sent by voxgraph.record_job_event, in migrations/). */
export const CHANNELS = {
  /** Every job event, payload a JSON event (API processes listen: subscriptions). */
  jobEvents: 'voxgraph_job_events',
  /** A job's id when it is cancelled (workers listen: stop the running engine). */
  jobCancelled: 'voxgraph_job_cancelled',
  /** Empty payload: new webhook deliveries to dispatch (API processes listen: src/webhooks/). */
  webhooks: 'voxgraph_webhooks',
} as const;

/** Each kind is one pg-boss queue of the same name and one engine kind. */
export const JOB_KINDS = ['denoise', 'align', 'synthesize'] as const;
export const JOB_STATUSES = ['queued', 'running', 'retrying', 'succeeded', 'failed', 'cancelled'] as const;
export const EMOTIONS = ['neutral', 'happy', 'sad', 'angry', 'calm', 'excited', 'whisper'] as const;
/** The reference aligner's 11 languages; every CPU engine covers them too. */
export const LANGUAGES = ['en', 'zh', 'yue', 'fr', 'de', 'it', 'ja', 'ko', 'pt', 'ru', 'es'] as const;

/**
 * The encodings a denoise or synthesize result can be stored in (params.format; absent: wav), with
 * what its audio row says. Opus is Ogg Opus at one of Opus's own rates (another rate is
 * resampled to 48 kHz); MP3 is what libsndfile's LAME writes at the job's rate.
 */
export const AUDIO_FORMATS = {
  wav: { contentType: 'audio/wav', container: 'wav', codec: 'pcm_s16le', extension: 'wav' },
  flac: { contentType: 'audio/flac', container: 'flac', codec: 'flac', extension: 'flac' },
  mp3: { contentType: 'audio/mpeg', container: 'mp3', codec: 'mp3', extension: 'mp3' },
  opus: { contentType: 'audio/ogg', container: 'ogg', codec: 'opus', extension: 'opus' },
} as const;
export type AudioFormat = keyof typeof AUDIO_FORMATS;
const audioFormat = z.enum(Object.keys(AUDIO_FORMATS) as [AudioFormat, ...AudioFormat[]]).optional().describe('The result\'s encoding (AUDIO_FORMATS); absent: wav.');
const resultRate = z.number().int().min(8000).max(48000);

/** What the API puts in a job's params when the client leaves a field out. */
export const DEFAULTS = { language: 'en', emotion: 'neutral', intensity: 0.5 } as const satisfies {
  language: (typeof LANGUAGES)[number];
  emotion: (typeof EMOTIONS)[number];
  intensity: number;
};

// --- job errors ---------------------------------------------------------------------------------

/**
 * Every code a job can end an attempt with (`Job.error.code`). `retryable`: another attempt may
 * succeed (pg-boss retries up to JOB_RETRY_LIMIT); otherwise the job fails at once. `by`: who
 * records it.
 */
export const JOB_ERRORS = {
  CANCELLED: { retryable: false, by: 'api', meaning: 'cancelJob was called' },
  WORKER_LOST: { retryable: true, by: 'api', meaning: 'its worker stopped heartbeating (killed, out of memory, machine lost)' },
  JOB_TIMEOUT: { retryable: true, by: 'worker', meaning: 'the attempt ran longer than JOB_EXPIRE_SECONDS' },
  EXPIRED_IN_QUEUE: { retryable: false, by: 'api', meaning: 'it waited longer than JOB_QUEUE_RETENTION_SECONDS without being claimed' },
  WORKER_SHUTDOWN: { retryable: true, by: 'worker', meaning: 'handed back by a worker stopping (SIGTERM) after its grace period' },
  ENGINE_ERROR: { retryable: true, by: 'worker', meaning: 'an unexpected engine failure' },
  DEVICE_OUT_OF_MEMORY: { retryable: true, by: 'worker', meaning: 'one job alone does not fit in the GPU; another worker or attempt may have room' },
  INPUT_MISSING: { retryable: false, by: 'worker', meaning: 'the input audio is not in storage' },
  DECODE_FAILED: { retryable: false, by: 'worker', meaning: 'the input audio does not decode' },
  INVALID_PARAMS: { retryable: false, by: 'worker', meaning: 'the queue payload lacks a parameter its kind needs' },
  UNKNOWN_KIND: { retryable: false, by: 'worker', meaning: 'the queue payload names a kind no engine has' },
  UNKNOWN_VOICE: { retryable: false, by: 'worker', meaning: 'no engine of the kind has the voice' },
  UNKNOWN_EMOTION: { retryable: false, by: 'worker', meaning: 'the engine does not know the emotion' },
  INVALID_INTENSITY: { retryable: false, by: 'worker', meaning: 'intensity outside 0..1' },
  EMPTY_TEXT: { retryable: false, by: 'worker', meaning: 'synthesize text with nothing to say' },
  EMPTY_TRANSCRIPT: { retryable: false, by: 'worker', meaning: 'an align transcript with no words' },
  UNALIGNABLE_TRANSCRIPT: { retryable: false, by: 'worker', meaning: 'the transcript cannot be placed in the audio at all (the built-in aligners mark unplaced words instead: Word.aligned false)' },
  ENGINE_UNAVAILABLE: { retryable: false, by: 'worker', meaning: 'the worker has no engine of that name for the kind' },
  UNSUPPORTED_LANGUAGE: { retryable: false, by: 'worker', meaning: 'no engine of the kind (or the named one) speaks the language' },
  DEADLINE_EXCEEDED: { retryable: false, by: 'api', meaning: 'its deadline passed before it started (swept by the API, or refused by the worker that claimed it late)' },
  JOB_NOT_RUNNABLE: { retryable: false, by: 'worker', meaning: "claimed, but our job row is missing or already final (pg-boss's record only)" },
} as const satisfies Record<string, { retryable: boolean; by: 'api' | 'worker'; meaning: string }>;
export type JobErrorCode = keyof typeof JOB_ERRORS;

// --- the queue payload (API → worker: pg-boss job data) -----------------------------------------

const engineName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/).describe('An engine the client named; absent: the worker picks.');

/** The stored input audio, as the API checked it at upload (so a worker sizes a batch without decoding). */
export const JobInput = z
  .object({
    audioId: z.string().uuid(),
    storageKey: z.string().min(1).describe("The file's key in storage (DATA_DIR/objects/<key>)."),
    durationSeconds: z.number().nonnegative(),
    sampleRate: z.number().int().positive(),
    channels: z.number().int().positive(),
  })
  .strict();

export const DenoiseParams = z
  .object({ engine: engineName.optional(), format: audioFormat, sampleRate: resultRate.optional().describe('Absent: the input\'s rate.') })
  .strict();
export const AlignParams = z
  .object({ transcript: z.string().min(1), language: z.enum(LANGUAGES), engine: engineName.optional() })
  .strict();
export const SynthesizeParams = z
  .object({
    text: z.string().min(1),
    emotion: z.enum(EMOTIONS),
    voice: z.string().nullable(),
    language: z.enum(LANGUAGES),
    intensity: z.number().min(0).max(1),
    sampleRate: resultRate.nullable().describe('null: the engine\'s own rate.'),
    format: audioFormat,
    engine: engineName.optional(),
  })
  .strict();

const payload = <K extends (typeof JOB_KINDS)[number], P extends z.ZodTypeAny, I extends z.ZodTypeAny>(kind: K, params: P, input: I) =>
  z
    .object({
      kind: z.literal(kind),
      tenant: z.string().min(1),
      params,
      input,
      deadline: z.iso
        .datetime({ offset: true })
        .optional()
        .describe('Give up (DEADLINE_EXCEEDED) rather than start the first attempt after this instant; absent: none.'),
    })
    .strict();

/** One pg-boss job's `data`, per kind (the queue is the kind). */
export const QueuePayload = z.discriminatedUnion('kind', [
  payload('denoise', DenoiseParams, JobInput),
  payload('align', AlignParams, JobInput),
  payload('synthesize', SynthesizeParams, z.null()),
]);
export type QueuePayload = z.infer<typeof QueuePayload>;

// --- results (worker → API: voxgraph.job.result, with result_audio_id for the audio) ------------

export const Word = z
  .object({
    text: z.string(),
    start: z.number().nonnegative().describe('Seconds from the start of the audio.'),
    end: z.number().nonnegative(),
    confidence: z.number().min(0).max(1).nullable(),
    aligned: z.boolean().optional().describe('False: the engine could not place the word and its times are interpolated. Absent (older results): true.'),
  })
  .strict();
export type Word = z.infer<typeof Word>;

export const DenoiseResult = z.object({ kind: z.literal('denoise') }).strict().describe('The audio is the job\'s result_audio_id.');
export const AlignResult = z
  .object({
    kind: z.literal('align'),
    words: z.array(Word),
    language: z.enum(LANGUAGES),
    notes: z
      .object({
        denoised: z.boolean().optional().describe('The engine denoised the audio before aligning it.'),
        snrDb: z.number().nullable().optional().describe('The signal-to-noise ratio the engine estimated.'),
        engine: z.string().optional().describe('The engine that produced the times (e.g. under "auto").'),
      })
      .catchall(z.unknown())
      .describe('What the engine saw and did; more keys may come.'),
  })
  .strict();
export const SynthesizeResult = z.object({ kind: z.literal('synthesize'), words: z.array(Word) }).strict().describe('The audio is the job\'s result_audio_id.');

export const JobResult = z.discriminatedUnion('kind', [DenoiseResult, AlignResult, SynthesizeResult]);
export type JobResult = z.infer<typeof JobResult>;

// --- the engine descriptor (worker → API: voxgraph.worker.engines, one per engine) -------------

/** What a worker says about one engine it offers (registry.py describe(), every heartbeat). */
export const EngineDescriptor = z.object({
  kind: z.enum(JOB_KINDS),
  name: z.string().min(1),
  version: z.string(),
  device: z.string().describe('"cpu", "cuda:0", …'),
  languages: z.array(z.string()).describe('Empty: language independent.'),
  voices: z.record(z.string(), z.array(z.string())).describe('Voices by language.'),
  maxBatch: z.number().int().min(1),
  plugin: z.boolean().describe('A reference-model plug-in (weights on disk) rather than a built-in CPU engine.'),
  default: z.boolean().describe('The default of its kind for at least one language on this worker.'),
});
export type EngineDescriptor = z.infer<typeof EngineDescriptor>;

/** Every message of the contract, by name: what protocol/schema.json holds. */
export const MESSAGES = { QueuePayload, JobResult, JobInput, Word, EngineDescriptor } as const;
