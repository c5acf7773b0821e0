-- Up Migration

-- A worker's claim, recorded: RUNNING for the new attempt, and first, when our row still says
-- RUNNING for an earlier attempt, the RETRYING that attempt ended with. pg-boss takes a job whose
-- worker died back on its own; when another worker claims it before the API's reconciler has
-- recorded that, the log would otherwise go RUNNING → RUNNING and lose the retry (and its code).
-- The code comes from what pg-boss wrote when it gave the job up (expiry or a lost heartbeat).
CREATE FUNCTION voxgraph.record_claim(p_job_id uuid, p_attempts integer, p_engine text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  j voxgraph.job%ROWTYPE;
  why text;
BEGIN
  SELECT * INTO j FROM voxgraph.job WHERE id = p_job_id FOR UPDATE;
  IF FOUND AND j.status = 'running' AND j.attempts < p_attempts THEN
    SELECT b.output->'value'->>'message' INTO why FROM pgboss.job b WHERE b.name = j.kind::text AND b.id = j.id;
    PERFORM voxgraph.record_job_event(p_job_id, 'retrying',
      p_error_code => CASE WHEN why = 'job timed out' THEN 'JOB_TIMEOUT' ELSE 'WORKER_LOST' END,
      p_error_message => coalesce(why, 'the worker stopped responding'));
  END IF;
  RETURN voxgraph.record_job_event(p_job_id, 'running', p_progress => 0, p_attempts => p_attempts, p_engine => p_engine);
END;
$$;

-- What the API's reconciler records when pg-boss gave an attempt up on its own (expiry, a lost
-- heartbeat): RETRYING, or FAILED when no attempt is left, fenced by the attempt, so a pass that
-- races a new claim of the same job cannot undo it.
CREATE FUNCTION voxgraph.record_lost_attempt(p_job_id uuid, p_attempts integer, p_final boolean, p_message text)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  j voxgraph.job%ROWTYPE;
BEGIN
  SELECT * INTO j FROM voxgraph.job WHERE id = p_job_id FOR UPDATE;
  IF NOT FOUND OR j.status <> 'running' OR j.attempts <> p_attempts THEN
    RETURN NULL;
  END IF;
  RETURN voxgraph.record_job_event(p_job_id, CASE WHEN p_final THEN 'failed' ELSE 'retrying' END::voxgraph.job_status,
    p_error_code => CASE WHEN p_message = 'job timed out' THEN 'JOB_TIMEOUT' ELSE 'WORKER_LOST' END,
    p_error_message => coalesce(p_message, 'the worker stopped responding'));
END;
$$;

-- Down Migration
DROP FUNCTION voxgraph.record_lost_attempt(uuid, integer, boolean, text);
DROP FUNCTION voxgraph.record_claim(uuid, integer, text);
