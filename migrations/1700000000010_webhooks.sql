-- Up Migration

-- Webhooks (issue 10; src/webhooks/). A job's webhook (job.webhook: {url, events}) or, without
-- one, its tenant's default (tenant_webhook) gets a delivery row for each event it asked for, in
-- the transaction that logs the event (an outbox: a delivery exists exactly when its event does).
-- The API's dispatcher hands new rows to pg-boss's `webhook` queue, whose handler POSTs them signed
-- the Standard Webhooks way and retries with backoff. Nothing here waits for a receiver: the job's
-- transaction only inserts a row.
CREATE TABLE voxgraph.tenant_webhook (
  tenant text PRIMARY KEY,
  url text,                        -- the default for jobs without a webhook of their own; null: none
  events text[] NOT NULL DEFAULT '{}',
  secret text NOT NULL,            -- whsec_<base64>: signs every delivery of the tenant
  updated_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE voxgraph.job ADD COLUMN webhook jsonb;

CREATE TABLE voxgraph.webhook_delivery (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  job_id uuid NOT NULL REFERENCES voxgraph.job (id) ON DELETE CASCADE,
  tenant text NOT NULL,
  seq integer NOT NULL,            -- the event's version within its job
  event text NOT NULL,             -- QUEUED RUNNING PROGRESS RETRYING SUCCEEDED FAILED CANCELLED
  url text NOT NULL,
  message_id text NOT NULL,        -- webhook-id: the same for every attempt and redelivery of the event
  payload jsonb NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  dispatched boolean NOT NULL DEFAULT false,
  attempts integer NOT NULL DEFAULT 0,
  last_status_code integer,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX webhook_delivery_job ON voxgraph.webhook_delivery (job_id, seq);
CREATE INDEX webhook_delivery_undispatched ON voxgraph.webhook_delivery (created_at) WHERE NOT dispatched;

CREATE TABLE voxgraph.webhook_attempt (
  delivery_id uuid NOT NULL REFERENCES voxgraph.webhook_delivery (id) ON DELETE CASCADE,
  n integer NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  status_code integer,
  error text,
  duration_ms integer NOT NULL,
  PRIMARY KEY (delivery_id, n)
);

-- The outbox: runs for every logged event, in its transaction — at its COMMIT (a deferred
-- constraint trigger), when the job's row is complete: a mutation sets the job's webhook, batch
-- and cache columns after submit_job has logged its QUEUED event.
CREATE FUNCTION voxgraph.enqueue_webhooks() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  target jsonb;
  v_kind voxgraph.job_kind;
  v_batch uuid;
  v_cached boolean;
  v_result uuid;
  ev text;
  prev voxgraph.job_status;
BEGIN
  -- One lookup for the job and its tenant's default; most events have neither webhook and stop here.
  SELECT coalesce(jb.webhook, CASE WHEN w.url IS NOT NULL THEN jsonb_build_object('url', w.url, 'events', to_jsonb(w.events)) END),
         jb.kind, jb.batch_id, jb.cached, jb.result_audio_id
  INTO target, v_kind, v_batch, v_cached, v_result
  FROM voxgraph.job jb LEFT JOIN voxgraph.tenant_webhook w ON w.tenant = jb.tenant
  WHERE jb.id = NEW.job_id;
  IF target IS NULL THEN
    RETURN NULL;
  END IF;
  -- A RUNNING event after RUNNING within one attempt is a progress report.
  SELECT e.status INTO prev FROM voxgraph.job_event e WHERE e.job_id = NEW.job_id AND e.seq = NEW.seq - 1;
  ev := CASE WHEN NEW.status = 'running' AND prev = 'running' THEN 'PROGRESS' ELSE upper(NEW.status::text) END;
  IF NOT (target->'events') ? ev THEN
    RETURN NULL;
  END IF;
  INSERT INTO voxgraph.webhook_delivery (job_id, tenant, seq, event, url, message_id, payload)
  VALUES (NEW.job_id, NEW.tenant, NEW.seq, ev, target->>'url', 'msg_' || replace(NEW.job_id::text, '-', '') || '_' || NEW.seq,
    jsonb_build_object(
      'type', 'job.' || lower(ev),
      'timestamp', to_char(NEW.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'data', jsonb_build_object(
        'id', NEW.job_id, 'kind', upper(v_kind::text), 'status', upper(NEW.status::text), 'version', NEW.seq,
        'progress', NEW.progress, 'attempts', NEW.attempts, 'batchId', v_batch, 'cached', v_cached,
        'error', CASE WHEN NEW.error_code IS NULL THEN NULL ELSE jsonb_build_object('code', NEW.error_code, 'message', NEW.error_message) END,
        'resultAudioId', CASE WHEN NEW.status = 'succeeded' THEN v_result END)));
  PERFORM pg_notify('voxgraph_webhooks', '');
  RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER job_event_webhooks AFTER INSERT ON voxgraph.job_event
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION voxgraph.enqueue_webhooks();

-- Down Migration
DROP TRIGGER job_event_webhooks ON voxgraph.job_event;
DROP FUNCTION voxgraph.enqueue_webhooks();
DROP TABLE voxgraph.webhook_attempt;
DROP TABLE voxgraph.webhook_delivery;
ALTER TABLE voxgraph.job DROP COLUMN webhook;
DROP TABLE voxgraph.tenant_webhook;
