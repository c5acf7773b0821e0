// Retry = submit the job again with its parameters and its input audio (Job.parameters).
import { isFinal, type Job, type VoxgraphClient } from '@voxgraph/sdk';

export function resubmit(client: VoxgraphClient, job: Job): Promise<Job> {
  const p = job.parameters;
  const audioId = job.input?.id;
  if (job.kind === 'DENOISE') return client.denoise({ audioId, format: p.format, sampleRate: p.sampleRate });
  if (job.kind === 'ALIGN') return client.align({ audioId, transcript: p.transcript ?? '', language: p.language });
  return client.synthesize({
    text: p.text ?? '',
    language: p.language,
    emotion: p.emotion,
    intensity: p.intensity,
    voice: p.voice,
    sampleRate: p.sampleRate,
    format: p.format,
  });
}

export const canCancel = (job: Job) => !isFinal(job);
export const canDelete = (job: Job) => isFinal(job);
export const canRetry = (job: Job) => isFinal(job) && (job.kind === 'SYNTHESIZE' || Boolean(job.input));
