// Batches: submitBatch, cancelBatch, the batch and batches queries. A Batch resolves from a
// BatchView (src/jobs/batches.ts): its state as of one version of its jobs' feed.
import { apiError, ErrorCode, notFound } from '../../errors.ts';
import { waitForFeed } from '../../events/feed.ts';
import { asOf } from '../../events/job-follower.ts';
import { deleteBatch } from '../../jobs/deletion.ts';
import { cancelBatch, foldBatch, getBatch, listBatches, type BatchRow, type BatchView } from '../../jobs/batches.ts';
import { JOB_KINDS, type JobKind } from '../../jobs/kinds.ts';
import { listJobs } from '../../jobs/store.ts';
import { builder } from '../builder.ts';
import { tenantOf, type Context } from '../context.ts';
import { KIND_MODULES } from '../kinds/index.ts';
import { idempotencyKey, idempotencyKeyDescription, submitBatch, type Submission } from '../kinds/submit.ts';
import { isUuid, uuid, validate } from '../validate.ts';
import { JobStatusEnum } from './enums.ts';
import { JobRef } from './job.ts';
import { NodeRef } from './node.ts';
import { decodeCursor, encodeCursor, JobPageRef, PageInfo, pageInfoOf, pageSize } from './job-page.ts';

const BatchCountsRef = builder.objectRef<BatchView['counts']>('BatchCounts').implement({
  description: "How many of the batch's jobs are in each status.",
  fields: (t) => ({
    queued: t.exposeInt('queued'),
    running: t.exposeInt('running'),
    retrying: t.exposeInt('retrying'),
    succeeded: t.exposeInt('succeeded'),
    failed: t.exposeInt('failed'),
    cancelled: t.exposeInt('cancelled'),
  }),
});

export const BatchRef = builder.objectRef<BatchView>('Batch').implement({
  interfaces: [NodeRef],
  isTypeOf: (v) => typeof v === 'object' && v !== null && 'batch' in v,
  description:
    "Jobs submitted together (submitBatch). Its counts, progress and version come from its jobs' events in the order batchUpdated gives them; " +
    'they can lag the jobs themselves by as long as the oldest transaction open on the database (normally milliseconds).',
  fields: (t) => ({
    size: t.int({ description: 'How many jobs it has.', resolve: (b) => b.batch.size }),
    counts: t.field({ type: BatchCountsRef, resolve: (b) => b.counts }),
    progress: t.float({ description: 'Mean of its jobs\' progress, a finished job (whatever its status) counting 1: 0..1.', resolve: (b) => b.progress }),
    version: t.int({
      description: "How many of its jobs' events this state includes; pass it as batchUpdated(afterVersion:) to resume.",
      resolve: (b) => b.version,
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (b) => b.batch.created_at }),
    finishedAt: t.field({ type: 'DateTime', nullable: true, description: 'When its last job finished; null while one has not.', resolve: (b) => b.finishedAt }),
    changedJob: t.field({
      type: JobRef,
      nullable: true,
      description: 'In a batchUpdated item: the job whose event this version is, as of that event. Null in queries and mutations.',
      resolve: async (b, _a, ctx) => {
        if (!b.changed) return null;
        const row = await ctx.loaders.jobs.load(b.changed.jobId);
        return row ? asOf(row, b.changed.event) : null;
      },
    }),
    jobs: t.field({
      type: JobPageRef,
      description: 'Its jobs as they are now, newest first (within a batch: by id).',
      args: {
        first: t.arg.int({ required: false, defaultValue: 20, description: '1..100' }),
        after: t.arg.string({ required: false }),
        status: t.arg({ type: JobStatusEnum, required: false }),
      },
      resolve: async (b, args, ctx) => {
        const first = pageSize(args.first);
        const rows = await listJobs(ctx.deps.pool, b.batch.tenant, {
          batchId: b.batch.id,
          status: args.status ?? undefined,
          before: args.after != null ? decodeCursor(args.after) : undefined,
          limit: first + 1,
        });
        return { nodes: rows.slice(0, first), hasNextPage: rows.length > first, after: args.after };
      },
    }),
  }),
});

type BatchPage = { nodes: BatchView[]; rows: Array<BatchRow & { created_us: string }>; hasNextPage: boolean; after: string | null | undefined };

const BatchEdgeRef = builder.objectRef<{ view: BatchView; row: BatchRow & { created_us: string } }>('BatchEdge').implement({
  fields: (t) => ({
    cursor: t.string({ resolve: (e) => encodeCursor(e.row) }),
    node: t.field({ type: BatchRef, resolve: (e) => e.view }),
  }),
});

const BatchPageRef = builder.objectRef<BatchPage>('BatchConnection').implement({
  description: 'A page of batches (a Relay connection; `nodes` for convenience).',
  fields: (t) => ({
    edges: t.field({ type: [BatchEdgeRef], resolve: (p) => p.nodes.map((view, i) => ({ view, row: p.rows[i]! })) }),
    nodes: t.field({ type: [BatchRef], resolve: (p) => p.nodes }),
    pageInfo: t.field({ type: PageInfo, resolve: (p) => pageInfoOf(p.rows.map(encodeCursor), p.hasNextPage, p.after) }),
  }),
});

/** One of the kinds' inputs (@oneOf): a batch's job. */
const BatchJobInput = builder.inputType('BatchJobInput', {
  description: "One job of a batch: exactly one of the fields, the kind's own input (its idempotencyKey left out: the batch has one).",
  isOneOf: true,
  fields: (t) => ({
    denoise: t.field({ type: KIND_MODULES.denoise.Input, required: false }),
    align: t.field({ type: KIND_MODULES.align.Input, required: false }),
    synthesize: t.field({ type: KIND_MODULES.synthesize.Input, required: false }),
  }),
});

