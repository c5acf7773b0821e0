// The mutations that are not a job kind's (each kind adds its own: graphql/kinds/<kind>.ts).
import { cancelJob } from '../../jobs/cancel.ts';
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
        const stored = await ingestUpload(file, tenant, { storage, verifier, limits: config, storedBytes: (t) => tenantStorageBytes(pool, t) });
        return storeUploadRow(ctx.deps.pool, ctx.deps.storage, tenant, stored);
      },
    }),
  }),
});

// After the kinds' mutations (schema.ts imports this module last of them), so that the SDL lists it after them.
export function addCancelJob() {
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
}
