import { useRef, useState } from 'react';
import { toWav } from './wav.ts';

/** Record from the microphone; the recording is handed on as a WAV file. */
export function Recorder({ onRecorded }: { onRecorded: (file: File) => void }) {
  const [state, setState] = useState<'idle' | 'recording' | 'error'>('idle');
  const [message, setMessage] = useState('');
  const recorder = useRef<MediaRecorder | null>(null);
  const start = async () => {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const chunks: Blob[] = [];
      const r = new MediaRecorder(stream);
      r.ondataavailable = (e) => chunks.push(e.data);
      r.onstop = async () => {
        stream.getTracks().forEach((t) => t.stop());
        try {
          onRecorded(await toWav(new Blob(chunks, { type: r.mimeType })));
          setState('idle');
        } catch (err) {
          setState('error');
          setMessage(`could not read the recording: ${(err as Error).message}`);
        }
      };
      r.start();
      recorder.current = r;
      setState('recording');
    } catch (err) {
      setState('error');
      setMessage(`no microphone: ${(err as Error).message}`);
    }
  };
  const stop = () => recorder.current?.stop();
  return (
    <span className="recorder">
      {state === 'recording' ? (
        <button type="button" className="danger" onClick={stop}>
          ■ Stop recording
        </button>
      ) : (
        <button type="button" onClick={start}>
          ● Record
        </button>
      )}
      {state === 'recording' && <span role="status"> Recording…</span>}
      {state === 'error' && <span role="alert" className="error-inline"> {message}</span>}
    </span>
  );
}
