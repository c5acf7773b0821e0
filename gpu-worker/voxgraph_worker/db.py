"""One reconnecting autocommit connection, shared by a slot's threads under a lock.

Autocommit so nothing is ever left open between units; multi-statement units use an explicit
`with conn.transaction()`.
"""

from __future__ import annotations

import threading
from typing import Optional

import psycopg


class Db:
    def __init__(self, url: str, application_name: str = "voxgraph-worker"):
        self.url = url
        self.application_name = application_name
        self.lock = threading.RLock()  # one unit of work at a time on this connection
        self._conn: Optional[psycopg.Connection] = None

    def conn(self) -> psycopg.Connection:
        c = self._conn
        if c is None or c.closed or c.broken:
            self.reset()
            c = self._conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10,
                                             application_name=self.application_name)
        return c

    def reset(self) -> None:
        c, self._conn = self._conn, None
        if c is not None:
            try:
                c.close()
            except Exception:
                pass

    close = reset
