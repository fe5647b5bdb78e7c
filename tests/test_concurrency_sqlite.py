"""Concurrent writers against the real database file keep the audit trail one chain.

SQLite ignores SELECT ... FOR UPDATE, so without an explicit write lock two requests read
the same chain head and fork the trail. These tests release many writers at one instant,
each with its own connection (threads with their own test client, or processes with their
own app), then check that every event links to the one before it, that no two events
share a predecessor, and that nothing was lost or recorded twice. They hold on PostgreSQL
too; the savepoint test is about SQLite's driver in particular.
"""

from __future__ import annotations

import json
import multiprocessing
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from qaportal.audit.models import AuditEvent
from qaportal.audit.services import verify_chain
from qaportal.cases.models import Answer
from qaportal.db import get_session, make_engine
from tests.casekit import criterion_def, lock_version, make_world
from tests.conftest import PG_URL, csrf_token, login

EDITOR = "editor@university.example.org"
PROCESS_ROUNDS = 8
SIGN_IN_USERS = [
    "admin@agency.example.org",
    "officer@agency.example.org",
    "admin@university.example.org",
    EDITOR,
]


def _run_at_once(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run every job in its own thread, all released by one barrier; re-raise any error."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=60)
            results[i] = jobs[i]()
        except BaseException as exc:  # handed to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a writer hung"
    if errors:
        raise errors[0]
    return results


def _client_at(app: Flask, address: str) -> Any:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _assert_one_chain(app: Flask) -> list[AuditEvent]:
    with app.app_context():
        db = get_session()
        report = verify_chain(db)
        assert report.ok, report
        shared = db.execute(
            select(AuditEvent.prev_hash).group_by(AuditEvent.prev_hash).having(func.count() > 1)
        ).all()
        assert shared == []
        return list(db.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars())


def _attempts(events: list[AuditEvent], action: str) -> int:
    """How many attempts the events of ``action`` stand for (a coalesced event counts many)."""
    return sum(
        int(json.loads(e.details or "{}").get("count", 1)) for e in events if e.action == action
    )


def test_concurrent_first_saves_of_different_criteria_keep_one_chain(app, demo):
    n = 20
    world = make_world(app, criteria=[criterion_def(f"K{i}", f"Criterion {i}") for i in range(n)])
    codes = list(world.criteria)
    clients = []
    payloads = []
    for code in codes:
        client = app.test_client()
        login(client, EDITOR, demo.password)
        url = f"/cases/{world.case_id}/criteria/{world.criteria[code]}"
        page = client.get(url).get_data(as_text=True)
        assert lock_version(page) == "0"
        payloads.append(
            (url, {"csrf_token": csrf_token(client, url), "lock_version": "0", "q_narrative": code})
        )
        clients.append(client)
    with app.app_context():
        before = get_session().scalar(select(func.count()).select_from(AuditEvent))

    def saver(i: int) -> Callable[[], int]:
        return lambda: clients[i].post(payloads[i][0], data=payloads[i][1]).status_code

    statuses = _run_at_once([saver(i) for i in range(n)])
    assert statuses == [302] * n

    events = _assert_one_chain(app)
    assert len(events) == before + n
    saved = [e for e in events if e.action == "answer.saved"]
    assert len(saved) == n
    with app.app_context():
        narratives = get_session().execute(select(Answer.narrative)).scalars().all()
    assert sorted(narratives) == sorted(codes)  # each saved once, none lost


def test_concurrent_sign_ins_keep_one_chain(app, demo):
    threads, rounds = 8, 3

    def signer(i: int) -> Callable[[], list[int]]:
        # Each thread is its own address, so no rate limit interferes; each round a fresh
        # browser, since signing in renews the session (and its CSRF token).
        email = SIGN_IN_USERS[i % len(SIGN_IN_USERS)]
        browsers = []
        for _ in range(rounds):
            client = _client_at(app, f"192.0.2.{i + 10}")
            browsers.append((client, csrf_token(client, "/login")))

        def run() -> list[int]:
            statuses = []
            for client, token in browsers:
                wrong = {"csrf_token": token, "email": email, "password": "wrong-wrong-wrong"}
                statuses.append(client.post("/login", data=wrong).status_code)
                right = {"csrf_token": token, "email": email, "password": demo.password}
                statuses.append(client.post("/login", data=right).status_code)
            return statuses

        return run

    results = _run_at_once([signer(i) for i in range(threads)])
    assert all(r == [200, 302] * rounds for r in results), results

    events = _assert_one_chain(app)
    assert Counter(e.action for e in events)["auth.login"] == threads * rounds
    assert _attempts(events, "auth.login_failed") + _pending_failures(app) == threads * rounds


def _pending_failures(app: Flask) -> int:
    """Failed attempts counted in windows that are still open (none before coalescing)."""
    try:
        from qaportal.audit.services import open_windows
    except ImportError:
        return 0
    with app.app_context():
        return sum(w.count for w in open_windows(get_session(), action="auth.login_failed"))


def _process_signer(url: str, config: dict[str, Any], index: int, barrier: Any) -> None:
    from qaportal import create_app

    app = create_app({**config, "SQLALCHEMY_DATABASE_URI": url})
    try:
        browsers = []
        for i in range(PROCESS_ROUNDS):
            # A new address each round: every failure opens a burst, an event of its own.
            client = _client_at(app, f"198.51.{100 + index}.{i + 10}")
            browsers.append((client, csrf_token(client, "/login")))
        email = SIGN_IN_USERS[index % len(SIGN_IN_USERS)]
        barrier.wait(timeout=60)
        for client, token in browsers:
            wrong = {"csrf_token": token, "email": email, "password": "wrong-wrong-wrong"}
            assert client.post("/login", data=wrong).status_code == 200
            right = {"csrf_token": token, "email": email, "password": config["_password"]}
            assert client.post("/login", data=right).status_code == 302
    finally:
        app.extensions["qaportal.engine"].dispose()


def test_concurrent_processes_keep_one_chain(app, app_config, demo):
    """As under `gunicorn -w 4`: separate processes, each with its own engine."""
    processes = 4
    app.extensions["qaportal.engine"].dispose()  # no open connection crosses the fork
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(processes)
    config = {**app_config, "_password": demo.password}
    workers = [
        context.Process(
            target=_process_signer,
            args=(app_config["SQLALCHEMY_DATABASE_URI"], config, i, barrier),
        )
        for i in range(processes)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert [w.exitcode for w in workers] == [0] * processes

    events = _assert_one_chain(app)
    actions = Counter(e.action for e in events)
    assert actions["auth.login"] == actions["auth.login_failed"] == processes * PROCESS_ROUNDS


@pytest.mark.skipif(bool(PG_URL), reason="about SQLite's driver; PostgreSQL has real savepoints")
def test_savepoint_rollback_is_real_on_sqlite(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'savepoint.sqlite3'}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (v INTEGER)"))

        # As a first save does: read, then write inside a savepoint, then fail afterwards.
        with engine.connect() as conn, conn.begin() as outer:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0
            with conn.begin_nested():
                conn.execute(text("INSERT INTO t VALUES (1)"))
            # Releasing the savepoint must not have committed it: others do not see it.
            with engine.connect() as other:
                assert other.execute(text("SELECT count(*) FROM t")).scalar() == 0
            outer.rollback()

        # A savepoint rolled back undoes its own work and keeps the transaction's.
        with engine.connect() as conn, conn.begin():
            conn.execute(text("INSERT INTO t VALUES (2)"))
            nested = conn.begin_nested()
            conn.execute(text("INSERT INTO t VALUES (3)"))
            nested.rollback()
            conn.execute(text("INSERT INTO t VALUES (4)"))

        with engine.connect() as conn:
            assert sorted(conn.execute(text("SELECT v FROM t")).scalars()) == [2, 4]
    finally:
        engine.dispose()
