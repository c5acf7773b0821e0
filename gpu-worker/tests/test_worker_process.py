"""The worker as a real process (`python -m voxgraph_worker`) against real PostgreSQL + pg-boss.

Engines are the small real ones below, injected with VOXGRAPH_TEST_ENGINES (a test-only hook,
see voxgraph_worker/registry.py); the worker selects them by the job's params.engine.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import jsonschema
import numpy as np
import psycopg
import pytest
import soundfile as sf

from conftest import GPU_WORKER, boss_cli, create_job
from voxgraph_worker import protocol
from voxgraph_worker.engines.base import AlignedWord, AlignOutput, AudioData, Engine, EngineInfo, EngineInputError

TESTS = Path(__file__).resolve().parent


# --- engines (imported by the worker process) -------------------------------------------------
class Gain(Engine):
    """Halves the signal, chunk by chunk, reporting progress."""
    info = EngineInfo(kind="denoise", name="gain", version="1")

    def run(self, audio: AudioData, report):
        out = np.empty_like(audio.samples)
        n = audio.samples.shape[0]
        step = max(1, n // 10)
        for i in range(0, n, step):
            out[i:i + step] = audio.samples[i:i + step] * 0.5
            report(min(1.0, (i + step) / n))
        return AudioData(out, audio.sample_rate)


class Slow(Engine):
    """Sleeps SLOW_SECONDS in 20 ms steps, reporting each step."""
    info = EngineInfo(kind="denoise", name="slow", version="1")

    def run(self, audio, report):
        total = float(os.environ.get("SLOW_SECONDS", "3"))
        t0 = time.monotonic()
        while (elapsed := time.monotonic() - t0) < total:
            report(elapsed / total)
            time.sleep(0.02)
        return audio


class Boom(Engine):
    info = EngineInfo(kind="denoise", name="boom", version="1")

    def run(self, audio, report):
        raise RuntimeError("engine exploded")


class Reject(Engine):
    info = EngineInfo(kind="denoise", name="reject", version="1")

    def run(self, audio, report):
        raise EngineInputError("NO_SPEECH_FOUND", "no speech in the input")


class Align(Engine):
    info = EngineInfo(kind="align", name="even", version="1", languages=["en"])

    def run(self, audio, transcript, language, report):
        words = transcript.split()
        d = audio.duration / len(words)
        report(1.0)
        return AlignOutput([AlignedWord(w, i * d, (i + 1) * d, 0.9) for i, w in enumerate(words)], language,
                           {"method": "even"})


class Tone(Engine):
    info = EngineInfo(kind="synthesize", name="tone", version="1", languages=["en"])

    def run(self, text, emotion, voice, language, report, *, intensity=0.5):
        sr = 16000
        t = np.arange(int(sr * 0.1 * len(text.split()))) / sr
        report(0.5)
        return AudioData(((0.1 + 0.4 * intensity) * np.sin(2 * np.pi * 220 * t)).astype(np.float32), sr)


def engines():
    return {"denoise": [Gain(), Slow(), Boom(), Reject()], "align": Align(), "synthesize": Tone()}


# --- harness ----------------------------------------------------------------------------------
class WorkerProc:
    def __init__(self, url: str, data_dir: Path, engines: str = "test_worker_process:engines", **env):
        self.lines: list[dict] = []
        self._ready = threading.Event()
        full = {**os.environ, "DATABASE_URL": url, "DATA_DIR": str(data_dir), "WORKER_ID": "test-worker",
                "WORKER_POLL_SECONDS": "0.3", "WORKER_HEARTBEAT_SECONDS": "0.5", "LOG_LEVEL": "debug",
                "VOXGRAPH_TEST_ENGINES": engines,
                "PYTHONPATH": os.pathsep.join([str(GPU_WORKER), str(TESTS)])}
        full.update({k: str(v) for k, v in env.items()})
        self.p = subprocess.Popen([sys.executable, "-m", "voxgraph_worker"], cwd=GPU_WORKER, env=full,
                                  stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stderr:
            try:
                rec = json.loads(line)
            except ValueError:
                rec = {"msg": line.rstrip()}
            self.lines.append(rec)
            if rec.get("msg") == "worker ready":
                self._ready.set()

    def wait_ready(self, timeout=20):
        assert self._ready.wait(timeout), f"worker not ready: {self.lines[-5:]}"
        return self

    def logged(self, msg, job=None):
        return [r for r in self.lines if r.get("msg") == msg and (job is None or r.get("job") == job)]

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(15)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


@pytest.fixture
def data_dir(tmp_path):
    d = tmp_path / "data"
    (d / "objects" / "t1").mkdir(parents=True)
    return d


@pytest.fixture
def input_key(data_dir):
    sr = 16000
    t = np.arange(sr) / sr
    sf.write(data_dir / "objects" / "t1" / "in.wav", (0.8 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), sr,
             subtype="PCM_16")
    return "t1/in.wav"


@pytest.fixture
def start_worker(db_url, data_dir):
    procs = []

    def start(**env):
        w = WorkerProc(db_url, data_dir, **env).wait_ready()
        procs.append(w)
        return w

    yield start
    for w in procs:
        w.stop()
        for rec in w.lines[-40:]:  # shown by pytest when the test failed
            print(json.dumps(rec)[:600])


def wait_for(fn, timeout=20, every=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = fn()
        if v:
            return v
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {fn}")


def job_row(url, job_id):
    with psycopg.connect(url) as c:
        cur = c.execute("SELECT * FROM voxgraph.job WHERE id = %s", (job_id,))
        return dict(zip([d.name for d in cur.description], cur.fetchone()))


def events(url, job_id):
    with psycopg.connect(url) as c:
        cur = c.execute("SELECT seq, status::text, progress, attempts, error_code, at FROM voxgraph.job_event "
                        "WHERE job_id = %s ORDER BY seq", (job_id,))
        return [dict(zip([d.name for d in cur.description], r)) for r in cur.fetchall()]


def final(url, job_id, timeout=20):
    """The job's row once it is final. A success's result must be the contract's (protocol/contract.ts):
    every test that runs a job to success checks what the worker wrote against it."""
    row = wait_for(lambda: (r := job_row(url, job_id))["status"] in ("succeeded", "failed", "cancelled") and r,
                   timeout)
    if row["status"] == "succeeded":
        jsonschema.validate(row["result"], protocol.SCHEMAS["JobResult"])
        assert row["result"]["kind"] == row["kind"], row["result"]
    return row


# --- specification ----------------------------------------------------------------------------
def test_a_job_runs_to_success_with_a_result_audio_and_ordered_events(db_url, data_dir, input_key, start_worker):
    start_worker()
    job_id = create_job(db_url, "denoise", {"engine": "gain"}, input_key)
    row = final(db_url, job_id)
    assert row["status"] == "succeeded" and row["progress"] == 1 and row["attempts"] == 1
    assert row["engine"] == "gain" and row["result"] == {"kind": "denoise"}
    ev = events(db_url, job_id)
    assert [e["seq"] for e in ev] == list(range(1, len(ev) + 1))
    statuses = [e["status"] for e in ev]
    assert statuses[0] == "queued" and statuses[1] == "running" and statuses[-1] == "succeeded"
    assert set(statuses[1:-1]) == {"running"}

    with psycopg.connect(db_url) as c:
        a = c.execute("SELECT tenant, storage_key, bytes, sha256, sample_rate, channels, duration_seconds, origin, "
                      "codec FROM voxgraph.audio WHERE id = %s", (row["result_audio_id"],)).fetchone()
    tenant, key, nbytes, sha, sr, ch, dur, origin, codec = a
    assert (tenant, sr, ch, origin, codec) == ("t1", 16000, 1, "result", "pcm_s16le")
    assert key.startswith("t1/") and key.endswith(".wav") and abs(dur - 1.0) < 1e-6
    path = data_dir / "objects" / key
    assert path.stat().st_size == nbytes
    out, out_sr = sf.read(path, dtype="float32")
    src, _ = sf.read(data_dir / "objects" / input_key, dtype="float32")
    assert out_sr == 16000 and np.allclose(out, src * 0.5, atol=2e-4)  # really processed
    j = json.loads(boss_cli("job", db_url, "denoise", job_id))
    assert j["state"] == "completed" and j["output"] == {"resultAudioId": str(row["result_audio_id"]), "engine": "gain"}
    assert not list(path.parent.glob(".tmp-*"))


def test_align_and_synthesize_results(db_url, data_dir, input_key, start_worker):
    start_worker()
    a = create_job(db_url, "align", {"transcript": "hello big world", "language": "en"}, input_key)
    s = create_job(db_url, "synthesize", {"text": "hi there", "emotion": "happy", "voice": None, "language": "en"})
    ra, rs = final(db_url, a), final(db_url, s)
    assert ra["status"] == "succeeded" and ra["result_audio_id"] is None
    assert ra["result"]["kind"] == "align" and [w["text"] for w in ra["result"]["words"]] == ["hello", "big", "world"]
    assert ra["result"]["language"] == "en" and ra["result"]["notes"] == {"method": "even"}
    assert rs["status"] == "succeeded" and rs["result"] == {"kind": "synthesize", "words": []}
    with psycopg.connect(db_url) as c:
        key = c.execute("SELECT storage_key FROM voxgraph.audio WHERE id = %s", (rs["result_audio_id"],)).fetchone()[0]
    assert sf.info(data_dir / "objects" / key).duration == pytest.approx(0.2)


def test_engine_error_retries_then_fails_after_three_attempts(db_url, input_key, start_worker):
    w = start_worker()
    job_id = create_job(db_url, "denoise", {"engine": "boom"}, input_key)
    row = final(db_url, job_id, timeout=30)
    assert row["status"] == "failed" and row["error_code"] == "ENGINE_ERROR" and row["attempts"] == 3
    statuses = [e["status"] for e in events(db_url, job_id)]
    assert statuses == ["queued", "running", "retrying", "running", "retrying", "running", "failed"]
    assert any("engine exploded" in (r.get("stack") or "") for r in w.logged("engine error", job_id))
    assert json.loads(boss_cli("job", db_url, "denoise", job_id))["state"] == "failed"


def test_input_error_fails_at_once_after_one_attempt(db_url, input_key, start_worker):
    start_worker()
    job_id = create_job(db_url, "denoise", {"engine": "reject"}, input_key)
    row = final(db_url, job_id)
    assert (row["status"], row["error_code"], row["attempts"]) == ("failed", "NO_SPEECH_FOUND", 1)
    assert [e["status"] for e in events(db_url, job_id)] == ["queued", "running", "failed"]


def test_a_job_claimed_after_its_deadline_fails_without_running(db_url, input_key, start_worker):
    # The API sweeps waiting jobs past their deadline; one a worker claims first is refused there.
    late = create_job(db_url, "denoise", {"engine": "gain"}, input_key, deadline="2020-01-01T00:00:00.000Z")
    on_time = create_job(db_url, "denoise", {"engine": "gain"}, input_key, deadline="2999-01-01T00:00:00Z")
    w = start_worker()
    row = final(db_url, late)
    assert (row["status"], row["error_code"], row["attempts"]) == ("failed", "DEADLINE_EXCEEDED", 1)
    assert row["result_audio_id"] is None
    assert json.loads(boss_cli("job", db_url, "denoise", late))["state"] == "failed"  # not retried
    assert final(db_url, on_time)["status"] == "succeeded"
    assert not w.logged("engine error", late)


def test_missing_and_undecodable_inputs_fail_at_once(db_url, data_dir, start_worker):
    (data_dir / "objects" / "t1" / "junk.wav").write_bytes(b"this is not audio at all" * 10)
    start_worker()
    missing = create_job(db_url, "denoise", {"engine": "gain"}, "t1/nope.wav")
    junk = create_job(db_url, "denoise", {"engine": "gain"}, "t1/junk.wav")
    assert (final(db_url, missing)["error_code"], final(db_url, missing)["attempts"]) == ("INPUT_MISSING", 1)
    assert (final(db_url, junk)["error_code"], final(db_url, junk)["attempts"]) == ("DECODE_FAILED", 1)


def test_cancellation_stops_the_engine_and_writes_nothing_else(db_url, input_key, start_worker):
    w = start_worker(SLOW_SECONDS=30)
    job_id = create_job(db_url, "denoise", {"engine": "slow"}, input_key)
    wait_for(lambda: job_row(db_url, job_id)["status"] == "running")
    time.sleep(0.5)
    t0 = time.monotonic()
    boss_cli("cancel", db_url, "denoise", job_id)
    with psycopg.connect(db_url, autocommit=True) as c:  # the API's half of a cancel
        c.execute("SELECT voxgraph.record_job_event(%s::uuid, 'cancelled'::voxgraph.job_status)", (job_id,))
    stopped = wait_for(lambda: w.logged("job stopped", job_id), timeout=5)
    assert time.monotonic() - t0 < 3 and stopped[0]["reason"] in ("cancelled", "lost")
    time.sleep(0.5)
    assert events(db_url, job_id)[-1]["status"] == "cancelled"
    with psycopg.connect(db_url) as c:
        assert c.execute("SELECT count(*) FROM voxgraph.audio").fetchone()[0] == 0
    assert json.loads(boss_cli("job", db_url, "denoise", job_id))["state"] == "cancelled"


def test_sigterm_mid_job_hands_it_back_and_exits_zero_within_grace(db_url, input_key, start_worker):
    w = start_worker(SLOW_SECONDS=60, WORKER_SHUTDOWN_GRACE_SECONDS=1)
    job_id = create_job(db_url, "denoise", {"engine": "slow"}, input_key)
    wait_for(lambda: job_row(db_url, job_id)["status"] == "running")
    t0 = time.monotonic()
    w.p.send_signal(signal.SIGTERM)
    assert w.p.wait(10) == 0
    assert time.monotonic() - t0 < 4
    assert json.loads(boss_cli("job", db_url, "denoise", job_id))["state"] == "retry"
    row = job_row(db_url, job_id)
    assert (row["status"], row["error_code"]) == ("retrying", "WORKER_SHUTDOWN")
    with psycopg.connect(db_url) as c:
        assert c.execute("SELECT count(*) FROM voxgraph.worker").fetchone()[0] == 0


def test_a_repeated_signal_is_not_an_emergency_exit(db_url, input_key, start_worker):
    w = start_worker(SLOW_SECONDS=60, WORKER_SHUTDOWN_GRACE_SECONDS=1)
    job_id = create_job(db_url, "denoise", {"engine": "slow"}, input_key)
    wait_for(lambda: job_row(db_url, job_id)["status"] == "running")
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGTERM):  # docker stop, then an impatient Ctrl-C …
        w.p.send_signal(sig)
        time.sleep(0.05)
    assert w.p.wait(10) == 0
    row = job_row(db_url, job_id)
    assert (row["status"], row["error_code"]) == ("retrying", "WORKER_SHUTDOWN")
    assert len(w.logged("already shutting down; signal ignored")) == 2


def test_a_job_that_ends_within_the_grace_succeeds_after_sigterm(db_url, input_key, start_worker):
    w = start_worker(SLOW_SECONDS=1.5, WORKER_SHUTDOWN_GRACE_SECONDS=20)
    job_id = create_job(db_url, "denoise", {"engine": "slow"}, input_key)
    wait_for(lambda: job_row(db_url, job_id)["status"] == "running")
    w.p.send_signal(signal.SIGTERM)
    assert w.p.wait(15) == 0
    assert job_row(db_url, job_id)["status"] == "succeeded"


def test_progress_events_are_throttled_and_monotonic(db_url, input_key, start_worker):
    start_worker(SLOW_SECONDS=2.5, WORKER_PROGRESS_INTERVAL_SECONDS=0.4)
    job_id = create_job(db_url, "denoise", {"engine": "slow"}, input_key)
    assert final(db_url, job_id)["status"] == "succeeded"
    running = [e for e in events(db_url, job_id) if e["status"] == "running"]
    progress = [e["progress"] for e in running]
    assert progress[0] == 0 and progress == sorted(progress) and len(set(progress)) == len(progress)
    # the engine reported ~125 times; ~2.5 s / 0.4 s => at most ~7 writes
    assert 3 <= len(running) - 1 <= 8
    gaps = [(b["at"] - a["at"]).total_seconds() for a, b in zip(running[1:], running[2:])]
    assert all(g >= 0.3 for g in gaps), gaps


def test_the_worker_times_a_job_out_at_its_expiry(db_url, input_key, start_worker):
    job_id = create_job(db_url, "denoise", {"engine": "slow"}, input_key)
    with psycopg.connect(db_url, autocommit=True) as c:
        c.execute("UPDATE pgboss.job SET expire_seconds = 1, retry_limit = 0 WHERE id = %s", (job_id,))
    start_worker(SLOW_SECONDS=30)
    row = final(db_url, job_id, timeout=10)
    assert (row["status"], row["error_code"]) == ("failed", "JOB_TIMEOUT")


def test_the_worker_row_appears_and_disappears(db_url, start_worker):
    w = start_worker()
    with psycopg.connect(db_url, autocommit=True) as c:
        row = c.execute("SELECT id, pid, device, concurrency, engines, heartbeat_at, resources "
                        "FROM voxgraph.worker").fetchone()
        assert row[0] == "test-worker" and row[1] == w.p.pid and (row[2] == "cpu" or row[2].startswith("cuda"))
        assert row[3] == 1
        assert {(e["kind"], e["name"]) for e in row[4]} >= {("denoise", "gain"), ("align", "even")}
        assert all(set(e) >= {"version", "device", "languages", "voices", "maxBatch", "plugin"} for e in row[4])
        res = row[6]
        assert res["device"] == row[2] and res["batchSize"] == 8 and res["batchCaps"]["denoise/gain"] == 1
        assert res["memory"] is None if row[2] == "cpu" else res["memory"]["totalMb"] > 0
        wait_for(lambda: c.execute("SELECT heartbeat_at FROM voxgraph.worker").fetchone()[0] > row[5], timeout=5)
    w.p.send_signal(signal.SIGTERM)
    assert w.p.wait(10) == 0
    with psycopg.connect(db_url) as c:
        assert c.execute("SELECT count(*) FROM voxgraph.worker").fetchone()[0] == 0


def test_the_health_file_is_fresh_while_heartbeats_land_and_gone_after_stop(db_url, start_worker, tmp_path):
    health = tmp_path / "alive"
    w = start_worker(WORKER_HEALTH_FILE=str(health), WORKER_HEARTBEAT_SECONDS="0.2")
    wait_for(health.exists, timeout=5)
    first = health.stat().st_mtime_ns
    wait_for(lambda: health.stat().st_mtime_ns > first, timeout=5)
    w.p.send_signal(signal.SIGTERM)
    assert w.p.wait(10) == 0
    assert not health.exists()


def test_refuses_another_pg_boss_schema_version(db_url, data_dir):
    with psycopg.connect(db_url, autocommit=True) as c:
        c.execute("UPDATE pgboss.version SET version = version + 1")
    w = WorkerProc(db_url, data_dir)
    assert w.p.wait(20) == 3
    time.sleep(0.2)
    assert any("schema version" in r.get("msg", "") for r in w.lines)


def test_bad_configuration_exits_2(data_dir):
    w = WorkerProc("postgres://x/y", data_dir, WORKER_CONCURRENCY="zero")
    assert w.p.wait(20) == 2
    time.sleep(0.2)
    assert any("WORKER_CONCURRENCY" in r.get("msg", "") for r in w.lines)


def test_a_lost_claim_stops_the_engine_and_settles_nothing(db_url, input_key, start_worker):
    job_id = create_job(db_url, "denoise", {"engine": "slow"}, input_key)
    with psycopg.connect(db_url, autocommit=True) as c:
        c.execute("UPDATE pgboss.job SET heartbeat_seconds = 2 WHERE id = %s", (job_id,))  # beat every 1 s
    w = start_worker(SLOW_SECONDS=30)
    wait_for(lambda: job_row(db_url, job_id)["status"] == "running")
    with psycopg.connect(db_url, autocommit=True) as c:  # as if the supervisor expired it for retry
        c.execute("UPDATE pgboss.job SET state = 'retry', start_after = now() + interval '1 hour' WHERE id = %s",
                  (job_id,))
    stopped = wait_for(lambda: w.logged("job stopped", job_id), timeout=5)
    assert stopped[0]["reason"] == "lost"
    assert job_row(db_url, job_id)["status"] == "running"  # the worker wrote nothing more
    assert json.loads(boss_cli("job", db_url, "denoise", job_id))["state"] == "retry"


def test_the_worker_survives_its_connections_being_killed(db_url, input_key, start_worker):
    start_worker()
    with psycopg.connect(db_url, autocommit=True) as c:
        # "worker ready" is logged as the slots start; a slot connects on its first claim.
        wait_for(lambda: c.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name "
                                   "LIKE 'voxgraph-worker%%'").fetchone()[0] >= 2, timeout=10)
        killed = c.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                           "WHERE application_name LIKE 'voxgraph-worker%%'").fetchone()[0]
    assert killed >= 2
    time.sleep(1.5)
    job_id = create_job(db_url, "denoise", {"engine": "gain"}, input_key)
    assert final(db_url, job_id)["status"] == "succeeded"
