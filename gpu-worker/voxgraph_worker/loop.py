"""The worker process: N slots claiming and running jobs, wake-ups, the worker row, signals.

Threads: one per slot (its own connection; claims only while free, round-robin over queues),
plus the main thread, which owns the listener connection (pg-boss's enqueue channel and our
job-event channel), the worker-row heartbeat and shutdown.
"""

from __future__ import annotations

import os
import select
import socket
import threading
import time
from typing import Optional

import psycopg

from . import device as devices
from . import jobstate, log, protocol
from .batching import BatchSizer
from .config import Config
from .db import Db
from .pgboss import PgBoss, SchemaVersionMismatch, error_output
from .outcomes import CancelReason
from .registry import Registry, describe
from .runner import ClaimedJob, Runner, claim
from .signals import ShutdownSignals
from .storage import Storage

# voxgraph.record_job_event() notifies here with the job's id when a job is cancelled.
CANCEL_CHANNEL = protocol.CHANNEL_JOB_CANCELLED
EXIT_OK, EXIT_VERSION = 0, 3


class Worker:
    def __init__(self, cfg: Config, registry: Registry, boss: PgBoss, storage: Storage, device: str = "cpu",
                 concurrency: Optional[int] = None, plugin_failures: Optional[list[dict]] = None,
                 signals: Optional[ShutdownSignals] = None):
        self.cfg, self.registry, self.boss, self.storage = cfg, registry, boss, storage
        self._device = device
        self.concurrency = concurrency or cfg.concurrency
        self.plugin_failures = plugin_failures or []
        self.sizer = BatchSizer(cfg.batch_size, device)
        self.runner = Runner(boss, storage, cfg.progress_interval_seconds, self.sizer,
                             batch_memory_bytes=int(cfg.batch_memory_mb * 1024 * 1024))
        self.stopping = threading.Event()
        self._wake = threading.Condition()
        self._wake_gen = 0
        self._rr = 0
        self._rr_lock = threading.Lock()
        self._empty_at: dict[str, float] = {}  # queue -> when a claim last found it empty
        self._sends: dict[str, int] = {}  # queue -> pg-boss notifications seen
        self._held: dict[str, ClaimedJob] = {}
        self._held_lock = threading.Lock()
        self._busy = 0
        self._signals = 0
        self.signals = signals or ShutdownSignals()
        self._main = Db(cfg.database_url, "voxgraph-worker-main")
        self._channel: Optional[str] = None
        self._listening = False

    # --- wake-ups ------------------------------------------------------------------------------
    def wake(self) -> None:
        with self._wake:
            self._wake_gen += 1
            self._wake.notify_all()

    def _on_notify(self, n) -> None:
        if n.channel == CANCEL_CHANNEL:
            with self._held_lock:
                job = self._held.get(n.payload.strip())
            if job is not None:
                log.info("job cancelled by the API; stopping the engine", job=job.id)
                job.control.cancel(CancelReason.CANCELLED)
        else:
            q = n.payload.strip()  # pg-boss's payload is the queue name: it has work again
            if q not in self.cfg.queues:
                return  # pg-boss notifies every queue's sends on one channel
            with self._rr_lock:
                self._sends[q] = self._sends.get(q, 0) + 1
                self._empty_at.pop(q, None)
            self.wake()

    # --- slots ---------------------------------------------------------------------------------
    def _next_queues(self) -> list[str]:
        """The queues to try, in turn (round-robin for fairness), leaving out those that were empty
        within the last poll interval and got no send since: a claim that finds nothing costs a
        transaction, and would otherwise run for every idle queue after every batch."""
        qs, now = self.cfg.queues, time.monotonic()
        with self._rr_lock:
            start, self._rr = self._rr, (self._rr + 1) % len(qs)
            return [q for q in (qs[(start + i) % len(qs)] for i in range(len(qs)))
                    if now - self._empty_at.get(q, -1e9) >= self.cfg.poll_seconds]

    def _sends_to(self, queue: str) -> int:
        with self._rr_lock:
            return self._sends.get(queue, 0)

    def _mark(self, queue: str, empty: bool, sends_before: int) -> None:
        """After a claim: empty (unless a send arrived meanwhile) or not."""
        with self._rr_lock:
            if empty and self._sends.get(queue, 0) == sends_before:
                self._empty_at[queue] = time.monotonic()
            elif not empty:
                self._empty_at.pop(queue, None)

    def _slot(self, index: int) -> None:
        db = Db(self.cfg.database_url, f"voxgraph-worker-slot{index}")
        backoff = 0.5
        while not self.stopping.is_set():
            gen = self._wake_gen
            with self._held_lock:
                self._busy += 1  # from before the claim: shutdown waits for a claim in flight too
            try:
                jobs, claimed_any = [], False
                for q in self._next_queues():
                    if self.stopping.is_set():
                        break
                    limit = self.sizer.claim_limit(self.registry.get(q, []))
                    sends = self._sends_to(q)
                    claimed_any, jobs = claim(db, self.boss, self.registry, q, limit)
                    self._mark(q, not claimed_any, sends)
                    if jobs and len(jobs) < limit and self.cfg.batch_wait_ms > 0:
                        jobs += self._fill(db, q, limit - len(jobs))
                    if claimed_any:
                        break
                backoff = 0.5
            except psycopg.OperationalError as e:
                self._idle()
                log.warning("slot database error; reconnecting", slot=index, error=str(e), retry_in=backoff)
                db.reset()
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, 30)
                continue
            except Exception as e:
                self._idle()
                log.error("claim failed", exc=e, slot=index)
                db.reset()
                self.stopping.wait(1.0)
                continue
            if jobs and self.stopping.is_set():
                # Claimed while the shutdown began: hand them straight back rather than start them.
                self.runner.hand_back(db, jobs)
                self._idle()
                continue
            if jobs:
                self._run(db, jobs)
                continue
            self._idle()
            if claimed_any:
                continue  # something was there (a not-runnable job): look again at once
            with self._wake:
                if self._wake_gen == gen and not self.stopping.is_set():
                    self._wake.wait(self.cfg.poll_seconds)
        db.close()

    def _fill(self, db: Db, queue: str, room: int) -> list[ClaimedJob]:
        """Dynamic batching's max wait: a batch that is not full waits up to batch_wait_ms for more
        jobs of its queue (woken early by pg-boss's NOTIFY), then runs with what it has."""
        deadline = time.monotonic() + self.cfg.batch_wait_ms / 1000.0
        more: list[ClaimedJob] = []
        while room > 0 and not self.stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            gen = self._wake_gen
            with self._wake:
                if self._wake_gen == gen:
                    self._wake.wait(left)
            _, got = claim(db, self.boss, self.registry, queue, room)
            more += got
            room -= len(got)
        return more

    def _idle(self) -> None:
        with self._held_lock:
            self._busy -= 1

    def _run(self, db: Db, jobs: list[ClaimedJob]) -> None:
        """Runs a claimed batch; the slot counts as busy from before its claim (see _slot)."""
        with self._held_lock:
            for job in jobs:
                self._held[job.id] = job
        try:
            self.runner.run_batch(db, jobs)
        except Exception as e:
            log.error("job runner crashed", exc=e, jobs=[j.id for j in jobs])
        finally:
            with self._held_lock:
                for job in jobs:
                    self._held.pop(job.id, None)
                self._busy -= 1

    # --- main connection: listener + worker row -------------------------------------------------
    def _ensure_listening(self) -> None:
        if self._listening and not (self._main._conn is None or self._main._conn.broken):
            return
        self._listening = False
        conn = self._main.conn()
        conn.add_notify_handler(self._on_notify)  # notifications that arrive during a query
        conn.execute(f'LISTEN "{self._channel}"')
        conn.execute(f"LISTEN {CANCEL_CHANNEL}")
        self._listening = True
        with self._rr_lock:
            self._empty_at.clear()
        self.wake()  # we may have missed sends while disconnected

    def _heartbeat_row(self) -> None:
        jobstate.upsert_worker(self._main.conn(), worker_id=self.cfg.worker_id, hostname=socket.gethostname(),
                               pid=os.getpid(), device=self._device, concurrency=self.concurrency,
                               engines=describe(self.registry), resources=self._resources())
        self._touch_health_file()

    def _touch_health_file(self) -> None:
        """The worker's health signal outside the database: fresh while heartbeats reach it."""
        if not self.cfg.health_file:
            return
        try:
            with open(self.cfg.health_file, "w") as f:
                f.write(f"{time.time():.0f}\n")
        except OSError as e:
            log.warning("could not write the health file", path=self.cfg.health_file, error=str(e))

    def _resources(self) -> dict:
        """Device, memory and batching as of this heartbeat (the row is the worker's status page)."""
        return {"device": self._device, "deviceName": devices.name(self._device), "memory": devices.memory(self._device),
                "batchSize": self.cfg.batch_size, "batchWaitMs": self.cfg.batch_wait_ms,
                "batchCaps": {f"{e.info.kind}/{e.info.name}": self.sizer.cap(e)
                              for es in self.registry.values() for e in es},
                "pluginFailures": self.plugin_failures}

    def _drain(self, timeout: float) -> None:
        conn = self._main.conn()
        r, _, _ = select.select([conn.fileno(), self.signals.fileno], [], [], timeout)
        self._take_signals()
        if conn.fileno() in r:
            conn.pgconn.consume_input()  # raises if the connection is gone
            while True:
                n = conn.pgconn.notifies()
                if n is None:
                    break
                self._on_notify(psycopg.Notify(n.relname.decode(), n.extra.decode(), n.be_pid))

    # --- signals -------------------------------------------------------------------------------
    def _take_signals(self) -> None:
        """Acts on SIGTERM/SIGINT (recorded by signals.py): the first starts the shutdown; a repeated
        one changes nothing, since the budget is already running (SIGKILL stops at once)."""
        for signum in self.signals.take():
            self._signals += 1
            if self._signals == 1:
                log.info("shutdown requested", signal=signum, grace_seconds=self.cfg.shutdown_grace_seconds,
                         handback_seconds=self.cfg.handback_seconds)
                self.stopping.set()
                self.wake()
            else:
                log.info("already shutting down; signal ignored", signal=signum)

    def _pause(self, seconds: float) -> None:
        """The main thread's sleep: wakes early for a signal."""
        select.select([self.signals.fileno], [], [], seconds)
        self._take_signals()

    # --- lifecycle -----------------------------------------------------------------------------
    def startup(self) -> None:
        """Version check, queues, channel. Waits (with backoff) for the database and the queues."""
        backoff = 0.5
        while not self.stopping.is_set():
            try:
                conn = self._main.conn()
                self.boss.check_version(conn)
                self.boss.load_queues(conn, self.cfg.queues)
                self._channel = self.boss.notify_channel(conn)
                return
            except SchemaVersionMismatch:
                raise
            except (psycopg.OperationalError, LookupError) as e:
                log.warning("waiting for the database / pg-boss queues", error=str(e), retry_in=backoff)
                self._main.reset()
            except psycopg.errors.UndefinedTable as e:
                log.warning("pg-boss schema not installed yet", error=str(e), retry_in=backoff)
            self._pause(backoff)
            backoff = min(backoff * 2, 15)

    def run(self) -> int:
        self._take_signals()  # one that came during engine loading
        try:
            self.startup()
        except SchemaVersionMismatch as e:
            log.error(str(e))
            return EXIT_VERSION
        if self.stopping.is_set():
            return EXIT_OK
        slots = [threading.Thread(target=self._slot, args=(i,), name=f"slot-{i}", daemon=True)
                 for i in range(self.concurrency)]
        next_row = 0.0
        ready = False
        backoff = 0.5
        while not self.stopping.is_set():
            try:
                self._ensure_listening()
                if time.monotonic() >= next_row:
                    self._heartbeat_row()
                    next_row = time.monotonic() + self.cfg.heartbeat_seconds
                if not ready:
                    for t in slots:
                        t.start()
                    ready = True
                    log.info("worker ready", queues=list(self.cfg.queues), concurrency=self.concurrency,
                             batch_size=self.cfg.batch_size, batch_wait_ms=self.cfg.batch_wait_ms,
                             device=self._device, engines=describe(self.registry), pid=os.getpid())
                self._drain(min(0.5, max(0.0, next_row - time.monotonic())))
                backoff = 0.5
            except (psycopg.OperationalError, OSError) as e:
                log.warning("main connection lost; reconnecting", error=str(e), retry_in=backoff)
                self._main.reset()
                self._listening = False
                self._pause(backoff)
                backoff = min(backoff * 2, 30)
        self._shutdown(slots)
        return EXIT_OK

    def _shutdown(self, slots: list[threading.Thread]) -> None:
        self.wake()  # idle slots see `stopping` and exit
        deadline = time.monotonic() + self.cfg.shutdown_grace_seconds
        while self._busy and time.monotonic() < deadline:
            self._service(0.2)  # keep honouring cancellations during the grace period
        with self._held_lock:
            left = list(self._held.values())
        for job in left:
            log.info("grace period over; handing the job back", job=job.id)
            job.control.cancel(CancelReason.SHUTDOWN)  # the runner fails it with WORKER_SHUTDOWN (retryable)
        settle_deadline = time.monotonic() + self.cfg.handback_seconds
        while self._busy and time.monotonic() < settle_deadline:
            self._service(0.1)
        with self._held_lock:
            stuck = list(self._held.values())
        for job in stuck:
            self._hand_back(job)  # the engine ignores cancellation; fenced, so a late settle is harmless
        try:
            jobstate.delete_worker(self._main.conn(), self.cfg.worker_id)
        except psycopg.Error as e:
            log.warning("could not delete the worker row", error=str(e))
        self._main.close()
        if self.cfg.health_file:
            try:
                os.unlink(self.cfg.health_file)
            except FileNotFoundError:
                pass
        log.info("worker stopped")

    def _service(self, timeout: float) -> None:
        try:
            self._ensure_listening()
            self._drain(timeout)
        except (psycopg.OperationalError, OSError):
            self._main.reset()
            self._listening = False
            self._pause(timeout)

    def _hand_back(self, job: ClaimedJob) -> None:
        try:
            conn = self._main.conn()
            with conn.transaction():
                hit = self.boss.fail(conn, job.queue, job.id, job.retry_count,
                                     error_output(name="WorkerError", code="WORKER_SHUTDOWN",
                                                  message="worker shutting down"))
                if hit:
                    state = self.boss.state(conn, job.queue, job.id)
                    jobstate.record(conn, job.id, "failed" if state == "failed" else "retrying",
                                    error_code="WORKER_SHUTDOWN", error_message="worker shutting down")
            log.info("job handed back", job=job.id, hit=hit)
        except psycopg.Error as e:
            log.warning("could not hand the job back", job=job.id, error=str(e))
