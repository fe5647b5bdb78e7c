"""The `qaportal` command: create-admin, demo, audit verify, db current/upgrade/downgrade."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from qaportal.audit.models import AuditEvent
from qaportal.auth.models import Membership, Role, User
from qaportal.db import get_session
from qaportal.orgs.models import Organisation
from tests.conftest import login

STRONG = "correct horse battery staple 42"


def _invoke(app: Flask, *args: str, input: str | None = None) -> Any:
    return app.test_cli_runner().invoke(args=list(args), input=input)


def _counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        session = get_session()
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (User, Organisation, Membership)
        }


def test_a_fresh_database_has_no_users(app: Flask):
    """No default admin exists: the first one is made with `qaportal create-admin`."""
    assert _counts(app) == {"users": 0, "organisations": 0, "memberships": 0}


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short-one", "at least 12"),
        ("password1234", "too common"),
        ("aaaaaaaaaaaaaaaa", "too common"),
    ],
    ids=["too-short", "common", "repetitive"],
)
def test_create_admin_refuses_a_weak_password(app: Flask, password: str, reason: str):
    result = _invoke(
        app, "create-admin", "--email", "first@agency.example.org", "--name", "First Admin",
        "--agency", "Test Agency", "--password", password,
    )  # fmt: skip
    assert result.exit_code != 0
    assert reason in result.output
    assert _counts(app)["users"] == 0


def test_create_admin_with_a_strong_password(app: Flask, client):
    result = _invoke(
        app, "create-admin", "--email", "First@Agency.example.org", "--name", "First Admin",
        "--agency", "Test Agency", "--country", "BE", "--password", STRONG,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "created" in result.output
    with app.app_context():
        session = get_session()
        user = session.scalars(select(User)).one()
        (membership,) = user.memberships
        assert membership.role is Role.AGENCY_ADMIN
        assert membership.organisation.legal_name == "Test Agency"
        assert user.password_hash and user.password_hash.startswith("$argon2id$")
        assert STRONG not in user.password_hash
        actions = session.scalars(select(AuditEvent.action)).all()
        assert "user.created" in actions

    login(client, "first@agency.example.org", STRONG)
    assert "Agency administrator" in client.get("/dashboard").get_data(as_text=True)

    again = _invoke(
        app, "create-admin", "--email", "first@agency.example.org", "--name", "Again",
        "--agency", "Test Agency", "--password", STRONG + "!",
    )  # fmt: skip
    assert again.exit_code != 0
    assert "already exists" in again.output
    assert _counts(app)["users"] == 1


def test_create_admin_prompts_for_the_password(app: Flask):
    result = _invoke(
        app, "create-admin", "--email", "p@agency.example.org", "--name", "Prompted",
        "--agency", "Test Agency", input=f"{STRONG}\n{STRONG}\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert _counts(app)["users"] == 1


def test_demo_twice_neither_fails_nor_duplicates(app: Flask):
    first = _invoke(app, "demo", "--no-serve")
    assert first.exit_code == 0, first.output
    counts = _counts(app)
    assert counts["users"] >= 8 and counts["organisations"] == 3
    password = re.search(r"password: (\S+)", first.output)
    assert password
    assert "admin@agency.example.org" in first.output

    second = _invoke(app, "demo", "--no-serve")
    assert second.exit_code == 0, second.output
    assert _counts(app) == counts
    assert f"password: {password.group(1)}" in second.output


def test_demo_logins_cover_every_staff_role(app: Flask):
    result = _invoke(app, "demo", "--no-serve")
    assert result.exit_code == 0, result.output
    for role in Role:
        assert role.value in result.output, f"no demo login for {role.value}"


def test_audit_verify_reports_the_first_tampered_event(app: Flask, demo: Any):
    ok = _invoke(app, "audit", "verify")
    assert ok.exit_code == 0, ok.output
    assert "intact" in ok.output

    with app.app_context():
        session = get_session()
        ids = session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()
        assert len(ids) >= 3
        victim = ids[len(ids) // 2]
        session.execute(
            text("UPDATE audit_events SET details = :d WHERE id = :id"),
            {"d": '{"forged": true}', "id": victim},
        )
        session.commit()

    broken = _invoke(app, "audit", "verify")
    assert broken.exit_code != 0
    assert f"BROKEN at event {victim}" in broken.output


def test_audit_verify_notices_a_deleted_event(app: Flask, demo: Any):
    with app.app_context():
        session = get_session()
        ids = session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()
        victim = ids[1]
        session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": victim})
        session.commit()
    broken = _invoke(app, "audit", "verify")
    assert broken.exit_code != 0
    assert f"BROKEN at event {ids[2]}" in broken.output


def test_db_current_upgrade_downgrade(app: Flask, app_config: dict[str, Any], tmp_path: Path):
    from qaportal import create_app
    from tests.test_migrations import _head

    fresh = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'c.db'}"})
    try:
        up = _invoke(fresh, "db", "upgrade")
        assert up.exit_code == 0, up.output
        current = _invoke(fresh, "db", "current")
        assert current.exit_code == 0, current.output
        assert _head() in current.output
        down = _invoke(fresh, "db", "downgrade", "base")
        assert down.exit_code == 0, down.output
        assert _head() not in _invoke(fresh, "db", "current").output
    finally:
        fresh.extensions["qaportal.engine"].dispose()

    # and on the test database (SQLite or PostgreSQL), which is at head
    current = _invoke(app, "db", "current")
    assert current.exit_code == 0, current.output
    assert _head() in current.output


def test_demo_serves_the_portal(tmp_path: Path):
    """The README's first command: `qaportal demo` seeds, prints the logins and serves."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request

    from tests.conftest import free_port

    command = Path(sys.executable).with_name("qaportal")
    assert command.exists(), f"{command} missing: is the package installed (pip install -e .)?"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QAPORTAL_")}
    env.update(
        QAPORTAL_INSTANCE_PATH=str(tmp_path / "instance"),
        QAPORTAL_ARGON2_TIME_COST="1",
        QAPORTAL_ARGON2_MEMORY_KIB="1024",
    )
    log = tmp_path / "demo.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(command), "demo", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=tmp_path,
        )
    try:
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as r:
                    status = r.status
                    page = r.read().decode()
                break
            except OSError:
                time.sleep(0.3)
        output = log.read_text()
        assert status == 200, f"the demo server did not answer; it printed:\n{output}"
        assert "Sign in" in page
        assert "admin@agency.example.org" in output and "password:" in output
        assert f"running at http://127.0.0.1:{port}/" in output
        # The demo's own consumer is alive: background work needs no `qaportal worker`.
        import sqlite3

        database = tmp_path / "instance" / "qaportal.sqlite3"
        beats: list[Any] = []
        while time.monotonic() < deadline and not beats:
            with sqlite3.connect(database) as conn:
                beats = conn.execute("SELECT name FROM worker_heartbeats").fetchall()
            time.sleep(0.2)
        assert beats, "the demo runs no consumer of its own"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_demo_links_point_at_the_address_it_serves(app: Flask, client, demo, monkeypatch):
    """`qaportal demo --port 5123`: mailed invitations and printed slips use that port."""
    from io import BytesIO

    from qaportal.demo import demo_base_url, prepare_serving
    from qaportal.notifications.models import OutboxMessage
    from tests.conftest import post_form
    from tests.feedback_support import UDV_ADMIN, make_campaign, make_specification

    monkeypatch.delenv("QAPORTAL_BASE_URL", raising=False)
    assert prepare_serving(app, "127.0.0.1", 5123) is None  # immediate queue: nothing to start
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    login(client, UDV_ADMIN, demo.password)
    invited = post_form(
        client,
        f"/feedback/campaigns/{campaign_id}/invitations",
        {"file": (BytesIO(b"email\nlearner@example.org\n"), "addresses.csv")},
        content_type="multipart/form-data",
    )
    assert invited.status_code == 302, invited.get_data(as_text=True)[:2000]
    with app.app_context():
        body = get_session().execute(select(OutboxMessage.body_text)).scalar_one()
    assert re.search(r"http://127\.0\.0\.1:5123/f/[A-Z2-7]{32}", body), body
    slips = post_form(client, f"/feedback/campaigns/{campaign_id}/codes", {"count": "2"})
    assert "http://127.0.0.1:5123/f" in slips.get_data(as_text=True)

    # An address the user set explicitly wins; all interfaces are shown as this machine.
    monkeypatch.setenv("QAPORTAL_BASE_URL", "https://qa.example.org")
    app.config["BASE_URL"] = "https://qa.example.org"
    prepare_serving(app, "0.0.0.0", 8080)  # noqa: S104
    assert app.config["BASE_URL"] == "https://qa.example.org"
    assert demo_base_url("0.0.0.0", 8080) == "http://localhost:8080"  # noqa: S104
    assert demo_base_url("::1", 8080) == "http://[::1]:8080"
