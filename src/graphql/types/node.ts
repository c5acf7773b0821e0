// Relay's object identification: Job, Audio and Batch implement Node, and node(id) / nodes(ids)
// fetch any of them. Their ids stay the UUIDs the API has always returned: random UUIDs are
// unique across all three tables already, so node(id) looks the id up in each (the caller's
// tenant only) instead of decoding a type from it. @pothos/plugin-relay was not used for this: its
// global ids ("Type:id" in base64) would have changed every id clients hold, and its decoding
// must name the type without a database read.
import { apiError, ErrorCode } from '../../errors.ts';
import { foldBatch, getBatch, type BatchView } from '../../jobs/batches.ts';
import type { AudioRow, JobRow } from '../../jobs/rows.ts';
import { getAudio, getJob } from '../../jobs/store.ts';
import { builder } from '../builder.ts';
import { isUuid } from '../validate.ts';
import { tenantOf, type Context } from '../context.ts';

export type NodeShape = JobRow | AudioRow | BatchView;

const typeOf = (v: NodeShape): 'Job' | 'Audio' | 'Batch' => ('batch' in v ? 'Batch' : 'storage_key' in v ? 'Audio' : 'Job');

export const NodeRef = builder.interfaceRef<NodeShape>('Node').implement({
  description: 'An object with an id that node(id) fetches again (Relay object identification).',
  resolveType: (v) => typeOf(v),
  fields: (t) => ({
    id: t.id({ resolve: (v) => ('batch' in v ? v.batch.id : v.id) }),
  }),
});

async function nodeOf(ctx: Context, tenant: string, id: string): Promise<NodeShape | null> {
  if (!isUuid(id)) return null;
  const { pool } = ctx.deps;
  const [job, audio, batch] = await Promise.all([getJob(pool, tenant, id), getAudio(pool, tenant, id), getBatch(pool, tenant, id)]);
  if (batch) return (await foldBatch(pool, batch)).view(false);
  return job ?? audio ?? null;
}

builder.queryFields((t) => ({
  node: t.field({
    type: NodeRef,
    nullable: true,
    description: "The Job, Audio or Batch of the caller's tenant with this id; null when there is none.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) => nodeOf(ctx, tenantOf(ctx), String(id)),
  }),
  nodes: t.field({
    type: [NodeRef],
    nullable: { list: false, items: true },
    description: 'node(id) for each id (at most 100), in order.',
    args: { ids: t.arg.idList({ required: true }) },
    resolve: (_r, { ids }, ctx) => {
      const tenant = tenantOf(ctx);
      if (ids.length > 100) throw apiError(ErrorCode.BAD_USER_INPUT, 'ids: at most 100', { field: 'ids' });
      return Promise.all(ids.map((id) => nodeOf(ctx, tenant, String(id))));
    },
  }),
}));
