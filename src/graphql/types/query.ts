import { apiError, ErrorCode } from '../../errors.ts';
import { getAudio, getJob, listJobs } from '../../jobs/store.ts';
import type { JobRow } from '../../jobs/rows.ts';
import { builder } from '../builder.ts';
import { isUuid } from '../validate.ts';
import { tenantOf } from '../context.ts';
import { AudioRef } from './audio.ts';
import { JobKindEnum, JobStatusEnum } from './enums.ts';
import { JobRef } from './job.ts';
import { decodeCursor, JobPageRef } from './job-page.ts';
import { EngineRef } from './engine.ts';
import { listEngines, speaks } from '../../engines/catalog.ts';
import { LANGUAGES } from './enums.ts';

builder.queryType({
  fields: (t) => ({
    engines: t.field({
      type: [EngineRef],
      description: 'The engines the live workers offer, defaults first within each kind. Empty while no worker is up.',
      args: {
        kind: t.arg({ type: JobKindEnum, required: false }),
        language: t.arg.string({ required: false, description: 'Only engines that speak this ISO 639 code (or any language).' }),
      },
      resolve: async (_r, args, ctx) => {
        tenantOf(ctx);
        if (args.language && !(LANGUAGES as readonly string[]).includes(args.language)) {
          throw apiError(ErrorCode.BAD_USER_INPUT, `language: must be one of ${LANGUAGES.join(', ')}`, { field: 'language' });
        }
        const all = await listEngines(ctx.deps.pool, ctx.deps.config.workerReadySeconds);
        return all.filter((e) => (!args.kind || e.kind === args.kind) && speaks(e, args.language));
      },
    }),
    job: t.field({
      type: JobRef,
      nullable: true,
      description: 'A job of the caller\'s tenant; null when there is none with this id.',
      args: { id: t.arg.id({ required: true }) },
      resolve: (_r, { id }, ctx) => {
        const tenant = tenantOf(ctx);
        return isUuid(String(id)) ? getJob(ctx.deps.pool, tenant, String(id)) : null;
      },
    }),
    audio: t.field({
      type: AudioRef,
      nullable: true,
      args: { id: t.arg.id({ required: true }) },
      resolve: (_r, { id }, ctx) => {
        const tenant = tenantOf(ctx);
        return isUuid(String(id)) ? getAudio(ctx.deps.pool, tenant, String(id)) : null;
      },
    }),
    jobs: t.field({
      type: JobPageRef,
      description: "The caller's jobs, newest first.",
      args: {
        first: t.arg.int({ required: false, defaultValue: 20, description: '1..100' }),
        after: t.arg.string({ required: false }),
        kind: t.arg({ type: JobKindEnum, required: false }),
        status: t.arg({ type: JobStatusEnum, required: false }),
      },
      resolve: async (_r, args, ctx) => {
        const tenant = tenantOf(ctx);
        const first = args.first ?? 20;
        if (first < 1 || first > 100) throw apiError(ErrorCode.BAD_USER_INPUT, 'first: must be between 1 and 100', { field: 'first' });
        const rows = await listJobs(ctx.deps.pool, tenant, {
          kind: args.kind ?? undefined,
          status: args.status ?? undefined,
          before: args.after != null ? decodeCursor(args.after) : undefined,
          limit: first + 1,
        });
        return { nodes: rows.slice(0, first), hasNextPage: rows.length > first, after: args.after };
      },
    }),
  }),
});
