"""Shared fixtures for the worker tests: a scratch PostgreSQL database per test with the real
pg-boss schema (installed by Node through test/support/pgboss-cli.ts) and our migration.

Needs PostgreSQL at VGW_TEST_PG (default postgres://postgres@127.0.0.1:5432/postgres) and Node
in node_modules/.bin/node (`npm test` provides both); a test fails loudly when either is missing
rather than skipping, so a broken set-up cannot pass as green.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GPU_WORKER = ROOT / "gpu-worker"
if str(GPU_WORKER) not in sys.path:
    sys.path.insert(0, str(GPU_WORKER))

import jsonschema  # noqa: E402
import psycopg  # noqa: E402

from voxgraph_worker import protocol  # noqa: E402

ADMIN_URL = os.environ.get("VGW_TEST_PG", "postgres://postgres@127.0.0.1:5432/postgres")
NODE = ROOT / "node_modules" / ".bin" / "node"
CLI = ROOT / "test" / "support" / "pgboss-cli.ts"


def _db_url(name: str) -> str:
    base, _, _ = ADMIN_URL.partition("?")  # a URL, since Node's pg reads it too
    return base.rsplit("/", 1)[0] + "/" + name


def boss_cli(*args: str, timeout: float = 60) -> str:
    """Runs the real pg-boss (Node) for one command; returns stdout."""
    out = subprocess.run([str(NODE), str(CLI), *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"pgboss-cli {args[0]} failed ({out.returncode}): {out.stderr.strip()}")
    return out.stdout.strip()


def apply_migrations(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for f in sorted((ROOT / "migrations").glob("*.sql")):
            up = f.read_text().split("-- Down Migration")[0]
            conn.execute(up)


@pytest.fixture
def db_url():
    """A fresh database: pg-boss installed with the API's queues (test settings) + our tables."""
    if not NODE.exists():
        pytest.fail("node_modules/.bin/node not installed: run `npm ci`")
    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as e:
        pytest.fail(f"PostgreSQL not reachable at VGW_TEST_PG: {e}")
    name = f"vgw_test_{uuid.uuid4().hex[:12]}"
    admin.execute(f"CREATE DATABASE {name}")
    url = _db_url(name)
    try:
        boss_cli("install", url)
        apply_migrations(url)
        yield url
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


@pytest.fixture
def conn(db_url):
    with psycopg.connect(db_url, autocommit=True) as c:
        yield c


# What the API fills in when a client leaves a parameter out (src/graphql/kinds/<kind>.ts).
_PARAM_DEFAULTS = {
    "align": {"language": protocol.DEFAULT_LANGUAGE},
    "synthesize": {"emotion": protocol.DEFAULT_EMOTION, "voice": None, "language": protocol.DEFAULT_LANGUAGE,
                   "intensity": protocol.DEFAULT_INTENSITY, "sampleRate": None},
}
# An input the API probed: nominally 1 s of 16 kHz mono unless a test says otherwise.
_INPUT_DEFAULTS = {"durationSeconds": 1.0, "sampleRate": 16000, "channels": 1}


def create_job(url: str, kind: str, params: dict, input_key: str | None = None, tenant: str = "t1",
               engine: str | None = None, input_info: dict | None = None, deadline: str | None = None) -> str:
    """What the API does on a mutation: our job row + 'queued' event, then the pg-boss send of a
    payload the contract accepts (checked here, so these tests cannot drift from what the API sends)."""
    job_id = str(uuid.uuid4())
    params = {**_PARAM_DEFAULTS.get(kind, {}), **params}
    data = {"tenant": tenant, "kind": kind, "params": params,
            "input": {"audioId": str(uuid.uuid4()), "storageKey": input_key, **_INPUT_DEFAULTS, **(input_info or {})}
            if input_key else None}
    if deadline:
        data["deadline"] = deadline
    jsonschema.validate(data, protocol.SCHEMAS["QueuePayload"])
    with psycopg.connect(url, autocommit=True) as c, c.transaction():
        c.execute("INSERT INTO voxgraph.job (id, tenant, kind, params, engine) VALUES (%s, %s, %s, %s, %s)",
                  (job_id, tenant, kind, json.dumps(params), engine))
        c.execute("SELECT voxgraph.record_job_event(%s::uuid, 'queued'::voxgraph.job_status)", (job_id,))
    assert boss_cli("send", url, kind, json.dumps(data), job_id) == job_id
    return job_id
