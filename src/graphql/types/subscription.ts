import { Repeater } from 'graphql-yoga';
import { z } from 'zod';
import { notFound } from '../../errors.ts';
import { FINAL_STATUSES } from '../../jobs/kinds.ts';
import type { JobEventRow, JobRow } from '../../jobs/rows.ts';
import { getJob, getJobEvents } from '../../jobs/store.ts';
import { builder } from '../builder.ts';
import { tenantOf } from '../context.ts';
import { JobRef } from './job.ts';

/** The job as it was at `event`: the event's status, progress, attempts and error over the row. */
function asOf(job: JobRow, e: JobEventRow): JobRow {
  if (e.seq === job.seq) return job;
  const final = FINAL_STATUSES.has(e.status);
  return {
    ...job,
    seq: e.seq,
    status: e.status,
    progress: e.progress,
    attempts: e.attempts,
    error_code: e.error_code,
    error_message: e.error_message,
    updated_at: e.at,
    finished_at: final ? job.finished_at : null,
    result: final ? job.result : null,
    result_audio_id: final ? job.result_audio_id : null,
  };
}

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
        const { pool, events } = ctx.deps;
        return new Repeater<JobRow>(async (push, stop) => {
          // Watch before the first read, so a change between the read and the wait is not missed.
          const watch = events.watch(jobId);
          try {
            let job = z.uuid().safeParse(jobId).success ? await getJob(pool, tenant, jobId) : null;
            if (!job) throw notFound('job', jobId);
            let last: number;
            if (afterVersion == null) {
              await push(job);
              last = job.seq;
            } else {
              last = Math.max(0, afterVersion);
            }
            let stopped = false;
            stop.then(() => (stopped = true));
            while (!stopped) {
              const fresh = await getJobEvents(pool, jobId, last);
              if (fresh.length) job = (await getJob(pool, tenant, jobId))!;
              for (const e of fresh) {
                if (e.seq > job.seq) break; // written after our read of the row; next round
                await push(asOf(job, e));
                last = e.seq;
              }
              if (FINAL_STATUSES.has(job.status) && last >= job.seq) break;
              await Promise.race([watch.wait(), stop]);
            }
            stop();
          } catch (err) {
            stop(err);
          } finally {
            watch.close();
          }
        });
      },
      resolve: (job) => job,
    }),
  }),
});
