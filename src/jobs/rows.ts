// Row shapes of voxgraph's tables as the API reads them.
import type { JobKind, JobStatus } from './kinds.ts';

export type AudioRow = {
  id: string;
  tenant: string;
  storage_key: string;
  content_type: string;
  format: string;
  codec: string;
  bytes: string; // bigint arrives as text
  sha256: string;
  duration_seconds: number;
  sample_rate: number;
  channels: number;
  origin: 'upload' | 'result';
  created_at: Date;
};

export type JobRow = {
  id: string;
  tenant: string;
  kind: JobKind;
  status: JobStatus;
  progress: number;
  attempts: number;
  engine: string | null;
  priority: number;
  params: Record<string, unknown>;
  input_audio_id: string | null;
  result: Record<string, unknown> | null;
  result_audio_id: string | null;
  error_code: string | null;
  error_message: string | null;
  seq: number;
  run_at: Date | null;
  deadline: Date | null;
  batch_id: string | null;
  cache_key: string | null;
  /** name@version of the engine that produced a success. */
  engine_version: string | null;
  /** The job whose result (from the cache) or run (in flight) this one shares. */
  cached_from: string | null;
  /** Answered from the cache or by a shared run (stays so when cached_from's job is deleted). */
  cached: boolean;
  /** The job whose run this one follows while in flight. */
  run_of: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Date;
};

export type JobEventRow = {
  job_id: string;
  seq: number;
  status: JobStatus;
  progress: number;
  attempts: number;
  error_code: string | null;
  error_message: string | null;
  at: Date;
};
