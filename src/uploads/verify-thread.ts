// The worker-thread side of AudioVerifier (verify.ts): the formats whose check decodes every
// frame, which takes real CPU on long files, run here so the event loop never waits for them.
import { verifyFlac } from './formats/flac.ts';
import { verifyMp3 } from './formats/mp3.ts';
import { verifyOgg } from './formats/ogg.ts';
import type { Verdict } from './audio-info.ts';

export type DecodeTask = { path: string; size: number; container: 'flac' | 'ogg' | 'mp3' };

// The decoders print their errors with console.error; we return them in the verdict instead.
console.error = () => {};

export default function verify({ path, size, container }: DecodeTask): Promise<Verdict | 'delegate'> {
  switch (container) {
    case 'flac':
      return verifyFlac(path);
    case 'ogg':
      return verifyOgg(path, size);
    case 'mp3':
      return verifyMp3(path, size);
  }
}
