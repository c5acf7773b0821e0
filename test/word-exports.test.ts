// Word exports: an align or synthesize result's words as SRT, VTT, TextGrid, TSV and JSON. Every
// format is read back by a parser other than ours (webvtt-parser for VTT, subtitle's for SRT, the
// textgrid package for TextGrid) on generated word lists, hostile text included, and end to end on
// real jobs through GraphQL.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { parseSync } from 'subtitle';
import type { Word } from '../protocol/contract.ts';
import { EXPORT_FORMATS, exportWords } from '../src/results/word-exports.ts';
import { speechWithTimings } from './support/audio.ts';
import { gql, gqlUpload, subscribeWs, WATCH_JOB } from './support/client.ts';
import { random } from './support/random.ts';
import { KEY_A, startTestServer, waitReady, type TestServer } from './support/server.ts';

const require = createRequire(import.meta.url);
const { WebVTTParser } = require('webvtt-parser');
const { TextGrid } = require('textgrid');

/** The textgrid package logs as it parses; keep the test output readable. */
function parseTextGrid(text: string) {
  const log = console.log;
  console.log = () => {};
  try {
    return TextGrid.textgridToJSON(text).items[0];
  } finally {
    console.log = log;
  }
}

const TOKENS = ['hello', 'world', 'naïve', '東京', 'it\'s', '"quoted"', 'tab\there', 'line\nbreak', '-->', 'a  b', 'ünïcødé', '😀', '<b>', '&amp;'];

/** Words in order with gaps, touching or slightly overlapping neighbours, and some of no duration. */
function generated(seed: number): { words: Word[]; duration: number } {
  const r = random(seed);
  const words: Word[] = [];
  let t = r.next() * 0.5;
  for (let i = 0, n = 1 + r.int(30); i < n; i++) {
    const start = Math.max(0, t + (r.next() < 0.2 ? -0.01 : r.next() * 0.3));
    const end = start + (r.next() < 0.1 ? 0 : 0.05 + r.next() * 0.6);
    words.push({ text: r.pick(TOKENS), start, end, confidence: r.next() < 0.3 ? null : r.next() });
    t = end;
  }
  return { words, duration: t + r.next() };
}

const oneLine = (s: string) => s.replace(/[\t\r\n]+/g, ' ').trim();
/** The spec of what every format shows: words in time order, each starting no earlier than the previous one ended. */
function spans(words: Word[]): Word[] {
  let prevEnd = 0;
  return [...words]
    .sort((a, b) => a.start - b.start)
    .map((w) => {
      const start = Math.max(0, w.start, prevEnd);
      const end = Math.max(start, w.end);
      prevEnd = end;
      return { ...w, start, end };
    });
}
const ms = (x: number) => Math.round(x * 1000);

