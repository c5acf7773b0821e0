// Job.parameters: what the job was asked to do, after defaults (the params its queue payload
// carries). A UI shows them beside the result and resubmits them to retry; each field is null
// where the kind has none.
import { builder } from '../builder.ts';
import { AudioFormatEnum, EmotionEnum } from './enums.ts';

type Params = Record<string, unknown>;
const str = (p: Params, k: string) => (typeof p[k] === 'string' ? (p[k] as string) : null);
const num = (p: Params, k: string) => (typeof p[k] === 'number' ? (p[k] as number) : null);

export const JobParametersRef = builder.objectRef<Params>('JobParameters').implement({
  description: 'The parameters the job runs with, defaults applied. Fields a kind does not take are null.',
  fields: (t) => ({
    transcript: t.string({ nullable: true, description: 'align', resolve: (p) => str(p, 'transcript') }),
    text: t.string({ nullable: true, description: 'synthesize', resolve: (p) => str(p, 'text') }),
    language: t.string({ nullable: true, description: 'align, synthesize', resolve: (p) => str(p, 'language') }),
    emotion: t.field({ type: EmotionEnum, nullable: true, description: 'synthesize', resolve: (p) => str(p, 'emotion') as never }),
    intensity: t.float({ nullable: true, description: 'synthesize', resolve: (p) => num(p, 'intensity') }),
    voice: t.string({ nullable: true, description: 'synthesize (null: the engine\'s default)', resolve: (p) => str(p, 'voice') }),
    sampleRate: t.int({ nullable: true, description: 'denoise, synthesize (null: the input\'s or the engine\'s own)', resolve: (p) => num(p, 'sampleRate') }),
    format: t.field({ type: AudioFormatEnum, nullable: true, description: 'denoise, synthesize', resolve: (p) => str(p, 'format') as never }),
  }),
});
