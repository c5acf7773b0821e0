"""The worker against a database that goes away at the worst moment, through tests/pg_proxy.py:
a finished result is not thrown away because PostgreSQL restarted while it was being settled, and
a COMMIT whose answer was lost is neither done twice nor undone.
"""

from __future__ import annotations

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from conftest import create_job
from pg_proxy import PgProxy
from test_worker_process import data_dir, final, input_key, start_worker, wait_for  # noqa: F401 (fixtures)

# A statement of the success settle only (pg-boss's completeJobs; the fail statements set
# completed_on in a CASE).
COMPLETE = "SET completed_on"


@pytest.fixture
def proxied(db_url):
    info = conninfo_to_dict(db_url)
    proxy = PgProxy(info.get("host") or "127.0.0.1", int(info.get("port") or 5432))
    yield proxy, proxy.url(db_url)
    proxy.close()


def results_of(url, job_id):
    with psycopg.connect(url) as c:
        return c.execute("SELECT a.storage_key FROM voxgraph.job j JOIN voxgraph.audio a ON a.id = j.result_audio_id "
                         "WHERE j.id = %s", (job_id,)).fetchall(), \
            c.execute("SELECT count(*) FROM voxgraph.audio WHERE origin = 'result'").fetchone()[0]


def test_a_database_restart_during_the_settle_is_waited_out(db_url, data_dir, input_key, start_worker, proxied):
    proxy, url = proxied
    job_id = create_job(db_url, "denoise", {"engine": "gain"}, input_key)
    proxy.arm(COMPLETE, "outage", seconds=2.0)  # every connection dropped, none accepted for 2 s
    w = start_worker(DATABASE_URL=url)
    row = final(db_url, job_id, timeout=30)
    assert proxy.fired == ["outage"]
    assert row["status"] == "succeeded" and row["attempts"] == 1, row  # not thrown away, no attempt spent
    keys, n = results_of(db_url, job_id)
    assert n == 1 and (data_dir / "objects" / keys[0][0]).exists()
    assert w.logged("batch settle: database error, retrying")


def test_a_commit_whose_answer_is_lost_counts_once(db_url, data_dir, input_key, start_worker, proxied):
    proxy, url = proxied
    job_id = create_job(db_url, "denoise", {"engine": "gain"}, input_key)
    proxy.arm(COMPLETE, "lose_commit")  # the COMMIT happens; the worker hears nothing
    w = start_worker(DATABASE_URL=url)
    # The row is final as soon as PostgreSQL commits; the worker learns it once it reconnects.
    wait_for(lambda: w.logged("job succeeded", job_id), timeout=30)
    row = final(db_url, job_id)
    assert proxy.fired == ["lose_commit"]
    assert row["status"] == "succeeded" and row["attempts"] == 1, row
    keys, n = results_of(db_url, job_id)
    assert n == 1, "the settle ran once"
    assert (data_dir / "objects" / keys[0][0]).exists(), "the committed row's file was kept"
    assert w.logged("batch settle: the unacknowledged commit had happened")
    with psycopg.connect(db_url) as c:
        assert c.execute("SELECT count(*) FROM voxgraph.job_event WHERE job_id = %s AND status = 'succeeded'",
                         (job_id,)).fetchone()[0] == 1
