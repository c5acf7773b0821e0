-- Up Migration

-- Idempotency keys (src/jobs/idempotency.ts): a client's key for a job mutation, per tenant. A key
-- seen again within its lifetime returns the job it created; with a different request it is
-- IDEMPOTENCY_CONFLICT. request_sha256 is the hash of the request as the API canonicalises it
-- (kind, parameters, engine, priority and the input audio's id or, for a file sent with the
-- request, its content hash). The row is written in the job's transaction, before the job row
-- (the reference is checked at commit): two requests racing with one key meet on the primary key,
-- and the second waits for the first's commit.
CREATE TABLE voxgraph.idempotency_key (
  tenant text NOT NULL,
  key text NOT NULL,
  request_sha256 text NOT NULL,
  job_id uuid NOT NULL REFERENCES voxgraph.job (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, key)
);
CREATE INDEX idempotency_key_created ON voxgraph.idempotency_key (created_at);
CREATE INDEX idempotency_key_job ON voxgraph.idempotency_key (job_id);

-- Down Migration
DROP TABLE voxgraph.idempotency_key;
