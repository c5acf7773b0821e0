-- Up Migration

-- What a worker's heartbeat reports beside its engines: device name, GPU memory (total/free),
-- batching settings and the current batch cap per engine, plug-ins that failed to load.
ALTER TABLE voxgraph.worker ADD COLUMN resources jsonb NOT NULL DEFAULT '{}'::jsonb;

-- Down Migration
ALTER TABLE voxgraph.worker DROP COLUMN resources;
