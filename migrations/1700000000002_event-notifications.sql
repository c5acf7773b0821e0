-- Up Migration

-- Notifications carry the event itself: every field of the job row that an event changes (and the
-- result, when it is small), so an API process applies an event to its subscribers without reading
-- the row back. A payload too big for NOTIFY's 8000 bytes is sent as {id, tenant, seq, status,
-- partial: true}, and subscribers read that event from the table instead.
--
-- Cancellations also go out on their own channel, voxgraph_job_cancelled (payload: the job id), so
-- workers listen for what concerns them and are not woken by every other event.
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

  INSERT INTO voxgraph.job_event (job_id, seq, status, progress, attempts, error_code, error_message, at)
  VALUES (j.id, j.seq, j.status, j.progress, j.attempts, j.error_code, j.error_message, j.updated_at);

  payload := json_build_object(
    'id', j.id, 'tenant', j.tenant, 'seq', j.seq, 'status', j.status, 'progress', j.progress,
    'attempts', j.attempts, 'engine', j.engine, 'errorCode', j.error_code, 'errorMessage', j.error_message,
    'startedAt', j.started_at, 'finishedAt', j.finished_at, 'updatedAt', j.updated_at,
    'resultAudioId', j.result_audio_id, 'result', j.result)::text;
  IF octet_length(payload) > 7900 THEN
    payload := json_build_object('id', j.id, 'tenant', j.tenant, 'seq', j.seq, 'status', j.status, 'partial', true)::text;
  END IF;
  PERFORM pg_notify('voxgraph_job_events', payload);
  IF j.status = 'cancelled' THEN
    PERFORM pg_notify('voxgraph_job_cancelled', j.id::text);
  END IF;
  RETURN j.seq;
END;
$$;

-- A mutation's job: the row and its first event (QUEUED) in one call; returns the row.
CREATE FUNCTION voxgraph.submit_job(
  p_id uuid,
  p_tenant text,
  p_kind voxgraph.job_kind,
  p_engine text,
  p_priority integer,
  p_params jsonb,
  p_input_audio_id uuid
) RETURNS SETOF voxgraph.job
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO voxgraph.job (id, tenant, kind, engine, priority, params, input_audio_id)
  VALUES (p_id, p_tenant, p_kind, p_engine, p_priority, p_params, p_input_audio_id);
  PERFORM voxgraph.record_job_event(p_id, 'queued');
  RETURN QUERY SELECT * FROM voxgraph.job WHERE id = p_id;
END;
$$;

-- Down Migration
-- (record_job_event keeps its richer payload: older API processes read only id and seq from it.)
DROP FUNCTION voxgraph.submit_job(uuid, text, voxgraph.job_kind, text, integer, jsonb, uuid);
