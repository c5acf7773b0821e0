import { JOB_KINDS, JOB_STATUSES, type JobKind, type JobStatus } from '../../jobs/kinds.ts';
import { builder } from '../builder.ts';

const upper = <T extends string>(values: readonly T[]) =>
  Object.fromEntries(values.map((v) => [v.toUpperCase(), { value: v }])) as Record<Uppercase<T>, { value: T }>;

export const JobKindEnum = builder.enumType('JobKind', { values: upper<JobKind>(JOB_KINDS) });

export const JobStatusEnum = builder.enumType('JobStatus', {
  description: 'QUEUED → RUNNING → SUCCEEDED, with RETRYING between attempts; FAILED and CANCELLED are final too.',
  values: upper<JobStatus>(JOB_STATUSES),
});

export const EMOTIONS = ['neutral', 'happy', 'sad', 'angry', 'calm', 'excited', 'whisper'] as const;
export const EmotionEnum = builder.enumType('Emotion', { values: upper(EMOTIONS) });

/** The reference aligner's 11 languages; every CPU engine covers them too. */
export const LANGUAGES = ['en', 'zh', 'yue', 'fr', 'de', 'it', 'ja', 'ko', 'pt', 'ru', 'es'] as const;
