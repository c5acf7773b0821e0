import type { FileUpload } from 'graphql-upload-ts';
import { z } from 'zod';
import { builder } from '../builder.ts';
import { nonBlank, uuid } from '../validate.ts';
import { EmotionEnum, LANGUAGES } from './enums.ts';

const languageDescription = `ISO 639 code, one of: ${LANGUAGES.join(', ')}. Defaults to en.`;

export const DenoiseInput = builder.inputType('DenoiseInput', {
  description: 'Give exactly one of audioId (audio already uploaded) and file (upload it with this request).',
  fields: (t) => ({
    audioId: t.id({ required: false }),
    file: t.field({ type: 'Upload', required: false }),
    engine: t.string({ required: false, description: 'An engine name; the default is the best one the worker has.' }),
    priority: t.int({
      required: false,
      description: "-100..100 (default 0): the order among this tenant's own waiting jobs, higher first. Tenants take turns whatever their priorities.",
    }),
  }),
});

export const AlignInput = builder.inputType('AlignInput', {
  description: 'Give exactly one of audioId and file.',
  fields: (t) => ({
    audioId: t.id({ required: false }),
    file: t.field({ type: 'Upload', required: false }),
    transcript: t.string({ required: true }),
    language: t.string({ required: false, description: languageDescription }),
    engine: t.string({ required: false }),
    priority: t.int({ required: false }),
  }),
});

export const SynthesizeInput = builder.inputType('SynthesizeInput', {
  fields: (t) => ({
    text: t.string({ required: true }),
    emotion: t.field({ type: EmotionEnum, required: false, description: 'Default NEUTRAL.' }),
    voice: t.string({ required: false, description: 'A voice of the engine for the language (see Query.engines: voices).' }),
    intensity: t.float({ required: false, description: 'How strongly the emotion is expressed: 0 (flat) .. 1 (full). Default 0.5.' }),
    sampleRate: t.int({ required: false, description: 'Sample rate of the result in Hz, 8000..48000. Default: the engine\'s own.' }),
    language: t.string({ required: false, description: languageDescription }),
    engine: t.string({ required: false }),
    priority: t.int({ required: false }),
  }),
});

// Validation rules, one place per input. Limits that come from config are applied by the resolvers.
const engine = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,39}$/, { message: 'must be an engine name like "mmse-lsa"' }).nullish();
const priority = z.number().int().min(-100, { message: 'must be between -100 and 100' }).max(100, { message: 'must be between -100 and 100' }).nullish();
const language = z.enum(LANGUAGES, { message: `must be one of ${LANGUAGES.join(', ')}` }).nullish();
// The Upload scalar already resolved this to graphql-upload-ts's promise; zod only passes it on.
const upload = z.custom<Promise<FileUpload>>().nullish();
const exactlyOneSource = (v: { audioId?: unknown; file?: unknown }) => (v.audioId == null) !== (v.file == null);
const sourceMessage = { message: 'give exactly one of audioId and file', path: ['audioId'] };

export const denoiseRules = z
  .object({ audioId: uuid.nullish(), file: upload, engine, priority })
  .refine(exactlyOneSource, sourceMessage);

export const alignRules = (maxTranscriptChars: number) =>
  z
    .object({ audioId: uuid.nullish(), file: upload, transcript: nonBlank(maxTranscriptChars), language, engine, priority })
    .refine(exactlyOneSource, sourceMessage);

export const synthesizeRules = (maxTextChars: number) =>
  z.object({
    text: nonBlank(maxTextChars),
    emotion: z.string().nullish(),
    voice: z.string().regex(/^[A-Za-z0-9_+-]{1,32}$/, { message: 'must be a voice name like "f3"' }).nullish(),
    intensity: z.number().min(0, { message: 'must be between 0 and 1' }).max(1, { message: 'must be between 0 and 1' }).nullish(),
    sampleRate: z.number().int().min(8000, { message: 'must be between 8000 and 48000' }).max(48000, { message: 'must be between 8000 and 48000' }).nullish(),
    language,
    engine,
    priority,
  });
