import type { ObjectRef } from '@pothos/core';
import { JobResult, type Word } from '../../../protocol/contract.ts';
import type { JobKind } from '../../jobs/kinds.ts';
import type { JobRow } from '../../jobs/rows.ts';
import { EXPORT_FORMATS, exportWords, type WordExport } from '../../results/word-exports.ts';
import { builder } from '../builder.ts';
import { upper } from './enums.ts';
import type { Context } from '../context.ts';

// The result a worker wrote (protocol/contract.ts's JobResult) with the id of the job's result
// audio row (null for a kind without result audio). Each kind's result type is declared in its
// module (graphql/kinds/<kind>.ts) with resultType(), which also adds it to the JobResult union.
export type ResultShape<K extends JobKind = JobKind> = Extract<JobResult, { kind: K }> & {
  jobId: string;
  audioId: string | null;
  inputAudioId: string | null;
};

export const AlignedWordRef = builder.objectRef<Word>('AlignedWord').implement({
  description: 'One word of a transcript with its time span in seconds from the start of the audio.',
  fields: (t) => ({
    text: t.exposeString('text'),
    start: t.exposeFloat('start'),
    end: t.exposeFloat('end'),
    confidence: t.float({ nullable: true, description: '0..1 where the engine gives one (0 for a word it could not place).', resolve: (w) => w.confidence ?? null }),
    aligned: t.boolean({
      description: 'False when the engine could not place the word (e.g. it is not in the audio): its times are then interpolated between the placed words around it.',
      resolve: (w) => w.aligned ?? true,
    }),
  }),
});

export const ExportFormatEnum = builder.enumType('WordExportFormat', {
  description: 'SRT and VTT: one cue per word. TEXTGRID: Praat long format, one interval tier "words" covering the whole audio (gaps as empty intervals). TSV: whisper\'s (start and end in ms, text). JSON: {durationSeconds, words}.',
  values: upper(EXPORT_FORMATS),
});

export const WordExportRef = builder.objectRef<WordExport>('WordExport').implement({
  description: 'Word timings as a file, inline.',
  fields: (t) => ({
    format: t.field({ type: ExportFormatEnum, resolve: (e) => e.format }),
    contentType: t.exposeString('contentType'),
    filename: t.exposeString('filename', { description: 'A name to save it under: the job id and the extension.' }),
    text: t.exposeString('text'),
  }),
});

/** The words of a result as a file; the audio they belong to gives the length a TextGrid covers. */
export async function exportOf(ctx: Context, words: Word[], audioId: string | null, jobId: string, format: WordExport['format']) {
  const audio = audioId ? await ctx.loaders.audio.load(audioId) : null;
  return exportWords(words, format, audio?.duration_seconds ?? 0, jobId);
}

/** The stored audio row of a result; its absence is a broken invariant (an error, not a null). */
export const resultAudio = async (ctx: Context, r: { audioId: string | null }) => {
  const row = r.audioId ? await ctx.loaders.audio.load(r.audioId) : null;
  if (!row) throw new Error(`result audio ${r.audioId} is missing`);
  return row;
};

const resultTypes = new Map<JobKind, ObjectRef<any, ResultShape>>();

type Fields<K extends JobKind> = Parameters<ReturnType<typeof builder.objectRef<ResultShape<K>>>['implement']>[0]['fields'];

/** Declares the GraphQL type of a kind's result and makes it a member of the JobResult union. */
export function resultType<K extends JobKind>(kind: K, name: string, fields: Fields<K>) {
  const ref = builder.objectRef<ResultShape<K>>(name).implement({ fields });
  resultTypes.set(kind, ref as unknown as ObjectRef<any, ResultShape>);
  return ref;
}

export const JobResultUnion = builder.unionType('JobResult', {
  types: () => [...resultTypes.values()],
  resolveType: (r: ResultShape) => resultTypes.get(r.kind)!,
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
  return { ...r, jobId: job.id, audioId: job.result_audio_id ?? null, inputAudioId: job.input_audio_id ?? null };
}
