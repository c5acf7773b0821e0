-- Up Migration

-- The result cache and in-flight coalescing (issue 10; src/jobs/result-cache.ts).
-- cache_key: the hash of what determines a job's result (kind, the input audio's sha256, the
-- parameters, the engine asked for). engine_version: name@version of the engine that produced a
-- success (the worker writes it in its settle transaction). A new job whose key equals a success
-- of the same tenant within RESULT_CACHE_TTL_SECONDS, made by an engine@version a live worker
-- still offers, is answered with that result (cached_from names it) without a queue message. One
-- whose key equals a job still in flight shares that job's run instead (run_of, and cached_from):
-- record_job_event gives it every event of the job it follows. A followed job that is cancelled
-- hands its run to its oldest follower first (src/jobs/cancel.ts), so no follower is left waiting
-- for a run nobody makes.
ALTER TABLE voxgraph.job
  ADD COLUMN cache_key text,
  ADD COLUMN engine_version text,
  ADD COLUMN cached_from uuid REFERENCES voxgraph.job (id) ON DELETE SET NULL,
  ADD COLUMN run_of uuid REFERENCES voxgraph.job (id) ON DELETE SET NULL;
CREATE INDEX job_cache_hit ON voxgraph.job (tenant, cache_key, finished_at DESC) WHERE status = 'succeeded' AND cache_key IS NOT NULL;
CREATE INDEX job_cache_in_flight ON voxgraph.job (tenant, cache_key)
  WHERE status IN ('queued', 'running', 'retrying') AND cache_key IS NOT NULL AND run_of IS NULL;
CREATE INDEX job_run_of ON voxgraph.job (run_of) WHERE run_of IS NOT NULL;
CREATE INDEX job_cached_from ON voxgraph.job (cached_from) WHERE cached_from IS NOT NULL;

-- record_job_event as in 0009, and followers (run_of) get every event of the job they follow
-- except its cancellation.
CREATE OR REPLACE FUNCTION voxgraph.record_job_event(
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
  payload text;
  v_tx xid8;
  v_n bigint;
  f uuid;
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
    updated_at = clock_timestamp(),
    feed_tx = greatest(pg_current_xact_id(), feed_tx)
  WHERE id = p_job_id
  RETURNING * INTO j;

  INSERT INTO voxgraph.job_event (job_id, seq, status, progress, attempts, error_code, error_message, at, tenant, tx)
  VALUES (j.id, j.seq, j.status, j.progress, j.attempts, j.error_code, j.error_message, j.updated_at, j.tenant, j.feed_tx)
  RETURNING tx, n INTO v_tx, v_n;

  payload := json_build_object(
    'id', j.id, 'tenant', j.tenant, 'seq', j.seq, 'status', j.status, 'progress', j.progress,
    'attempts', j.attempts, 'engine', j.engine, 'errorCode', j.error_code, 'errorMessage', j.error_message,
    'startedAt', j.started_at, 'finishedAt', j.finished_at, 'updatedAt', j.updated_at,
    'resultAudioId', j.result_audio_id, 'result', j.result, 'tx', v_tx::text, 'n', v_n)::text;
  IF octet_length(payload) > 7900 THEN
    payload := json_build_object('id', j.id, 'tenant', j.tenant, 'seq', j.seq, 'status', j.status, 'partial', true,
      'tx', v_tx::text, 'n', v_n)::text;
  END IF;
  PERFORM pg_notify('voxgraph_job_events', payload);
  IF j.status = 'cancelled' THEN
    PERFORM pg_notify('voxgraph_job_cancelled', j.id::text);
  ELSE
    -- Jobs sharing this one's run get the same event (in id order: one lock order for all).
    FOR f IN SELECT id FROM voxgraph.job WHERE run_of = j.id AND status IN ('queued', 'running', 'retrying') ORDER BY id LOOP
      IF j.status = 'succeeded' THEN
        UPDATE voxgraph.job SET engine_version = j.engine_version WHERE id = f;
      END IF;
      PERFORM voxgraph.record_job_event(f, j.status, j.progress, j.attempts, j.engine, p_result, p_result_audio_id, p_error_code, p_error_message);
    END LOOP;
  END IF;
  RETURN j.seq;
END;
$$;


-- Down Migration
DROP INDEX voxgraph.job_cached_from;
DROP INDEX voxgraph.job_run_of;
DROP INDEX voxgraph.job_cache_in_flight;
DROP INDEX voxgraph.job_cache_hit;
-- The columns stay: record_job_event reads run_of and engine_version.
