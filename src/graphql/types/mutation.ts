import { DEFAULTS } from '../../../protocol/contract.ts';
import { cancelJob } from '../../jobs/cancel.ts';
import { enqueueJob, storeUploadRow } from '../../jobs/enqueue.ts';
import { checkEngineChoice } from '../../engines/catalog.ts';
import type { JobKind } from '../../jobs/kinds.ts';
import { tenantStorageBytes } from '../../jobs/store.ts';
import { ingestUpload } from '../../uploads/ingest.ts';
import { builder } from '../builder.ts';
import { tenantOf, type Context } from '../context.ts';
import { uuid, validate } from '../validate.ts';
import { AudioRef } from './audio.ts';
import { AlignInput, alignRules, DenoiseInput, denoiseRules, SynthesizeInput, synthesizeRules } from './inputs.ts';
import { JobRef } from './job.ts';
import type { FileUpload } from 'graphql-upload-ts';

type Source = { audioId?: string | null; file?: Promise<FileUpload> | null };

async function submit(ctx: Context, kind: JobKind, source: Source | null, params: Record<string, unknown>, opts: { engine?: string | null; priority?: number | null }) {
  const tenant = tenantOf(ctx);
  const { config, pool, boss, storage, verifier, rateLimiter, log } = ctx.deps;
  // Before the upload is read: a job over the tenant's rate (as this process alone counts it) or
  // that no worker could run is refused without storing anything.
  rateLimiter.take(tenant);
  await checkEngineChoice(pool, config.workerReadySeconds, kind, opts.engine, (params.language as string | undefined) ?? null);
  const input = !source
    ? null
    : source.file
      ? { upload: await ingestUpload(source.file, tenant, { storage, verifier, limits: config, storedBytes: (t) => tenantStorageBytes(pool, t) }) }
      : { audioId: source.audioId! };
  return enqueueJob({ pool, boss, storage, limits: config.tenants, log }, { tenant, kind, params, input, engine: opts.engine ?? null, priority: opts.priority ?? 0 });
}

builder.mutationType({
  fields: (t) => ({
    uploadAudio: t.field({
      type: AudioRef,
      description: 'Stores an audio file (GraphQL multipart request; send the header "GraphQL-Require-Preflight: 1").',
      args: { file: t.arg({ type: 'Upload', required: true }) },
      resolve: async (_r, { file }, ctx) => {
        const tenant = tenantOf(ctx);
        const { storage, verifier, config, pool } = ctx.deps;
        const stored = await ingestUpload(file, tenant, { storage, verifier, limits: config, storedBytes: (t) => tenantStorageBytes(pool, t) });
        return storeUploadRow(ctx.deps.pool, ctx.deps.storage, tenant, stored);
      },
    }),
    denoise: t.field({
      type: JobRef,
      description: 'Speech enhancement. The result is 16-bit WAV at the input\'s sample rate and channel count.',
      args: { input: t.arg({ type: DenoiseInput, required: true }) },
      resolve: (_r, { input }, ctx) => {
        tenantOf(ctx);
        const v = validate(denoiseRules, input);
        return submit(ctx, 'denoise', v, {}, v);
      },
    }),
    align: t.field({
      type: JobRef,
      description: 'Forced alignment: the time span of every transcript word in the audio.',
      args: { input: t.arg({ type: AlignInput, required: true }) },
      resolve: (_r, { input }, ctx) => {
        tenantOf(ctx);
        const v = validate(alignRules(ctx.deps.config.maxTranscriptChars), input);
        return submit(ctx, 'align', v, { transcript: v.transcript, language: v.language ?? DEFAULTS.language }, v);
      },
    }),
    synthesize: t.field({
      type: JobRef,
      description: 'Text to speech with an emotion. The result is 16-bit WAV with word timings.',
      args: { input: t.arg({ type: SynthesizeInput, required: true }) },
      resolve: (_r, { input }, ctx) => {
        tenantOf(ctx);
        const v = validate(synthesizeRules(ctx.deps.config.maxTextChars), input);
        const params = { text: v.text, emotion: v.emotion ?? DEFAULTS.emotion, voice: v.voice ?? null, language: v.language ?? DEFAULTS.language, intensity: v.intensity ?? DEFAULTS.intensity, sampleRate: v.sampleRate ?? null };
        return submit(ctx, 'synthesize', null, params, v);
      },
    }),
    cancelJob: t.field({
      type: JobRef,
      description: 'Cancels a job that has not finished. A running job stops at its next progress report or heartbeat.',
      args: { id: t.arg.id({ required: true }) },
      resolve: (_r, { id }, ctx) => {
        const tenant = tenantOf(ctx);
        return cancelJob(ctx.deps.pool, ctx.deps.boss, tenant, validate(uuid, String(id)));
      },
    }),
  }),
});
