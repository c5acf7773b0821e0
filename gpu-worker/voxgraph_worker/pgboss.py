"""pg-boss's own statements (sql/*.sql, generated from pg-boss's plans.js), run from Python.

The SQL files are never edited by hand: this module only fills in the tokens (__TABLE__,
__QUEUE__, __LIMIT__) and turns pg-boss's `$N` placeholders into psycopg's `%(pN)s`.
Every settle/heartbeat is fenced by the (id, retry_count) pair the claim returned, so a stale
attempt can never touch a newer one.
"""

from __future__ import annotations

import json
import re
import traceback
import uuid
from pathlib import Path
from typing import Any, Iterable

SQL_DIR = Path(__file__).with_name("sql")
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_PLACEHOLDER = re.compile(r"\$(\d+)")


class SchemaVersionMismatch(Exception):
    pass


def to_psycopg(sql: str) -> str:
    """`$1` -> `%(p1)s`; literal `%` escaped first so psycopg does not read it as a placeholder."""
    return _PLACEHOLDER.sub(r"%(p\1)s", sql.replace("%", "%%"))


def error_output(exc: BaseException | None = None, *, name: str | None = None, message: str | None = None,
                 code: str | None = None) -> dict:
    """The shape pg-boss stores for a failed job: {name, message, stack} (+ our code)."""
    out: dict[str, Any] = {
        "name": name or (type(exc).__name__ if exc else "Error"),
        "message": message if message is not None else (str(exc) if exc else ""),
        "stack": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)) if exc else None,
    }
    if code:
        out["code"] = code
    return out


def wrap_output(value: Any) -> Any:
    # pg-boss stores non-object outputs as {"value": x}; Node readers expect that.
    return value if isinstance(value, dict) else {"value": value}


class PgBoss:
    def __init__(self, sql_dir: Path = SQL_DIR):
        self._raw = {p.stem: p.read_text() for p in sql_dir.glob("*.sql")}
        for needed in ("claim", "touch", "complete", "fail", "fail_terminal", "notify_channel", "version"):
            if needed not in self._raw:
                raise FileNotFoundError(f"missing pg-boss statement {needed}.sql in {sql_dir}")
        meta = json.loads((sql_dir / "pgboss.json").read_text())
        self.package_version: str = meta["package"]
        self.schema_version: int = int(meta["schemaVersion"])
        self._tables: dict[str, str] = {}
        self._cache: dict[tuple[str, str, int], str] = {}

    # --- startup -------------------------------------------------------------------------------
    def check_version(self, conn) -> int:
        row = conn.execute(to_psycopg(self._raw["version"])).fetchone()
        found = int(row[0]) if row else None
        if found != self.schema_version:
            raise SchemaVersionMismatch(
                f"pg-boss schema version is {found}, this worker was generated for {self.schema_version} "
                f"(pg-boss {self.package_version}); upgrade the worker and the API together")
        return found

    def notify_channel(self, conn) -> str:
        return conn.execute(to_psycopg(self._raw["notify_channel"])).fetchone()[0]

    def load_queues(self, conn, queues: Iterable[str]) -> dict[str, str]:
        """Reads each queue's partition table; both names are inlined into SQL, so validate them."""
        for q in queues:
            if not _NAME.match(q):
                raise ValueError(f"invalid queue name {q!r}")
            row = conn.execute("SELECT table_name FROM pgboss.queue WHERE name = %s", (q,)).fetchone()
            if row is None:
                raise LookupError(f"pg-boss queue {q!r} does not exist (the API creates it at startup)")
            if not _NAME.match(row[0]):
                raise ValueError(f"invalid pg-boss table name {row[0]!r} for queue {q!r}")
            self._tables[q] = row[0]
        return dict(self._tables)

    def table(self, queue: str) -> str:
        try:
            return self._tables[queue]
        except KeyError:
            raise LookupError(f"queue {queue!r} not loaded; call load_queues first") from None

    def _sql(self, name: str, queue: str, limit: int = 1) -> str:
        key = (name, queue, limit)
        sql = self._cache.get(key)
        if sql is None:
            text = (self._raw[name].replace("__TABLE__", self.table(queue))
                    .replace("__QUEUE__", queue).replace("__LIMIT__", str(int(limit))))
            sql = self._cache[key] = to_psycopg(text)
        return sql

    # --- the worker's statements ---------------------------------------------------------------
    def claim(self, conn, queue: str, limit: int = 1) -> list[dict]:
        cur = conn.execute(self._sql("claim", queue, limit))
        cols = [c.name for c in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]

    def touch(self, conn, queue: str, attempts: Iterable[tuple[str, int]]) -> int:
        return len(self.touch_many(conn, queue, attempts))

    def touch_many(self, conn, queue: str, attempts: Iterable[tuple[str, int]]) -> set[str]:
        """Fenced heartbeats for several attempts; returns the ids still held."""
        pairs = list(attempts)
        if not pairs:
            return set()
        row = conn.execute(self._sql("touch", queue), {
            "p1": queue,
            "p2": [uuid.UUID(str(i)) for i, _ in pairs],
            "p3": [f"{i}:{rc}" for i, rc in pairs],
        }).fetchone()
        return {str(i) for i in (row[1] or [])}

    def _settle(self, stmt: str, conn, queue: str, items: Iterable[tuple[str, int, Any]]) -> tuple[int, set[str]]:
        """Runs a fenced settle statement; returns (rows settled, their ids)."""
        payload = json.dumps([{"id": str(i), "retry_count": rc, "output": wrap_output(out)} for i, rc, out in items])
        row = conn.execute(self._sql(stmt, queue), {"p1": queue, "p2": payload}).fetchone()
        return int(row[0]), {str(i) for i in (row[1] if len(row) > 1 and row[1] is not None else [])}

    def complete(self, conn, queue: str, job_id: str, retry_count: int, output: Any) -> int:
        return self._settle("complete", conn, queue, [(job_id, retry_count, output)])[0]

    def complete_many(self, conn, queue: str, items: list[tuple[str, int, Any]]) -> set[str]:
        """Completes several attempts in one statement; returns the ids whose fence held."""
        return self._settle("complete", conn, queue, items)[1] if items else set()

    def fail(self, conn, queue: str, job_id: str, retry_count: int, output: Any, terminal: bool = False) -> int:
        return self._settle("fail_terminal" if terminal else "fail", conn, queue, [(job_id, retry_count, output)])[0]

    def completed(self, conn, queue: str, attempts: Iterable[tuple[str, int]]) -> set[str]:
        """Which of these attempts pg-boss has completed: after a COMMIT whose outcome is unknown,
        whether it happened (an attempt's retry_count is only ever completed by its holder)."""
        pairs = list(attempts)
        if not pairs:
            return set()
        rows = conn.execute(f"SELECT id FROM pgboss.{self.table(queue)} WHERE name = %s AND id = ANY(%s) "
                            "AND state = 'completed' AND (id::text || ':' || retry_count) = ANY(%s)",
                            (queue, [uuid.UUID(str(i)) for i, _ in pairs], [f"{i}:{rc}" for i, rc in pairs])).fetchall()
        return {str(r[0]) for r in rows}

    def state(self, conn, queue: str, job_id: str) -> str | None:
        row = conn.execute(f"SELECT state::text FROM pgboss.{self.table(queue)} WHERE name = %s AND id = %s",
                           (queue, uuid.UUID(str(job_id)))).fetchone()
        return row[0] if row else None
