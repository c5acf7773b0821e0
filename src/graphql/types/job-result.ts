import { JobResult, type Word } from '../../../protocol/contract.ts';
import type { JobRow } from '../../jobs/rows.ts';
import { builder } from '../builder.ts';
import type { Context } from '../context.ts';
import { AudioRef } from './audio.ts';

// The result a worker wrote (protocol/contract.ts's JobResult), with the audio row's id where the
// kind has one.
type ResultShape = Extract<JobResult, { kind: 'align' }> | (Extract<JobResult, { kind: 'denoise' | 'synthesize' }> & { audioId: string });

export const AlignedWordRef = builder.objectRef<Word>('AlignedWord').implement({
  description: 'One word of a transcript with its time span in seconds from the start of the audio.',
  fields: (t) => ({
    text: t.exposeString('text'),
    start: t.exposeFloat('start'),
    end: t.exposeFloat('end'),
    confidence: t.float({ nullable: true, description: '0..1 where the engine gives one.', resolve: (w) => w.confidence ?? null }),
  }),
});

const audioOf = async (ctx: Context, id: string) => {
  const row = await ctx.loaders.audio.load(id);
  if (!row) throw new Error(`result audio ${id} is missing`);
  return row;
};

const DenoiseResult = builder.objectRef<Extract<ResultShape, { kind: 'denoise' }>>('DenoiseResult').implement({
  fields: (t) => ({ audio: t.field({ type: AudioRef, resolve: (r, _a, ctx) => audioOf(ctx, r.audioId) }) }),
});

const AlignResult = builder.objectRef<Extract<ResultShape, { kind: 'align' }>>('AlignResult').implement({
  fields: (t) => ({
    words: t.field({ type: [AlignedWordRef], resolve: (r) => r.words }),
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
  }),
});

const SynthesizeResult = builder.objectRef<Extract<ResultShape, { kind: 'synthesize' }>>('SynthesizeResult').implement({
  fields: (t) => ({
    audio: t.field({ type: AudioRef, resolve: (r, _a, ctx) => audioOf(ctx, r.audioId) }),
    words: t.field({ type: [AlignedWordRef], description: 'Where each word of the text is spoken in the audio.', resolve: (r) => r.words }),
  }),
});

export const JobResultUnion = builder.unionType('JobResult', {
  types: [DenoiseResult, AlignResult, SynthesizeResult],
  resolveType: (r: ResultShape) => ({ denoise: 'DenoiseResult', align: 'AlignResult', synthesize: 'SynthesizeResult' })[r.kind],
});

/**
 * The result of a SUCCEEDED job, shaped for the union; null for any other status. A stored result
 * that does not match the contract is an error (logged, INTERNAL_SERVER_ERROR for the field), not a
 * silent null: a worker and an API that disagree must be noticed.
 */
export function resultOf(job: JobRow): ResultShape | null {
  if (job.status !== 'succeeded' || !job.result) return null;
  const r = JobResult.parse(job.result);
  if (r.kind !== job.kind) throw new Error(`job ${job.id}: a ${r.kind} result on a ${job.kind} job`);
  return r.kind === 'align' ? r : { ...r, audioId: job.result_audio_id! };
}
