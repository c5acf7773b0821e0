"""Our side of a job's state: calls to voxgraph.record_job_event and the result audio row.

record_job_event is the only writer of voxgraph.job/job_event; it returns the new seq, or None
when it refused (job final, or a progress event that did not move forward).
"""

from __future__ import annotations

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


def insert_result_audio(conn, *, tenant: str, storage_key: str, nbytes: int, sha256: str, duration: float,
                        sample_rate: int, channels: int) -> str:
    audio_id = str(uuid.uuid4())
    conn.execute(
        """INSERT INTO voxgraph.audio (id, tenant, storage_key, content_type, format, codec, bytes, sha256,
                                       duration_seconds, sample_rate, channels, origin)
           VALUES (%s, %s, %s, 'audio/wav', 'wav', 'pcm_s16le', %s, %s, %s, %s, %s, 'result')""",
        (audio_id, tenant, storage_key, nbytes, sha256, duration, sample_rate, channels))
    return audio_id


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
