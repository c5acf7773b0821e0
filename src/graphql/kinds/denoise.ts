// denoise: audio in, enhanced audio out. Its input type, rules, result type and mutation.
import { z } from 'zod';
import { builder } from '../builder.ts';
import { tenantOf, type Context } from '../context.ts';
import { validate } from '../validate.ts';
import { AudioRef } from '../types/audio.ts';
import { AudioFormatEnum } from '../types/enums.ts';
import { JobRef } from '../types/job.ts';
import { resultAudio, resultType } from '../types/job-result.ts';
import { exactlyOneSource, formatDescription, jobOptionFields, jobOptionRules, sampleRate, scheduleIsPossible, scheduleMessage, sourceFields, sourceMessage, sourceRules, submit, type Submission } from './submit.ts';

export const DenoiseInput = builder.inputType('DenoiseInput', {
  description: 'Give exactly one of audioId (audio already uploaded) and file (upload it with this request).',
  fields: (t) => ({
    ...sourceFields(t),
    format: t.field({ type: AudioFormatEnum, required: false, description: formatDescription }),
    sampleRate: t.int({ required: false, description: 'Sample rate of the result in Hz, 8000..48000. Default: the input\'s.' }),
    ...jobOptionFields(t),
  }),
});

export const denoiseRules = z
  .object({ ...sourceRules, format: z.string().nullish(), sampleRate, ...jobOptionRules })
  .refine(exactlyOneSource, sourceMessage)
  .refine(scheduleIsPossible, scheduleMessage);

export const Input = DenoiseInput;

/** The input, validated, as a submission (`field`: where it sits in a batch). */
export function prepare(_ctx: Context, input: typeof DenoiseInput.$inferInput, field?: string): Submission {
  const v = validate(denoiseRules, input, field);
  const params = { ...(v.format ? { format: v.format } : {}), ...(v.sampleRate ? { sampleRate: v.sampleRate } : {}) };
  return { kind: 'denoise', source: v, params, opts: v };
}

export const result = resultType('denoise', 'DenoiseResult', (t) => ({
  audio: t.field({ type: AudioRef, resolve: (r, _a, ctx) => resultAudio(ctx, r) }),
}));

builder.mutationField('denoise', (t) =>
  t.field({
    type: JobRef,
    description: 'Speech enhancement. The result has the input\'s channels, at the input\'s sample rate unless sampleRate says otherwise, as WAV unless format says otherwise.',
    args: { input: t.arg({ type: DenoiseInput, required: true }) },
    resolve: (_r, { input }, ctx) => {
      tenantOf(ctx);
      const s = prepare(ctx, input);
      return submit(ctx, s.kind, s.source, s.params, s.opts);
    },
  }),
);
