"""One client cannot flood the audit trail: repeated failed or rate-limited sign-ins from one
address become one event per window, carrying their count, and the chain still verifies."""

from __future__ import annotations

import datetime as dt
import json

from flask import Flask
from sqlalchemy import func, select

from qaportal.audit.models import AuditEvent, AuditThrottle
from qaportal.audit.services import (
    THROTTLE_WINDOW,
    Actor,
    close_windows,
    open_windows,
    record,
    record_repeated,
    verify_chain,
    window_start,
)
from qaportal.db import get_session, utcnow
from qaportal.extensions import limiter
from tests.casekit import org
from tests.conftest import csrf_token, login, post_form

ATTACKER = "203.0.113.7"
TARGET = "officer@agency.example.org"
SIGN_IN_ACTIONS = ("auth.login_failed", "auth.login_rate_limited")


def _events(app: Flask, *actions: str) -> list[AuditEvent]:
    with app.app_context():
        return list(
            get_session()
            .execute(
                select(AuditEvent).where(AuditEvent.action.in_(actions)).order_by(AuditEvent.id)
            )
            .scalars()
        )


def _count(event: AuditEvent) -> int:
    return int(json.loads(event.details)["count"])


def _hammer(app: Flask, attempts: int) -> list[int]:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ATTACKER
    token = csrf_token(client, "/login")
    form = {"csrf_token": token, "email": TARGET, "password": "wrong-wrong-wrong"}
    return [client.post("/login", data=form).status_code for _ in range(attempts)]


def _age_windows(app: Flask, by: dt.timedelta) -> None:
    """Let time pass for the open windows (the clock of the test run cannot be moved)."""
    with app.app_context():
        db = get_session()
        for row in db.execute(select(AuditThrottle)).scalars():
            row.window_start -= by
            row.first_at -= by
            row.last_at -= by
        db.commit()


def test_hundreds_of_wrong_passwords_make_a_bounded_number_of_events(app, demo):
    attempts = 300
    started = utcnow()
    statuses = _hammer(app, attempts)
    assert statuses.count(200) == 10  # the sign-in limit, then refusals
    assert statuses.count(429) == attempts - 10
    windows_spanned = 1 + int((window_start(utcnow()) - window_start(started)) / THROTTLE_WINDOW)

    # While the window is open: the start of each burst is in the trail at once, the rest
    # is counted, not written row by row.
    in_trail = _events(app, *SIGN_IN_ACTIONS)
    if windows_spanned == 1:
        assert [e.action for e in in_trail] == list(SIGN_IN_ACTIONS)
        with app.app_context():
            counted = sum(w.count for w in open_windows(get_session()))
        assert sum(_count(e) for e in in_trail) + counted == attempts
    else:
        # A slow run crossed a window's end (windows are aligned to the clock): each window
        # starts its own bursts; the totals are checked below, once every window is written.
        assert {e.action for e in in_trail} == set(SIGN_IN_ACTIONS)
        assert len(in_trail) <= 2 * len(SIGN_IN_ACTIONS) * windows_spanned

    # Once the window has ended, the next thing recorded (here: verification, as the audit
    # trail page and `qaportal audit verify` do) writes each window as one event.
    _age_windows(app, THROTTLE_WINDOW * 2)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    events = _events(app, *SIGN_IN_ACTIONS)
    for action in SIGN_IN_ACTIONS:
        of_action = [e for e in events if e.action == action]
        assert 1 <= len(of_action) <= 1 + windows_spanned
    assert sum(_count(e) for e in events) == attempts
    summary = json.loads(events[-1].details)
    assert summary["source"] == ATTACKER and summary["email"] == [TARGET]
    assert summary["first"] <= summary["last"]
    with app.app_context():
        db = get_session()
        assert open_windows(db) == []
        assert verify_chain(db).ok


