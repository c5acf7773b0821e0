// One audio's waveform (wavesurfer.js) with play/pause; reports the playhead for the word timeline.
import { useEffect, useRef, useState } from 'react';
import WaveSurfer from 'wavesurfer.js';

type Props = { url: string; label: string; onTime?: (seconds: number) => void; seekTo?: { to: number } | null; hidden?: boolean };

export function Waveform({ url, label, onTime, seekTo, hidden }: Props) {
  const container = useRef<HTMLDivElement>(null);
  const figure = useRef<HTMLElement>(null);
  const ws = useRef<WaveSurfer | null>(null);
  const [playing, setPlaying] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const [state, setState] = useState<'loading' | 'ready' | 'error'>('loading');
  const onTimeRef = useRef(onTime);
  onTimeRef.current = onTime;

  useEffect(() => {
    const w = WaveSurfer.create({
      container: container.current!,
      url,
      height: 96,
      waveColor: '#7c8ea3',
      progressColor: '#1d4ed8',
      cursorColor: '#111827',
      normalize: true,
    });
    ws.current = w;
    w.on('ready', () => setState('ready'));
    w.on('error', () => setState('error'));
    w.on('play', () => setPlaying(true));
    w.on('pause', () => setPlaying(false));
    w.on('finish', () => setPlaying(false));
    w.on('timeupdate', (t) => {
      figure.current?.setAttribute('data-time', t.toFixed(3)); // the playhead, for tests and styles, without a re-render
      onTimeRef.current?.(t);
    });
    return () => w.destroy();
  }, [url]);

  useEffect(() => {
    if (seekTo && ws.current && state === 'ready') ws.current.setTime(seekTo.to);
  }, [seekTo, state]);
  useEffect(() => {
    if (hidden) ws.current?.pause();
  }, [hidden]);

  return (
    <figure ref={figure} className="waveform" hidden={hidden} data-waveform={label} data-state={state} data-playing={playing}>
      <figcaption>
        <button type="button" onClick={() => ws.current?.playPause().catch((err: Error) => setFailure(err.message))} disabled={state !== 'ready'} aria-label={`${playing ? 'Pause' : 'Play'} ${label}`}>
          {playing ? '❚❚ Pause' : '▶ Play'}
        </button>{' '}
        {label}
        {state === 'loading' && <span role="status"> loading…</span>}
        {state === 'error' && <span role="alert" className="error-inline"> could not load the audio</span>}
        {failure && <span role="alert" className="error-inline"> could not play: {failure}</span>}
      </figcaption>
      <div ref={container} className="wave" />
    </figure>
  );
}
