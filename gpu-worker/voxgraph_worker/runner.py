"""One job, from claim to settle: the claim transaction, heartbeats, throttled progress,
cancellation, self-timeout, and the settle transaction (pg-boss change + our job event together).
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import psycopg

from . import audio_io, jobstate, log
from .db import Db
from .batching import BatchSizer, DeviceOutOfMemoryFailure, run_batch
from .engines.base import AlignOutput, AudioData, Cancelled, Engine, EngineInputError, Task
from .engines.dsp import resample
from .pgboss import PgBoss, error_output
from .registry import Registry, select
from .storage import Storage

RETRYABLE_CANCEL = {"timeout": "JOB_TIMEOUT", "shutdown": "WORKER_SHUTDOWN"}


@dataclass
class Control:
    """Cancellation of one running attempt; report() raises once it is set."""

    event: threading.Event = field(default_factory=threading.Event)
    reason: Optional[str] = None  # cancelled | lost | timeout | shutdown

    def cancel(self, reason: str) -> None:
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
    engine_error: Optional[EngineInputError]
    control: Control = field(default_factory=Control)

    @property
    def kind(self) -> str:
        return str(self.data.get("kind") or self.queue)

    @property
    def tenant(self) -> str:
        return str(self.data.get("tenant") or "")


def _language(data: dict) -> Optional[str]:
    p = data.get("params")
    lang = p.get("language") if isinstance(p, dict) else None
    return str(lang) if lang else ("en" if data.get("kind") in ("align", "synthesize") else None)


def claim(db: Db, boss: PgBoss, registry: Registry, queue: str, limit: int = 1) -> tuple[bool, list[ClaimedJob]]:
    """One short transaction: pg-boss claims up to `limit` jobs + our 'running' event for each.
    Returns (claimed_any, runnable jobs)."""
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
                requested = params.get("engine")
                engine, err = None, None
                try:
                    voice = params.get("voice")
                    engine = select(registry, str(data.get("kind") or queue), requested, _language(data),
                                    str(voice) if voice else None)
                except EngineInputError as e:
                    err = e
                job = ClaimedJob(id=str(r["id"]), queue=queue, data=data, retry_count=int(r["retryCount"]),
                                 expire_seconds=float(r["expireInSeconds"] or 900),
                                 heartbeat_seconds=float(r["heartbeatSeconds"] or 0), engine=engine, engine_error=err)
                seq = jobstate.record(conn, job.id, "running", progress=0, attempts=job.retry_count + 1,
                                      engine=engine.info.name if engine else requested)
                if seq is None:
                    # Our row is missing or already final (e.g. cancelled): running it would be wasted
                    # work and rolling back would make us re-claim it forever, so end it in pg-boss.
                    boss.fail(conn, queue, job.id, job.retry_count,
                              error_output(name="JobNotRunnable", code="JOB_NOT_RUNNABLE",
                                           message="voxgraph job row is missing or already final"), terminal=True)
                    log.warning("claimed job not runnable; ended it in pg-boss", job=job.id, queue=queue)
                    continue
                jobs.append(job)
    for job in jobs:
        log.info("job claimed", job=job.id, queue=queue, attempt=job.retry_count + 1,
                 engine=job.engine.info.name if job.engine else None, batch=len(jobs))
    return True, jobs


class _Monitor(threading.Thread):
    """Heartbeats (touch.sql every heartbeatSeconds/2) and progress writes for one attempt.

    Progress is written here, not in report(), so an engine never waits on the database.
    """

    def __init__(self, db: Db, boss: PgBoss, job: ClaimedJob, deadline: float):
        super().__init__(name=f"monitor-{job.id[:8]}", daemon=True)
        self.db, self.boss, self.job, self.deadline = db, boss, job, deadline
        self.interval = max(1.0, job.heartbeat_seconds / 2) if job.heartbeat_seconds else 30.0
        self._wake = threading.Event()
        self._halt = False
        self._pending: Optional[float] = None
        self._lock = threading.Lock()

    def push(self, progress: float) -> None:
        with self._lock:
            self._pending = progress
        self._wake.set()

    def stop(self) -> None:
        self._halt = True
        self._wake.set()
        self.join()

    def run(self) -> None:
        job = self.job
        next_beat = time.monotonic() + self.interval
        while not self._halt:
            now = time.monotonic()
            if now >= self.deadline:
                job.control.cancel("timeout")
            # Wake for the next beat, or at the deadline to cancel (only once: then just beats).
            target = next_beat if now >= self.deadline else min(next_beat, self.deadline)
            self._wake.wait(max(0.0, target - now))
            self._wake.clear()
            if self._halt:
                return
            with self._lock:
                progress, self._pending = self._pending, None
            if progress is None and time.monotonic() < next_beat:
                continue
            try:
                with self.db.lock:
                    conn = self.db.conn()
                    with conn.transaction():
                        hit = self.boss.touch(conn, job.queue, [(job.id, job.retry_count)])
                        if hit and progress is not None:
                            jobstate.record(conn, job.id, "running", progress=progress)
                next_beat = time.monotonic() + self.interval
                if not hit:
                    log.warning("claim lost (cancelled, expired or retried elsewhere); stopping the engine",
                                job=job.id)
                    job.control.cancel("lost")
                    return
            except psycopg.Error as e:
                # Keep running: the next beat retries on a fresh connection. If the database stays
                # away the supervisor expires the job and the settle is fenced out.
                log.warning("heartbeat failed", job=job.id, error=str(e))
                self.db.reset()
                next_beat = time.monotonic() + min(self.interval, 2.0)


class _Reporter:
    """The engine's report(fraction): raises Cancelled when asked to stop; throttles progress."""

    def __init__(self, job: ClaimedJob, monitor: _Monitor, deadline: float, interval: float):
        self.job, self.monitor, self.deadline, self.interval = job, monitor, deadline, interval
        self.last_at = float("-inf")
        self.last_value = 0.0

    def __call__(self, fraction: float) -> None:
        ctl = self.job.control
        if not ctl.event.is_set() and time.monotonic() >= self.deadline:
            ctl.cancel("timeout")
        if ctl.event.is_set():
            raise Cancelled(ctl.reason or "cancelled")
        try:
            f = min(1.0, max(0.0, float(fraction)))
        except (TypeError, ValueError):
            return
        now = time.monotonic()
        if now - self.last_at >= self.interval and f - self.last_value >= 0.01:
            self.last_at, self.last_value = now, f
            self.monitor.push(f)


