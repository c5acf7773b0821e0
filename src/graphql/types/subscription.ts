// The subscriptions: one job (jobUpdated), one batch (batchUpdated), and the tenant's feed of
// every job (jobsUpdated). Each is in order, without a gap or a repeat, and resumable.
import { Repeater } from 'graphql-yoga';
import { apiError, ErrorCode, notFound } from '../../errors.ts';
import { comparePositions, decodeCursor, encodeCursor, feedNow, readBatchFeed, readTenantFeed } from '../../events/feed.ts';
import { FeedFollower } from '../../events/feed-follower.ts';
import { asOf, JobFollower } from '../../events/job-follower.ts';
import { BatchFold, foldBatch, getBatch, type BatchView } from '../../jobs/batches.ts';
import type { JobRow } from '../../jobs/rows.ts';
import { builder } from '../builder.ts';
import { isUuid } from '../validate.ts';
import { tenantOf, type Context } from '../context.ts';
import { BatchRef } from './batch.ts';
import { JobKindEnum, JobStatusEnum } from './enums.ts';
import { JobRef } from './job.ts';

type JobUpdate = { cursor: string; job: JobRow };

const JobUpdateRef = builder.objectRef<JobUpdate>('JobUpdate').implement({
  description: "One event of one of the tenant's jobs, in the tenant's feed.",
  fields: (t) => ({
    cursor: t.exposeString('cursor', { description: 'Its place in the feed: pass it as jobsUpdated(afterCursor:) to resume after it.' }),
    job: t.field({ type: JobRef, description: 'The job as of this event (job.version is the event\'s number within its job).', resolve: (u) => u.job }),
  }),
});

/**
 * Runs one subscription: `run` pushes items until it returns (the subscription completes) or the
 * client leaves (`stopped` resolves). An SSE subscription is a connection of its own: it counts
 * against the tenant's connections like a WebSocket.
 */
function stream<T>(ctx: Context, run: (push: (v: T) => Promise<unknown>, stopped: Promise<null>, onClose: (fn: () => void) => void) => Promise<void>) {
  const tenant = tenantOf(ctx);
  const { connections } = ctx.deps;
  return new Repeater<T>(async (push, stop) => {
    const closers: Array<() => void> = [];
    const counted = ctx.sse && connections.take(tenant);
    try {
      if (ctx.sse && !counted) {
        throw apiError(ErrorCode.QUOTA_EXCEEDED, `at most ${connections.max} connections per tenant`, { quota: 'connections', limit: connections.max });
      }
      await run(push, stop.then(() => null), (fn) => closers.push(fn));
      stop();
    } catch (err) {
      stop(err);
    } finally {
      for (const fn of closers) fn();
      if (counted) connections.release(tenant);
    }
  });
}

/** The next value of `next()`, or null when the client left first (then nobody awaits it: no unhandled rejection). */
async function nextOrStop<T>(next: Promise<T>, stopped: Promise<null>): Promise<T | null> {
  next.catch(() => {});
  return Promise.race([next, stopped]);
}

builder.subscriptionType({
  fields: (t) => ({
    jobUpdated: t.field({
      type: JobRef,
      description:
        'First the current state (or, with afterVersion, every event after that version: resume after a reconnect without missing one), ' +
        'then one item per event (every status change and progress report), in order. Completes after a final state.',
      args: { id: t.arg.id({ required: true }), afterVersion: t.arg.int({ required: false }) },
      subscribe: (_r, { id, afterVersion }, ctx) =>
        stream<JobRow>(ctx, async (push, stopped, onClose) => {
          const jobId = String(id);
          if (!isUuid(jobId)) throw notFound('job', jobId);
          const follower = await JobFollower.open(ctx.deps.pool, ctx.deps.events, tenantOf(ctx), jobId, afterVersion ?? null);
          onClose(() => follower.close());
          for (;;) {
            const job = await nextOrStop(follower.next(), stopped);
            if (!job) return;
            await push(job);
          }
        }),
      resolve: (job) => job,
    }),
    batchUpdated: t.field({
      type: BatchRef,
      description:
        'First the current state (or, with afterVersion, the state after each event since that version), then the state after each event of ' +
        "any of its jobs (changedJob says whose), in order, without a gap. Completes once every job has finished.",
      args: { id: t.arg.id({ required: true }), afterVersion: t.arg.int({ required: false }) },
      subscribe: (_r, { id, afterVersion }, ctx) =>
        stream<BatchView>(ctx, async (push, stopped, onClose) => {
          const tenant = tenantOf(ctx);
          const { pool, events, config } = ctx.deps;
          const batchId = String(id);
          const batch = isUuid(batchId) ? await getBatch(pool, tenant, batchId) : null;
          if (!batch) throw notFound('batch', batchId);
          const head = await foldBatch(pool, batch);
          let fold = head;
          if (afterVersion == null) await push(head.view(false));
          else {
            // Replays the states after afterVersion up to the current one (a version not reached yet counts as the current one).
            const from = Math.min(Math.max(0, afterVersion), head.version);
            fold = new BatchFold(batch);
            while (comparePositions(fold.position, head.position) < 0) {
              const page = await readBatchFeed(pool, batch.id, fold.position, 500);
              for (const e of page.events) {
                if (comparePositions(e.position, head.position) > 0) break;
                fold.apply(e);
                if (fold.version > from) await push(fold.view(true));
              }
              if (!page.events.length) break;
            }
          }
          if (fold.finished) return;
          const follower = new FeedFollower(events, tenant, (a, l) => readBatchFeed(pool, batch.id, a, l), fold.position, config.eventsCheckSeconds * 1000);
          onClose(() => follower.close());
          for (;;) {
            const e = await nextOrStop(follower.next(), stopped);
            if (!e) return;
            fold.apply(e);
            await push(fold.view(true));
            if (fold.finished) return;
          }
        }),
      resolve: (view) => view,
    }),
    jobsUpdated: t.field({
      type: JobUpdateRef,
      description:
        "Every event of every job of the caller's tenant (only those of `kind`, and events to `status`, when given), in one order that does not change, " +
        'without a gap: from now on, or after `afterCursor` (resume after a reconnect). A job\'s own events come in their order. Never completes.',
      args: {
        kind: t.arg({ type: JobKindEnum, required: false }),
        status: t.arg({ type: JobStatusEnum, required: false }),
        afterCursor: t.arg.string({ required: false }),
      },
      subscribe: (_r, { kind, status, afterCursor }, ctx) =>
        stream<JobUpdate>(ctx, async (push, stopped, onClose) => {
          const tenant = tenantOf(ctx);
          const { pool, events, config } = ctx.deps;
          const after = afterCursor != null ? decodeCursor(afterCursor, 'afterCursor') : await feedNow(pool);
          const filter = { kind: kind ?? null, status: status ?? null };
          const follower = new FeedFollower(events, tenant, (a, l) => readTenantFeed(pool, tenant, filter, a, l), after, config.eventsCheckSeconds * 1000);
          onClose(() => follower.close());
          for (;;) {
            const e = await nextOrStop(follower.next(), stopped);
            if (!e) return;
            const job = await ctx.loaders.jobs.load(e.job_id);
            if (job) await push({ cursor: encodeCursor(e.position), job: asOf(job, e) });
          }
        }),
      resolve: (u) => u,
    }),
  }),
});


