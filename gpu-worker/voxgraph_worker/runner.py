"""A batch of claimed jobs, from claim to settle: the claim transaction, heartbeats, throttled
progress, cancellation, self-timeout, and the settle transactions (pg-boss change + our job event
together).

Cost per batch, not per job: the claim and its RUNNING events are one transaction of three
statements; one monitor thread beats for every job of the batch in one statement; the successes of
a chunk are settled together in one transaction (complete, result rows, SUCCEEDED events: one
statement each). Failures and cancellations are rare and settled one by one.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import psycopg

from . import audio_io, jobstate, log
from .db import Db
from .batching import BatchSizer, DeviceOutOfMemoryFailure, run_batch
from .engines.base import AudioData, Cancelled, Engine, EngineInputError, Task
from .kinds import KINDS, kind_of
from .outcomes import RECORDED_AS, CancelReason, JobFailure, Outcome, is_retryable, past_deadline
from .pgboss import PgBoss, error_output
from .registry import Registry, select
from .storage import ObjectMissing, Storage

FLOAT32 = 4
# How long a settle keeps retrying a database that went away (a restart, a failover, a dropped
# connection), beyond the job's own heartbeat: a finished result is worth waiting for, and past
# the heartbeat pg-boss may have taken the claim back (the fenced statements then touch nothing).
SETTLE_RETRY_EXTRA_SECONDS = 10.0


class _Backoff:
    """Waits between settle retries: 0.1 s doubling to 2 s, until the deadline."""

    def __init__(self, seconds: float):
        self.deadline = time.monotonic() + seconds
        self.delay = 0.1

    def wait(self) -> bool:
        """Sleeps before the next try; False when the deadline has passed (give up)."""
        if time.monotonic() + self.delay > self.deadline:
            return False
        time.sleep(self.delay)
        self.delay = min(self.delay * 2, 2.0)
        return True


@dataclass
class Control:
    """Cancellation of one running attempt; report() raises once it is set."""

    event: threading.Event = field(default_factory=threading.Event)
    reason: Optional[CancelReason] = None

    def cancel(self, reason: CancelReason) -> None:
        if not self.event.is_set():
            self.reason = reason
            self.event.set()


@dataclass
class ClaimedJob:
    id: str
    queue: str
    data: dict
    retry_count: int
    expire_seconds: float
    heartbeat_seconds: float
    engine: Optional[Engine]
    engine_error: Optional[JobFailure]  # known at the claim: settled as this failure, never run
    control: Control = field(default_factory=Control)
    claimed_at: float = field(default_factory=time.monotonic)

    @property
    def kind(self) -> str:
        return str(self.data.get("kind") or self.queue)

    @property
    def tenant(self) -> str:
        return str(self.data.get("tenant") or "")

    @property
    def deadline(self) -> float:
        return self.claimed_at + self.expire_seconds

    def input_bytes(self) -> int:
        """The memory its decoded input will take (from the length, rate and channels the API put
        in the payload; 0 when unknown or when the job has no input)."""
        inp = self.data.get("input")
        if not isinstance(inp, dict):
            return 0
        try:
            info = self.engine.info if self.engine else None
            rate = (info.input_sample_rate if info else None) or float(inp["sampleRate"])
            channels = 1 if info and info.input_mono else int(inp["channels"])
            return int(float(inp["durationSeconds"]) * rate * channels * FLOAT32)
        except (KeyError, TypeError, ValueError):
            return 0


def _language(data: dict) -> Optional[str]:
    kind = KINDS.get(str(data.get("kind") or ""))
    return kind.language(_params(data)) if kind else None


def claim(db: Db, boss: PgBoss, registry: Registry, queue: str, limit: int = 1) -> tuple[bool, list[ClaimedJob]]:
    """One short transaction: pg-boss claims up to `limit` jobs + our RUNNING event for each (one
    statement for all). Returns (claimed_any, runnable jobs)."""
    jobs: list[ClaimedJob] = []
    with db.lock:
        conn = db.conn()
        with conn.transaction():
            rows = boss.claim(conn, queue, limit)
            if not rows:
                return False, []
            for r in rows:
                data = r["data"] if isinstance(r["data"], dict) else {}
                params = data.get("params") if isinstance(data.get("params"), dict) else {}
                engine, err = None, None
                try:
                    voice = params.get("voice")
                    engine = select(registry, str(data.get("kind") or queue), params.get("engine"), _language(data),
                                    str(voice) if voice else None)
                except EngineInputError as e:
                    err = e
                err = past_deadline(data, int(r["retryCount"])) or err
                jobs.append(ClaimedJob(id=str(r["id"]), queue=queue, data=data, retry_count=int(r["retryCount"]),
                                       expire_seconds=float(r["expireInSeconds"] or 900),
                                       heartbeat_seconds=float(r["heartbeatSeconds"] or 0), engine=engine,
                                       engine_error=err))
            seqs = jobstate.record_claims(conn, [
                (j.id, j.retry_count + 1, j.engine.info.name if j.engine else _params(j.data).get("engine"))
                for j in jobs])
            runnable = []
            for job, seq in zip(jobs, seqs):
                if seq is None:
                    # Our row is missing or already final (e.g. cancelled): running it would be wasted
                    # work and rolling back would make us re-claim it forever, so end it in pg-boss.
                    boss.fail(conn, queue, job.id, job.retry_count,
                              error_output(name="JobNotRunnable", code="JOB_NOT_RUNNABLE",
                                           message="voxgraph job row is missing or already final"), terminal=True)
                    log.warning("claimed job not runnable; ended it in pg-boss", job=job.id, queue=queue)
                else:
                    runnable.append(job)
    for job in runnable:
        log.debug("job claimed", job=job.id, queue=queue, attempt=job.retry_count + 1,
                  engine=job.engine.info.name if job.engine else None, batch=len(runnable))
    return True, runnable


class _Monitor(threading.Thread):
    """Heartbeats and progress writes for the jobs of one batch, in one statement per beat.

    A beat touches every job still running (pg-boss's fenced touch, every heartbeatSeconds / 2); a
    job whose touch misses has lost its claim and is stopped. Progress is written here, not in
    report(), so an engine never waits on the database; it rides on the next beat or wakes one.
    """

    def __init__(self, db: Db, boss: PgBoss, jobs: list[ClaimedJob]):
        super().__init__(name=f"monitor-{jobs[0].id[:8]}", daemon=True)
        self.db, self.boss = db, boss
        self.live: dict[str, ClaimedJob] = {j.id: j for j in jobs}
        beats = [j.heartbeat_seconds / 2 for j in jobs if j.heartbeat_seconds]
        self.interval = max(1.0, min(beats)) if beats else 30.0
        self._wake = threading.Event()
        self._halt = False
        self._pending: dict[str, float] = {}
        self._lock = threading.Lock()

    def push(self, job: ClaimedJob, progress: float) -> None:
        with self._lock:
            self._pending[job.id] = progress
        self._wake.set()

    def done(self, job: ClaimedJob) -> None:
        """The job is settled (or about to be): no more beats or progress for it."""
        with self._lock:
            self.live.pop(job.id, None)
            self._pending.pop(job.id, None)

    def stop(self) -> None:
        self._halt = True
        self._wake.set()
        self.join()

    def run(self) -> None:
        next_beat = time.monotonic() + self.interval
        while not self._halt:
            now = time.monotonic()
            with self._lock:
                live = list(self.live.values())
            for job in live:
                if now >= job.deadline:
                    job.control.cancel(CancelReason.TIMEOUT)
            deadlines = [j.deadline for j in live if j.deadline > now]
            self._wake.wait(max(0.0, min([next_beat, *deadlines]) - now))
            self._wake.clear()
            if self._halt:
                return
            with self._lock:
                progress, self._pending = self._pending, {}
                live = [j for j in self.live.values() if not j.control.event.is_set()]
            if not live or (not progress and time.monotonic() < next_beat):
                continue
            try:
                with self.db.lock:
                    conn = self.db.conn()
                    with conn.transaction():
                        held = self.boss.touch_many(conn, live[0].queue, [(j.id, j.retry_count) for j in live])
                        jobstate.record_many(conn, [{"id": i, "status": "running", "progress": p}
                                                    for i, p in progress.items() if i in held])
                next_beat = time.monotonic() + self.interval
                for job in live:
                    if job.id not in held:
                        log.warning("claim lost (cancelled, expired or retried elsewhere); stopping the engine",
                                    job=job.id)
                        job.control.cancel(CancelReason.LOST)
            except psycopg.Error as e:
                # Keep running: the next beat retries on a fresh connection. If the database stays
                # away the supervisor expires the jobs and their settles are fenced out.
                log.warning("heartbeat failed", jobs=[j.id for j in live], error=str(e))
                self.db.reset()
                next_beat = time.monotonic() + min(self.interval, 2.0)


class _Reporter:
    """The engine's report(fraction): raises Cancelled when asked to stop; throttles progress.

    The first report is written only once `interval` has passed since the job was claimed, so a
    job shorter than that writes no progress event at all (its RUNNING and final states say it all).
    """

    def __init__(self, job: ClaimedJob, monitor: _Monitor, interval: float):
        self.job, self.monitor, self.interval = job, monitor, interval
        self.last_at = job.claimed_at
        self.last_value = 0.0

    def __call__(self, fraction: float) -> None:
        ctl = self.job.control
        if not ctl.event.is_set() and time.monotonic() >= self.job.deadline:
            ctl.cancel(CancelReason.TIMEOUT)
        if ctl.event.is_set():
            raise Cancelled(ctl.reason or CancelReason.CANCELLED)
        try:
            f = min(1.0, max(0.0, float(fraction)))
        except (TypeError, ValueError):
            return
        now = time.monotonic()
        if now - self.last_at >= self.interval and f - self.last_value >= 0.01:
            self.last_at, self.last_value = now, f
            self.monitor.push(self.job, f)


@dataclass
class _Failure:
    """An attempt that ended in an error. Whether it is retried is the contract's table
    (protocol.JOB_ERRORS), decided nowhere else; a code missing from it is not retried."""
    code: str
    message: str
    exc: Optional[BaseException] = None

    @property
    def retryable(self) -> bool:
        return is_retryable(self.code)


def _params(data: dict) -> dict:
    p = data.get("params")
    return p if isinstance(p, dict) else {}


class Runner:
    def __init__(self, boss: PgBoss, storage: Storage, progress_interval: float, sizer: Optional[BatchSizer] = None,
                 batch_memory_bytes: int = 512 << 20):
        self.boss, self.storage, self.progress_interval = boss, storage, progress_interval
        self.sizer = sizer or BatchSizer(1, "cpu")
        self.batch_memory_bytes = batch_memory_bytes

    # --- inputs --------------------------------------------------------------------------------
    def _input(self, job: ClaimedJob) -> AudioData:
        inp = job.data.get("input")
        if not isinstance(inp, dict) or not inp.get("storageKey"):
            raise audio_io.InputMissing("job has no input audio")
        info = job.engine.info if job.engine else None
        with contextlib.ExitStack() as stack:
            try:
                path = stack.enter_context(self.storage.local_copy(str(inp["storageKey"])))
            except (ValueError, ObjectMissing) as e:
                raise audio_io.InputMissing(f"input object not found: {e}") from e
            return audio_io.decode(path, sample_rate=info.input_sample_rate if info else None,
                                   mono=bool(info and info.input_mono))

    def _task(self, job: ClaimedJob, report: Callable[[float], None]) -> Task:
        """The engine's view of a job: decoded audio and typed parameters (its kind's module says how)."""
        if job.engine_error:
            raise job.engine_error
        kind = kind_of(job.kind)
        audio = self._input(job) if kind.takes_audio else None
        try:
            return kind.task(_params(job.data), audio, report)
        except KeyError as e:
            raise EngineInputError("INVALID_PARAMS", f"missing job parameter {e.args[0]!r}") from e

    # --- outputs -------------------------------------------------------------------------------
    def _outcome(self, job: ClaimedJob, task: Task, out: object) -> Any:
        """An engine output (or exception) -> (result, audio) | Cancelled | _Failure."""
        if isinstance(out, Cancelled) or (task.cancelled and not isinstance(out, BaseException)):
            return out if isinstance(out, Cancelled) else Cancelled(job.control.reason or CancelReason.CANCELLED)
        if isinstance(out, JobFailure):  # input that cannot succeed, or a device out of memory
            return _Failure(out.code, out.message, out)
        if isinstance(out, BaseException):  # any engine bug: retry, never kill the loop
            log.error("engine error", exc=out, job=job.id)
            return _Failure("ENGINE_ERROR", f"{type(out).__name__}: {out}", out)
        return kind_of(task.kind).result(task, out)

    # --- running -------------------------------------------------------------------------------
    def _chunks(self, engine: Engine, jobs: list[ClaimedJob]) -> list[list[ClaimedJob]]:
        """Jobs of one engine in batches of at most its cap whose decoded inputs together fit the
        batch memory budget (a job bigger than the budget runs alone)."""
        chunks: list[list[ClaimedJob]] = []
        cur: list[ClaimedJob] = []
        used = 0
        for job in jobs:
            need = job.input_bytes()
            if cur and (len(cur) >= self.sizer.cap(engine) or used + need > self.batch_memory_bytes):
                chunks.append(cur)
                cur, used = [], 0
            cur.append(job)
            used += need
        if cur:
            chunks.append(cur)
        return chunks

    def run_batch(self, db: Db, jobs: list[ClaimedJob]) -> dict[str, Outcome]:
        """Runs claimed attempts to their end: jobs that share an engine go to it together, in
        chunks within its cap and the memory budget; inputs are decoded just before their chunk
        runs, and each chunk is settled as soon as it ends. Returns job id -> how it ended."""
        ended: dict[str, Outcome] = {}
        monitor = _Monitor(db, self.boss, jobs)
        monitor.start()
        try:
            by_engine: dict[int, tuple[Engine, list[ClaimedJob]]] = {}
            for job in jobs:
                if job.engine is None:
                    err = job.engine_error or EngineInputError("ENGINE_UNAVAILABLE", "no engine for this job")
                    ended[job.id] = self._settle(db, job, _Failure(err.code, err.message, err), monitor)
                else:
                    by_engine.setdefault(id(job.engine), (job.engine, []))[1].append(job)
            for engine, group in by_engine.values():
                for chunk in self._chunks(engine, group):
                    ended.update(self._run_chunk(db, engine, chunk, monitor))
        finally:
            monitor.stop()
        return ended

    def _run_chunk(self, db: Db, engine: Engine, chunk: list[ClaimedJob], monitor: _Monitor) -> dict[str, Outcome]:
        ended: dict[str, Outcome] = {}
        ready: list[tuple[ClaimedJob, Task]] = []
        for job in chunk:
            if job.control.event.is_set():  # cancelled, lost, timed out or handed back while waiting
                ended[job.id] = self._settle(db, job, Cancelled(job.control.reason or CancelReason.CANCELLED), monitor)
                continue
            try:
                ready.append((job, self._task(job, _Reporter(job, monitor, self.progress_interval))))
            except JobFailure as e:  # bad parameters, a missing or undecodable input
                ended[job.id] = self._settle(db, job, _Failure(e.code, e.message, e), monitor)
            except Exception as e:
                log.error("could not prepare the job", exc=e, job=job.id)
                ended[job.id] = self._settle(db, job, _Failure("ENGINE_ERROR", f"{type(e).__name__}: {e}", e),
                                             monitor)
        if not ready:
            return ended
        outs = run_batch(engine, [t for _, t in ready], self.sizer)
        successes = []
        for (job, task), out in zip(ready, outs):
            outcome = self._outcome(job, task, out)
            if isinstance(outcome, tuple) and not job.control.event.is_set():
                successes.append((job, *outcome))
            else:
                ended[job.id] = self._settle(db, job, outcome, monitor)
        ready.clear()  # let the decoded inputs go before settling
        if successes:
            ended.update(self._settle_successes(db, successes, monitor))
        return ended

    # --- settling ------------------------------------------------------------------------------
    def _settle(self, db: Db, job: ClaimedJob, outcome: Any, monitor: _Monitor) -> Outcome:
        """One job's end (a failure, a cancellation, or a success the batch path handed back)."""
        monitor.done(job)
        elapsed = round(time.monotonic() - job.claimed_at, 3)
        if isinstance(outcome, Cancelled) or (isinstance(outcome, tuple) and job.control.event.is_set()):
            reason = CancelReason(job.control.reason or CancelReason.CANCELLED)
            if reason not in RECORDED_AS:
                # Cancelled/lost: someone else owns the job now; write nothing.
                log.info("job stopped", job=job.id, reason=reason.value, seconds=elapsed)
                return Outcome(reason.value)
            code, msg = RECORDED_AS[reason]
            outcome = _Failure(code, msg, None)
        try:
            if isinstance(outcome, _Failure):
                return self.settle_failure(db, job, outcome)
            return self._settle_success(db, job, *outcome, seconds=elapsed)
        except Exception as e:
            # The claim stays active; pg-boss's supervisor recovers it after the heartbeat lapses.
            log.error("settle failed", exc=e, job=job.id)
            db.reset()
            return Outcome.SETTLE_ERROR

    def hand_back(self, db: Db, jobs: list[ClaimedJob]) -> None:
        """Gives claimed jobs back without running them (shutdown): retried elsewhere."""
        for job in jobs:
            try:
                self.settle_failure(db, job, _Failure("WORKER_SHUTDOWN", "worker shutting down", None))
            except Exception as e:
                log.warning("could not hand the job back", job=job.id, error=str(e))

    def settle_failure(self, db: Db, job: ClaimedJob, f: _Failure) -> Outcome:
        output = error_output(f.exc, name=type(f.exc).__name__ if f.exc else "WorkerError", message=f.message,
                              code=f.code)
        for attempt in range(3):
            try:
                with db.lock:
                    conn = db.conn()
                    with conn.transaction():
                        hit = self.boss.fail(conn, job.queue, job.id, job.retry_count, output, terminal=not f.retryable)
                        if not hit:
                            log.info("failure not recorded: claim already gone", job=job.id, code=f.code)
                            return Outcome.LOST
                        state = self.boss.state(conn, job.queue, job.id)
                        status = "failed" if state == "failed" else "retrying"
                        jobstate.record(conn, job.id, status, error_code=f.code, error_message=f.message[:2000])
                log.info("job " + status, job=job.id, code=f.code, attempt=job.retry_count + 1)
                return Outcome(status)
            except psycopg.OperationalError as e:
                # Safe to retry: fail.sql is fenced, a second run after a lost commit hits 0 rows.
                log.warning("fail settle: database error, retrying", job=job.id, error=str(e))
                db.reset()
                time.sleep(0.5 * 2 ** attempt)
        raise RuntimeError("could not record the failure")

    def _store_result(self, job: ClaimedJob, audio: Optional[AudioData]) -> Optional[dict]:
        """Writes a result audio file; returns what its audio row needs (None: no audio)."""
        if audio is None:
            return None
        enc = audio_io.encode(audio, str(_params(job.data).get("format") or "wav"))
        info = enc.info
        key = f"{job.tenant}/{uuid.uuid4()}.{info['extension']}"
        self.storage.put(key, enc.data)
        return {"id": str(uuid.uuid4()), "tenant": job.tenant, "storage_key": key, "nbytes": len(enc.data), "sha256": enc.sha256,
                "duration": enc.duration, "sample_rate": enc.sample_rate, "channels": enc.channels,
                "content_type": info["contentType"], "format": info["container"], "codec": info["codec"]}

    def _settle_successes(self, db: Db, items: list[tuple[ClaimedJob, dict, Optional[AudioData]]],
                          monitor: _Monitor) -> dict[str, Outcome]:
        """The successes of a chunk in one transaction: pg-boss completes them (fenced), their result
        rows and SUCCEEDED events are written together. A job whose claim is gone is left out (and
        its file removed); when a row turns out final (a cancel that raced the settle), the
        transaction is rolled back and each job settled on its own."""
        stored = []
        try:
            for job, result, audio in items:  # still beating: storing long results takes a while
                stored.append((job, result, self._store_result(job, audio)))
        except Exception as e:
            log.error("could not store results", exc=e, jobs=[j.id for j, _, _ in items])
            for _, _, row in stored:
                if row:
                    self.storage.delete(row["storage_key"])
            return {job.id: self._settle(db, job, _Failure("ENGINE_ERROR", f"{type(e).__name__}: {e}", e), monitor)
                    for job, _, _ in items}
        for job, _, _ in items:
            monitor.done(job)
        ended: dict[str, Outcome] = {}
        queue = items[0][0].queue
        attempts = [(j.id, j.retry_count) for j, _, _ in stored]
        try:
            held = self._commit_successes(db, queue, stored)
        except _Abort:
            # A row already final (a cancel that raced the settle): rolled back, nothing was
            # written, so each job is settled on its own.
            return self._settle_one_by_one(db, items, stored, monitor)
        except _CommitUnknown as e:
            log.error("batch settle: commit outcome unknown", exc=e.error, jobs=[i for i, _ in attempts])
            return {job.id: Outcome.SETTLE_ERROR for job, _, _ in stored}
        except psycopg.Error as e:
            log.warning("batch settle failed; settling the jobs one by one", error=str(e))
            return self._settle_one_by_one(db, items, stored, monitor)
        for job, _, row in stored:
            if job.id in held:
                ended[job.id] = Outcome.SUCCEEDED
                log.info("job succeeded", job=job.id, seconds=round(time.monotonic() - job.claimed_at, 3),
                         batch=len(stored))
            else:
                if row:
                    self.storage.delete(row["storage_key"])
                ended[job.id] = Outcome.LOST
                log.info("result discarded", job=job.id, reason=Outcome.LOST.value)
        return ended

    def _settle_one_by_one(self, db: Db, items, stored, monitor: _Monitor) -> dict[str, Outcome]:
        for _, _, row in stored:
            if row:
                self.storage.delete(row["storage_key"])
        return {job.id: self._settle(db, job, (result, audio), monitor) for job, result, audio in items}

    def _commit_successes(self, db: Db, queue: str, stored) -> set[str]:
        """The batch's settle transaction; returns the ids whose claim held (see _commit_retrying)."""
        def body(conn) -> set[str]:
            outputs = [(j.id, j.retry_count, {"resultAudioId": row["id"] if row else None,
                                              "engine": j.engine.info.name}) for j, _, row in stored]
            held = self.boss.complete_many(conn, queue, outputs)
            kept = [(j, r, row) for j, r, row in stored if j.id in held]
            jobstate.insert_result_audios(conn, [row for _, _, row in kept if row])
            jobstate.record_engine_versions(conn, [(j.id, f"{j.engine.info.name}@{j.engine.info.version}") for j, _, _ in kept])
            events = [{"id": j.id, "status": "succeeded", "progress": 1, "result": r,
                       "result_audio_id": row["id"] if row else None} for j, r, row in kept]
            if None in jobstate.record_many(conn, events):
                raise _Abort(Outcome.FINAL)
            return held
        return self._commit_retrying(db, queue, [(j.id, j.retry_count) for j, _, _ in stored],
                                     max(j.heartbeat_seconds for j, _, _ in stored), body, "batch settle")

    def _commit_retrying(self, db: Db, queue: str, attempts: list[tuple[str, int]], heartbeat_seconds: float,
                         body: Callable[[Any], Any], what: str) -> Any:
        """Runs body(conn) in one transaction and returns what it returns, retried with backoff while
        the database is unreachable (a restart, a failover, a dropped connection) for the jobs'
        heartbeat + SETTLE_RETRY_EXTRA_SECONDS: one blip must not throw finished results away and
        spend their attempts. The statements are fenced by attempt, so after a COMMIT whose answer
        was lost pg-boss is asked first whether it happened: if it did (all of the transaction or
        nothing), the ids it completed are returned instead. Raises _Abort from body (rolled back),
        _CommitUnknown (the COMMIT may have happened and the database never came back to say), or
        the last psycopg error once retrying is over (rolled back)."""
        backoff = _Backoff(heartbeat_seconds + SETTLE_RETRY_EXTRA_SECONDS)
        unknown: Optional[psycopg.Error] = None
        while True:
            body_done = False
            try:
                with db.lock:
                    conn = db.conn()
                    if unknown is not None:
                        done = self.boss.completed(conn, queue, attempts)
                        if done:
                            log.info(f"{what}: the unacknowledged commit had happened", jobs=sorted(done))
                            return done
                        unknown = None  # it did not: run the transaction again
                    with conn.transaction():
                        value = body(conn)
                        body_done = True
                    return value
            except psycopg.OperationalError as e:
                db.reset()
                if body_done or unknown is not None:
                    unknown = e  # every statement ran: the failure is the COMMIT's, outcome unknown
                if not backoff.wait():
                    if unknown is not None:
                        raise _CommitUnknown(unknown) from e
                    raise
                log.warning(f"{what}: database error, retrying", error=str(e), jobs=[i for i, _ in attempts])
            except psycopg.Error:
                db.reset()
                raise

    def _settle_success(self, db: Db, job: ClaimedJob, result: dict, audio: Optional[AudioData],
                        seconds: float) -> Outcome:
        row = self._store_result(job, audio)
        key = row["storage_key"] if row else None
        audio_id = row["id"] if row else None

        def body(conn) -> None:
            if row:
                jobstate.insert_result_audios(conn, [row])
            if not self.boss.complete(conn, job.queue, job.id, job.retry_count,
                                      {"resultAudioId": audio_id, "engine": job.engine.info.name}):
                raise _Abort(Outcome.LOST)
            jobstate.record_engine_versions(conn, [(job.id, f"{job.engine.info.name}@{job.engine.info.version}")])
            if jobstate.record(conn, job.id, "succeeded", progress=1, result=result, result_audio_id=audio_id) is None:
                raise _Abort(Outcome.FINAL)
        try:
            try:
                self._commit_retrying(db, job.queue, [(job.id, job.retry_count)], job.heartbeat_seconds, body,
                                      "success settle")
            except _CommitUnknown:
                key = None  # it may have committed: keep the file the row may point at
                raise
        except _Abort as a:
            if key:
                self.storage.delete(key)
            if a.reason is Outcome.FINAL:
                self._end_not_runnable(db, job)
            log.info("result discarded", job=job.id, reason=a.reason.value)
            return a.reason
        except BaseException:
            if key:
                self.storage.delete(key)
            raise
        log.info("job succeeded", job=job.id, seconds=seconds, result_audio=audio_id)
        return Outcome.SUCCEEDED

    def _end_not_runnable(self, db: Db, job: ClaimedJob) -> None:
        with db.lock:
            self.boss.fail(db.conn(), job.queue, job.id, job.retry_count,
                           error_output(name="JobNotRunnable", code="JOB_NOT_RUNNABLE",
                                        message="voxgraph job row is already final"), terminal=True)


class _CommitUnknown(Exception):
    """A settle's COMMIT failed and the database did not come back in time to say whether it happened."""

    def __init__(self, error: BaseException):
        super().__init__(str(error))
        self.error = error


class _Abort(Exception):
    def __init__(self, reason: Outcome):
        super().__init__(reason)
        self.reason = reason