@dataclass
class _Failure:
    code: str
    message: str
    retryable: bool
    exc: Optional[BaseException] = None


def _words(words: Any) -> list[dict]:
    out = []
    for w in words or []:
        get = w.get if isinstance(w, dict) else (lambda k, d=None, w=w: getattr(w, k, d))
        conf = get("confidence")
        out.append({"text": str(get("text")), "start": float(get("start")), "end": float(get("end")),
                    "confidence": None if conf is None else float(conf)})
    return out


def _params(data: dict) -> dict:
    p = data.get("params")
    return p if isinstance(p, dict) else {}


class Runner:
    def __init__(self, boss: PgBoss, storage: Storage, progress_interval: float, sizer: Optional[BatchSizer] = None):
        self.boss, self.storage, self.progress_interval = boss, storage, progress_interval
        self.sizer = sizer or BatchSizer(1, "cpu")

    # --- inputs --------------------------------------------------------------------------------
    def _input(self, job: ClaimedJob) -> AudioData:
        inp = job.data.get("input")
        if not isinstance(inp, dict) or not inp.get("storageKey"):
            raise audio_io.InputMissing("job has no input audio")
        try:
            path = self.storage.path(str(inp["storageKey"]))
        except ValueError as e:
            raise audio_io.InputMissing(str(e)) from e
        return audio_io.decode(path)

    def _task(self, job: ClaimedJob, report: Callable[[float], None]) -> Task:
        """The engine's view of a job: decoded audio and typed parameters."""
        if job.engine_error:
            raise job.engine_error
        kind, p = job.kind, _params(job.data)
        try:
            if kind == "denoise":
                return Task(kind=kind, report=report, audio=self._input(job))
            if kind == "align":
                return Task(kind=kind, report=report, audio=self._input(job), transcript=str(p["transcript"]),
                            language=str(p.get("language") or "en"))
            if kind == "synthesize":
                return Task(kind=kind, report=report, text=str(p["text"]), emotion=str(p.get("emotion") or "neutral"),
                            voice=p.get("voice"), language=str(p.get("language") or "en"),
                            intensity=float(p["intensity"]) if p.get("intensity") is not None else 0.5)
        except KeyError as e:
            raise EngineInputError("INVALID_PARAMS", f"missing job parameter {e.args[0]!r}") from e
        raise EngineInputError("UNKNOWN_KIND", f"unknown job kind {kind!r}")

    # --- outputs -------------------------------------------------------------------------------
    def _outcome(self, job: ClaimedJob, task: Task, out: object) -> Any:
        """An engine output (or exception) -> (result, audio) | Cancelled | _Failure."""
        if isinstance(out, Cancelled) or (task.cancelled and not isinstance(out, BaseException)):
            return out if isinstance(out, Cancelled) else Cancelled(job.control.reason or "cancelled")
        if isinstance(out, EngineInputError):
            return _Failure(out.code, out.message, False, out)
        if isinstance(out, DeviceOutOfMemoryFailure):
            return _Failure(out.code, str(out), True, out)
        if isinstance(out, BaseException):  # any engine bug: retry, never kill the loop
            log.error("engine error", exc=out, job=job.id)
            return _Failure("ENGINE_ERROR", f"{type(out).__name__}: {out}", True, out)
        kind, p = task.kind, _params(job.data)
        if kind == "denoise":
            return {"kind": "denoise"}, out
        if kind == "align":
            res: AlignOutput = out  # type: ignore[assignment]
            return {"kind": "align", "words": _words(res.words), "language": res.language,
                    "notes": dict(res.notes or {})}, None
        # synthesize: AudioData (SynthAudio with .words), or (audio, words)
        if isinstance(out, tuple):
            audio, words = out[0], out[1]
        else:
            audio, words = getattr(out, "audio", out), getattr(out, "words", None)
        rate = p.get("sampleRate")
        if rate and int(rate) != audio.sample_rate:
            audio = AudioData(resample(audio.samples, audio.sample_rate, int(rate)), int(rate))
        return {"kind": "synthesize", "words": _words(words)}, audio

    # --- running -------------------------------------------------------------------------------
    def run_batch(self, db: Db, jobs: list[ClaimedJob]) -> dict[str, str]:
        """Runs claimed attempts to their end: jobs that share an engine go to it together, in
        batches of at most its cap; each job is settled on its own as soon as its batch ends.
        Returns job id -> how it ended (for logs and tests)."""
        ended: dict[str, str] = {}
        started = {j.id: time.monotonic() for j in jobs}
        monitors: dict[str, _Monitor] = {}
        groups: dict[int, tuple[Engine, list[tuple[ClaimedJob, Task]]]] = {}
        for job in jobs:
            deadline = started[job.id] + job.expire_seconds
            monitors[job.id] = monitor = _Monitor(db, self.boss, job, deadline)
            monitor.start()
            try:
                task = self._task(job, _Reporter(job, monitor, deadline, self.progress_interval))
            except EngineInputError as e:
                ended[job.id] = self._settle(db, job, _Failure(e.code, e.message, False, e), started[job.id], monitor)
            except (audio_io.InputMissing, audio_io.DecodeFailed) as e:
                ended[job.id] = self._settle(db, job, _Failure(e.code, str(e), False, e), started[job.id], monitor)
            except Exception as e:
                log.error("could not prepare the job", exc=e, job=job.id)
                ended[job.id] = self._settle(db, job, _Failure("ENGINE_ERROR", f"{type(e).__name__}: {e}", True, e),
                                             started[job.id], monitor)
            else:
                groups.setdefault(id(job.engine), (job.engine, []))[1].append((job, task))
        for engine, items in groups.values():
            while items:
                size = self.sizer.cap(engine)
                chunk, items = items[:size], items[size:]
                outs = run_batch(engine, [t for _, t in chunk], self.sizer)
                for (job, task), out in zip(chunk, outs):
                    ended[job.id] = self._settle(db, job, self._outcome(job, task, out), started[job.id],
                                                 monitors[job.id])
        return ended

    def _settle(self, db: Db, job: ClaimedJob, outcome: Any, started: float, monitor: "_Monitor") -> str:
        monitor.stop()
        elapsed = round(time.monotonic() - started, 3)
        if isinstance(outcome, Cancelled):
            reason = job.control.reason or "cancelled"
            if reason not in RETRYABLE_CANCEL:
                # Cancelled/lost: someone else owns the job now; write nothing.
                log.info("job stopped", job=job.id, reason=reason, seconds=elapsed)
                return reason
            code = RETRYABLE_CANCEL[reason]
            msg = "job timed out in the worker" if reason == "timeout" else "worker shutting down"
            outcome = _Failure(code, msg, True, None)
        try:
            if isinstance(outcome, _Failure):
                return self.settle_failure(db, job, outcome)
            return self._settle_success(db, job, *outcome, seconds=elapsed)
        except Exception as e:
            # The claim stays active; pg-boss's supervisor recovers it after the heartbeat lapses.
            log.error("settle failed", exc=e, job=job.id)
            db.reset()
            return "settle_error"

    # --- settling ------------------------------------------------------------------------------
    def settle_failure(self, db: Db, job: ClaimedJob, f: _Failure) -> str:
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
                            return "lost"
                        state = self.boss.state(conn, job.queue, job.id)
                        status = "failed" if state == "failed" else "retrying"
                        jobstate.record(conn, job.id, status, error_code=f.code, error_message=f.message[:2000])
                log.info("job " + status, job=job.id, code=f.code, attempt=job.retry_count + 1)
                return status
            except psycopg.OperationalError as e:
                # Safe to retry: fail.sql is fenced, a second run after a lost commit hits 0 rows.
                log.warning("fail settle: database error, retrying", job=job.id, error=str(e))
                db.reset()
                time.sleep(0.5 * 2 ** attempt)
        raise RuntimeError("could not record the failure")

    def _settle_success(self, db: Db, job: ClaimedJob, result: dict, audio: Optional[AudioData],
                        seconds: float) -> str:
        key = enc = None
        if audio is not None:
            enc = audio_io.encode_wav(audio)
            key = f"{job.tenant}/{uuid.uuid4()}.wav"
            self.storage.put(key, enc.data)
        body_done = False
        try:
            with db.lock:
                conn = db.conn()
                with conn.transaction():
                    audio_id = None
                    if enc is not None:
                        audio_id = jobstate.insert_result_audio(
                            conn, tenant=job.tenant, storage_key=key, nbytes=len(enc.data), sha256=enc.sha256,
                            duration=enc.duration, sample_rate=enc.sample_rate, channels=enc.channels)
                    hit = self.boss.complete(conn, job.queue, job.id, job.retry_count,
                                             {"resultAudioId": audio_id, "engine": job.engine.info.name})
                    if not hit:
                        raise _Abort("lost")
                    if jobstate.record(conn, job.id, "succeeded", progress=1, result=result,
                                       result_audio_id=audio_id) is None:
                        raise _Abort("final")
                    body_done = True
        except _Abort as a:
            if key:
                self.storage.delete(key)
            if a.reason == "final":
                self._end_not_runnable(db, job)
            log.info("result discarded", job=job.id, reason=a.reason)
            return a.reason
        except BaseException:
            # A failure at COMMIT is ambiguous (it may have committed): keep the file then, since a
            # leaked file is better than an audio row pointing at nothing.
            if key and not body_done:
                self.storage.delete(key)
            raise
        log.info("job succeeded", job=job.id, seconds=seconds, result_audio=audio_id)
        return "succeeded"

    def _end_not_runnable(self, db: Db, job: ClaimedJob) -> None:
        with db.lock:
            self.boss.fail(db.conn(), job.queue, job.id, job.retry_count,
                           error_output(name="JobNotRunnable", code="JOB_NOT_RUNNABLE",
                                        message="voxgraph job row is already final"), terminal=True)


class _Abort(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
