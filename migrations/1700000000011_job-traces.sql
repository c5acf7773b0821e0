-- Up Migration

-- When an API process emitted the spans of a finished job's life (src/tracing/job-trace.ts). Every
-- API process hears the final event; the one whose UPDATE sets this first emits them, once.
ALTER TABLE voxgraph.job ADD COLUMN traced_at timestamptz;

-- Down Migration
ALTER TABLE voxgraph.job DROP COLUMN traced_at;
