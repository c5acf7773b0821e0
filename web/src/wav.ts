// A microphone recording (MediaRecorder's WebM/Opus) as 16-bit PCM WAV: a format every engine
// and the server's upload checks take, whatever codec the browser records in.
export async function toWav(recording: Blob): Promise<File> {
  const ctx = new AudioContext();
  try {
    const audio = await ctx.decodeAudioData(await recording.arrayBuffer());
    const channels = audio.numberOfChannels;
    const frames = audio.length;
    const data = new DataView(new ArrayBuffer(44 + frames * channels * 2));
    const text = (at: number, s: string) => [...s].forEach((c, i) => data.setUint8(at + i, c.charCodeAt(0)));
    text(0, 'RIFF');
    data.setUint32(4, 36 + frames * channels * 2, true);
    text(8, 'WAVE');
    text(12, 'fmt ');
    data.setUint32(16, 16, true);
    data.setUint16(20, 1, true);
    data.setUint16(22, channels, true);
    data.setUint32(24, audio.sampleRate, true);
    data.setUint32(28, audio.sampleRate * channels * 2, true);
    data.setUint16(32, channels * 2, true);
    data.setUint16(34, 16, true);
    text(36, 'data');
    data.setUint32(40, frames * channels * 2, true);
    const planes = Array.from({ length: channels }, (_, c) => audio.getChannelData(c));
    let at = 44;
    for (let i = 0; i < frames; i++) {
      for (const plane of planes) {
        const v = Math.max(-1, Math.min(1, plane[i]!));
        data.setInt16(at, v < 0 ? v * 0x8000 : v * 0x7fff, true);
        at += 2;
      }
    }
    return new File([data.buffer], `recording-${new Date().toISOString().replace(/[:.]/g, '-')}.wav`, { type: 'audio/wav' });
  } finally {
    void ctx.close();
  }
}
