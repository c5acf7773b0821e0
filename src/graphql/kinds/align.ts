// align: audio and its transcript in, word timings out. Its input type, rules, result type and mutation.
import { z } from 'zod';
import { DEFAULTS } from '../../../protocol/contract.ts';
import { builder } from '../builder.ts';
import { tenantOf, type Context } from '../context.ts';
import { nonBlank, validate } from '../validate.ts';
import { JobRef } from '../types/job.ts';
import { AlignedWordRef, ExportFormatEnum, exportOf, resultType, WordExportRef } from '../types/job-result.ts';
import { exactlyOneSource, jobOptionFields, jobOptionRules, language, languageDescription, scheduleIsPossible, scheduleMessage, sourceFields, sourceMessage, sourceRules, submit, type Submission } from './submit.ts';

export const AlignInput = builder.inputType('AlignInput', {
  description: 'Give exactly one of audioId and file.',
  fields: (t) => ({
    ...sourceFields(t),
    transcript: t.string({ required: true }),
    language: t.string({ required: false, description: languageDescription }),
    ...jobOptionFields(t),
  }),
});

export const alignRules = (maxTranscriptChars: number) =>
  z
    .object({ ...sourceRules, transcript: nonBlank(maxTranscriptChars), language, ...jobOptionRules })
    .refine(exactlyOneSource, sourceMessage)
    .refine(scheduleIsPossible, scheduleMessage);

export const Input = AlignInput;

/** The input, validated, as a submission (`field`: where it sits in a batch). */
export function prepare(ctx: Context, input: typeof AlignInput.$inferInput, field?: string): Submission {
  const v = validate(alignRules(ctx.deps.config.maxTranscriptChars), input, field);
  return { kind: 'align', source: v, params: { transcript: v.transcript, language: v.language ?? DEFAULTS.language }, opts: v };
}

export const result = resultType('align', 'AlignResult', (t) => ({
  words: t.field({ type: [AlignedWordRef], description: 'Every word of the transcript, in order; see AlignedWord.aligned.', resolve: (r) => r.words }),
  unalignedWords: t.int({
    description: 'How many words the engine could not place (AlignedWord.aligned false). The job still succeeds.',
    resolve: (r) => r.words.filter((w) => w.aligned === false).length,
  }),
  export: t.field({
    type: WordExportRef,
    description: 'The words as SRT, VTT, TextGrid, TSV or JSON (inline text); times are seconds from the start of the input audio.',
    args: { format: t.arg({ type: ExportFormatEnum, required: true }) },
    resolve: (r, { format }, ctx) => exportOf(ctx, r.words, r.inputAudioId, r.jobId, format),
  }),
  language: t.exposeString('language'),
  denoised: t.boolean({
    description: 'Whether the engine denoised the audio before aligning it (it does so when the audio is noisy).',
    resolve: (r) => r.notes.denoised ?? false,
  }),
  snrDb: t.float({
    nullable: true,
    description: 'The signal-to-noise ratio the aligner estimated for the input, in dB (null when the engine gives none).',
    resolve: (r) => r.notes.snrDb ?? null,
  }),
  engine: t.string({
    nullable: true,
    description: 'The engine that produced the word times (e.g. pocketsphinx or espeak-dtw under "auto").',
    resolve: (r) => r.notes.engine ?? null,
  }),
}));

builder.mutationField('align', (t) =>
  t.field({
    type: JobRef,
    description: 'Forced alignment: the time span of every transcript word in the audio.',
    args: { input: t.arg({ type: AlignInput, required: true }) },
    resolve: (_r, { input }, ctx) => {
      tenantOf(ctx);
      const s = prepare(ctx, input);
      return submit(ctx, s.kind, s.source, s.params, s.opts);
    },
  }),
);
