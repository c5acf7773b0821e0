import type { JobEventRow, JobRow } from '../../jobs/rows.ts';
import { builder } from '../builder.ts';
import { NodeRef } from './node.ts';
import { AudioRef } from './audio.ts';
import { WebhookDeliveryRef } from './webhook.ts';
import { JobKindEnum, JobStatusEnum } from './enums.ts';
import { estimateStart } from '../../jobs/queue-insight.ts';
import { JobResultUnion, resultOf } from './job-result.ts';
import { JobParametersRef } from './job-parameters.ts';

type JobErrorShape = { code: string; message: string };

export const JobErrorRef = builder.objectRef<JobErrorShape>('JobError').implement({
  description: 'Why the last attempt failed (RETRYING, FAILED) or why the job was CANCELLED. `code` is stable; see the README.',
  fields: (t) => ({ code: t.exposeString('code'), message: t.exposeString('message') }),
});

const errorOf = (r: { error_code: string | null; error_message: string | null }) =>
  r.error_code ? { code: r.error_code, message: r.error_message ?? r.error_code } : null;

export const JobEventRef = builder.objectRef<JobEventRow>('JobEvent').implement({
  description: "One entry of a job's append-only event log.",
  fields: (t) => ({
    version: t.exposeInt('seq', { description: 'Sequence number of the event within its job, from 1.' }),
    status: t.field({ type: JobStatusEnum, resolve: (e) => e.status }),
    progress: t.exposeFloat('progress'),
    attempts: t.exposeInt('attempts'),
    error: t.field({ type: JobErrorRef, nullable: true, resolve: errorOf }),
    at: t.expose('at', { type: 'DateTime' }),
  }),
});

const isWaiting = (j: JobRow) => j.status === 'queued' || j.status === 'retrying';

export const JobRef = builder.objectRef<JobRow>('Job').implement({
  interfaces: [NodeRef],
  isTypeOf: (v) => typeof v === 'object' && v !== null && 'seq' in v && 'kind' in v,
  description: 'A speech-processing job. Watch it with the jobUpdated subscription.',
  fields: (t) => ({
    kind: t.field({ type: JobKindEnum, resolve: (j) => j.kind }),
    status: t.field({ type: JobStatusEnum, resolve: (j) => j.status }),
    progress: t.exposeFloat('progress', { description: '0..1 within the current attempt.' }),
    attempts: t.exposeInt('attempts', { description: 'Attempts started so far (at most 3 by default).' }),
    engine: t.exposeString('engine', { nullable: true, description: 'The engine asked for, then the engine that ran it.' }),
    priority: t.exposeInt('priority'),
    parameters: t.field({ type: JobParametersRef, description: 'What it was asked to do, defaults applied.', resolve: (j) => j.params ?? {} }),
    version: t.exposeInt('seq', {
      description: 'The sequence number of the event this state reflects; pass it as jobUpdated(afterVersion:) to resume.',
    }),
    cached: t.boolean({
      description: "Whether it was answered from an identical earlier job's result, or shares the run of an identical job in flight, instead of running itself (see the input's cache).",
      resolve: (j) => j.cached,
    }),
    cachedFrom: t.id({ nullable: true, description: 'The job whose result or run it shares (null once that job is deleted).', resolve: (j) => j.cached_from }),
    runAt: t.expose('run_at', { type: 'DateTime', nullable: true, description: 'Not started before this instant (runAt of the input).' }),
    deadline: t.expose('deadline', { type: 'DateTime', nullable: true, description: 'FAILED with DEADLINE_EXCEEDED if not started by then.' }),
    queuePosition: t.int({
      nullable: true,
      description: "While QUEUED or RETRYING: how many jobs its queue hands out before it (0: next), in the workers' claim order, which takes tenants in turns. Null otherwise.",
      resolve: async (j, _a, ctx) => (isWaiting(j) ? ((await ctx.loaders.standing.load(j.id))?.ahead ?? null) : null),
    }),
    estimatedStartAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: "While waiting: when it should start, from its position and the queue's recent claim rate (not before runAt). Null without live workers or recent starts to measure.",
      resolve: async (j, _a, ctx) => {
        if (!isWaiting(j)) return null;
        const [standing, rates] = await Promise.all([ctx.loaders.standing.load(j.id), ctx.loaders.claimRates.load('all')]);
        return standing ? estimateStart(standing, rates.find((r) => r.kind === standing.kind)) : null;
      },
    }),
    createdAt: t.expose('created_at', { type: 'DateTime' }),
    startedAt: t.expose('started_at', { type: 'DateTime', nullable: true }),
    finishedAt: t.expose('finished_at', { type: 'DateTime', nullable: true }),
    updatedAt: t.expose('updated_at', { type: 'DateTime' }),
    error: t.field({ type: JobErrorRef, nullable: true, resolve: errorOf }),
    result: t.field({ type: JobResultUnion, nullable: true, resolve: resultOf }),
    input: t.field({
      type: AudioRef,
      nullable: true,
      resolve: (j, _a, ctx) => (j.input_audio_id ? ctx.loaders.audio.load(j.input_audio_id) : null),
    }),
    webhookDeliveries: t.field({
      type: [WebhookDeliveryRef],
      description: "Its events' webhooks (its own webhook's, or the tenant default's), oldest first, with every attempt.",
      resolve: (j, _a, ctx) => ctx.loaders.deliveries.load(j.id),
    }),
    events: t.field({
      type: [JobEventRef],
      description: 'The event log up to this state, oldest first.',
      resolve: async (j, _a, ctx) => (await ctx.loaders.events.load(j.id)).filter((e) => e.seq <= j.seq),
    }),
  }),
});
