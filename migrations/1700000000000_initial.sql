-- Up Migration

-- voxgraph's own tables. pg-boss (schema "pgboss") is only the delivery mechanism: what clients
-- read is the job row and its append-only event log below.
CREATE SCHEMA IF NOT EXISTS voxgraph;

CREATE TYPE voxgraph.job_kind AS ENUM ('denoise', 'align', 'synthesize');
CREATE TYPE voxgraph.job_status AS ENUM ('queued', 'running', 'retrying', 'succeeded', 'failed', 'cancelled');

CREATE TABLE voxgraph.audio (
  id uuid PRIMARY KEY,
  tenant text NOT NULL,
  storage_key text NOT NULL UNIQUE,
  content_type text NOT NULL,
  format text NOT NULL,            -- container as ffprobe names it: wav, flac, ogg, mp3, mov,mp4,m4a...
  codec text NOT NULL,
  bytes bigint NOT NULL CHECK (bytes > 0),
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  duration_seconds double precision NOT NULL CHECK (duration_seconds > 0),
  sample_rate integer NOT NULL CHECK (sample_rate > 0),
  channels integer NOT NULL CHECK (channels > 0),
  origin text NOT NULL CHECK (origin IN ('upload', 'result')),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audio_tenant_created ON voxgraph.audio (tenant, created_at DESC);

CREATE TABLE voxgraph.job (
  id uuid PRIMARY KEY,             -- the same id as the pg-boss job
  tenant text NOT NULL,
  kind voxgraph.job_kind NOT NULL,
  status voxgraph.job_status NOT NULL DEFAULT 'queued',
  progress real NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
  attempts integer NOT NULL DEFAULT 0,
  engine text,                     -- requested engine, then the engine that ran it
  priority integer NOT NULL DEFAULT 0,
  params jsonb NOT NULL DEFAULT '{}'::jsonb,
  input_audio_id uuid REFERENCES voxgraph.audio (id),
  result jsonb,
  result_audio_id uuid REFERENCES voxgraph.audio (id),
  error_code text,
  error_message text,
  seq integer NOT NULL DEFAULT 0,  -- the seq of the latest event
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX job_tenant_created ON voxgraph.job (tenant, created_at DESC);
CREATE INDEX job_unfinished ON voxgraph.job (status) WHERE status IN ('queued', 'running', 'retrying');

CREATE TABLE voxgraph.job_event (
  job_id uuid NOT NULL REFERENCES voxgraph.job (id) ON DELETE CASCADE,
  seq integer NOT NULL,
  status voxgraph.job_status NOT NULL,
  progress real NOT NULL,
  attempts integer NOT NULL,
  error_code text,
  error_message text,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (job_id, seq)
);

-- Live workers announce themselves here; /readyz and the engines query read it.
CREATE TABLE voxgraph.worker (
  id text PRIMARY KEY,
  hostname text NOT NULL,
  pid integer NOT NULL,
  device text NOT NULL,
  concurrency integer NOT NULL,
  engines jsonb NOT NULL DEFAULT '[]'::jsonb,
  started_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now()
);

-- The one place a job changes state. Called by the API (queued, cancelled, reconciliation) and by
-- the Python workers (running, progress, retrying, succeeded, failed), always in the same
-- transaction as the pg-boss change it mirrors. It appends the event, updates the job row and
-- notifies listeners on channel voxgraph_job_events; the NOTIFY is delivered at COMMIT.
--
-- A final state is final: returns NULL (and changes nothing) when the job already finished, so a
-- late or duplicate writer cannot resurrect it. A progress-only event (same status) is dropped
-- unless progress moved forward.
CREATE FUNCTION voxgraph.record_job_event(
  p_job_id uuid,
  p_status voxgraph.job_status,
  p_progress real DEFAULT NULL,
  p_attempts integer DEFAULT NULL,
  p_engine text DEFAULT NULL,
  p_result jsonb DEFAULT NULL,
  p_result_audio_id uuid DEFAULT NULL,
  p_error_code text DEFAULT NULL,
  p_error_message text DEFAULT NULL
) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  j voxgraph.job%ROWTYPE;
  next_progress real;
BEGIN
  SELECT * INTO j FROM voxgraph.job WHERE id = p_job_id FOR UPDATE;
  IF NOT FOUND OR j.status IN ('succeeded', 'failed', 'cancelled') THEN
    RETURN NULL;
  END IF;

  next_progress := CASE
    WHEN p_status = 'succeeded' THEN 1
    WHEN p_status IN ('queued', 'retrying') THEN 0
    WHEN p_status = 'running' AND j.status <> 'running' THEN coalesce(p_progress, 0)
    ELSE coalesce(p_progress, j.progress)
  END;

  IF p_status = j.status AND p_status = 'running' AND next_progress <= j.progress
     AND p_attempts IS NOT DISTINCT FROM NULL THEN
    RETURN NULL;
  END IF;

  UPDATE voxgraph.job SET
    status = p_status,
    progress = least(greatest(next_progress, 0), 1),
    attempts = coalesce(p_attempts, attempts),
    engine = coalesce(p_engine, engine),
    result = coalesce(p_result, result),
    result_audio_id = coalesce(p_result_audio_id, result_audio_id),
    error_code = CASE WHEN p_status IN ('running', 'succeeded') THEN NULL ELSE coalesce(p_error_code, error_code) END,
    error_message = CASE WHEN p_status IN ('running', 'succeeded') THEN NULL ELSE coalesce(p_error_message, error_message) END,
    started_at = CASE WHEN p_status = 'running' AND j.status <> 'running' THEN clock_timestamp() ELSE started_at END,
    finished_at = CASE WHEN p_status IN ('succeeded', 'failed', 'cancelled') THEN clock_timestamp() ELSE NULL END,
    seq = seq + 1,
    updated_at = clock_timestamp()
  WHERE id = p_job_id
  RETURNING * INTO j;

  INSERT INTO voxgraph.job_event (job_id, seq, status, progress, attempts, error_code, error_message)
  VALUES (j.id, j.seq, j.status, j.progress, j.attempts, j.error_code, j.error_message);

  PERFORM pg_notify('voxgraph_job_events',
    json_build_object('id', j.id, 'tenant', j.tenant, 'seq', j.seq, 'status', j.status)::text);
  RETURN j.seq;
END;
$$;

-- Down Migration
DROP SCHEMA voxgraph CASCADE;
