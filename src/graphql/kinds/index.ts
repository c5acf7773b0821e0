// The job kinds of the GraphQL API: one module per kind (its input type and rules, its result type
// and its mutation). The `satisfies` makes the typecheck fail when a kind of the contract
// (protocol/contract.ts JOB_KINDS) has no module here. docs/adding-a-job-kind.md.
import type { JobKind } from '../../jobs/kinds.ts';
import * as align from './align.ts';
import * as denoise from './denoise.ts';
import * as synthesize from './synthesize.ts';

import type { Context } from '../context.ts';
import type { Submission } from './submit.ts';

/** What every kind module exports: its input type, how an input becomes a submission, its result type. */
type KindModule = { Input: unknown; prepare: (ctx: Context, input: never, field?: string) => Submission; result: unknown };

export const KIND_MODULES = { denoise, align, synthesize } satisfies Record<JobKind, KindModule>;