const SubmitBatchInput = builder.inputType('SubmitBatchInput', {
  fields: (t) => ({
    jobs: t.field({ type: [BatchJobInput], required: true, description: '1..MAX_BATCH_SIZE jobs (default 100), in one transaction: all are created or none.' }),
    idempotencyKey: t.string({ required: false, description: idempotencyKeyDescription.replace('the same job', 'the same batch') }),
  }),
});

/** Each item as its kind's submission; the first invalid one is BAD_USER_INPUT naming its field (`jobs.3.align.transcript`). */
function submissionsOf(ctx: Context, jobs: ReadonlyArray<Record<string, unknown>>) {
  const max = ctx.deps.config.maxBatchSize;
  if (jobs.length < 1 || jobs.length > max) throw apiError(ErrorCode.BAD_USER_INPUT, `jobs: must have 1..${max} jobs`, { field: 'jobs', max });
  return jobs.map((item, i) => {
    const given = JOB_KINDS.filter((k) => item[k] != null);
    if (given.length !== 1) throw apiError(ErrorCode.BAD_USER_INPUT, `jobs.${i}: give exactly one of ${JOB_KINDS.join(', ')}`, { field: `jobs.${i}` });
    const kind: JobKind = given[0]!;
    const field = `jobs.${i}.${kind}`;
    const input = item[kind] as { idempotencyKey?: string | null };
    if (input.idempotencyKey != null) {
      throw apiError(ErrorCode.BAD_USER_INPUT, `${field}.idempotencyKey: a batch's jobs share the batch's idempotencyKey`, { field: `${field}.idempotencyKey` });
    }
    const submission: Submission = (KIND_MODULES[kind].prepare as (c: Context, v: unknown, f: string) => Submission)(ctx, input, field);
    return { submission, field };
  });
}

/** The batch's state once the feed has the caller's own change (see waitForFeed). */
async function viewAfter(ctx: Context, batch: BatchRow, tx: bigint | null): Promise<BatchView> {
  if (tx !== null) await waitForFeed(ctx.deps.pool, tx);
  return (await foldBatch(ctx.deps.pool, batch)).view(false);
}

builder.queryFields((t) => ({
  batch: t.field({
    type: BatchRef,
    nullable: true,
    description: "A batch of the caller's tenant; null when there is none with this id.",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) => {
      const tenant = tenantOf(ctx);
      const batch = isUuid(String(id)) ? await getBatch(ctx.deps.pool, tenant, String(id)) : null;
      return batch ? (await foldBatch(ctx.deps.pool, batch)).view(false) : null;
    },
  }),
  batches: t.field({
    type: BatchPageRef,
    description: "The caller's batches, newest first.",
    args: { first: t.arg.int({ required: false, defaultValue: 20, description: '1..100' }), after: t.arg.string({ required: false }) },
    resolve: async (_r, args, ctx) => {
      const tenant = tenantOf(ctx);
      const first = pageSize(args.first);
      const rows = await listBatches(ctx.deps.pool, tenant, args.after != null ? decodeCursor(args.after) : null, first + 1);
      const page = rows.slice(0, first);
      const nodes = await Promise.all(page.map(async (b) => (await foldBatch(ctx.deps.pool, b)).view(false)));
      return { nodes, rows: page, hasNextPage: rows.length > first, after: args.after };
    },
  }),
}));

export function addBatchMutations() {
  builder.mutationField('submitBatch', (t) =>
    t.field({
      type: BatchRef,
      description:
        'Many jobs in one request (and their files, in one multipart request) and one transaction: all are created, or none and nothing is stored. ' +
        'Each counts against the tenant\'s rate like a job of its own. Watch it with batchUpdated.',
      args: { input: t.arg({ type: SubmitBatchInput, required: true }) },
      resolve: async (_r, { input }, ctx) => {
        tenantOf(ctx);
        const key = validate(idempotencyKey, input.idempotencyKey, 'idempotencyKey');
        const subs = submissionsOf(ctx, input.jobs as unknown as Array<Record<string, unknown>>);
        const { batch, tx } = await submitBatch(ctx, subs, key ?? null);
        return viewAfter(ctx, batch, tx);
      },
    }),
  );
  builder.mutationField('deleteBatch', (t) =>
    t.field({
      type: 'ID',
      description: 'Deletes a batch whose jobs have all finished, with all of them (as deleteJob deletes one); returns the id. JOB_NOT_FINISHED while one waits or runs (cancelBatch first).',
      args: { id: t.arg.id({ required: true }) },
      resolve: async (_r, { id }, ctx) => {
        const tenant = tenantOf(ctx);
        const batchId = validate(uuid, String(id), 'id');
        await deleteBatch(ctx.deps.pool, ctx.deps.storage, tenant, batchId);
        return batchId;
      },
    }),
  );
  builder.mutationField('cancelBatch', (t) =>
    t.field({
      type: BatchRef,
      description: 'Cancels every job of the batch that has not finished (those that have keep their outcome).',
      args: { id: t.arg.id({ required: true }) },
      resolve: async (_r, { id }, ctx) => {
        const tenant = tenantOf(ctx);
        const batchId = validate(uuid, String(id), 'id');
        const batch = await getBatch(ctx.deps.pool, tenant, batchId);
        if (!batch) throw notFound('batch', batchId);
        const { tx } = await cancelBatch(ctx.deps.pool, ctx.deps.boss, tenant, batchId);
        return viewAfter(ctx, batch, tx);
      },
    }),
  );
}