def test_failures_without_the_rate_limit_do_not_flood_either(app, demo):
    limiter.enabled = False
    started = utcnow()
    try:
        statuses = _hammer(app, 200)
    finally:
        limiter.enabled = True
    assert statuses == [200] * 200
    # A slow run (200 password hashes) may cross a window's end: the window that ended is
    # then written as one event beside the burst's first.
    windows_spanned = 1 + int((window_start(utcnow()) - window_start(started)) / THROTTLE_WINDOW)
    assert 1 <= len(_events(app, "auth.login_failed")) <= windows_spanned
    _age_windows(app, THROTTLE_WINDOW * 2)
    with app.app_context():
        db = get_session()
        assert close_windows(db) >= 1
        db.commit()
    events = _events(app, "auth.login_failed")
    assert len(events) <= 2 + windows_spanned
    assert sum(_count(e) for e in events) == 200


def test_windows_follow_the_clock(app):
    attacker = Actor(None, "anonymous", ATTACKER)
    other = Actor(None, "anonymous", "198.51.100.1")
    t0 = window_start(utcnow()) + dt.timedelta(seconds=10)
    with app.app_context():
        db = get_session()
        details = {"email": "a@example.org"}
        first = record_repeated(db, attacker, "auth.login_failed", details=details, now=t0)
        assert first is not None and _count(first) == 1
        for i in range(1, 5):
            at = t0 + dt.timedelta(seconds=i)
            assert not record_repeated(db, attacker, "auth.login_failed", details=details, now=at)
        # Another address is another source: its first attempt is an event of its own.
        assert record_repeated(db, other, "auth.login_failed", now=t0) is not None
        # The burst goes on into the next window: still counted, no new opening event.
        later = t0 + THROTTLE_WINDOW
        assert (
            record_repeated(db, attacker, "auth.login_failed", details={"email": "b@x"}, now=later)
            is None
        )
        db.commit()
        # Recording in the new window wrote the ended one first, once.
        in_order = select(AuditEvent).order_by(AuditEvent.id)
        assert [_count(e) for e in db.execute(in_order).scalars()] == [1, 1, 4]
        assert close_windows(db, now=later) == 0
        assert close_windows(db, now=later + THROTTLE_WINDOW) == 1
        # After a quiet window, a new burst opens with an event again.
        quiet = later + 3 * THROTTLE_WINDOW
        assert record_repeated(db, attacker, "auth.login_failed", now=quiet) is not None
        db.commit()
        events = db.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
        assert [_count(e) for e in events] == [1, 1, 4, 1, 1]
        assert json.loads(events[3].details)["email"] == ["b@x"]
        assert verify_chain(db).ok


def test_ended_window_is_written_before_the_next_event(app):
    attacker = Actor(None, "anonymous", ATTACKER)
    with app.app_context():
        db = get_session()
        long_ago = utcnow() - 3 * THROTTLE_WINDOW
        for i in range(3):
            record_repeated(
                db, attacker, "auth.login_failed", now=long_ago + dt.timedelta(seconds=i)
            )
        db.commit()
        record(db, Actor.system(), "something.else")
        db.commit()
        actions = [
            (e.action, json.loads(e.details).get("count"))
            for e in db.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()
        ]
        assert actions == [
            ("auth.login_failed", 1),
            ("auth.login_failed", 2),
            ("something.else", None),
        ]
        assert (
            db.scalar(
                select(func.count())
                .select_from(AuditThrottle)
                .where(AuditThrottle.closed.is_(False))
            )
            == 0
        )


def test_audit_trail_page_shows_a_burst_in_progress_then_its_event(app, demo):
    admin = app.test_client()
    login(admin, "admin@agency.example.org", demo.password)
    with app.app_context():
        agency = org(get_session(), "DAQA").id
    _hammer(app, 6)
    page = admin.get(f"/agencies/{agency}/audit").get_data(as_text=True)
    assert "Repeated attempts in progress" in page
    assert ATTACKER in page
    assert "<td>5</td>" in page  # the first attempt is in the trail, five more are counted

    _age_windows(app, THROTTLE_WINDOW * 2)
    page = admin.get(f"/agencies/{agency}/audit").get_data(as_text=True)
    assert "Repeated attempts in progress" not in page
    assert "— 5 more times" in page  # the window, now one event in the trail
    response = post_form(
        admin,
        f"/agencies/{agency}/audit/verify",
        {},
        token_from=f"/agencies/{agency}/audit",
        follow_redirects=True,
    )
    assert "The audit trail is intact" in response.get_data(as_text=True)
