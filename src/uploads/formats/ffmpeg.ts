// The containers we do not check in-process (MP4/M4A, WebM/Matroska, AIFF, and WAV or Ogg with
// other codecs): ffprobe reads what the file is, then ffmpeg decodes every sample of its first
// audio stream. Two processes per file, so at most `processes` files are checked at once.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pLimit from 'p-limit';
import { accepted, corrupt, unsupported, type Verdict } from '../audio-info.ts';

const run = promisify(execFile);

// Containers we accept, with the type we serve them as. Anything else is unsupported even if
// ffmpeg could read it (images, subtitles, raw data that happens to probe).
const CONTAINERS: Record<string, { contentType: string; extension: string }> = {
  wav: { contentType: 'audio/wav', extension: 'wav' },
  ogg: { contentType: 'audio/ogg', extension: 'ogg' },
  'mov,mp4,m4a,3gp,3g2,mj2': { contentType: 'audio/mp4', extension: 'm4a' },
  'matroska,webm': { contentType: 'audio/webm', extension: 'webm' },
  aiff: { contentType: 'audio/aiff', extension: 'aiff' },
};

export class FfmpegChecker {
  private readonly limit: ReturnType<typeof pLimit>;

  constructor(processes: number) {
    this.limit = pLimit(processes);
  }

  verify(path: string, timeoutMs: number): Promise<Verdict> {
    return this.limit(async () => {
      const probed = await probe(path);
      if (!probed.ok) return probed;
      return (await decodesToTheEnd(path, timeoutMs)) ?? probed;
    });
  }
}

async function probe(path: string): Promise<Verdict> {
  let out: { streams?: Array<Record<string, unknown>>; format?: Record<string, unknown> };
  try {
    const { stdout } = await run(
      'ffprobe',
      ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'format=format_name,duration:stream=codec_name,sample_rate,channels,duration', '-of', 'json', path],
      { timeout: 30_000, maxBuffer: 1 << 20 },
    );
    out = JSON.parse(stdout);
  } catch (err) {
    const detail = firstLine(err);
    // A file cut short inside its header: it started as a format we know, but ends too early.
    return /End of file/i.test(detail) ? corrupt(detail) : unsupported(detail);
  }
  const stream = out.streams?.[0];
  const formatName = String(out.format?.format_name ?? '');
  const container = CONTAINERS[formatName];
  if (!stream || !container) return unsupported(`format ${formatName || 'unknown'}`);
  const durationSeconds = Number(stream.duration ?? out.format?.duration);
  const sampleRate = Number(stream.sample_rate);
  const channels = Number(stream.channels);
  if (!(durationSeconds > 0) || !(sampleRate > 0) || !(channels > 0)) return corrupt('no duration, sample rate or channel count');
  return accepted({ format: formatName, codec: String(stream.codec_name), ...container, durationSeconds, sampleRate, channels });
}

/** Decodes every sample of the first audio stream: null when it does, else the failure. */
async function decodesToTheEnd(path: string, timeoutMs: number): Promise<Verdict | null> {
  try {
    const { stderr } = await run('ffmpeg', ['-nostdin', '-v', 'error', '-xerror', '-i', path, '-map', '0:a:0', '-f', 'null', '-'], {
      timeout: timeoutMs,
      maxBuffer: 1 << 20,
    });
    return stderr.trim() ? corrupt(stderr.trim().split('\n')[0]!) : null;
  } catch (err) {
    return corrupt(firstLine(err));
  }
}

function firstLine(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  return (e.stderr?.trim() || e.message || String(err)).split('\n')[0]!.slice(0, 300);
}
