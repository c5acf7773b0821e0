// Webhooks in the schema: the input a job mutation takes, Job.webhookDeliveries, the tenant's
// settings (default target and signing secret) and redelivery. The machinery: src/webhooks/.
import { z } from 'zod';
import type { Queryable } from '../../db/pool.ts';
import { apiError, ErrorCode, notFound } from '../../errors.ts';
import { getJob } from '../../jobs/store.ts';
import { attemptsOf, deliveriesOf, redeliver, rotateSecret, setTenantDefault, tenantWebhook, type AttemptRow, type DeliveryRow, type TenantWebhookRow, type WebhookTarget } from '../../webhooks/store.ts';
import { urlProblem } from '../../webhooks/url-policy.ts';
import { builder } from '../builder.ts';
import { tenantOf, type Context } from '../context.ts';
import { uuid, validate } from '../validate.ts';

export const WEBHOOK_EVENTS = ['QUEUED', 'RUNNING', 'PROGRESS', 'RETRYING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
/** Without `events`: every change of status, not the progress reports. */
export const DEFAULT_WEBHOOK_EVENTS = WEBHOOK_EVENTS.filter((e) => e !== 'PROGRESS');

export const WebhookEventEnum = builder.enumType('WebhookEvent', {
  description: 'What a webhook is sent for: a status a job reaches, or PROGRESS (a progress report while RUNNING).',
  values: WEBHOOK_EVENTS,
});

export const WebhookInput = builder.inputType('WebhookInput', {
  description:
    'Where to POST a job\'s events, signed the Standard Webhooks way with the tenant\'s secret (webhookSettings.secret). http(s) only, no credentials in the URL, ' +
    'and (unless the server allows private networks) a public address.',
  fields: (t) => ({
    url: t.string({ required: true }),
    events: t.field({ type: [WebhookEventEnum], required: false, description: 'Default: every status change (not PROGRESS).' }),
  }),
});

export const webhookRules = z
  .object({ url: z.string(), events: z.array(z.enum(WEBHOOK_EVENTS)).max(WEBHOOK_EVENTS.length).nullish() })
  .nullish();

/** The webhook of an input, checked against the address policy; null when none. BAD_USER_INPUT names `field`. */
export function webhookTarget(ctx: Context, input: { url: string; events?: readonly string[] | null } | null | undefined, field: string): WebhookTarget | null {
  if (!input) return null;
  const problem = urlProblem(input.url, ctx.deps.config.webhooks.allowPrivateNetworks);
  if (problem) throw apiError(ErrorCode.BAD_USER_INPUT, `${field}.url: ${problem}`, { field: `${field}.url` });
  const events = input.events?.length ? [...new Set(input.events)] : [...DEFAULT_WEBHOOK_EVENTS];
  return { url: input.url, events };
}

type Delivery = DeliveryRow & { attemptList?: AttemptRow[] };

const WebhookAttemptRef = builder.objectRef<AttemptRow>('WebhookAttempt').implement({
  fields: (t) => ({
    at: t.expose('at', { type: 'DateTime' }),
    statusCode: t.exposeInt('status_code', { nullable: true, description: "The receiver's HTTP status; null when none came (timeout, refused, connection error)." }),
    error: t.exposeString('error', { nullable: true }),
    durationMs: t.exposeInt('duration_ms'),
  }),
});

export const WebhookDeliveryRef = builder.objectRef<Delivery>('WebhookDelivery').implement({
  description: "One event's webhook: its attempts so far. status PENDING while attempts remain, DELIVERED at the first 2xx, FAILED when they ran out (or the address is forbidden).",
  fields: (t) => ({
    id: t.exposeID('id'),
    event: t.field({ type: WebhookEventEnum, resolve: (d) => d.event as (typeof WEBHOOK_EVENTS)[number] }),
    version: t.exposeInt('seq', { description: "The event's version within its job." }),
    url: t.exposeString('url'),
    messageId: t.exposeString('message_id', { description: 'The webhook-id header: the same on every attempt and redelivery of the event.' }),
    status: t.string({ description: 'PENDING, DELIVERED or FAILED.', resolve: (d) => d.status.toUpperCase() }),
    attempts: t.field({
      type: [WebhookAttemptRef],
      resolve: async (d, _a, ctx) => d.attemptList ?? (await attemptsOf(ctx.deps.pool, [d.id])),
    }),
    createdAt: t.expose('created_at', { type: 'DateTime' }),
    finishedAt: t.expose('finished_at', { type: 'DateTime', nullable: true }),
  }),
});

const WebhookSettingsRef = builder.objectRef<TenantWebhookRow>('WebhookSettings').implement({
  description: "The tenant's webhook settings: the default target of jobs without a webhook of their own, and the secret every delivery is signed with.",
  fields: (t) => ({
    url: t.exposeString('url', { nullable: true }),
    events: t.field({ type: [WebhookEventEnum], resolve: (w) => w.events as Array<(typeof WEBHOOK_EVENTS)[number]> }),
    secret: t.exposeString('secret', { description: 'whsec_… (Standard Webhooks): verify webhook-signature with it. rotateWebhookSecret replaces it.' }),
    updatedAt: t.expose('updated_at', { type: 'DateTime' }),
  }),
});

builder.queryField('webhookSettings', (t) =>
  t.field({ type: WebhookSettingsRef, resolve: (_r, _a, ctx) => tenantWebhook(ctx.deps.pool, tenantOf(ctx)) }),
);

export function addWebhookMutations() {
  builder.mutationField('setWebhookDefaults', (t) =>
    t.field({
      type: WebhookSettingsRef,
      description: "The tenant's default webhook (for jobs that give none); null removes it.",
      args: { input: t.arg({ type: WebhookInput, required: false }) },
      resolve: (_r, { input }, ctx) => {
        const tenant = tenantOf(ctx);
        return setTenantDefault(ctx.deps.pool, tenant, webhookTarget(ctx, validate(webhookRules, input, 'input'), 'input'));
      },
    }),
  );
  builder.mutationField('rotateWebhookSecret', (t) =>
    t.field({
      type: WebhookSettingsRef,
      description: 'A new signing secret; deliveries from now on are signed with it.',
      resolve: (_r, _a, ctx) => rotateSecret(ctx.deps.pool, tenantOf(ctx)),
    }),
  );
  builder.mutationField('redeliverWebhooks', (t) =>
    t.field({
      type: [WebhookDeliveryRef],
      description: 'Sends the webhooks of the job\'s events after afterVersion (default: all) again, as new deliveries with the same webhook-id.',
      args: { jobId: t.arg.id({ required: true }), afterVersion: t.arg.int({ required: false }) },
      resolve: async (_r, { jobId, afterVersion }, ctx) => {
        const tenant = tenantOf(ctx);
        const id = validate(uuid, String(jobId), 'jobId');
        if (!(await getJob(ctx.deps.pool, tenant, id))) throw notFound('job', id);
        return redeliver(ctx.deps.pool, id, Math.max(0, afterVersion ?? 0));
      },
    }),
  );
}

/** Job.webhookDeliveries, for a page of jobs at once. */
export async function deliveriesByJob(pool: Queryable, ids: readonly string[]): Promise<Delivery[][]> {
  const rows = await deliveriesOf(pool, ids);
  const attempts = await attemptsOf(pool, rows.map((r) => r.id));
  const byDelivery = new Map<string, AttemptRow[]>();
  for (const a of attempts) byDelivery.set(a.delivery_id, [...(byDelivery.get(a.delivery_id) ?? []), a]);
  const byJob = new Map<string, Delivery[]>(ids.map((id) => [id, []]));
  for (const r of rows) byJob.get(r.job_id)?.push({ ...r, attemptList: byDelivery.get(r.id) ?? [] });
  return ids.map((id) => byJob.get(id)!);
}
