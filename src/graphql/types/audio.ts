import type { AudioRow } from '../../jobs/rows.ts';
import { builder } from '../builder.ts';
import { NodeRef } from './node.ts';

export const AudioRef = builder.objectRef<AudioRow>('Audio').implement({
  interfaces: [NodeRef],
  isTypeOf: (v) => typeof v === 'object' && v !== null && 'storage_key' in v,
  description: 'Stored audio: an upload or a job result.',
  fields: (t) => ({
    url: t.string({
      description: 'An absolute, signed URL (GET, Range supported) that expires after URL_TTL_SECONDS; fetch the field again for a fresh one. With FILE_URLS=presigned it is the object store\'s own presigned URL.',
      resolve: (a, _args, ctx) => {
        const { storage, config, signer } = ctx.deps;
        return config.fileUrls === 'presigned' && storage.presignedUrl ? storage.presignedUrl(a.storage_key, config.urlTtlSeconds, a.content_type) : signer.sign(a.id);
      },
    }),
    contentType: t.exposeString('content_type'),
    bytes: t.int({ resolve: (a) => Number(a.bytes) }),
    sha256: t.exposeString('sha256'),
    durationSeconds: t.exposeFloat('duration_seconds'),
    sampleRate: t.exposeInt('sample_rate'),
    channels: t.exposeInt('channels'),
    codec: t.exposeString('codec'),
    createdAt: t.expose('created_at', { type: 'DateTime' }),
  }),
});
