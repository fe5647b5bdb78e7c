"""How a request's transaction ends on PostgreSQL: a request that only read ends with COMMIT,
so that the statements psycopg prepared on the pooled connection stay prepared (a ROLLBACK
makes it forget them all); anything that wrote, or left a change unflushed, and any request
that failed, still ends with ROLLBACK and leaves nothing behind."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import event, select, text

from qaportal.db import generic_plans, get_session
from qaportal.orgs.models import Organisation, OrgKind
from tests.conftest import login

pytestmark = pytest.mark.postgres


@pytest.fixture
def endings(app: Flask) -> list[str]:
    """How each transaction on the app's engine ended, in order."""
    if app.extensions["qaportal.engine"].dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite keeps no prepared statements")
    found: list[str] = []
    engine = app.extensions["qaportal.engine"]
    event.listen(engine, "commit", lambda conn: found.append("commit"))
    event.listen(engine, "rollback", lambda conn: found.append("rollback"))
    return found


def _in_request(app: Flask, work) -> None:
    with app.test_request_context():
        work(get_session())
        app.do_teardown_appcontext()


def _organisation(name: str) -> Organisation:
    return Organisation(legal_name=name, country="DE", kind=OrgKind.PROVIDER)


def test_a_request_that_only_read_ends_with_commit(app, endings):
    _in_request(app, lambda db: db.execute(select(Organisation.id)).all())
    _in_request(app, lambda db: db.execute(text("WITH o AS (SELECT 1 AS n) SELECT n FROM o")))
    assert endings == ["commit", "commit"]


def test_statements_stay_prepared_across_requests(app, endings):
    names: list[int] = []

    def read(db) -> None:
        db.execute(select(Organisation.id).where(Organisation.id == 1)).all()
        names.append(len(db.connection().connection.dbapi_connection._prepared._names))

    for _ in range(8):  # psycopg prepares a statement at its fifth run on a connection
        _in_request(app, read)
    assert names[-1] >= 1
    assert names[-1] == names[-2]


def test_a_flush_without_commit_is_rolled_back(app, endings):
    def flush_only(db) -> None:
        db.add(_organisation("Flushed, never committed"))
        db.flush()

    _in_request(app, flush_only)
    assert endings == ["rollback"]
    with app.app_context():
        names = get_session().execute(select(Organisation.legal_name)).scalars().all()
    assert "Flushed, never committed" not in names


def test_a_pending_change_is_not_committed(app, endings):
    _in_request(app, lambda db: db.add(_organisation("Added, never flushed")))
    with app.app_context():
        names = get_session().execute(select(Organisation.legal_name)).scalars().all()
    assert "Added, never flushed" not in names


def test_a_core_write_ends_with_rollback(app, endings):
    def core_write(db) -> None:
        db.execute(text("UPDATE audit_chain_head SET last_hash = :h"), {"h": "f" * 64})

    def write_in_a_cte(db) -> None:
        db.execute(
            text("WITH gone AS (DELETE FROM audit_chain_head RETURNING id) SELECT id FROM gone")
        ).all()

    _in_request(app, core_write)
    _in_request(app, write_in_a_cte)
    assert endings == ["rollback", "rollback"]
    with app.app_context():
        head = get_session().execute(text("SELECT last_hash FROM audit_chain_head")).scalar()
    assert head == "0" * 64


def test_a_failed_request_ends_with_rollback(app, endings):
    with app.test_request_context():
        get_session().execute(select(Organisation.id)).all()
        app.do_teardown_appcontext(RuntimeError("the view failed"))
    assert endings == ["rollback"]


def test_generic_plans_hold_within_the_block_only(app, endings):
    modes: list[str] = []

    def read(db) -> None:
        with generic_plans(db):
            modes.append(db.execute(text("SHOW plan_cache_mode")).scalar_one())
        modes.append(db.execute(text("SHOW plan_cache_mode")).scalar_one())

    _in_request(app, read)
    assert modes == ["force_generic_plan", "auto"]
    assert endings == ["commit"]  # SET LOCAL changes no data: the statements stay prepared


def test_a_dashboard_keeps_its_statements_prepared(app, demo, endings):
    """The officer's dashboard, signed in: from the sixth view on, every work-list statement
    runs prepared on the pooled connection, none is prepared again."""
    client = app.test_client()
    login(client, "officer@agency.example.org", demo.password)
    engine = app.extensions["qaportal.engine"]
    prepared: list[int] = []
    event.listen(
        engine,
        "after_cursor_execute",
        lambda conn, cursor, *args: prepared.append(len(cursor.connection._prepared._names)),
    )
    for _ in range(8):
        assert client.get("/dashboard").status_code == 200
    per_view = len(prepared) // 8
    assert prepared[-1] >= per_view - 2  # all but the SET LOCALs, which are never prepared
    assert prepared[-per_view:] == [prepared[-1]] * per_view
