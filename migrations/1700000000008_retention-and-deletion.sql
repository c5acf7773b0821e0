-- Up Migration

-- Deleting jobs and audio, and retention (src/jobs/deletion.ts). One place for what "delete" takes
-- with it, used by deleteJob, deleteAudio and the retention sweep alike:
-- - a job: its row, events and idempotency key (cascades), its pg-boss rows (its queue's and the
--   dead-letter copy, which holds the same payload: transcripts, texts), and its result audio
--   unless another job still refers to it;
-- - an audio: its row (the storage quota triggers give the bytes back) and a tombstone, so that a
--   signed URL handed out before answers 410 Gone rather than 404; the file goes after the commit
--   (the functions return the storage keys; a crash in between leaves a file the orphan sweep takes).

CREATE TABLE voxgraph.deleted_audio (
  id uuid PRIMARY KEY,
  tenant text NOT NULL,
  deleted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deleted_audio_at ON voxgraph.deleted_audio (deleted_at);
CREATE INDEX job_finished_at ON voxgraph.job (finished_at) WHERE status IN ('succeeded', 'failed', 'cancelled');
CREATE INDEX job_input_audio ON voxgraph.job (input_audio_id) WHERE input_audio_id IS NOT NULL;
CREATE INDEX job_result_audio ON voxgraph.job (result_audio_id) WHERE result_audio_id IS NOT NULL;
-- Queue insight's claim rates read the latest starts of each kind (src/jobs/queue-insight.ts).
CREATE INDEX job_kind_started ON voxgraph.job (kind, started_at DESC) WHERE started_at IS NOT NULL;

-- Audio rows no job refers to any more, among p_ids: deleted and tombstoned; their storage keys.
-- The rows are locked first and the references checked in a later statement: an enqueue naming
-- one of them holds KEY SHARE on it until it commits, so the check then sees its job (a single
-- DELETE would check with its own, older snapshot and fail on the foreign key at commit).
CREATE FUNCTION voxgraph.delete_unreferenced_audio(p_ids uuid[]) RETURNS SETOF text
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM voxgraph.audio WHERE id = ANY(p_ids) ORDER BY id FOR UPDATE;
  RETURN QUERY
  WITH gone AS (
    DELETE FROM voxgraph.audio a
    WHERE a.id = ANY(p_ids)
      AND NOT EXISTS (SELECT 1 FROM voxgraph.job j WHERE j.input_audio_id = a.id OR j.result_audio_id = a.id)
    RETURNING a.id, a.tenant, a.storage_key
  ), tomb AS (
    INSERT INTO voxgraph.deleted_audio (id, tenant) SELECT id, tenant FROM gone ON CONFLICT (id) DO NOTHING
  )
  SELECT storage_key FROM gone;
END;
$$;

-- Finished jobs among p_ids, with what goes with them; the storage keys of audio deleted: their
-- results, and inputs that were another job's result (a denoise result aligned later), once no
-- job refers to them. Uploads stay: deleteAudio or the retention sweep of uploads takes them.
-- Unfinished ones are left alone (the caller refuses them or cancels first).
CREATE FUNCTION voxgraph.delete_jobs(p_ids uuid[]) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  v_results uuid[];
  v_ids uuid[];
BEGIN
  WITH gone AS (
    DELETE FROM voxgraph.job j
    WHERE j.id = ANY(p_ids) AND j.status IN ('succeeded', 'failed', 'cancelled')
    RETURNING j.id, j.result_audio_id, j.input_audio_id
  )
  SELECT array_agg(id),
         array_agg(result_audio_id) FILTER (WHERE result_audio_id IS NOT NULL)
           || coalesce((SELECT array_agg(a.id) FROM voxgraph.audio a WHERE a.origin = 'result' AND a.id IN (SELECT input_audio_id FROM gone)), '{}')
    INTO v_ids, v_results FROM gone;
  IF v_ids IS NULL THEN
    RETURN;
  END IF;
  DELETE FROM pgboss.job b
  WHERE (b.id = ANY(v_ids) AND b.name IN (SELECT unnest(enum_range(NULL::voxgraph.job_kind))::text))
     OR (b.name = 'dead_letter' AND b.source_id = ANY(v_ids));
  RETURN QUERY SELECT voxgraph.delete_unreferenced_audio(coalesce(v_results, '{}'));
END;
$$;

-- Down Migration
DROP FUNCTION voxgraph.delete_jobs(uuid[]);
DROP FUNCTION voxgraph.delete_unreferenced_audio(uuid[]);
DROP INDEX voxgraph.job_kind_started;
DROP INDEX voxgraph.job_result_audio;
DROP INDEX voxgraph.job_input_audio;
DROP INDEX voxgraph.job_finished_at;
DROP TABLE voxgraph.deleted_audio;
