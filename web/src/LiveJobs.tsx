// The tenant feed as a list that updates in place: the newest jobs first, each row replaced by
// the state of its latest event (a state older than the one shown is ignored).
import type { Job } from '@voxgraph/sdk';
import { useEffect, useState } from 'react';
import { ErrorMessage } from './errors.tsx';
import { fromNow, percent, shortId, statusClass, time } from './format.ts';
import { canCancel, canDelete, canRetry, resubmit } from './job-actions.ts';
import { useClient } from './session.ts';

export function LiveJobs() {
  const client = useClient();
  const [jobs, setJobs] = useState<Map<string, Job> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [live, setLive] = useState(false);

  useEffect(() => {
    const stop = new AbortController();
    const apply = (job: Job) =>
      setJobs((prev) => {
        const next = new Map(prev ?? []);
        const had = next.get(job.id);
        if (had && had.version >= job.version) return prev;
        if (!had) return new Map([[job.id, job], ...next]); // a new job goes to the top
        next.set(job.id, job);
        return next;
      });
    (async () => {
      try {
        // Subscribe first, then list: an event between the two is not missed (apply keeps the newer state).
        const feed = client.feed({ signal: stop.signal });
        const first = feed.next();
        const page = await client.jobs({ first: 50 });
        setJobs((prev) => {
          const next = new Map(page.nodes.map((j) => [j.id, j]));
          for (const [id, j] of prev ?? []) if (!next.has(id) || next.get(id)!.version < j.version) next.set(id, j);
          return next;
        });
        setLive(true);
        const head = await first;
        if (!head.done) apply(head.value.job);
        for await (const item of feed) apply(item.job);
      } catch (err) {
        if (!stop.signal.aborted) setError(err);
      }
    })();
    return () => stop.abort();
  }, [client]);

  const act = async (what: () => Promise<unknown>) => {
    setError(null);
    try {
      await what();
    } catch (err) {
      setError(err);
    }
  };
  const remove = (id: string) =>
    act(async () => {
      await client.deleteJob(id);
      setJobs((prev) => {
        const next = new Map(prev);
        next.delete(id);
        return next;
      });
    });

  return (
    <section className="card" aria-labelledby="live-jobs">
      <h2 id="live-jobs">
        Live jobs {live && <span className="live-dot" title="updating live" aria-label="updating live" />}
      </h2>
      <ErrorMessage error={error} />
      {jobs === null ? (
        <p className="loading" role="status">Loading jobs…</p>
      ) : jobs.size === 0 ? (
        <p className="empty">No jobs yet. Submit one above; it appears here and updates as it runs.</p>
      ) : (
        <ul className="jobs" aria-live="polite">
          {[...jobs.values()].map((job) => (
            <li key={job.id} className="job" data-job-id={job.id} data-status={job.status}>
              <div className="job-main">
                <a href={`#/jobs/${job.id}`} className="job-link">
                  {job.kind.toLowerCase()} <code>{shortId(job.id)}</code>
                </a>
                <span className={statusClass(job.status)}>{job.status}</span>
                <progress max={1} value={job.progress} aria-label={`Progress of job ${shortId(job.id)}`} /> <small>{percent(job.progress)}</small>
              </div>
              <div className="job-meta">
                {job.queuePosition != null && <span>position {job.queuePosition}</span>}
                {fromNow(job.estimatedStartAt) && <span>starts {fromNow(job.estimatedStartAt)}</span>}
                {job.engine && <span>engine {job.engine}</span>}
                <span>attempts {job.attempts}</span>
                {job.cached && <span>cached</span>}
                <span>{time(job.createdAt)}</span>
                {job.error && (
                  <span className="error-inline">
                    <code>{job.error.code}</code> {job.error.message}
                  </span>
                )}
              </div>
              <div className="job-actions">
                {canCancel(job) && (
                  <button type="button" onClick={() => act(() => client.cancel(job.id))}>
                    Cancel
                  </button>
                )}
                {canRetry(job) && (
                  <button type="button" onClick={() => act(() => resubmit(client, job))}>
                    Retry
                  </button>
                )}
                {canDelete(job) && (
                  <button type="button" className="danger" onClick={() => remove(job.id)}>
                    Delete
                  </button>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
