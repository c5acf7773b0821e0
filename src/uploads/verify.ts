// Is this file audio we accept, and what is it? Decided from its bytes alone, without a process
// per upload: the container is sniffed from the first bytes, then
//   WAV (PCM/float/A-law/µ-law)  its chunks are checked on the main thread (formats/wav.ts)
//   FLAC, Ogg Opus/Vorbis, MP3    every frame is decoded in a worker thread (formats/flac|ogg|mp3.ts)
//   M4A/AAC, WebM, AIFF, others   ffprobe + ffmpeg, a bounded number at a time (formats/ffmpeg.ts)
// A check that runs longer than a generous limit for the file's size ends as CORRUPT_AUDIO; the
// clock starts when a thread takes the file, not while it waits for one. At most QUEUE_PER_THREAD
// files per thread wait; past that uploads are refused with SERVER_BUSY, to retry.
import pLimit from 'p-limit';
import { Piscina } from 'piscina';
import { apiError, ErrorCode } from '../errors.ts';
import { corrupt, unsupported, type Verdict } from './audio-info.ts';
import { FileBytes } from './file-bytes.ts';
import { FfmpegChecker } from './formats/ffmpeg.ts';
import { verifyWav } from './formats/wav.ts';
import { id3v2Size, sniff, SNIFF_BYTES } from './sniff.ts';
import type { DecodeTask } from './verify-thread.ts';
import type { Logger } from '../log.ts';

export type VerifierOptions = { threads: number; ffmpegProcesses: number; log: Logger };
/** What the check may let through: past these it stops decoding (the caller refuses the file). */
export type VerifyLimits = { maxAudioSamples: number; maxAudioSeconds: number };

const QUEUE_PER_THREAD = 32;
/** Beyond a check's own time limit, before its thread is killed: a decoder stuck inside one call. */
const STUCK_MARGIN_MS = 30_000;

export const ACCEPTED_FORMATS = 'wav, flac, ogg/opus, ogg/vorbis, mp3, m4a/aac, webm, aiff';

/** Roughly 10 s per 100 MB on one core, the slowest decoder's pace, plus a minute. */
const timeLimitMs = (bytes: number) => 60_000 + Math.ceil(bytes / 10_000);

export class AudioVerifier {
  private readonly pool: Piscina<DecodeTask, Verdict | 'delegate'>;
  private readonly running: ReturnType<typeof pLimit>;
  private readonly maxWaiting: number;
  private readonly ffmpeg: FfmpegChecker;
  private readonly log: Logger;

  constructor(o: VerifierOptions) {
    this.running = pLimit(o.threads); // a task goes to the pool only when a thread is free
    this.maxWaiting = o.threads * QUEUE_PER_THREAD;
    this.pool = new Piscina({
      filename: new URL('./verify-thread.ts', import.meta.url).href,
      minThreads: 1,
      maxThreads: o.threads,
      idleTimeout: 60_000,
    });
    this.ffmpeg = new FfmpegChecker(o.ffmpegProcesses);
    this.log = o.log;
  }

  /** `head`: the file's first bytes, when the caller has them in memory (saves reading them). */
  async verify(path: string, size: number, limits: VerifyLimits, head?: Buffer): Promise<Verdict> {
    const file = new FileBytes(path, size, head);
    let container;
    try {
      const start = await file.read(0, SNIFF_BYTES);
      const tag = id3v2Size(start);
      container = sniff(start, tag ? await file.read(tag, 16) : undefined);
      if (container === 'wav') {
        const verdict = await verifyWav(file);
        if (verdict !== 'delegate') return verdict;
      }
    } finally {
      await file.close();
    }
    if (container === null) return unsupported(`not a format we accept (${ACCEPTED_FORMATS})`);
    if (container === 'flac' || container === 'ogg' || container === 'mp3') {
      const verdict = await this.decode({ path, size, container, maxSamples: limits.maxAudioSamples, maxSeconds: limits.maxAudioSeconds, budgetMs: timeLimitMs(size) });
      if (verdict !== 'delegate') return verdict;
    }
    return this.ffmpeg.verify(path, timeLimitMs(size));
  }

  private async decode(task: DecodeTask): Promise<Verdict | 'delegate'> {
    if (this.running.pendingCount >= this.maxWaiting) {
      throw apiError(ErrorCode.SERVER_BUSY, 'too many uploads are being checked right now; retry shortly', { retryAfterSeconds: 5 });
    }
    try {
      return await this.running(() => this.pool.run(task, { signal: AbortSignal.timeout(task.budgetMs + STUCK_MARGIN_MS) }));
    } catch (err) {
      // A hostile file may crash or stall a decoder: the thread is replaced, the upload refused.
      this.log.warn({ err, container: task.container, bytes: task.size }, 'audio check failed in its thread');
      const timedOut = (err as Error).name === 'AbortError' || (err as Error).name === 'TimeoutError';
      return corrupt(timedOut ? 'decoding took too long' : `the ${task.container} decoder failed on this file`);
    }
  }

  close(): Promise<void> {
    return this.pool.close({ force: true });
  }
}
