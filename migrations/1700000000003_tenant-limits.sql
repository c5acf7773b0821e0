-- Up Migration

-- Per-tenant limits that hold across every API process (README, "Limits"): job submissions by a
-- token bucket, active jobs, stored bytes; and fair claiming across tenants.

-- A tenant's job-submission token bucket: `tokens` as of `at`.
CREATE TABLE voxgraph.tenant_rate (
  tenant text PRIMARY KEY,
  tokens double precision NOT NULL,
  at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Bytes of audio a tenant keeps (uploads and results), kept up to date by triggers on
-- voxgraph.audio, so a quota check is one row read.
CREATE TABLE voxgraph.tenant_usage (
  tenant text PRIMARY KEY,
  storage_bytes bigint NOT NULL DEFAULT 0
);
INSERT INTO voxgraph.tenant_usage (tenant, storage_bytes)
  SELECT tenant, sum(bytes) FROM voxgraph.audio GROUP BY tenant;

CREATE FUNCTION voxgraph.count_audio_bytes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO voxgraph.tenant_usage (tenant, storage_bytes) VALUES (NEW.tenant, NEW.bytes)
    ON CONFLICT (tenant) DO UPDATE SET storage_bytes = voxgraph.tenant_usage.storage_bytes + EXCLUDED.storage_bytes;
    RETURN NEW;
  END IF;
  UPDATE voxgraph.tenant_usage SET storage_bytes = storage_bytes - OLD.bytes WHERE tenant = OLD.tenant;
  RETURN OLD;
END;
$$;
CREATE TRIGGER audio_bytes AFTER INSERT OR DELETE ON voxgraph.audio
  FOR EACH ROW EXECUTE FUNCTION voxgraph.count_audio_bytes();

-- Unfinished jobs by tenant: admission counts them, fair ranking orders them.
CREATE INDEX job_tenant_unfinished ON voxgraph.job (tenant, priority DESC, created_at)
  WHERE status IN ('queued', 'running', 'retrying');

-- Admission of one job, in the submitting transaction, under a per-tenant lock (so two API
-- processes cannot both take the last token or the last slot):
--   1. the rate: a token from the tenant's bucket (p_rate per second, at most p_burst saved), else
--      SQLSTATE VXRAT with the seconds to wait in the message;
--   2. the active-jobs quota: fewer than p_max_active queued + running + retrying, else VXQUO;
--   3. the job's place among the tenant's waiting jobs: how many of them it would wait behind (at
--      its priority or above). The caller gives pg-boss that place, negated, as the priority, so a
--      claim takes each tenant's first job before anyone's second: one tenant's backlog, whatever
--      its priorities, cannot push another tenant's job back (voxgraph.rerank_jobs keeps the places
--      current as jobs finish).
CREATE FUNCTION voxgraph.admit_job(p_tenant text, p_priority integer, p_rate double precision, p_burst double precision,
                                   p_max_active integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  b voxgraph.tenant_rate%ROWTYPE;
  now_tokens double precision;
  active integer;
  place integer;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('voxgraph.tenant:' || p_tenant, 0));

  IF p_rate > 0 THEN -- 0: no rate limit
    SELECT * INTO b FROM voxgraph.tenant_rate WHERE tenant = p_tenant;
    now_tokens := CASE WHEN NOT FOUND THEN p_burst
      ELSE least(p_burst, b.tokens + p_rate * extract(epoch FROM clock_timestamp() - b.at)) END;
    IF now_tokens < 1 THEN
      RAISE EXCEPTION '%', ceil((1 - now_tokens) / p_rate * 1000) / 1000 USING ERRCODE = 'VXRAT';
    END IF;
    INSERT INTO voxgraph.tenant_rate (tenant, tokens, at) VALUES (p_tenant, now_tokens - 1, clock_timestamp())
    ON CONFLICT (tenant) DO UPDATE SET tokens = EXCLUDED.tokens, at = EXCLUDED.at;
  END IF;

  SELECT count(*), count(*) FILTER (WHERE status <> 'running' AND priority >= p_priority) INTO active, place
  FROM voxgraph.job WHERE tenant = p_tenant AND status IN ('queued', 'running', 'retrying');
  IF p_max_active > 0 AND active >= p_max_active THEN -- 0: no quota
    RAISE EXCEPTION '%', active USING ERRCODE = 'VXQUO';
  END IF;
  RETURN place;
END;
$$;

-- Keeps pg-boss's priorities of waiting jobs equal to their places (see admit_job): as a tenant's
-- earlier jobs finish, its later ones move up. Returns how many jobs moved. (plpgsql: its body is
-- checked when it runs, and migrations run before pg-boss creates its schema.)
CREATE FUNCTION voxgraph.rerank_jobs() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  n integer;
BEGIN
  WITH ranked AS (
    SELECT j.id, j.kind::text AS name,
           (row_number() OVER (PARTITION BY j.tenant ORDER BY j.priority DESC, j.created_at) - 1)::int AS place
    FROM voxgraph.job j
    WHERE j.status IN ('queued', 'retrying')
  ), moved AS (
    UPDATE pgboss.job b SET priority = -r.place
    FROM ranked r
    WHERE b.name = r.name AND b.id = r.id AND b.state < 'active' AND b.priority <> -r.place
    RETURNING 1
  )
  SELECT count(*)::int INTO n FROM moved;
  RETURN n;
END;
$$;

-- Down Migration
DROP FUNCTION voxgraph.rerank_jobs();
DROP FUNCTION voxgraph.admit_job(text, integer, double precision, double precision, integer);
DROP INDEX voxgraph.job_tenant_unfinished;
DROP TRIGGER audio_bytes ON voxgraph.audio;
DROP FUNCTION voxgraph.count_audio_bytes();
DROP TABLE voxgraph.tenant_usage;
DROP TABLE voxgraph.tenant_rate;
