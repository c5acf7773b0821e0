-- Up Migration

-- The tenant feed (jobsUpdated), batches and the result cache (issue 10); src/events/feed.ts
-- reads the first two, src/jobs/result-cache.ts the last.
--
-- The feed is the event log itself, ordered by (tx, n): the writing transaction's id and a
-- sequence number. A reader only takes events whose transaction is older than its snapshot's
-- xmin, the oldest transaction still running: every transaction below it has ended, so no event
-- can later appear before one already read. (Ordering by a sequence alone would not do: numbers
-- are taken at insert and committed in another order, and a reader that saw n+1 would skip n when
-- it commits later.) The price: an event reaches the feed once every older transaction has ended,
-- usually within milliseconds; a transaction left open (idle in transaction) holds the feed back
-- until it ends, and nothing is lost meanwhile. No lock is taken, so the feed adds no contention
-- between jobs or tenants.
--
-- One more rule keeps each job's events in their own order: an event's tx is the greater of its
-- transaction's id and the job's previous event's tx (job.feed_tx). Transaction ids are handed out
-- at a transaction's first write, not at its commit: a worker's settle that wrote pg-boss's row
-- first can hold an older id than the progress report it waited for. With the rule, version k+1
-- of a job always sorts after version k, and the no-gap argument is unchanged (a position is never
-- below its own transaction's id).
CREATE SEQUENCE voxgraph.job_event_n;
ALTER TABLE voxgraph.job_event ADD COLUMN tenant text, ADD COLUMN tx xid8, ADD COLUMN n bigint;
-- Events logged before this migration come first, in the order they happened.
UPDATE voxgraph.job_event e SET tenant = j.tenant, tx = '0'::xid8, n = o.n
FROM voxgraph.job j,
     (SELECT job_id, seq, row_number() OVER (ORDER BY at, job_id, seq) AS n FROM voxgraph.job_event) o
WHERE j.id = e.job_id AND o.job_id = e.job_id AND o.seq = e.seq;
SELECT setval('voxgraph.job_event_n', greatest((SELECT max(n) FROM voxgraph.job_event), 1));
ALTER TABLE voxgraph.job_event
  ALTER COLUMN tenant SET NOT NULL,
  ALTER COLUMN tx SET NOT NULL, ALTER COLUMN tx SET DEFAULT pg_current_xact_id(),
  ALTER COLUMN n SET NOT NULL, ALTER COLUMN n SET DEFAULT nextval('voxgraph.job_event_n');
CREATE INDEX job_event_feed ON voxgraph.job_event (tenant, tx, n);
ALTER TABLE voxgraph.job ADD COLUMN feed_tx xid8;

-- A batch: jobs submitted together (submitBatch), in one transaction. Its counts, progress and
-- version are folded from its jobs' events in feed order, so a batchUpdated subscriber and a
-- batch query agree on what version N means. The batch goes when retention or deleteJob has
-- taken its last job.
CREATE TABLE voxgraph.batch (
  id uuid PRIMARY KEY,
  tenant text NOT NULL,
  size integer NOT NULL CHECK (size > 0),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX batch_tenant_created ON voxgraph.batch (tenant, created_at DESC);
ALTER TABLE voxgraph.job ADD COLUMN batch_id uuid REFERENCES voxgraph.batch (id);
CREATE INDEX job_batch ON voxgraph.job (batch_id) WHERE batch_id IS NOT NULL;

-- An idempotency key now names the job or the batch its request created.
ALTER TABLE voxgraph.idempotency_key
  ALTER COLUMN job_id DROP NOT NULL,
  ADD COLUMN batch_id uuid REFERENCES voxgraph.batch (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
  ADD CONSTRAINT idempotency_key_one_target CHECK (num_nonnulls(job_id, batch_id) = 1);
CREATE INDEX idempotency_key_batch ON voxgraph.idempotency_key (batch_id) WHERE batch_id IS NOT NULL;


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
  ADD COLUMN cached boolean NOT NULL DEFAULT false, -- stays true when the job it came from is deleted
  ADD COLUMN run_of uuid REFERENCES voxgraph.job (id) ON DELETE SET NULL;
CREATE INDEX job_cache_hit ON voxgraph.job (tenant, cache_key, finished_at DESC) WHERE status = 'succeeded' AND cache_key IS NOT NULL;
CREATE INDEX job_cache_in_flight ON voxgraph.job (tenant, cache_key)
  WHERE status IN ('queued', 'running', 'retrying') AND cache_key IS NOT NULL AND run_of IS NULL;
CREATE INDEX job_run_of ON voxgraph.job (run_of) WHERE run_of IS NOT NULL;
CREATE INDEX job_cached_from ON voxgraph.job (cached_from) WHERE cached_from IS NOT NULL;

-- record_job_event as before, writing the event's tenant (its feed) and sending its feed position
-- (tx, n) in the notification: a feed reader that heard of an event its read did not reach yet
-- (an older transaction still open) knows to look again shortly.
-- And (the result cache, below) jobs that share another's run get each of its events but its
-- cancellation.
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

-- delete_jobs as before, and a batch whose last job went goes too.
CREATE OR REPLACE FUNCTION voxgraph.delete_jobs(p_ids uuid[]) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  v_results uuid[];
  v_ids uuid[];
  v_batches uuid[];
BEGIN
  WITH gone AS (
    DELETE FROM voxgraph.job j
    WHERE j.id = ANY(p_ids) AND j.status IN ('succeeded', 'failed', 'cancelled')
    RETURNING j.id, j.result_audio_id, j.input_audio_id, j.batch_id
  )
  SELECT array_agg(id),
         array_agg(result_audio_id) FILTER (WHERE result_audio_id IS NOT NULL)
           || coalesce((SELECT array_agg(a.id) FROM voxgraph.audio a WHERE a.origin = 'result' AND a.id IN (SELECT input_audio_id FROM gone)), '{}'),
         array_agg(DISTINCT batch_id) FILTER (WHERE batch_id IS NOT NULL)
    INTO v_ids, v_results, v_batches FROM gone;
  IF v_ids IS NULL THEN
    RETURN;
  END IF;
  DELETE FROM pgboss.job b
  WHERE (b.id = ANY(v_ids) AND b.name IN (SELECT unnest(enum_range(NULL::voxgraph.job_kind))::text))
     OR (b.name = 'dead_letter' AND b.source_id = ANY(v_ids));
  IF v_batches IS NOT NULL THEN
    DELETE FROM voxgraph.batch b
    WHERE b.id = ANY(v_batches) AND NOT EXISTS (SELECT 1 FROM voxgraph.job j WHERE j.batch_id = b.id);
  END IF;
  RETURN QUERY SELECT voxgraph.delete_unreferenced_audio(coalesce(v_results, '{}'));
END;
$$;

-- Down Migration
DROP INDEX voxgraph.job_cached_from;
DROP INDEX voxgraph.job_run_of;
DROP INDEX voxgraph.job_cache_in_flight;
DROP INDEX voxgraph.job_cache_hit;
-- The columns stay: record_job_event reads run_of and engine_version.
DROP INDEX voxgraph.idempotency_key_batch;
DELETE FROM voxgraph.idempotency_key WHERE batch_id IS NOT NULL;
ALTER TABLE voxgraph.idempotency_key DROP CONSTRAINT idempotency_key_one_target, DROP COLUMN batch_id, ALTER COLUMN job_id SET NOT NULL;
ALTER TABLE voxgraph.job DROP COLUMN batch_id;
DROP TABLE voxgraph.batch;
-- The feed's columns stay (record_job_event writes them); tenant may be left out again.
ALTER TABLE voxgraph.job_event ALTER COLUMN tenant DROP NOT NULL;
