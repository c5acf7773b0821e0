-- Up Migration

-- The one statement by which audio rows are written, by the API (uploads) and by the workers
-- (results): rows as a JSON array whose keys are the columns (docs/protocol.md). One place, so a
-- new column or a changed default is changed once for both languages.
CREATE FUNCTION voxgraph.insert_audios(p_rows jsonb) RETURNS SETOF voxgraph.audio
LANGUAGE sql AS $$
  INSERT INTO voxgraph.audio (id, tenant, storage_key, content_type, format, codec, bytes, sha256,
                              duration_seconds, sample_rate, channels, origin)
  SELECT id, tenant, storage_key, content_type, format, codec, bytes, sha256,
         duration_seconds, sample_rate, channels, origin
  FROM jsonb_to_recordset(p_rows) AS r(id uuid, tenant text, storage_key text, content_type text, format text,
                                       codec text, bytes bigint, sha256 text, duration_seconds double precision,
                                       sample_rate integer, channels integer, origin text)
  RETURNING *
$$;

-- Down Migration
DROP FUNCTION voxgraph.insert_audios(jsonb);
