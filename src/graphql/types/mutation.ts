// The mutations that are not a job kind's (each kind adds its own: graphql/kinds/<kind>.ts).
import { cancelJob } from '../../jobs/cancel.ts';
import { deleteAudio, deleteJob } from '../../jobs/deletion.ts';
import { storeUploadRow } from '../../jobs/enqueue.ts';
import { tenantStorageBytes } from '../../jobs/store.ts';
import { ingestUpload } from '../../uploads/ingest.ts';
import { builder } from '../builder.ts';
import { tenantOf } from '../context.ts';
import { uuid, validate } from '../validate.ts';
import { AudioRef } from './audio.ts';
import { JobRef } from './job.ts';

builder.mutationType({
  fields: (t) => ({
    uploadAudio: t.field({
      type: AudioRef,
      description: 'Stores an audio file (GraphQL multipart request; send the header "GraphQL-Require-Preflight: 1").',
      args: { file: t.arg({ type: 'Upload', required: true }) },
      resolve: async (_r, { file }, ctx) => {
        const tenant = tenantOf(ctx);
        const { storage, verifier, config, pool } = ctx.deps;
        const stored = await ingestUpload(file, tenant, { storage, verifier, limits: config, storedBytes: (t) => tenantStorageBytes(pool, t), metrics: ctx.deps.metrics });
        return storeUploadRow(ctx.deps.pool, ctx.deps.storage, tenant, stored);
      },
    }),
  }),
});

// cancelJob, deleteJob, deleteAudio: added after the kinds' mutations (schema.ts calls this last).
export function addJobControlMutations() {
  builder.mutationField('cancelJob', (t) =>
    t.field({
      type: JobRef,
      description: 'Cancels a job that has not finished. A running job stops at its next progress report or heartbeat.',
      args: { id: t.arg.id({ required: true }) },
      resolve: (_r, { id }, ctx) => {
        const tenant = tenantOf(ctx);
        return cancelJob(ctx.deps.pool, ctx.deps.boss, tenant, validate(uuid, String(id)));
      },
    }),
  );
  builder.mutationField('deleteJob', (t) =>
    t.field({
      type: 'ID',
      description:
        'Deletes a finished job: its events, its queue rows (dead-letter copy included) and its result audio unless another job uses it; returns the id. JOB_NOT_FINISHED while it waits or runs (cancel it first). The input audio stays (deleteAudio).',
      args: { id: t.arg.id({ required: true }) },
      resolve: async (_r, { id }, ctx) => {
        const tenant = tenantOf(ctx);
        const jobId = validate(uuid, String(id));
        await deleteJob(ctx.deps.pool, ctx.deps.storage, tenant, jobId);
        return jobId;
      },
    }),
  );
  builder.mutationField('deleteAudio', (t) =>
    t.field({
      type: 'ID',
      description:
        "Deletes an audio and its file; returns the id. AUDIO_IN_USE while an unfinished job will read it, or while it is a job's result (delete the job). Its signed URLs answer 410 Gone.",
      args: { id: t.arg.id({ required: true }) },
      resolve: async (_r, { id }, ctx) => {
        const tenant = tenantOf(ctx);
        const audioId = validate(uuid, String(id));
        await deleteAudio(ctx.deps.pool, ctx.deps.storage, tenant, audioId);
        return audioId;
      },
    }),
  );
}
