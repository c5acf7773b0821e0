"""Dynamic batching in the worker process: jobs of one queue claimed together up to the batch
size, a not-full batch waiting up to WORKER_BATCH_WAIT_MS for more, and out-of-memory handling
(halve the batch and retry those jobs; one job that alone does not fit fails retryably).

The engine is a small real one that records each batch it gets; "out of memory" is what torch
raises on CUDA (a RuntimeError saying so), raised when a batch is bigger than OOM_ABOVE.
"""

from __future__ import annotations

import json
import os
import uuid

import numpy as np
import psycopg
import soundfile as sf

from conftest import boss_cli, create_job
from test_worker_process import data_dir, final, input_key, start_worker, wait_for  # noqa: F401 (fixtures)
from voxgraph_worker.engines.base import AudioData, Engine, EngineInfo, Task, report_all


class Batcher(Engine):
    """Scales each clip by 0.25 in one stacked numpy call per batch; logs batch sizes to BATCH_LOG."""
    info = EngineInfo(kind="denoise", name="batcher", version="1", max_batch=16)

    def run_batch(self, tasks: list[Task]) -> list[object]:
        limit = int(os.environ.get("OOM_ABOVE", "1000"))
        if len(tasks) > limit:
            raise RuntimeError(f"CUDA out of memory. Tried to allocate {len(tasks)} clips")
        report_all(tasks, 0.5)
        with open(os.environ["BATCH_LOG"], "a") as f:
            f.write(f"{len(tasks)}\n")
        n = max(t.audio.samples.shape[0] for t in tasks)
        stack = np.zeros((len(tasks), n), np.float32)
        for i, t in enumerate(tasks):
            stack[i, : t.audio.samples.shape[0]] = t.audio.mono()
        stack *= 0.25
        return [AudioData(stack[i, : t.audio.samples.shape[0]].copy(), t.audio.sample_rate) for i, t in enumerate(tasks)]


def engines():
    return {"denoise": [Batcher()]}


def batches(path) -> list[int]:
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def start(start_worker, tmp_path, **env):
    log = tmp_path / "batches.log"
    w = start_worker(engines="test_worker_batching:engines", BATCH_LOG=log, **env)
    return w, log


def result_peak(url, data_dir, row) -> float:
    with psycopg.connect(url) as c:
        key = c.execute("SELECT storage_key FROM voxgraph.audio WHERE id = %s", (row["result_audio_id"],)).fetchone()[0]
    x, _ = sf.read(data_dir / "objects" / key, dtype="float32")
    return float(np.max(np.abs(x)))


def test_queued_jobs_are_claimed_and_run_together_up_to_the_batch_size(db_url, data_dir, input_key, start_worker,
                                                                       tmp_path):
    ids = [create_job(db_url, "denoise", {}, input_key) for _ in range(6)]
    w, log = start(start_worker, tmp_path, WORKER_BATCH_SIZE=4, WORKER_BATCH_WAIT_MS=0)
    rows = [final(db_url, i) for i in ids]
    assert all(r["status"] == "succeeded" and r["attempts"] == 1 for r in rows)
    assert sorted(batches(log), reverse=True) == [4, 2]
    for r in rows:  # each job got its own clip back, scaled once
        assert abs(result_peak(db_url, data_dir, r) - 0.2) < 0.01


def test_batches_are_split_to_fit_the_memory_their_decoded_inputs_take(db_url, data_dir, input_key, start_worker,
                                                                      tmp_path):
    # Each job declares 10 s of 16 kHz mono (640 KB as float32): three fit in 2 MB, a fourth does not.
    info = {"durationSeconds": 10.0, "sampleRate": 16000, "channels": 1}
    ids = [create_job(db_url, "denoise", {}, input_key, input_info=info) for _ in range(6)]
    w, log = start(start_worker, tmp_path, WORKER_BATCH_SIZE=8, WORKER_BATCH_WAIT_MS=0, WORKER_BATCH_MEMORY_MB=2)
    assert all(final(db_url, i)["status"] == "succeeded" for i in ids)
    assert batches(log) == [3, 3]


def test_a_batch_that_is_not_full_waits_briefly_for_more_jobs(db_url, input_key, start_worker, tmp_path):
    w, log = start(start_worker, tmp_path, WORKER_BATCH_SIZE=8, WORKER_BATCH_WAIT_MS=1000)
    ids = [str(uuid.uuid4()) for _ in range(3)]
    args = []
    with psycopg.connect(db_url, autocommit=True) as c:
        for job_id in ids:
            c.execute("INSERT INTO voxgraph.job (id, tenant, kind, params) VALUES (%s, 't1', 'denoise', '{}')", (job_id,))
            c.execute("SELECT voxgraph.record_job_event(%s::uuid, 'queued'::voxgraph.job_status)", (job_id,))
            data = {"tenant": "t1", "kind": "denoise", "params": {}, "input": {"storageKey": input_key}}
            args += [json.dumps(data), job_id]
    # Three sends 100 ms apart from one process: well inside the 1 s wait.
    boss_cli("send-many", db_url, "denoise", "100", *args)
    assert all(final(db_url, i)["status"] == "succeeded" for i in ids)
    assert batches(log) == [3]


def test_out_of_memory_halves_the_batch_and_every_job_still_succeeds_once(db_url, input_key, start_worker, tmp_path):
    ids = [create_job(db_url, "denoise", {}, input_key) for _ in range(8)]
    w, log = start(start_worker, tmp_path, WORKER_BATCH_SIZE=8, WORKER_BATCH_WAIT_MS=0, OOM_ABOVE=2)
    rows = [final(db_url, i) for i in ids]
    assert all(r["status"] == "succeeded" and r["attempts"] == 1 for r in rows)
    assert batches(log) == [2, 2, 2, 2]  # 8 -> 4+4 -> 2+2+2+2
    halvings = [r for r in w.lines if r.get("msg") == "device out of memory; halving the batch"]
    assert [r["batch"] for r in halvings] == [8, 4, 4]
    # The lowered cap is remembered: the worker row reports it, and the next jobs come in twos.
    with psycopg.connect(db_url) as c:
        wait_for(lambda: c.execute("SELECT resources->'batchCaps'->>'denoise/batcher' FROM voxgraph.worker")
                 .fetchone()[0] == "2", timeout=5)
    more = [create_job(db_url, "denoise", {}, input_key) for _ in range(4)]
    assert all(final(db_url, i)["status"] == "succeeded" for i in more)
    assert max(batches(log)) == 2 and len(halvings) == 3


def test_a_job_that_alone_does_not_fit_fails_retryably(db_url, input_key, start_worker, tmp_path):
    w, log = start(start_worker, tmp_path, WORKER_BATCH_SIZE=4, WORKER_BATCH_WAIT_MS=0, OOM_ABOVE=0)
    job_id = create_job(db_url, "denoise", {}, input_key)
    row = final(db_url, job_id, timeout=30)
    assert row["status"] == "failed" and row["error_code"] == "DEVICE_OUT_OF_MEMORY" and row["attempts"] == 3
    assert batches(log) == []
