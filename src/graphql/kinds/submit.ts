// What every job kind's mutation shares: the input rules common to all kinds and submit(), which
// checks the tenant's rate and the engine choice, stores the upload (if any) and enqueues the job.
import type { FileUpload } from 'graphql-upload-ts';
import { GraphQLError } from 'graphql';
import { z } from 'zod';
import { LANGUAGES } from '../../../protocol/contract.ts';
import { checkEngineChoice, offeredVersions } from '../../engines/catalog.ts';
import { enqueueBatch, enqueueJob, type JobRequest } from '../../jobs/enqueue.ts';
import { heldKey } from '../../jobs/idempotency.ts';
import type { JobKind } from '../../jobs/kinds.ts';
import { tenantStorageBytes } from '../../jobs/store.ts';
import { ingestUpload } from '../../uploads/ingest.ts';
import { builder } from '../builder.ts';
import { WebhookInput, webhookRules, webhookTarget } from '../types/webhook.ts';
import { tenantOf, type Context } from '../context.ts';
import { uuid } from '../validate.ts';

export const languageDescription = `ISO 639 code, one of: ${LANGUAGES.join(', ')}. Defaults to en.`;

// Validation rules shared by the kinds' inputs. Limits that come from config are applied by the resolvers.
export const engine = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,39}$/, { message: 'must be an engine name like "mmse-lsa"' }).nullish();
export const priority = z.number().int().min(-100, { message: 'must be between -100 and 100' }).max(100, { message: 'must be between -100 and 100' }).nullish();
export const language = z.enum(LANGUAGES, { message: `must be one of ${LANGUAGES.join(', ')}` }).nullish();
// The Upload scalar already resolved this to graphql-upload-ts's promise; zod only passes it on.
export const upload = z.custom<Promise<FileUpload>>().nullish();
export const exactlyOneSource = (v: { audioId?: unknown; file?: unknown }) => (v.audioId == null) !== (v.file == null);
export const sourceMessage = { message: 'give exactly one of audioId and file', path: ['audioId'] };
export const sampleRate = z.number().int().min(8000, { message: 'must be between 8000 and 48000' }).max(48000, { message: 'must be between 8000 and 48000' }).nullish();
export const formatDescription = 'The result\'s encoding. Default WAV.';
export const idempotencyKey = z
  .string()
  .min(1, { message: 'must not be empty' })
  .max(200, { message: 'must be at most 200 characters' })
  .regex(/^[\x21-\x7e]+$/, { message: 'must be printable ASCII without spaces' })
  .nullish();
/** How far ahead runAt and deadline may be (the queue keeps a waiting job JOB_QUEUE_RETENTION_SECONDS after its runAt). */
export const MAX_SCHEDULE_DAYS = 30;
const maxAhead = () => new Date(Date.now() + MAX_SCHEDULE_DAYS * 86_400_000);
export const runAt = z
  .date()
  .refine((d) => d <= maxAhead(), { message: `must be within ${MAX_SCHEDULE_DAYS} days` })
  .nullish();
export const deadline = z
  .date()
  .refine((d) => d > new Date(), { message: 'must be in the future' })
  .refine((d) => d <= maxAhead(), { message: `must be within ${MAX_SCHEDULE_DAYS} days` })
  .nullish();
/** Added to each kind's rules: a deadline before runAt could never be met. */
export const scheduleIsPossible = (v: { runAt?: Date | null; deadline?: Date | null }) => !v.runAt || !v.deadline || v.deadline > v.runAt;
export const scheduleMessage = { message: 'must be after runAt', path: ['deadline'] };
export const runAtDescription = `Not started before this instant (in the past: now). At most ${MAX_SCHEDULE_DAYS} days ahead.`;
export const deadlineDescription = 'If the job has not started by then it ends FAILED with DEADLINE_EXCEEDED instead of running late. In the future, after runAt.';
export const idempotencyKeyDescription =
  'A key of your choosing (1..200 printable ASCII characters) that makes retrying this mutation safe: the same key with the same input within 24 hours returns the same job and creates nothing; with a different input it is IDEMPOTENCY_CONFLICT.';

type InputFields = Parameters<Parameters<typeof builder.inputType>[1]['fields']>[0];

/** The fields every job input has, spread into each kind's input type; jobOptionRules validates them. */
export const jobOptionFields = (t: InputFields) => ({
  engine: t.string({ required: false, description: 'An engine name; the default is the best one the worker has.' }),
  priority: t.int({
    required: false,
    description: "-100..100 (default 0): the order among this tenant's own waiting jobs, higher first. Tenants take turns whatever their priorities.",
  }),
  idempotencyKey: t.string({ required: false, description: idempotencyKeyDescription }),
  runAt: t.field({ type: 'DateTime', required: false, description: runAtDescription }),
  deadline: t.field({ type: 'DateTime', required: false, description: deadlineDescription }),
  webhook: t.field({ type: WebhookInput, required: false, description: "POST this job's events here (default: the tenant's webhookSettings)." }),
  cache: t.boolean({
    required: false,
    description:
      'Default true: an identical job of this tenant (same kind, input audio content, parameters and engine) that succeeded within RESULT_CACHE_TTL_SECONDS answers this one at once (Job.cached), and one still in flight shares its run. false: neither.',
  }),
});
export const jobOptionRules = { engine, priority, idempotencyKey, runAt, deadline, cache: z.boolean().nullish(), webhook: webhookRules };

/** The input audio of a kind that takes one (exactly one of the two; sourceRules and exactlyOneSource check it). */
export const sourceFields = (t: InputFields) => ({
  audioId: t.id({ required: false }),
  file: t.field({ type: 'Upload', required: false }),
});
export const sourceRules = { audioId: uuid.nullish(), file: upload };

