// What the live workers offer: engines per kind with devices and batch caps, queue depths, workers.
import type { Engine, QueueStatus } from '@voxgraph/sdk';
import { useEffect, useState } from 'react';
import { ErrorMessage } from './errors.tsx';
import { time } from './format.ts';
import { useClient } from './session.ts';

export function EnginesPage() {
  const client = useClient();
  const [engines, setEngines] = useState<Engine[] | null>(null);
  const [queue, setQueue] = useState<QueueStatus | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let alive = true;
    const load = () =>
      Promise.all([client.engines(), client.queue()]).then(
        ([e, q]) => {
          if (!alive) return;
          setEngines(e);
          setQueue(q);
          setError(null);
        },
        (err) => alive && setError(err),
      );
    void load();
    const timer = setInterval(load, 5000);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, [client]);

  if (!engines || !queue) return error ? <ErrorMessage error={error} /> : <p className="loading" role="status">Loading engines…</p>;
  return (
    <>
      <ErrorMessage error={error} />
      <section className="card" aria-labelledby="queues">
        <h2 id="queues">Queues</h2>
        <div className="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">kind</th>
                <th scope="col">queued</th>
                <th scope="col">retrying</th>
                <th scope="col">running</th>
                <th scope="col">scheduled</th>
                <th scope="col">live workers</th>
                <th scope="col">starts/min</th>
                <th scope="col">yours waiting</th>
              </tr>
            </thead>
            <tbody>
              {queue.kinds.map((k) => (
                <tr key={k.kind}>
                  <th scope="row">{k.kind.toLowerCase()}</th>
                  <td>{k.queued}</td>
                  <td>{k.retrying}</td>
                  <td>{k.running}</td>
                  <td>{k.scheduled}</td>
                  <td>{k.liveWorkers}</td>
                  <td>{k.claimsPerMinute?.toFixed(1) ?? '—'}</td>
                  <td>{k.yoursWaiting}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section className="card" aria-labelledby="engines">
        <h2 id="engines">Engines</h2>
        {engines.length === 0 ? (
          <p className="empty">No worker is up, so no engine is offered. Jobs wait in their queues until one starts.</p>
        ) : (
          <div className="scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">kind</th>
                  <th scope="col">engine</th>
                  <th scope="col">version</th>
                  <th scope="col">devices</th>
                  <th scope="col">batch cap</th>
                  <th scope="col">workers</th>
                  <th scope="col">languages</th>
                  <th scope="col">voices</th>
                </tr>
              </thead>
              <tbody>
                {engines.map((e) => (
                  <tr key={`${e.kind}/${e.name}`}>
                    <td>{e.kind.toLowerCase()}</td>
                    <th scope="row">
                      {e.name} {e.isDefault && <small>(default)</small>} {e.plugin && <small>(reference model)</small>}
                    </th>
                    <td>{e.version}</td>
                    <td>{e.devices.join(', ')}</td>
                    <td>{e.maxBatch}</td>
                    <td>{e.workers}</td>
                    <td>{e.languages.length ? e.languages.join(' ') : 'any'}</td>
                    <td>{e.voices.map((v) => `${v.language}: ${v.names.length}`).join(', ') || '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section className="card" aria-labelledby="workers">
        <h2 id="workers">Workers</h2>
        {queue.workers.length === 0 ? (
          <p className="empty">No live worker.</p>
        ) : (
          <ul className="workers">
            {queue.workers.map((w) => (
              <li key={w.id}>
                <code>{w.id.slice(0, 8)}</code> on <strong>{w.device}</strong>, {w.concurrency} at a time, {w.kinds.map((k) => k.toLowerCase()).join(', ')} · heartbeat {time(w.lastHeartbeatAt)}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
