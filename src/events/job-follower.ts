// One subscriber's view of a job: its states, one per event, in order, without a gap or a repeat,
// ending after a final state. Events come from the bus (job-events.ts) and cost no query; the
// event log in the table fills in whatever the bus could not deliver in sequence.
import { notFound } from '../errors.ts';
import { FINAL_STATUSES } from '../jobs/kinds.ts';
import type { JobEventRow, JobRow } from '../jobs/rows.ts';
import { getJob, getJobEvents } from '../jobs/store.ts';
import type { Queryable } from '../db/pool.ts';
import type { JobEvent, JobEventBus, Watch } from './job-events.ts';

/** The job as it was at a logged event: the event's status, progress, attempts and error over the row. */
export function asOf(job: JobRow, e: JobEventRow): JobRow {
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

/** The row after a notified event: every field an event changes comes with it. */
export function applyEvent(job: JobRow, e: JobEvent): JobRow {
  const date = (s: string | null) => (s ? new Date(s) : null);
  return {
    ...job,
    seq: e.seq,
    status: e.status,
    progress: e.progress,
    attempts: e.attempts,
    engine: e.engine,
    error_code: e.errorCode,
    error_message: e.errorMessage,
    started_at: date(e.startedAt),
    finished_at: date(e.finishedAt),
    updated_at: new Date(e.updatedAt),
    result: e.result,
    result_audio_id: e.resultAudioId,
  };
}

export class JobFollower {
  private readonly db: Queryable;
  private readonly tenant: string;
  private readonly watch: Watch;
  private job: JobRow;
  private last: number;
  private readonly pending: JobRow[] = [];

  private constructor(db: Queryable, tenant: string, watch: Watch, job: JobRow) {
    this.db = db;
    this.tenant = tenant;
    this.watch = watch;
    this.job = job;
    this.last = job.seq;
  }

  /**
   * Without `afterVersion`, the first state is the current one; with it, every logged event after
   * that version comes first (a client resuming after a reconnect). Throws NOT_FOUND for an id that
   * is not this tenant's.
   */
  static async open(db: Queryable, events: JobEventBus, tenant: string, jobId: string, afterVersion: number | null): Promise<JobFollower> {
    const watch = events.watch(jobId); // before the read: a change in between is not missed
    try {
      const job = await getJob(db, tenant, jobId);
      if (!job) throw notFound('job', jobId);
      const f = new JobFollower(db, tenant, watch, job);
      watch.seen(job.seq);
      if (afterVersion === null) f.pending.push(job);
      else {
        // A version the job has not reached yet counts as its current one: the next event follows.
        f.last = Math.min(Math.max(0, afterVersion), job.seq);
        if (f.last < job.seq) await f.replay(job);
      }
      return f;
    } catch (err) {
      watch.close();
      throw err;
    }
  }

  /** The next state, or null once the job's final state has been given. */
  async next(): Promise<JobRow | null> {
    for (;;) {
      const queued = this.pending.shift();
      if (queued) return queued;
      if (FINAL_STATUSES.has(this.job.status) && this.last >= this.job.seq) return null;
      const d = await this.watch.next();
      if (d === 'resync' || d.partial || d.seq > this.last + 1) {
        await this.catchUp();
        continue;
      }
      if (d.seq <= this.last) continue; // already read from the table
      this.job = applyEvent(this.job, d);
      this.last = d.seq;
      this.watch.seen(d.seq);
      return this.job;
    }
  }

  close() {
    this.watch.close();
  }

  private async catchUp() {
    const row = await getJob(this.db, this.tenant, this.job.id);
    if (row) await this.replay(row);
  }

  /** Queues every logged event after the last one given, up to `row`'s version. */
  private async replay(row: JobRow) {
    for (const e of await getJobEvents(this.db, row.id, this.last)) {
      if (e.seq > row.seq) break; // written after our read of the row: the bus brings it
      this.pending.push(asOf(row, e));
      this.last = e.seq;
    }
    this.job = row;
    this.watch.seen(row.seq);
  }
}
