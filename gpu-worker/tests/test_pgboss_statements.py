"""pg-boss's own SQL, run from Python, against the real pg-boss (Node) on the same database.

Each test reads as one rule of pg-boss's part of the protocol (docs/protocol.md, "pg-boss's part").
"""

from __future__ import annotations

import json
import threading

import psycopg
import pytest

from conftest import boss_cli
from voxgraph_worker.pgboss import PgBoss, SchemaVersionMismatch, to_psycopg


@pytest.fixture
def boss(conn):
    b = PgBoss()
    b.load_queues(conn, ["denoise", "align", "synthesize", "dead_letter"])
    return b


def send(url, queue="denoise", data=None):
    return boss_cli("send", url, queue, json.dumps(data or {"tenant": "t", "kind": queue}))


def node_job(url, queue, job_id):
    return json.loads(boss_cli("job", url, queue, job_id))


def test_placeholders_become_named_params_and_percent_is_escaped():
    assert to_psycopg("SELECT $1, $12, '5%'") == "SELECT %(p1)s, %(p12)s, '5%%'"


def test_node_send_is_claimed_active_with_retry_count_zero(db_url, conn, boss):
    job_id = send(db_url, data={"tenant": "t", "kind": "denoise", "params": {}})
    rows = boss.claim(conn, "denoise", 1)
    assert len(rows) == 1
    r = rows[0]
    assert str(r["id"]) == job_id and r["name"] == "denoise"
    assert r["retryCount"] == 0 and r["data"]["tenant"] == "t"
    assert r["heartbeatSeconds"] == 10 and r["expireInSeconds"] > 0
    assert node_job(db_url, "denoise", job_id)["state"] == "active"


def test_claim_of_an_empty_queue_returns_nothing(conn, boss):
    assert boss.claim(conn, "align", 5) == []


