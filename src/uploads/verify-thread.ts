// The worker-thread side of AudioVerifier (verify.ts): the formats whose check decodes every
// frame, which takes real CPU on long files, run here so the event loop never waits for them.
import { verifyFlac } from './formats/flac.ts';
import { verifyMp3 } from './formats/mp3.ts';
import { verifyOgg } from './formats/ogg.ts';
import type { Verdict } from './audio-info.ts';

export type DecodeTask = {
  path: string;
  size: number;
  container: 'flac' | 'ogg' | 'mp3';
  maxSamples: number;
  maxSeconds: number;
  /** How long the check may run, from when it starts here. */
  budgetMs: number;
};

// The decoders report errors twice: in their results (which the checks use) and on console.error
// with a prefix of their own. Drop those lines only; anything else still reaches stderr.
const consoleError = console.error.bind(console);
console.error = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && /^(@wasm-audio-decoders|libopus |mpg123-decoder|codec-parser)/.test(args[0])) return;
  consoleError(...args);
};

export default function verify(task: DecodeTask): Promise<Verdict | 'delegate'> {
  const limits = { maxSamples: task.maxSamples, maxSeconds: task.maxSeconds, deadline: Date.now() + task.budgetMs };
  switch (task.container) {
    case 'flac':
      return verifyFlac(task.path, task.size, limits);
    case 'ogg':
      return verifyOgg(task.path, task.size, limits);
    case 'mp3':
      return verifyMp3(task.path, task.size, limits);
  }
}
