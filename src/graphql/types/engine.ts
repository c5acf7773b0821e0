import type { EngineEntry } from '../../engines/catalog.ts';
import type { JobKind } from '../../jobs/kinds.ts';
import { builder } from '../builder.ts';
import { JobKindEnum } from './enums.ts';

const VoiceListRef = builder.objectRef<{ language: string; names: string[] }>('VoiceList').implement({
  description: 'The voices an engine offers for one language (values for SynthesizeInput.voice).',
  fields: (t) => ({
    language: t.exposeString('language'),
    names: t.exposeStringList('names'),
  }),
});

export const EngineRef = builder.objectRef<EngineEntry>('Engine').implement({
  description: 'A speech engine that at least one live worker offers. Name it in a job input\'s `engine` to ask for it.',
  fields: (t) => ({
    kind: t.field({ type: JobKindEnum, resolve: (e) => e.kind as JobKind }),
    name: t.exposeString('name'),
    version: t.string({ description: 'The version on the live workers (several, comma separated, during a rollout).', resolve: (e) => e.versions.join(', ') }),
    devices: t.exposeStringList('devices', { description: 'Where it runs on the workers that offer it: cpu, cuda:0, …' }),
    languages: t.exposeStringList('languages', { description: 'ISO 639 codes; empty when the engine is language independent.' }),
    voices: t.field({ type: [VoiceListRef], resolve: (e) => Object.entries(e.voices).map(([language, names]) => ({ language, names })) }),
    isDefault: t.exposeBoolean('isDefault', { description: 'Jobs that name no engine get this one, for at least one language it speaks (on some live worker).' }),
    plugin: t.exposeBoolean('plugin', { description: 'A reference model loaded from a weights folder, rather than a built-in CPU engine.' }),
    maxBatch: t.exposeInt('maxBatch', { description: 'How many jobs a worker runs through it at once (dynamic batching).' }),
    workers: t.exposeInt('workers', { description: 'Live workers offering it.' }),
  }),
});
