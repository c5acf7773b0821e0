// Is this audio, and what is it? Decided by decoding the bytes with ffprobe/ffmpeg, never by the
// file name or the client's MIME type.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type AudioInfo = {
  format: string; // ffprobe's format_name, e.g. "wav", "mov,mp4,m4a,3gp,3g2,mj2"
  codec: string;
  contentType: string;
  extension: string;
  durationSeconds: number;
  sampleRate: number;
  channels: number;
};

export type ProbeResult = { ok: true; info: AudioInfo } | { ok: false; reason: 'unsupported' | 'corrupt'; detail: string };

// Containers we accept, with the type we serve them as. Anything else is UNSUPPORTED_AUDIO even if
// ffmpeg could read it (images, subtitles, raw data that happens to probe).
const CONTAINERS: Record<string, { contentType: string; extension: string }> = {
  wav: { contentType: 'audio/wav', extension: 'wav' },
  flac: { contentType: 'audio/flac', extension: 'flac' },
  ogg: { contentType: 'audio/ogg', extension: 'ogg' },
  mp3: { contentType: 'audio/mpeg', extension: 'mp3' },
  'mov,mp4,m4a,3gp,3g2,mj2': { contentType: 'audio/mp4', extension: 'm4a' },
  'matroska,webm': { contentType: 'audio/webm', extension: 'webm' },
  aiff: { contentType: 'audio/aiff', extension: 'aiff' },
};

export async function probeAudio(path: string): Promise<ProbeResult> {
  let probe: { streams?: Array<Record<string, unknown>>; format?: Record<string, unknown> };
  try {
    const { stdout } = await run(
      'ffprobe',
      ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'format=format_name,duration:stream=codec_name,sample_rate,channels,duration', '-of', 'json', path],
      { timeout: 30_000, maxBuffer: 1 << 20 },
    );
    probe = JSON.parse(stdout);
  } catch (err) {
    const detail = firstLine(err);
    // A file cut short inside its header: it started as a format we know, but ends too early.
    return { ok: false, reason: /End of file/i.test(detail) ? 'corrupt' : 'unsupported', detail };
  }
  const stream = probe.streams?.[0];
  const container = CONTAINERS[String(probe.format?.format_name ?? '')];
  if (!stream || !container) return { ok: false, reason: 'unsupported', detail: `format ${probe.format?.format_name ?? 'unknown'}` };
  const duration = Number(stream.duration ?? probe.format?.duration);
  const sampleRate = Number(stream.sample_rate);
  const channels = Number(stream.channels);
  if (!(duration > 0) || !(sampleRate > 0) || !(channels > 0)) {
    return { ok: false, reason: 'corrupt', detail: 'no duration, sample rate or channel count' };
  }
  return {
    ok: true,
    info: { format: String(probe.format?.format_name), codec: String(stream.codec_name), ...container, durationSeconds: duration, sampleRate, channels },
  };
}

/** Decodes every sample of the first audio stream; a truncated or damaged file fails here. */
export async function checkDecodes(path: string, timeoutMs: number): Promise<{ ok: true } | { ok: false; detail: string }> {
  try {
    const { stderr } = await run('ffmpeg', ['-nostdin', '-v', 'error', '-xerror', '-i', path, '-map', '0:a:0', '-f', 'null', '-'], {
      timeout: timeoutMs,
      maxBuffer: 1 << 20,
    });
    return stderr.trim() ? { ok: false, detail: stderr.trim().split('\n')[0]! } : { ok: true };
  } catch (err) {
    return { ok: false, detail: firstLine(err) };
  }
}

function firstLine(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  return (e.stderr?.trim() || e.message || String(err)).split('\n')[0]!.slice(0, 300);
}
