// A job: its state live, input and result waveforms (before/after for denoise), the word timeline
// for align and synthesize, downloads and exports, and its event log.
import { isFinal, resultAudio, type Job, type JobEvent, type WordExportFormat } from '@voxgraph/sdk';
import { useEffect, useState } from 'react';
import { ErrorMessage } from './errors.tsx';
import { percent, seconds, shortId, statusClass, time } from './format.ts';
import { useClient } from './session.ts';
import { Waveform } from './Waveform.tsx';
import { WordTimeline } from './WordTimeline.tsx';

const EXPORTS: WordExportFormat[] = ['SRT', 'VTT', 'TEXTGRID', 'TSV', 'JSON'];

export function JobPage({ id }: { id: string }) {
  const client = useClient();
  const [job, setJob] = useState<Job | null | undefined>(undefined);
  const [events, setEvents] = useState<JobEvent[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [showing, setShowing] = useState<'before' | 'after'>('after');
  const [now, setNow] = useState(0);
  const [seek, setSeek] = useState<{ to: number } | null>(null); // a new object per click: seeking to the same word twice works

  useEffect(() => {
    const stop = new AbortController();
    (async () => {
      try {
        const first = await client.job(id);
        setJob(first);
        if (!first) return;
        for await (const state of client.watch(id, { signal: stop.signal })) setJob(state);
      } catch (err) {
        if (!stop.signal.aborted) setError(err);
      }
    })();
    return () => stop.abort();
  }, [client, id]);
  useEffect(() => {
    if (job) client.events(id).then((e) => setEvents(e ?? []), setError);
  }, [client, id, job?.version]);

  if (job === undefined) return <p className="loading" role="status">Loading job…</p>;
  if (job === null)
    return (
      <section className="card">
        <h2>Job not found</h2>
        <p className="empty">There is no job {id} for this key. <a href="#/">Back to the jobs</a></p>
      </section>
    );

  const result = job.result;
  const output = resultAudio(job);
  const words = result && 'words' in result ? result.words : null;
  const timedAudio = job.kind === 'SYNTHESIZE' ? output : job.input;
  const downloadExport = async (format: WordExportFormat) => {
    try {
      const e = await client.exportWords(job.id, format);
      if (!e) return;
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([e.text], { type: e.contentType }));
      a.download = e.filename;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section className="card job-page" aria-labelledby="job-title" data-job-id={job.id} data-status={job.status}>
      <p><a href="#/">← Jobs</a></p>
      <h2 id="job-title">
        {job.kind.toLowerCase()} <code>{shortId(job.id)}</code> <span className={statusClass(job.status)}>{job.status}</span>
      </h2>
      <p>
        <progress max={1} value={job.progress} aria-label="Job progress" /> {percent(job.progress)} · attempt {job.attempts}
        {job.engine && <> · engine {job.engine}</>}
        {job.cached && <> · answered from the cache</>}
        {!isFinal(job) && job.queuePosition != null && <> · position {job.queuePosition} in the queue</>}
      </p>
      {job.error && (
        <p className="error" role="alert">
          <code>{job.error.code}</code> {job.error.message}
        </p>
      )}
      <ErrorMessage error={error} />
      <Parameters job={job} />

      {job.kind === 'DENOISE' && job.input && (
        <div className="audio-pair">
          {output && (
            <fieldset className="toggle">
              <legend>Listen to</legend>
              <label>
                <input type="radio" name="ab" checked={showing === 'before'} onChange={() => setShowing('before')} /> before (input)
              </label>
              <label>
                <input type="radio" name="ab" checked={showing === 'after'} onChange={() => setShowing('after')} /> after (denoised)
              </label>
            </fieldset>
          )}
          <Waveform url={job.input.url} label="Input" hidden={Boolean(output) && showing !== 'before'} />
          {output ? <Waveform url={output.url} label="Result" hidden={showing !== 'after'} /> : <p className="empty">The result appears here when the job succeeds.</p>}
        </div>
      )}
      {job.kind !== 'DENOISE' && timedAudio && (
        <Waveform url={timedAudio.url} label={job.kind === 'SYNTHESIZE' ? 'Result' : 'Input'} onTime={setNow} seekTo={seek} />
      )}
      {words && timedAudio && <WordTimeline words={words} duration={timedAudio.durationSeconds} now={now} onSeek={(t) => setSeek({ to: t })} />}
      {job.kind !== 'DENOISE' && !words && <p className="empty">The words appear here when the job succeeds.</p>}

      <h3>Downloads</h3>
      <ul className="downloads">
        {job.input && (
          <li>
            <a href={job.input.url} download>input ({job.input.contentType}, {seconds(job.input.durationSeconds)})</a>
          </li>
        )}
        {output && (
          <li>
            <a href={output.url} download>result ({output.contentType}, {seconds(output.durationSeconds)})</a>
          </li>
        )}
        {words &&
          EXPORTS.map((f) => (
            <li key={f}>
              <button type="button" className="link" onClick={() => downloadExport(f)}>
                words as {f}
              </button>
            </li>
          ))}
      </ul>

      <h3>Event log</h3>
      <table className="events">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">at</th>
            <th scope="col">status</th>
            <th scope="col">progress</th>
            <th scope="col">attempt</th>
            <th scope="col">error</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr key={e.version}>
              <td>{e.version}</td>
              <td>{time(e.at)}</td>
              <td>{e.status}</td>
              <td>{percent(e.progress)}</td>
              <td>{e.attempts}</td>
              <td>{e.error ? <><code>{e.error.code}</code> {e.error.message}</> : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Parameters({ job }: { job: Job }) {
  const p = job.parameters;
  const rows: Array<[string, string | number | null | undefined]> = [
    ['transcript', p.transcript],
    ['text', p.text],
    ['language', p.language],
    ['emotion', p.emotion?.toLowerCase()],
    ['intensity', p.intensity],
    ['voice', p.voice],
    ['sample rate', p.sampleRate && `${p.sampleRate} Hz`],
    ['format', p.format],
    ['created', time(job.createdAt)],
    ['finished', time(job.finishedAt)],
  ];
  return (
    <dl className="params">
      {rows
        .filter(([, v]) => v != null && v !== '')
        .map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
    </dl>
  );
}
