// New job: files (several → one batch), a recording, or text; the kind's parameters; upload progress.
import type { AudioFormat, BatchJobInput, Emotion, Engine, JobKind } from '@voxgraph/sdk';
import { useEffect, useMemo, useState, type DragEvent, type FormEvent } from 'react';
import { ErrorMessage } from './errors.tsx';
import { percent } from './format.ts';
import { Recorder } from './Recorder.tsx';
import { useClient } from './session.ts';

const EMOTIONS: Emotion[] = ['NEUTRAL', 'HAPPY', 'SAD', 'ANGRY', 'CALM', 'EXCITED', 'WHISPER'];
const FORMATS: AudioFormat[] = ['WAV', 'FLAC', 'MP3', 'OPUS'];
const RATES = [8000, 16000, 22050, 24000, 44100, 48000];
const ALL_LANGUAGES = ['en', 'zh', 'yue', 'fr', 'de', 'it', 'ja', 'ko', 'pt', 'ru', 'es'];

export function NewJob() {
  const client = useClient();
  const [kind, setKind] = useState<JobKind>('DENOISE');
  const [files, setFiles] = useState<File[]>([]);
  const [transcript, setTranscript] = useState('');
  const [text, setText] = useState('');
  const [language, setLanguage] = useState('en');
  const [emotion, setEmotion] = useState<Emotion>('NEUTRAL');
  const [intensity, setIntensity] = useState(0.5);
  const [voice, setVoice] = useState('');
  const [sampleRate, setSampleRate] = useState('');
  const [format, setFormat] = useState<AudioFormat>('WAV');
  const [engines, setEngines] = useState<Engine[]>([]);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [submitted, setSubmitted] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const [picker, setPicker] = useState(0); // remounts the file input to clear it after a submit

  useEffect(() => {
    client.engines().then(setEngines, () => setEngines([]));
  }, [client]);
  const languages = useMemo(() => {
    const spoken = new Set(engines.filter((e) => e.kind === kind).flatMap((e) => e.languages));
    return spoken.size ? ALL_LANGUAGES.filter((l) => spoken.has(l) || spoken.has('*')) : ALL_LANGUAGES;
  }, [engines, kind]);
  const voices = useMemo(
    () => [...new Set(engines.filter((e) => e.kind === 'SYNTHESIZE').flatMap((e) => e.voices.filter((v) => v.language === language).flatMap((v) => v.names)))],
    [engines, language],
  );

  const needsAudio = kind !== 'SYNTHESIZE';
  const pick = (list: FileList | null) => list && setFiles([...list]);
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    pick(e.dataTransfer.files);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setSubmitted(null);
    setProgress(needsAudio ? 0 : null);
    const onProgress = (p: { sentBytes: number; totalBytes: number | null }) => p.totalBytes && setProgress(p.sentBytes / p.totalBytes);
    const rate = sampleRate ? Number(sampleRate) : undefined;
    const jobFor = (file?: File): BatchJobInput =>
      kind === 'DENOISE'
        ? { denoise: { file, format, sampleRate: rate } }
        : kind === 'ALIGN'
          ? { align: { file, transcript, language } }
          : { synthesize: { text, language, emotion, intensity, voice: voice || undefined, sampleRate: rate, format } };
    try {
      if (needsAudio && files.length > 1) {
        const batch = await client.submitBatch({ jobs: files.map((f) => jobFor(f)) }, { onProgress });
        setSubmitted(`Batch of ${batch.size} jobs submitted.`);
      } else {
        const input = jobFor(files[0]);
        const job = 'denoise' in input ? await client.denoise(input.denoise, { onProgress }) : 'align' in input ? await client.align(input.align, { onProgress }) : await client.synthesize(input.synthesize);
        setSubmitted(`Job ${job.id.slice(0, 8)} submitted.`);
      }
      setFiles([]);
      setPicker((n) => n + 1);
    } catch (err) {
      setError(err);
    } finally {
      setProgress(null);
    }
  };

  return (
    <section className="card" aria-labelledby="new-job">
      <h2 id="new-job">New job</h2>
      <form onSubmit={submit}>
        <fieldset className="kinds">
          <legend>Kind</legend>
          {(['DENOISE', 'ALIGN', 'SYNTHESIZE'] as JobKind[]).map((k) => (
            <label key={k}>
              <input type="radio" name="kind" value={k} checked={kind === k} onChange={() => setKind(k)} /> {k.toLowerCase()}
            </label>
          ))}
        </fieldset>

        {needsAudio && (
          <div
            className={`drop${dragging ? ' dragging' : ''}`}
            onDragOver={(e) => {
              e.preventDefault();
              setDragging(true);
            }}
            onDragLeave={() => setDragging(false)}
            onDrop={onDrop}
          >
            <label htmlFor="audio-files">Audio files (drop here, or choose; several make a batch)</label>
            <input key={picker} id="audio-files" type="file" accept="audio/*" multiple onChange={(e) => pick(e.target.files)} />
            <Recorder onRecorded={(f) => setFiles([f])} />
            {files.length > 0 && (
              <ul className="files" aria-label="Chosen files">
                {files.map((f) => (
                  <li key={f.name + f.size}>
                    {f.name} <small>({Math.ceil(f.size / 1024)} KiB)</small>
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}

        {kind === 'ALIGN' && (
          <label className="field">
            Transcript
            <textarea required value={transcript} onChange={(e) => setTranscript(e.target.value)} rows={3} />
          </label>
        )}
        {kind === 'SYNTHESIZE' && (
          <label className="field">
            Text
            <textarea required value={text} onChange={(e) => setText(e.target.value)} rows={3} />
          </label>
        )}
        <div className="row">
          {kind !== 'DENOISE' && (
            <label className="field">
              Language
              <select value={language} onChange={(e) => setLanguage(e.target.value)}>
                {languages.map((l) => (
                  <option key={l}>{l}</option>
                ))}
              </select>
            </label>
          )}
          {kind === 'SYNTHESIZE' && (
            <>
              <label className="field">
                Emotion
                <select value={emotion} onChange={(e) => setEmotion(e.target.value as Emotion)}>
                  {EMOTIONS.map((m) => (
                    <option key={m} value={m}>
                      {m.toLowerCase()}
                    </option>
                  ))}
                </select>
              </label>
              <label className="field">
                Intensity {intensity.toFixed(2)}
                <input type="range" min={0} max={1} step={0.05} value={intensity} onChange={(e) => setIntensity(Number(e.target.value))} />
              </label>
              <label className="field">
                Voice
                <select value={voice} onChange={(e) => setVoice(e.target.value)}>
                  <option value="">engine default</option>
                  {voices.map((v) => (
                    <option key={v}>{v}</option>
                  ))}
                </select>
              </label>
            </>
          )}
          {kind !== 'ALIGN' && (
            <>
              <label className="field">
                Sample rate
                <select value={sampleRate} onChange={(e) => setSampleRate(e.target.value)}>
                  <option value="">{kind === 'DENOISE' ? "the input's" : "the engine's"}</option>
                  {RATES.map((r) => (
                    <option key={r} value={r}>
                      {r} Hz
                    </option>
                  ))}
                </select>
              </label>
              <label className="field">
                Format
                <select value={format} onChange={(e) => setFormat(e.target.value as AudioFormat)}>
                  {FORMATS.map((f) => (
                    <option key={f}>{f}</option>
                  ))}
                </select>
              </label>
            </>
          )}
        </div>
        <button type="submit" disabled={progress !== null || (needsAudio && !files.length)}>
          {needsAudio && files.length > 1 ? `Submit ${files.length} jobs as a batch` : 'Submit'}
        </button>
        {progress !== null && (
          <p role="status">
            Uploading <progress max={1} value={progress} aria-label="Upload progress" /> {percent(progress)}
          </p>
        )}
        {submitted && <p role="status">{submitted}</p>}
        <ErrorMessage error={error} />
      </form>
    </section>
  );
}
