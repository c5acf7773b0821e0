// synthesize: text with an emotion in, speech and its word timings out. Its input type, rules,
// result type and mutation.
import { z } from 'zod';
import { DEFAULTS } from '../../../protocol/contract.ts';
import { builder } from '../builder.ts';
import { tenantOf, type Context } from '../context.ts';
import { nonBlank, validate } from '../validate.ts';
import { AudioRef } from '../types/audio.ts';
import { AudioFormatEnum, EmotionEnum } from '../types/enums.ts';
import { JobRef } from '../types/job.ts';
import { AlignedWordRef, ExportFormatEnum, exportOf, resultAudio, resultType, WordExportRef } from '../types/job-result.ts';
import { formatDescription, jobOptionFields, jobOptionRules, language, languageDescription, sampleRate, scheduleIsPossible, scheduleMessage, submit, type Submission } from './submit.ts';

export const SynthesizeInput = builder.inputType('SynthesizeInput', {
  fields: (t) => ({
    text: t.string({ required: true }),
    emotion: t.field({ type: EmotionEnum, required: false, description: 'Default NEUTRAL.' }),
    voice: t.string({ required: false, description: 'A voice of the engine for the language (see Query.engines: voices).' }),
    intensity: t.float({ required: false, description: 'How strongly the emotion is expressed: 0 (flat) .. 1 (full). Default 0.5.' }),
    sampleRate: t.int({ required: false, description: 'Sample rate of the result in Hz, 8000..48000. Default: the engine\'s own.' }),
    format: t.field({ type: AudioFormatEnum, required: false, description: formatDescription }),
    language: t.string({ required: false, description: languageDescription }),
    ...jobOptionFields(t),
  }),
});

export const synthesizeRules = (maxTextChars: number) =>
  z.object({
    text: nonBlank(maxTextChars),
    emotion: z.string().nullish(),
    voice: z.string().regex(/^[A-Za-z0-9_+-]{1,32}$/, { message: 'must be a voice name like "f3"' }).nullish(),
    intensity: z.number().min(0, { message: 'must be between 0 and 1' }).max(1, { message: 'must be between 0 and 1' }).nullish(),
    sampleRate,
    format: z.string().nullish(),
    language,
    ...jobOptionRules,
  }).refine(scheduleIsPossible, scheduleMessage);

export const Input = SynthesizeInput;

/** The input, validated, as a submission (`field`: where it sits in a batch). */
export function prepare(ctx: Context, input: typeof SynthesizeInput.$inferInput, field?: string): Submission {
  const v = validate(synthesizeRules(ctx.deps.config.maxTextChars), input, field);
  const params = {
    text: v.text,
    emotion: v.emotion ?? DEFAULTS.emotion,
    voice: v.voice ?? null,
    language: v.language ?? DEFAULTS.language,
    intensity: v.intensity ?? DEFAULTS.intensity,
    sampleRate: v.sampleRate ?? null,
    ...(v.format ? { format: v.format } : {}),
  };
  return { kind: 'synthesize', source: null, params, opts: v };
}

export const result = resultType('synthesize', 'SynthesizeResult', (t) => ({
  audio: t.field({ type: AudioRef, resolve: (r, _a, ctx) => resultAudio(ctx, r) }),
  words: t.field({ type: [AlignedWordRef], description: 'Where each word of the text is spoken in the audio.', resolve: (r) => r.words }),
  export: t.field({
    type: WordExportRef,
    description: 'The words as SRT, VTT, TextGrid, TSV or JSON (inline text), timed against the result audio.',
    args: { format: t.arg({ type: ExportFormatEnum, required: true }) },
    resolve: (r, { format }, ctx) => exportOf(ctx, r.words, r.audioId, r.jobId, format),
  }),
}));

builder.mutationField('synthesize', (t) =>
  t.field({
    type: JobRef,
    description: 'Text to speech with an emotion. The result is audio (WAV unless format says otherwise) with word timings.',
    args: { input: t.arg({ type: SynthesizeInput, required: true }) },
    resolve: (_r, { input }, ctx) => {
      tenantOf(ctx);
      const s = prepare(ctx, input);
      return submit(ctx, s.kind, s.source, s.params, s.opts);
    },
  }),
);
