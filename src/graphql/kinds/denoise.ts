// denoise: audio in, enhanced audio out. Its input type, rules, result type and mutation.
import { z } from 'zod';
import { builder } from '../builder.ts';
import { tenantOf } from '../context.ts';
import { uuid, validate } from '../validate.ts';
import { AudioRef } from '../types/audio.ts';
import { AudioFormatEnum } from '../types/enums.ts';
import { JobRef } from '../types/job.ts';
import { resultAudio, resultType } from '../types/job-result.ts';
import { engine, exactlyOneSource, idempotencyKey, idempotencyKeyDescription, runAt, runAtDescription, deadline, deadlineDescription, scheduleIsPossible, scheduleMessage, priority, sourceMessage, submit, upload } from './submit.ts';
import { formatDescription, sampleRate } from './submit.ts';

export const DenoiseInput = builder.inputType('DenoiseInput', {
  description: 'Give exactly one of audioId (audio already uploaded) and file (upload it with this request).',
  fields: (t) => ({
    audioId: t.id({ required: false }),
    file: t.field({ type: 'Upload', required: false }),
    engine: t.string({ required: false, description: 'An engine name; the default is the best one the worker has.' }),
    format: t.field({ type: AudioFormatEnum, required: false, description: formatDescription }),
    sampleRate: t.int({ required: false, description: 'Sample rate of the result in Hz, 8000..48000. Default: the input\'s.' }),
    idempotencyKey: t.string({ required: false, description: idempotencyKeyDescription }),
    runAt: t.field({ type: 'DateTime', required: false, description: runAtDescription }),
    deadline: t.field({ type: 'DateTime', required: false, description: deadlineDescription }),
    priority: t.int({
      required: false,
      description: "-100..100 (default 0): the order among this tenant's own waiting jobs, higher first. Tenants take turns whatever their priorities.",
    }),
  }),
});

export const denoiseRules = z
  .object({ audioId: uuid.nullish(), file: upload, engine, format: z.string().nullish(), sampleRate, priority, idempotencyKey, runAt, deadline })
  .refine(exactlyOneSource, sourceMessage)
  .refine(scheduleIsPossible, scheduleMessage);

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
      const v = validate(denoiseRules, input);
      const params = { ...(v.format ? { format: v.format } : {}), ...(v.sampleRate ? { sampleRate: v.sampleRate } : {}) };
      return submit(ctx, 'denoise', v, params, v);
    },
  }),
);
