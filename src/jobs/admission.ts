// Whether a tenant may submit another job now (README, "Limits"): a token bucket per tenant
// (RATE_LIMIT_JOBS_PER_SECOND, RATE_LIMIT_JOBS_BURST) and a quota of unfinished jobs
// (MAX_ACTIVE_JOBS_PER_TENANT), decided by voxgraph.admit_job in the submitting transaction so
// they hold across API processes; and the job's place in the tenant's line, which becomes its
// pg-boss priority (fair claiming, see migrations/…_tenant-limits.sql).
//
// A process-local bucket with the same rate answers first, before an upload is even read: this
// process alone cannot have taken fewer tokens than all processes together, so when it is empty
// the shared one is too.
import type pg from 'pg';
import type { Config } from '../config.ts';
import { apiError, ErrorCode } from '../errors.ts';

export type AdmissionLimits = Config['tenants'];

export const rateLimited = (seconds: number) =>
  apiError(ErrorCode.RATE_LIMITED, `too many jobs submitted; retry in ${seconds} s`, {
    retryAfterSeconds: seconds,
    http: { status: 429, headers: { 'Retry-After': String(Math.max(1, Math.ceil(seconds))) } },
  });

export class LocalRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly rate: number;
  private readonly burst: number;

  constructor(limits: AdmissionLimits) {
    this.rate = limits.jobsPerSecond;
    this.burst = limits.jobsBurst;
  }

  /** Throws RATE_LIMITED when this process's bucket for the tenant has fewer than `count` tokens; else takes them. */
  take(tenant: string, now = Date.now(), count = 1): void {
    if (this.rate <= 0) return;
    const b = this.buckets.get(tenant) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + (this.rate * (now - b.at)) / 1000);
    b.at = now;
    this.buckets.set(tenant, b);
    if (b.tokens < count) throw rateLimited(Math.ceil(((count - b.tokens) / this.rate) * 1000) / 1000);
    b.tokens -= count;
    if (this.buckets.size > 10_000) this.buckets.clear(); // tenants are few; never let a bug grow it
  }
}

/** voxgraph.admit_job: the shared bucket and the quota; returns the job's place in its tenant's line. */
export async function admitJob(client: pg.PoolClient, tenant: string, priority: number, limits: AdmissionLimits): Promise<number> {
  try {
    const { rows } = await client.query<{ place: number }>({
      name: 'voxgraph_admit_job',
      text: 'SELECT voxgraph.admit_job($1, $2, $3, $4, $5) AS place',
      values: [tenant, priority, limits.jobsPerSecond, limits.jobsBurst, limits.maxActiveJobs],
    });
    return rows[0]!.place;
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === 'VXRAT') throw rateLimited(Number(e.message));
    if (e.code === 'VXQUO') {
      throw apiError(ErrorCode.QUOTA_EXCEEDED, `this tenant has ${e.message} unfinished jobs; the limit is ${limits.maxActiveJobs}`, {
        quota: 'activeJobs',
        limit: limits.maxActiveJobs,
      });
    }
    throw err;
  }
}