describe('every format reads back with another parser (200 generated word lists)', () => {
  const cases = Array.from({ length: 200 }, (_, i) => generated(i + 1)).map((c) => ({ ...c, expected: spans(c.words) }));

  test('VTT: valid WebVTT, one cue per word, times to the millisecond, text on one line', () => {
    for (const { words, duration, expected } of cases) {
      const tree = new WebVTTParser().parse(exportWords(words, 'vtt', duration, 'j').text, 'metadata');
      assert.deepEqual(tree.errors, []);
      assert.equal(tree.cues.length, words.length);
      let prevEnd = 0;
      tree.cues.forEach((c: any, i: number) => {
        assert.equal(c.text, oneLine(expected[i]!.text).replace(/-->/g, '->'));
        assert.ok(c.startTime >= prevEnd && c.endTime > c.startTime, 'in order, no overlap');
        // A word of no duration lasts 1 ms (a WebVTT cue must end after it starts) and pushes the
        // next cue by as much: starts and ends stay within a few milliseconds of the word's.
        assert.ok(c.startTime >= expected[i]!.start - 0.0006 && c.startTime <= expected[i]!.start + 0.01);
        assert.ok(c.endTime >= expected[i]!.end - 0.0006 && c.endTime <= Math.max(expected[i]!.end, c.startTime) + 0.0016);
        prevEnd = c.endTime;
      });
    }
  });

  test('SRT: one numbered cue per word with the same times', () => {
    for (const { words, duration, expected } of cases) {
      const cues = parseSync(exportWords(words, 'srt', duration, 'j').text).filter((n) => n.type === 'cue');
      assert.equal(cues.length, words.length);
      cues.forEach((c, i) => {
        const cue = c.data as { start: number; end: number; text: string };
        assert.equal(cue.text, oneLine(expected[i]!.text).replace(/-->/g, '->'));
        assert.ok(cue.start >= ms(expected[i]!.start) && cue.start <= ms(expected[i]!.start) + 10);
        assert.equal(cue.end, Math.max(ms(expected[i]!.end), cue.start + 1));
      });
    }
  });

  test('TextGrid: one "words" tier covering 0..duration without gaps, the words in order', () => {
    for (const { words, duration, expected } of cases) {
      const tier = parseTextGrid(exportWords(words, 'textgrid', duration, 'j').text);
      assert.equal(tier.class, 'IntervalTier');
      assert.equal(tier.name, 'words');
      const ivs = tier.intervals.map((iv: any) => ({ xmin: Number(iv.xmin), xmax: Number(iv.xmax), text: iv.text }));
      assert.equal(ivs[0].xmin, 0);
      assert.ok(Math.abs(ivs.at(-1).xmax - Math.max(duration, words.at(-1)!.end)) < 1e-5);
      for (let i = 1; i < ivs.length; i++) assert.equal(ivs[i].xmin, ivs[i - 1].xmax, 'contiguous');
      // The package drops quotes and collapses what it reads; compare what survives.
      const norm = (s: string) => oneLine(s).replace(/"/g, '');
      const texts = ivs.filter((iv: any) => iv.text !== '').map((iv: any) => norm(iv.text));
      assert.deepEqual(texts, expected.filter((w) => w.end > w.start).map((w) => norm(w.text)).filter((t) => t !== ''));
    }
  });

  test('TSV and JSON: a row per word (integer milliseconds), and the words themselves', () => {
    for (const { words, duration } of cases) {
      const rows = exportWords(words, 'tsv', duration, 'j').text.trimEnd().split('\n').map((l) => l.split('\t'));
      assert.deepEqual(rows[0], ['start', 'end', 'text']);
      assert.equal(rows.length - 1, words.length);
      for (const row of rows.slice(1)) {
        assert.equal(row.length, 3);
        assert.match(row[0]!, /^\d+$/);
        assert.ok(Number(row[1]) >= Number(row[0]));
      }
      const json = JSON.parse(exportWords(words, 'json', duration, 'j').text);
      assert.deepEqual(json, { durationSeconds: duration, words });
    }
  });

  test('no words: every format is still a valid, empty file', () => {
    for (const format of EXPORT_FORMATS) if (format !== 'srt') assert.ok(exportWords([], format, 1.5, 'j').text.length > 0);
    assert.equal(exportWords([], 'srt', 1.5, 'j').text, ''); // an SRT file of no cues is empty
    assert.deepEqual(new WebVTTParser().parse(exportWords([], 'vtt', 1.5, 'j').text, 'metadata').errors, []);
    const tier = parseTextGrid(exportWords([], 'textgrid', 1.5, 'j').text);
    assert.deepEqual(tier.intervals.map((iv: any) => [Number(iv.xmin), Number(iv.xmax)]), [[0, 1.5]]);
  });
});

describe('through GraphQL, on real jobs', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ WORKERS: '1' });
    await waitReady(s.url);
  });
  after(() => s.close());

  const EXPORTS = EXPORT_FORMATS.map((f) => `${f}: export(format: ${f.toUpperCase()}) { format contentType filename text }`).join(' ');

  const finished = async (id: string) => {
    const r = await subscribeWs(s.url, KEY_A, WATCH_JOB, { id, after: 0 }).done;
    assert.equal(r.items.at(-1).jobUpdated.status, 'SUCCEEDED');
    return gql(s.url, KEY_A, `query($id: ID!) { job(id: $id) { input { durationSeconds } result {
      ... on AlignResult { words { text start end } ${EXPORTS} }
      ... on SynthesizeResult { audio { durationSeconds } words { text start end } ${EXPORTS} } } } }`, { id });
  };

  test('an align result exports its words, the TextGrid covering the whole input', { timeout: 120_000 }, async () => {
    const clip = speechWithTimings('the quick brown fox jumps');
    const res = await gqlUpload(s.url, KEY_A, `mutation($f: Upload!) { align(input: { file: $f, transcript: "the quick brown fox jumps" }) { id } }`, { f: null }, 'f', clip.path);
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    const id = res.data.align.id;
    const job = (await finished(id)).data.job;
    const { words } = job.result;
    assert.equal(job.result.vtt.contentType, 'text/vtt; charset=utf-8');
    assert.equal(job.result.textgrid.filename, `${id}.TextGrid`);
    const cues = new WebVTTParser().parse(job.result.vtt.text, 'metadata').cues;
    assert.deepEqual(cues.map((c: any) => c.text), words.map((w: any) => w.text));
    const tier = parseTextGrid(job.result.textgrid.text);
    assert.ok(Math.abs(Number(tier.intervals.at(-1).xmax) - job.input.durationSeconds) < 1e-5);
    assert.deepEqual(JSON.parse(job.result.json.text).words.map((w: any) => w.text), words.map((w: any) => w.text));
    assert.equal(job.result.tsv.text.trimEnd().split('\n').length, words.length + 1);
  });

  test('a synthesize result exports its words, timed against the result audio', { timeout: 120_000 }, async () => {
    const res = await gql(s.url, KEY_A, `mutation { synthesize(input: { text: "exports for speech too" }) { id } }`);
    const job = (await finished(res.data.synthesize.id)).data.job;
    const srt = parseSync(job.result.srt.text).filter((n) => n.type === 'cue');
    assert.equal(srt.length, job.result.words.length);
    const tier = parseTextGrid(job.result.textgrid.text);
    assert.ok(Math.abs(Number(tier.intervals.at(-1).xmax) - job.result.audio.durationSeconds) < 1e-5);
  });

  test('an unknown format is a GraphQL validation error, not a server error', async () => {
    const r = await gql(s.url, KEY_A, `{ jobs { nodes { result { ... on AlignResult { export(format: DOCX) { text } } } } } }`);
    assert.equal(r.errors?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
  });
});
