// Word timings (an align result's words, a synthesize result's words) as the files the tools
// around alignment read: SRT and WebVTT (one cue per word, through the `subtitle` library), Praat
// TextGrid (one interval tier "words", gaps as empty intervals, as MFA writes it), TSV
// (whisper's: start and end in integer milliseconds, then the text) and JSON.
import { stringifySync, type NodeList } from 'subtitle';
import type { Word } from '../../protocol/contract.ts';

export const EXPORT_FORMATS = ['srt', 'vtt', 'textgrid', 'tsv', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export type WordExport = { format: ExportFormat; contentType: string; filename: string; text: string };

const CONTENT_TYPES: Record<ExportFormat, string> = {
  srt: 'application/x-subrip; charset=utf-8',
  vtt: 'text/vtt; charset=utf-8',
  textgrid: 'text/plain; charset=utf-8',
  tsv: 'text/tab-separated-values; charset=utf-8',
  json: 'application/json',
};
const EXTENSIONS: Record<ExportFormat, string> = { srt: 'srt', vtt: 'vtt', textgrid: 'TextGrid', tsv: 'tsv', json: 'json' };

/** Cue and interval text on one line: a transcript's own line breaks and tabs would end a cue or a column. */
const oneLine = (s: string) => s.replace(/[\t\r\n\u2028\u2029]+/g, ' ').trim();

/** Words in time order with non-negative, non-overlapping spans (an engine's tiny overlaps are clipped to the previous end). */
function tidy(words: readonly Word[]): Word[] {
  const out: Word[] = [];
  for (const w of [...words].sort((a, b) => a.start - b.start)) {
    const start = Math.max(0, w.start, out.at(-1)?.end ?? 0);
    out.push({ ...w, start, end: Math.max(start, w.end) });
  }
  return out;
}

function subtitles(words: readonly Word[], format: 'SRT' | 'WebVTT'): string {
  let prevEnd = 0;
  const nodes: NodeList = tidy(words).map((w) => {
    // In whole milliseconds, a cue must end after it starts (WebVTT), so a word of no duration
    // lasts 1 ms and the next one starts after it: cues never overlap and never share a start,
    // which players (and the WebVTT cue order) would otherwise reorder.
    const start = Math.max(prevEnd, Math.round(w.start * 1000));
    const end = (prevEnd = Math.max(start + 1, Math.round(w.end * 1000)));
    // "-->" inside a cue's text would read as a timing line to some players.
    return { type: 'cue', data: { start, end, text: oneLine(w.text).replace(/-->/g, '->') } };
  });
  // subtitle writes nothing for no cues; a WebVTT file still needs its signature line.
  return nodes.length || format === 'SRT' ? stringifySync(nodes, { format }) : 'WEBVTT\n';
}

const num = (x: number) => String(Math.round(x * 1e6) / 1e6);
const quoted = (s: string) => `"${oneLine(s).replace(/"/g, '""')}"`;

/** Praat's long text format: one IntervalTier that covers 0..duration without gaps. */
function textGrid(words: readonly Word[], durationSeconds: number): string {
  const ws = tidy(words);
  const xmax = Math.max(durationSeconds, ws.at(-1)?.end ?? 0);
  const intervals: Array<{ xmin: number; xmax: number; text: string }> = [];
  let t = 0;
  for (const w of ws) {
    if (w.start > t) intervals.push({ xmin: t, xmax: w.start, text: '' });
    if (w.end > w.start) intervals.push({ xmin: w.start, xmax: w.end, text: w.text });
    t = Math.max(t, w.end);
  }
  if (xmax > t || intervals.length === 0) intervals.push({ xmin: t, xmax: Math.max(xmax, t), text: '' });
  const lines = [
    'File type = "ooTextFile"',
    'Object class = "TextGrid"',
    '',
    'xmin = 0',
    `xmax = ${num(xmax)}`,
    'tiers? <exists>',
    'size = 1',
    'item []:',
    '    item [1]:',
    '        class = "IntervalTier"',
    '        name = "words"',
    '        xmin = 0',
    `        xmax = ${num(xmax)}`,
    `        intervals: size = ${intervals.length}`,
    ...intervals.flatMap((iv, i) => [
      `        intervals [${i + 1}]:`,
      `            xmin = ${num(iv.xmin)}`,
      `            xmax = ${num(iv.xmax)}`,
      `            text = ${quoted(iv.text)}`,
    ]),
  ];
  return lines.join('\n') + '\n';
}

function tsv(words: readonly Word[]): string {
  return ['start\tend\ttext', ...tidy(words).map((w) => `${Math.round(w.start * 1000)}\t${Math.round(w.end * 1000)}\t${oneLine(w.text)}`)].join('\n') + '\n';
}

/**
 * The words as a file of `format`. durationSeconds is the audio's length (a TextGrid covers all
 * of it); `name` is the file name without extension.
 */
export function exportWords(words: readonly Word[], format: ExportFormat, durationSeconds: number, name: string): WordExport {
  const text =
    format === 'srt'
      ? subtitles(words, 'SRT')
      : format === 'vtt'
        ? subtitles(words, 'WebVTT')
        : format === 'textgrid'
          ? textGrid(words, durationSeconds)
          : format === 'tsv'
            ? tsv(words)
            : JSON.stringify({ durationSeconds, words }, null, 2) + '\n';
  return { format, contentType: CONTENT_TYPES[format], filename: `${name}.${EXTENSIONS[format]}`, text };
}
