// What ingest learns about an uploaded file, and the verdict of a format check. Shared by the
// in-process checks (formats/*.ts, some of which run in worker threads) and the ffmpeg fallback.

export type AudioInfo = {
  format: string; // the container, named as ffprobe names it: wav, flac, ogg, mp3, "mov,mp4,m4a,3gp,3g2,mj2", ...
  codec: string; // the codec, named as ffprobe names it: pcm_s16le, flac, opus, vorbis, mp3, aac, ...
  contentType: string;
  extension: string;
  durationSeconds: number;
  sampleRate: number;
  channels: number;
};

/**
 * `unsupported`: not audio, or not a container/codec we accept (UNSUPPORTED_AUDIO).
 * `corrupt`: a format we accept whose bytes do not hold up: truncated, damaged (CORRUPT_AUDIO).
 */
export type Verdict = { ok: true; info: AudioInfo } | { ok: false; reason: 'unsupported' | 'corrupt'; detail: string };

export const accepted = (info: AudioInfo): Verdict => ({ ok: true, info });
export const unsupported = (detail: string): Verdict => ({ ok: false, reason: 'unsupported', detail });
export const corrupt = (detail: string): Verdict => ({ ok: false, reason: 'corrupt', detail });

/** How many samples (frames × channels) the audio decodes to: what MAX_AUDIO_SAMPLES caps. */
export const decodedSamples = (info: Pick<AudioInfo, 'durationSeconds' | 'sampleRate' | 'channels'>) =>
  Math.ceil(info.durationSeconds * info.sampleRate) * info.channels;
