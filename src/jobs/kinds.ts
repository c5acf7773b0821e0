// The job kinds. Each kind is one pg-boss queue of the same name, and one worker engine kind.
// Both lists are the contract's (protocol/contract.ts).
import { JOB_KINDS, JOB_STATUSES } from '../../protocol/contract.ts';

export { JOB_KINDS, JOB_STATUSES };
export type JobKind = (typeof JOB_KINDS)[number];
export type JobStatus = (typeof JOB_STATUSES)[number];
export const FINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'cancelled']);
