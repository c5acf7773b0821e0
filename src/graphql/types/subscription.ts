import { Repeater } from 'graphql-yoga';
import { z } from 'zod';
import { apiError, ErrorCode, notFound } from '../../errors.ts';
import { JobFollower } from '../../events/job-follower.ts';
import type { JobRow } from '../../jobs/rows.ts';
import { builder } from '../builder.ts';
import { tenantOf } from '../context.ts';
import { JobRef } from './job.ts';

builder.subscriptionType({
  fields: (t) => ({
    jobUpdated: t.field({
      type: JobRef,
      description:
        'First the current state (or, with afterVersion, every event after that version: resume after a reconnect without missing one), ' +
        'then one item per event (every status change and progress report), in order. Completes after a final state.',
      args: { id: t.arg.id({ required: true }), afterVersion: t.arg.int({ required: false }) },
      subscribe: (_r, { id, afterVersion }, ctx) => {
        const tenant = tenantOf(ctx);
        const jobId = String(id);
        const { pool, events, connections } = ctx.deps;
        return new Repeater<JobRow>(async (push, stop) => {
          let follower: JobFollower | undefined;
          // An SSE subscription is a connection of its own: it counts like a WebSocket.
          const counted = ctx.sse && connections.take(tenant);
          try {
            if (ctx.sse && !counted) {
              throw apiError(ErrorCode.QUOTA_EXCEEDED, `at most ${connections.max} connections per tenant`, { quota: 'connections', limit: connections.max });
            }
            if (!z.uuid().safeParse(jobId).success) throw notFound('job', jobId);
            follower = await JobFollower.open(pool, events, tenant, jobId, afterVersion ?? null);
            const stopped = stop.then(() => null);
            for (;;) {
              const next = follower.next();
              next.catch(() => {}); // when the client left first, nobody awaits it: no unhandled rejection
              const job = await Promise.race([next, stopped]);
              if (!job) break;
              await push(job);
            }
            stop();
          } catch (err) {
            stop(err);
          } finally {
            follower?.close();
            if (counted) connections.release(tenant);
          }
        });
      },
      resolve: (job) => job,
    }),
  }),
});