/** The input audio of a kind that takes one: an uploaded audio's id, or a file sent with the request. */
export type Source = { audioId?: string | null; file?: Promise<FileUpload> | null };

/**
 * The priority a tenant's job gets: what it asked for, at most its configured maximum. Priorities
 * only order a tenant's own line (tenants take turns whatever their priorities); the clamp is a
 * policy on top, e.g. a tier that may not reorder its jobs at all (TENANT_MAX_PRIORITY=free:0).
 */
export const clampPriority = (limits: { maxPriority: number; maxPriorityOf: ReadonlyMap<string, number> }, tenant: string, asked: number) =>
  Math.min(asked, limits.maxPriorityOf.get(tenant) ?? limits.maxPriority);

export type JobOptions = { engine?: string | null; priority?: number | null; idempotencyKey?: string | null; runAt?: Date | null; deadline?: Date | null; cache?: boolean | null;
  webhook?: { url: string; events?: readonly string[] | null } | null };

/** A kind's validated input, ready to submit alone (its mutation) or in a batch (submitBatch). */
export type Submission = { kind: JobKind; source: Source | null; params: Record<string, unknown>; opts: JobOptions };

/** The engine check and the upload: a submission as a JobRequest. `field`: where it sits in a batch. */
async function requestOf(ctx: Context, tenant: string, s: Submission, field?: string): Promise<JobRequest> {
  const { config, pool, storage, verifier } = ctx.deps;
  // Everything that can refuse the job comes before the upload is stored: a refusal after it
  // would leave the file behind.
  const webhook = webhookTarget(ctx, s.opts.webhook, field ? `${field}.webhook` : 'webhook');
  const cache = s.opts.cache === false ? null : { engines: await cacheEngines(ctx, s), ttlSeconds: config.resultCacheTtlSeconds };
  const input = !s.source
    ? null
    : s.source.file
      ? { upload: await ingestUpload(s.source.file, tenant, { storage, verifier, limits: config, storedBytes: (t) => tenantStorageBytes(pool, t), metrics: ctx.deps.metrics }) }
      : { audioId: s.source.audioId! };
  return {
    tenant, kind: s.kind, params: s.params, input, engine: s.opts.engine ?? null,
    priority: clampPriority(config.tenants, tenant, s.opts.priority ?? 0), idempotencyKey: s.opts.idempotencyKey ?? null,
    runAt: s.opts.runAt ?? null, deadline: s.opts.deadline ?? null, field, webhook, cache,
  };
}

/** The engine@versions whose results a submission may reuse (none with the cache turned off). */
const cacheEngines = (ctx: Context, s: Submission) =>
  ctx.deps.config.resultCacheTtlSeconds > 0 ? offeredVersions(ctx.deps.pool, ctx.deps.config.workerReadySeconds, s.kind, s.opts.engine) : Promise.resolve([]);

const checkEngine = (ctx: Context, s: Submission) =>
  checkEngineChoice(ctx.deps.pool, ctx.deps.config.workerReadySeconds, s.kind, s.opts.engine, (s.params.language as string | undefined) ?? null);

export async function submit(ctx: Context, kind: JobKind, source: Source | null, params: Record<string, unknown>, opts: JobOptions) {
  const tenant = tenantOf(ctx);
  const { config, pool, boss, storage, rateLimiter, log } = ctx.deps;
  const s = { kind, source, params, opts };
  // Before the upload is read: a job over the tenant's rate (as this process alone counts it) or
  // that no worker could run is refused without storing anything. A retry with a key already
  // taken skips both: it returns that key's job (or a conflict) and creates nothing.
  const replay = opts.idempotencyKey ? await heldKey(pool, tenant, opts.idempotencyKey) : null;
  if (!replay) {
    rateLimiter.take(tenant);
    await checkEngine(ctx, s);
  }
  return enqueueJob({ pool, boss, storage, limits: config.tenants, log }, await requestOf(ctx, tenant, s));
}

/**
 * submitBatch: every job checked first (rate, engines) so that a refused batch stores nothing,
 * then the uploads, one after the other, then one transaction. An upload refused half way removes
 * those stored before it.
 */
export async function submitBatch(ctx: Context, subs: Array<{ submission: Submission; field: string }>, idempotencyKey: string | null) {
  const tenant = tenantOf(ctx);
  const { config, pool, boss, storage, rateLimiter, log } = ctx.deps;
  const replay = idempotencyKey ? await heldKey(pool, tenant, idempotencyKey) : null;
  if (!replay) {
    rateLimiter.take(tenant, Date.now(), subs.length);
    for (const { submission } of subs) await checkEngine(ctx, submission);
  }
  const jobs: JobRequest[] = [];
  try {
    for (const { submission, field } of subs) {
      try {
        jobs.push(await requestOf(ctx, tenant, submission, field));
      } catch (err) {
        // An upload's refusal (UNSUPPORTED_AUDIO, UPLOAD_TOO_LARGE…) names the file it refused.
        if (err instanceof GraphQLError && submission.source?.file) (err.extensions as Record<string, unknown>).field ??= `${field}.file`;
        throw err;
      }
    }
  } catch (err) {
    await Promise.all(jobs.map((j) => (j.input && 'upload' in j.input ? storage.delete(j.input.upload.storageKey).catch(() => {}) : null)));
    throw err;
  }
  return enqueueBatch({ pool, boss, storage, limits: config.tenants, log }, { tenant, jobs, idempotencyKey });
}