def test_concurrent_claimers_never_get_the_same_job(db_url, conn, boss):
    conn.execute("INSERT INTO pgboss.job (name, data) SELECT 'denoise', '{}'::jsonb FROM generate_series(1, 200)")
    got: list[list[str]] = [[] for _ in range(4)]

    def claimer(i):
        with psycopg.connect(db_url, autocommit=True) as c:
            while True:
                with c.transaction():
                    rows = boss.claim(c, "denoise", 3)
                if not rows:
                    return
                got[i].extend(str(r["id"]) for r in rows)

    threads = [threading.Thread(target=claimer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [j for g in got for j in g]
    assert len(everything) == 200 and len(set(everything)) == 200
    assert sum(1 for g in got if g) > 1  # they really ran concurrently


def test_touch_is_fenced_by_the_attempt(db_url, conn, boss):
    job_id = send(db_url)
    boss.claim(conn, "denoise", 1)
    assert boss.touch(conn, "denoise", [(job_id, 0)]) == 1
    assert boss.touch(conn, "denoise", [(job_id, 1)]) == 0  # stale / wrong attempt pair


def test_complete_is_seen_by_node_with_our_output(db_url, conn, boss):
    job_id = send(db_url)
    boss.claim(conn, "denoise", 1)
    assert boss.complete(conn, "denoise", job_id, 0, {"resultAudioId": None, "engine": "gain"}) == 1
    j = node_job(db_url, "denoise", job_id)
    assert j["state"] == "completed" and j["output"] == {"resultAudioId": None, "engine": "gain"}
    assert boss.complete(conn, "denoise", job_id, 0, {}) == 0  # only once


def test_non_object_output_is_wrapped_like_pg_boss(db_url, conn, boss):
    job_id = send(db_url)
    boss.claim(conn, "denoise", 1)
    boss.complete(conn, "denoise", job_id, 0, "done")
    assert node_job(db_url, "denoise", job_id)["output"] == {"value": "done"}


def test_fail_with_retries_left_goes_to_retry_later_and_reclaim_bumps_retry_count(db_url, conn, boss):
    job_id = send(db_url)
    boss.claim(conn, "denoise", 1)
    out = {"name": "Error", "message": "boom", "stack": None}
    assert boss.fail(conn, "denoise", job_id, 0, out) == 1
    j = node_job(db_url, "denoise", job_id)
    assert j["state"] == "retry" and j["output"] == out
    in_future = conn.execute("SELECT start_after > now() FROM pgboss.job WHERE id = %s", (job_id,)).fetchone()[0]
    assert in_future
    assert boss.claim(conn, "denoise", 1) == []  # not before start_after
    conn.execute("UPDATE pgboss.job SET start_after = now() WHERE id = %s", (job_id,))
    again = boss.claim(conn, "denoise", 1)
    assert str(again[0]["id"]) == job_id and again[0]["retryCount"] == 1
    assert boss.state(conn, "denoise", job_id) == "active"


def test_last_attempt_fails_for_good_with_a_dead_letter_copy(db_url, conn, boss):
    job_id = send(db_url, data={"tenant": "t", "kind": "denoise", "marker": 42})
    for attempt in range(3):  # retryLimit 2 = three runs
        conn.execute("UPDATE pgboss.job SET start_after = now() WHERE id = %s", (job_id,))
        rows = boss.claim(conn, "denoise", 1)
        assert rows[0]["retryCount"] == attempt
        boss.fail(conn, "denoise", job_id, attempt, {"name": "Error", "message": f"boom {attempt}", "stack": None})
    assert node_job(db_url, "denoise", job_id)["state"] == "failed"
    dl = conn.execute("SELECT data, source_id FROM pgboss.job WHERE name = 'dead_letter'").fetchall()
    assert len(dl) == 1 and dl[0][0]["marker"] == 42 and str(dl[0][1]) == job_id


def test_fail_terminal_fails_at_once(db_url, conn, boss):
    job_id = send(db_url)
    boss.claim(conn, "denoise", 1)
    assert boss.fail(conn, "denoise", job_id, 0, {"name": "EngineInputError", "message": "x", "stack": None},
                     terminal=True) == 1
    assert boss.state(conn, "denoise", job_id) == "failed"
    assert conn.execute("SELECT count(*) FROM pgboss.job WHERE name = 'dead_letter'").fetchone()[0] == 1


def test_a_cancelled_job_cannot_be_touched_or_settled(db_url, conn, boss):
    job_id = send(db_url)
    boss.claim(conn, "denoise", 1)
    boss_cli("cancel", db_url, "denoise", job_id)
    assert boss.touch(conn, "denoise", [(job_id, 0)]) == 0
    assert boss.complete(conn, "denoise", job_id, 0, {}) == 0
    assert boss.fail(conn, "denoise", job_id, 0, {}) == 0
    assert node_job(db_url, "denoise", job_id)["state"] == "cancelled"


def test_a_stale_attempt_cannot_settle_a_newer_attempt(db_url, conn, boss):
    job_id = send(db_url)
    boss.claim(conn, "denoise", 1)  # attempt 0 ...
    # ... expires (as pg-boss's supervisor would do: back to retry), and attempt 1 claims it.
    boss.fail(conn, "denoise", job_id, 0, {"value": {"message": "job timed out"}})
    conn.execute("UPDATE pgboss.job SET start_after = now() WHERE id = %s", (job_id,))
    assert boss.claim(conn, "denoise", 1)[0]["retryCount"] == 1
    assert boss.complete(conn, "denoise", job_id, 0, {"late": True}) == 0
    assert boss.fail(conn, "denoise", job_id, 0, {"late": True}) == 0
    assert boss.touch(conn, "denoise", [(job_id, 0)]) == 0
    assert boss.complete(conn, "denoise", job_id, 1, {"ok": True}) == 1


def test_version_check_refuses_another_schema_version(conn, boss):
    assert boss.check_version(conn) == boss.schema_version
    conn.execute("UPDATE pgboss.version SET version = version + 1")
    with pytest.raises(SchemaVersionMismatch):
        boss.check_version(conn)


def test_notify_channel_matches_pg_boss(conn, boss):
    assert boss.notify_channel(conn).startswith("pgboss_")


def test_queue_table_names_are_validated(conn):
    b = PgBoss()
    with pytest.raises(ValueError):
        b.load_queues(conn, ["Robert'); DROP TABLE x;--"])
    with pytest.raises(LookupError):
        b.load_queues(conn, ["no_such_queue"])
