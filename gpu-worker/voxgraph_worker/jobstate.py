"""Our side of a job's state: calls to voxgraph.record_job_event and the result audio row.

record_job_event is the only writer of voxgraph.job/job_event; it returns the new seq, or None
when it refused (job final, or a progress event that did not move forward).
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Optional

from psycopg.types.json import Jsonb

_RECORD = """
SELECT voxgraph.record_job_event(
  p_job_id => %(id)s::uuid, p_status => %(status)s::voxgraph.job_status, p_progress => %(progress)s::real,
  p_attempts => %(attempts)s::integer, p_engine => %(engine)s::text, p_result => %(result)s::jsonb,
  p_result_audio_id => %(result_audio_id)s::uuid, p_error_code => %(error_code)s::text,
  p_error_message => %(error_message)s::text)
"""


def record(conn, job_id, status: str, *, progress: Optional[float] = None, attempts: Optional[int] = None,
           engine: Optional[str] = None, result: Optional[dict] = None, result_audio_id=None,
           error_code: Optional[str] = None, error_message: Optional[str] = None) -> Optional[int]:
    row = conn.execute(_RECORD, {
        "id": str(job_id), "status": status, "progress": progress, "attempts": attempts, "engine": engine,
        "result": Jsonb(result) if result is not None else None,
        "result_audio_id": str(result_audio_id) if result_audio_id else None,
        "error_code": error_code, "error_message": error_message,
    }).fetchone()
    return row[0] if row else None


# The same call for many jobs in one statement (one round trip for a whole batch). Each list holds
# one value per job; results come back in the jobs' order.
_RECORD_MANY = """
SELECT voxgraph.record_job_event(
  p_job_id => e.id, p_status => e.status, p_progress => e.progress, p_attempts => e.attempts, p_engine => e.engine,
  p_result => e.result, p_result_audio_id => e.result_audio_id, p_error_code => e.error_code,
  p_error_message => e.error_message)
FROM unnest(%(id)s::uuid[], %(status)s::voxgraph.job_status[], %(progress)s::real[], %(attempts)s::integer[],
            %(engine)s::text[], %(result)s::jsonb[], %(result_audio_id)s::uuid[], %(error_code)s::text[],
            %(error_message)s::text[])
     WITH ORDINALITY AS e(id, status, progress, attempts, engine, result, result_audio_id, error_code, error_message, n)
ORDER BY e.n
"""
_FIELDS = ("progress", "attempts", "engine", "result", "result_audio_id", "error_code", "error_message")


def record_many(conn, events: list[dict]) -> list[Optional[int]]:
    """record() for several jobs at once: each dict has `id`, `status` and any of record()'s keywords."""
    if not events:
        return []
    params: dict[str, list] = {"id": [str(e["id"]) for e in events], "status": [e["status"] for e in events]}
    for f in _FIELDS:
        params[f] = [e.get(f) for e in events]
    params["result"] = [Jsonb(r) if r is not None else None for r in params["result"]]
    params["result_audio_id"] = [str(a) if a else None for a in params["result_audio_id"]]
    return [r[0] for r in conn.execute(_RECORD_MANY, params).fetchall()]


_ENGINE_VERSIONS = """
UPDATE voxgraph.job j SET engine_version = v.engine_version
FROM unnest(%(id)s::uuid[], %(engine_version)s::text[]) AS v(id, engine_version)
WHERE j.id = v.id
"""


def record_engine_versions(conn, versions: list[tuple[str, str]]) -> None:
    """name@version of the engine that produced each success (job id, "name@version"), written in
    the settle transaction before its SUCCEEDED event: the API's result cache only reuses a result
    of an engine@version a live worker still offers."""
    if versions:
        conn.execute(_ENGINE_VERSIONS, {"id": [v[0] for v in versions], "engine_version": [v[1] for v in versions]})


_CLAIMS = """
SELECT voxgraph.record_claim(c.id, c.attempts, c.engine)
FROM unnest(%(id)s::uuid[], %(attempts)s::integer[], %(engine)s::text[]) WITH ORDINALITY AS c(id, attempts, engine, n)
ORDER BY c.n
"""


def record_claims(conn, claims: list[tuple[str, int, Optional[str]]]) -> list[Optional[int]]:
    """RUNNING for each claimed attempt (job id, attempt, engine), after the RETRYING of an earlier
    attempt that nobody recorded (voxgraph.record_claim); the new seq, or None where refused."""
    if not claims:
        return []
    rows = conn.execute(_CLAIMS, {"id": [c[0] for c in claims], "attempts": [c[1] for c in claims],
                                  "engine": [c[2] for c in claims]}).fetchall()
    return [r[0] for r in rows]


def insert_result_audios(conn, rows: list[dict]) -> list[str]:
    """Result audio rows (in the job's format, protocol.AUDIO_FORMATS) in one statement, voxgraph.insert_audios (the API writes its
    uploads with it too); returns their ids in order (a row's own `id` when it has one)."""
    ids = [str(r.get("id") or uuid.uuid4()) for r in rows]
    if rows:
        conn.execute("SELECT 1 FROM voxgraph.insert_audios(%s::jsonb)", (json.dumps([
            {"id": i, "tenant": r["tenant"], "storage_key": r["storage_key"], "content_type": r.get("content_type", "audio/wav"),
             "format": r.get("format", "wav"), "codec": r.get("codec", "pcm_s16le"), "bytes": r["nbytes"], "sha256": r["sha256"], "duration_seconds": r["duration"],
             "sample_rate": r["sample_rate"], "channels": r["channels"], "origin": "result"}
            for i, r in zip(ids, rows)]),))
    return ids


def job_status(conn, job_id) -> Optional[str]:
    row = conn.execute("SELECT status::text FROM voxgraph.job WHERE id = %s::uuid", (str(job_id),)).fetchone()
    return row[0] if row else None


def upsert_worker(conn, *, worker_id: str, hostname: str, pid: int, device: str, concurrency: int,
                  engines: list[dict[str, Any]], resources: Optional[dict[str, Any]] = None) -> None:
    conn.execute(
        """INSERT INTO voxgraph.worker (id, hostname, pid, device, concurrency, engines, resources)
           VALUES (%s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (id) DO UPDATE SET hostname = EXCLUDED.hostname, pid = EXCLUDED.pid,
             device = EXCLUDED.device, concurrency = EXCLUDED.concurrency, engines = EXCLUDED.engines,
             resources = EXCLUDED.resources, heartbeat_at = now()""",
        (worker_id, hostname, pid, device, concurrency, Jsonb(engines), Jsonb(resources or {})))


def delete_worker(conn, worker_id: str) -> None:
    conn.execute("DELETE FROM voxgraph.worker WHERE id = %s", (worker_id,))
