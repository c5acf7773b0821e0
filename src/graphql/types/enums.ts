import { JOB_KINDS, JOB_STATUSES, type JobKind, type JobStatus } from '../../jobs/kinds.ts';
import { AUDIO_FORMATS, EMOTIONS, LANGUAGES, type AudioFormat } from '../../../protocol/contract.ts';
import { builder } from '../builder.ts';

export { EMOTIONS, LANGUAGES };

/** GraphQL enum values from a contract list: the value upper-cased, the contract's spelling inside. */
export const upper = <T extends string>(values: readonly T[]) =>
  Object.fromEntries(values.map((v) => [v.toUpperCase(), { value: v }])) as Record<Uppercase<T>, { value: T }>;

export const JobKindEnum = builder.enumType('JobKind', { values: upper<JobKind>(JOB_KINDS) });

export const JobStatusEnum = builder.enumType('JobStatus', {
  description: 'QUEUED → RUNNING → SUCCEEDED, with RETRYING between attempts; FAILED and CANCELLED are final too.',
  values: upper<JobStatus>(JOB_STATUSES),
});

export const EmotionEnum = builder.enumType('Emotion', { values: upper(EMOTIONS) });


export const AudioFormatEnum = builder.enumType('AudioFormat', {
  description: 'How a result audio is encoded: WAV (16-bit PCM), FLAC (16-bit), MP3, OPUS (Ogg Opus; a rate Opus does not code is resampled to 48 kHz).',
  values: upper<AudioFormat>(Object.keys(AUDIO_FORMATS) as AudioFormat[]),
});
