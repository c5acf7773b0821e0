// The words under the waveform, placed by their times: the one being played is highlighted
// (karaoke); low-confidence and unplaced words are marked; a click seeks to the word.
import type { WordFieldsFragment } from '@voxgraph/sdk';

const LOW_CONFIDENCE = 0.5;

export function WordTimeline({ words, duration, now, onSeek }: { words: WordFieldsFragment[]; duration: number; now: number; onSeek: (t: number) => void }) {
  const total = Math.max(duration, words.at(-1)?.end ?? 0, 0.001);
  return (
    <div className="timeline-wrap">
      <ol className="timeline" aria-label="Word timeline">
        {words.map((w, i) => {
          const current = now >= w.start && now < w.end;
          const low = w.aligned && w.confidence != null && w.confidence < LOW_CONFIDENCE;
          const cls = ['word', current && 'current', !w.aligned && 'unplaced', low && 'low'].filter(Boolean).join(' ');
          const note = !w.aligned ? ', not placed (time interpolated)' : low ? `, low confidence ${w.confidence!.toFixed(2)}` : '';
          return (
            <li key={i} className={cls} style={{ left: `${(w.start / total) * 100}%`, width: `${Math.max(((w.end - w.start) / total) * 100, 0.5)}%` }} aria-current={current ? 'true' : undefined}>
              <button type="button" onClick={() => onSeek(w.start)} title={`${w.text}: ${w.start.toFixed(2)}–${w.end.toFixed(2)} s${note}`} aria-label={`${w.text} at ${w.start.toFixed(2)} seconds${note}`}>
                {w.text}
              </button>
            </li>
          );
        })}
      </ol>
      <p className="legend">
        <span className="word current">playing</span> <span className="word low">low confidence</span> <span className="word unplaced">not placed</span>
      </p>
      <p className="now-playing" aria-live="off" data-current-word={words.find((w) => now >= w.start && now < w.end)?.text ?? ''}>
        {words.find((w) => now >= w.start && now < w.end)?.text ?? '\u00a0'}
      </p>
    </div>
  );
}
