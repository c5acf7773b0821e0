// Queue insight: Job.queuePosition and Job.estimatedStartAt while a job waits, and the `queue`
// query (depth per kind and state, live workers and their devices). How the estimate is made:
// src/jobs/queue-insight.ts.
import { EngineDescriptor } from '../../../protocol/contract.ts';
import { JOB_KINDS, type JobKind } from '../../jobs/kinds.ts';
import { claimRates, queueDepths } from '../../jobs/queue-insight.ts';
import { liveWorkers, workerDigest, type WorkerRow } from '../../jobs/store.ts';
import { builder } from '../builder.ts';
import { tenantOf } from '../context.ts';
import { JobKindEnum } from './enums.ts';

type KindQueue = { kind: JobKind; queued: number; retrying: number; running: number; scheduled: number; yoursWaiting: number; yoursRunning: number; claimsPerMinute: number | null; liveWorkers: number };

const KindQueueRef = builder.objectRef<KindQueue>('KindQueue').implement({
  description: "One job kind's queue (all tenants), with the caller's share.",
  fields: (t) => ({
    kind: t.field({ type: JobKindEnum, resolve: (q) => q.kind }),
    queued: t.exposeInt('queued', { description: 'Waiting for a first attempt (including those whose runAt is ahead).' }),
    retrying: t.exposeInt('retrying', { description: 'Waiting for another attempt.' }),
    running: t.exposeInt('running'),
    scheduled: t.exposeInt('scheduled', { description: 'Of the waiting ones, those whose runAt (or retry delay) is still ahead.' }),
    yoursWaiting: t.exposeInt('yoursWaiting', { description: "The caller's jobs among queued and retrying." }),
    yoursRunning: t.exposeInt('yoursRunning'),
    claimsPerMinute: t.float({
      nullable: true,
      description: 'Jobs the workers started per minute recently (the rate estimatedStartAt uses); null without recent starts.',
      resolve: (q) => q.claimsPerMinute,
    }),
    liveWorkers: t.exposeInt('liveWorkers', { description: 'Live workers offering the kind.' }),
  }),
});

type WorkerInfo = { row: WorkerRow; engines: EngineDescriptor[] };

const WorkerInfoRef = builder.objectRef<WorkerInfo>('WorkerInfo').implement({
  description: 'A live worker process (its heartbeat is recent). Host names are not shown to tenants.',
  fields: (t) => ({
    // The worker's own id defaults to host-pid (WORKER_ID): tenants get a stable digest of it instead.
    id: t.id({ description: 'Stable for the worker process; not its host name.', resolve: (w) => workerDigest(w.row.id) }),
    device: t.string({ description: 'cpu, cuda:0, …', resolve: (w) => w.row.device }),
    concurrency: t.int({ description: 'Batches it runs at once.', resolve: (w) => w.row.concurrency }),
    kinds: t.field({ type: [JobKindEnum], resolve: (w) => [...new Set(w.engines.map((e) => e.kind))] }),
    engines: t.stringList({ description: 'kind/name@version of each engine it offers.', resolve: (w) => w.engines.map((e) => `${e.kind}/${e.name}@${e.version}`) }),
    lastHeartbeatAt: t.field({ type: 'DateTime', resolve: (w) => w.row.heartbeat_at }),
  }),
});

type QueueStatus = { kinds: KindQueue[]; workers: WorkerInfo[] };

const QueueStatusRef = builder.objectRef<QueueStatus>('QueueStatus').implement({
  fields: (t) => ({
    kinds: t.field({ type: [KindQueueRef], resolve: (q) => q.kinds }),
    workers: t.field({ type: [WorkerInfoRef], resolve: (q) => q.workers }),
  }),
});

builder.queryField('queue', (t) =>
  t.field({
    type: QueueStatusRef,
    description: 'What the queues hold and who works on them: depth per kind and state, recent claim rates, live workers and their devices.',
    resolve: async (_r, _a, ctx) => {
      const tenant = tenantOf(ctx);
      const { pool, config } = ctx.deps;
      const [depths, rates, workers] = await Promise.all([queueDepths(pool, tenant), claimRates(pool, config.workerReadySeconds), liveWorkers(pool, config.workerReadySeconds)]);
      const kinds = JOB_KINDS.map((kind): KindQueue => {
        const of = (state: string) => depths.find((d) => d.kind === kind && d.state === state);
        const waiting = [of('created'), of('retry')];
        const rate = rates.find((r) => r.kind === kind);
        return {
          kind,
          queued: of('created')?.jobs ?? 0,
          retrying: of('retry')?.jobs ?? 0,
          running: of('active')?.jobs ?? 0,
          scheduled: waiting.reduce((n, d) => n + (d?.scheduled ?? 0), 0),
          yoursWaiting: waiting.reduce((n, d) => n + (d?.yours ?? 0), 0),
          yoursRunning: of('active')?.yours ?? 0,
          claimsPerMinute: rate && rate.perSecond > 0 ? rate.perSecond * 60 : null,
          liveWorkers: rate?.liveWorkers ?? 0,
        };
      });
      return {
        kinds,
        workers: workers.map((row) => ({
          row,
          engines: (Array.isArray(row.engines) ? row.engines : []).flatMap((e) => {
            const p = EngineDescriptor.safeParse(e);
            return p.success ? [p.data] : [];
          }),
        })),
      };
    },
  }),
);
