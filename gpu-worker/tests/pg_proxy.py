"""A TCP proxy in front of the test PostgreSQL that breaks connections at chosen statements: the
database faults a worker must survive, made to happen at an exact point of its protocol.

It reads the frontend side of the PostgreSQL wire protocol just enough to know which statement a
connection runs (simple Query, or Parse/Bind of a named or unnamed prepared statement) and, when
an armed marker matches, does one of:

- ``outage``: drops every connection and refuses new ones for a while (a database restart);
- ``lose_commit``: lets that connection's next COMMIT through, swallows PostgreSQL's answer and
  drops the connection (the commit happened; the client cannot know).

Connect through it with ``sslmode=disable&gssencmode=disable`` so that the first message is the
startup packet.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Optional

from psycopg.conninfo import make_conninfo

_SSL_REQUEST, _GSS_REQUEST = 80877103, 80877104


@dataclass
class _Arm:
    marker: str
    action: str  # outage | lose_commit
    seconds: float = 0.0


@dataclass
class _Conn:
    client: socket.socket
    server: socket.socket
    stmts: dict[str, str] = field(default_factory=dict)
    flagged: bool = False  # lose_commit: matched; its next COMMIT is the one to lose
    swallow: bool = False  # the COMMIT to lose is on its way: drop what the server says
    closed: bool = False

    def close(self) -> None:
        self.closed = True
        for s in (self.client, self.server):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


class PgProxy:
    def __init__(self, upstream_host: str, upstream_port: int):
        self.upstream = (upstream_host, upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._conns: list[_Conn] = []
        self._arm: Optional[_Arm] = None
        self._refuse_until = 0.0
        self.fired: list[str] = []  # the actions taken, in order
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, through: str) -> str:
        """`through` (a libpq URL or conninfo) with its host and port replaced by the proxy's; the
        credentials stay, since the proxy passes authentication through untouched."""
        return make_conninfo(through, host="127.0.0.1", port=str(self.port), sslmode="disable", gssencmode="disable")

    def arm(self, marker: str, action: str, seconds: float = 0.0) -> None:
        """Acts once, on the first statement containing `marker`."""
        with self._lock:
            self._arm = _Arm(marker, action, seconds)

    def close(self) -> None:
        self._stop = True
        self._listener.close()
        with self._lock:
            for c in self._conns:
                c.close()

    # --- plumbing ------------------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if time.monotonic() < self._refuse_until:
                client.close()  # "the database is restarting"
                continue
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            c = _Conn(client, server)
            with self._lock:
                self._conns.append(c)
            threading.Thread(target=self._upstream, args=(c,), daemon=True).start()
            threading.Thread(target=self._downstream, args=(c,), daemon=True).start()

    def _downstream(self, c: _Conn) -> None:
        try:
            while data := c.server.recv(65536):
                if not c.swallow:
                    c.client.sendall(data)
        except OSError:
            pass
        c.close()

    def _upstream(self, c: _Conn) -> None:
        try:
            buf = b""
            started = False
            while True:
                data = c.client.recv(65536)
                if not data:
                    break
                buf += data
                while True:
                    if not started:  # untyped: SSL/GSS requests, then the startup packet
                        if len(buf) < 8:
                            break
                        n, code = struct.unpack("!ii", buf[:8])
                        if len(buf) < n:
                            break
                        msg, buf = buf[:n], buf[n:]
                        started = code not in (_SSL_REQUEST, _GSS_REQUEST)
                        c.server.sendall(msg)
                        continue
                    if len(buf) < 5:
                        break
                    n = struct.unpack("!i", buf[1:5])[0]
                    if len(buf) < 1 + n:
                        break
                    msg, buf = buf[: 1 + n], buf[1 + n:]
                    if not self._forward(c, msg):
                        return
        except OSError:
            pass
        c.close()

    def _statement(self, c: _Conn, msg: bytes) -> Optional[str]:
        kind, body = msg[:1], msg[5:]
        if kind == b"Q":
            return body.split(b"\0", 1)[0].decode(errors="replace")
        if kind == b"P":
            name, rest = body.split(b"\0", 1)
            text = rest.split(b"\0", 1)[0].decode(errors="replace")
            c.stmts[name.decode()] = text
            return text
        if kind == b"B":
            _portal, rest = body.split(b"\0", 1)
            return c.stmts.get(rest.split(b"\0", 1)[0].decode(), "")
        return None

    def _forward(self, c: _Conn, msg: bytes) -> bool:
        """Sends one frontend message on, or breaks the connection; False once it is broken."""
        text = self._statement(c, msg)
        if text is not None:
            with self._lock:
                arm = self._arm
                if arm and arm.marker in text:
                    self._arm = None
                    self.fired.append(arm.action)
                    if arm.action == "outage":
                        self._refuse_until = time.monotonic() + arm.seconds
                        for other in self._conns:
                            other.close()
                        return False
                    c.flagged = True
            if c.flagged and text.strip().upper() == "COMMIT":
                c.swallow = True  # from here on, PostgreSQL's answers go nowhere
        c.server.sendall(msg)
        # The COMMIT runs on a simple Query, or on the Sync after its Parse/Bind/Execute.
        if c.swallow and msg[:1] in (b"Q", b"S"):
            time.sleep(0.3)  # PostgreSQL commits
            c.close()
            return False
        return True
