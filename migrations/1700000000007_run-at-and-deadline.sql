-- Up Migration

-- runAt and deadline (issue 10): a job is not claimed before run_at (pg-boss's start_after holds
-- that), and one whose first attempt has not started by its deadline ends FAILED with
-- DEADLINE_EXCEEDED: swept by the API's maintenance while it waits, refused by a worker that claims
-- it late. Both are kept on our row for the API to show and for the sweep.
ALTER TABLE voxgraph.job ADD COLUMN run_at timestamptz, ADD COLUMN deadline timestamptz;
CREATE INDEX job_waiting_deadline ON voxgraph.job (deadline) WHERE deadline IS NOT NULL AND status = 'queued';

-- The 7-argument submit_job stays for API processes of the previous release during a rollout.
CREATE FUNCTION voxgraph.submit_job(
  p_id uuid,
  p_tenant text,
  p_kind voxgraph.job_kind,
  p_engine text,
  p_priority integer,
  p_params jsonb,
  p_input_audio_id uuid,
  p_run_at timestamptz,
  p_deadline timestamptz
) RETURNS SETOF voxgraph.job
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO voxgraph.job (id, tenant, kind, engine, priority, params, input_audio_id, run_at, deadline)
  VALUES (p_id, p_tenant, p_kind, p_engine, p_priority, p_params, p_input_audio_id, p_run_at, p_deadline);
  PERFORM voxgraph.record_job_event(p_id, 'queued');
  RETURN QUERY SELECT * FROM voxgraph.job WHERE id = p_id;
END;
$$;

-- Down Migration
DROP FUNCTION voxgraph.submit_job(uuid, text, voxgraph.job_kind, text, integer, jsonb, uuid, timestamptz, timestamptz);
ALTER TABLE voxgraph.job DROP COLUMN run_at, DROP COLUMN deadline;
