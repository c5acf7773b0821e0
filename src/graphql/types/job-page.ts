// A page of jobs, newest first, keyset-paginated on (created_at, id): the jobs query and a batch's jobs.
import { apiError, ErrorCode } from '../../errors.ts';
import type { JobRow } from '../../jobs/rows.ts';
import { builder } from '../builder.ts';
import { isUuid } from '../validate.ts';
import { JobRef } from './job.ts';

export type JobPage = { nodes: Array<JobRow & { created_us: string }>; hasNextPage: boolean; after?: string | null };

/** Relay's PageInfo (forward pagination: `first` and `after`). */
export type PageInfoShape = { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };

export const PageInfo = builder.objectRef<PageInfoShape>('PageInfo').implement({
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    hasPreviousPage: t.exposeBoolean('hasPreviousPage', { description: 'Whether the page was asked for after a cursor (there are items before it).' }),
    startCursor: t.exposeString('startCursor', { nullable: true }),
    endCursor: t.exposeString('endCursor', { nullable: true, description: 'Pass it as `after` for the next page.' }),
  }),
});

export const pageInfoOf = (cursors: string[], hasNextPage: boolean, after: string | null | undefined): PageInfoShape => ({
  hasNextPage,
  hasPreviousPage: after != null,
  startCursor: cursors[0] ?? null,
  endCursor: cursors.at(-1) ?? null,
});

const JobEdgeRef = builder.objectRef<JobRow & { created_us: string }>('JobEdge').implement({
  fields: (t) => ({
    cursor: t.string({ resolve: (j) => encodeCursor(j) }),
    node: t.field({ type: JobRef, resolve: (j) => j }),
  }),
});

export const JobPageRef = builder.objectRef<JobPage>('JobConnection').implement({
  description: 'A page of jobs (a Relay connection; `nodes` is the edges\' nodes, for convenience).',
  fields: (t) => ({
    edges: t.field({ type: [JobEdgeRef], resolve: (p) => p.nodes }),
    nodes: t.field({ type: [JobRef], resolve: (p) => p.nodes }),
    pageInfo: t.field({ type: PageInfo, resolve: (p) => pageInfoOf(p.nodes.map(encodeCursor), p.hasNextPage, p.after) }),
  }),
});

// The position is created_at in microseconds (what PostgreSQL keeps; a JS Date would round to
// milliseconds, and a batch's jobs share one created_at) and the id.
export const encodeCursor = (r: { created_us: string; id: string }) => Buffer.from(`${r.created_us}|${r.id}`).toString('base64url');
export function decodeCursor(c: string, field = 'after'): { createdUs: string; id: string } {
  const [us, id, ...rest] = Buffer.from(c, 'base64url').toString().split('|');
  // Exactly what encodeCursor makes; microseconds since 1970 between 2000 and 9999.
  if (rest.length || !id || !isUuid(id) || !/^\d{15,17}$/.test(us ?? '') || encodeCursor({ created_us: us!, id }) !== c) {
    throw apiError(ErrorCode.BAD_USER_INPUT, `${field}: not a cursor from this API`, { field });
  }
  return { createdUs: us!, id };
}

/** `first` of a page: 1..100. */
export function pageSize(first: number | null | undefined, def = 20): number {
  const n = first ?? def;
  if (n < 1 || n > 100) throw apiError(ErrorCode.BAD_USER_INPUT, 'first: must be between 1 and 100', { field: 'first' });
  return n;
}
