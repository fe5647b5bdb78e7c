"""Server-side sessions (timeouts), password hashing and password rules."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from qaportal.auth.models import User, UserSession
from qaportal.auth.passwords import hash_password, password_problem, verify_password
from qaportal.db import get_session
from tests.conftest import login, post_form


def _age_sessions(app, **delta) -> None:
    with app.app_context():
        db = get_session()
        past = dt.datetime.now(dt.UTC) - dt.timedelta(**delta)
        db.execute(update(UserSession).values(created_at=past, last_seen_at=past))
        db.commit()


def test_idle_session_times_out(app, client, demo):
    login(client, "officer@agency.example.org", demo.password)
    assert client.get("/dashboard").status_code == 200
    _age_sessions(app, minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
    response = client.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.location
    with app.app_context():
        reasons = get_session().execute(select(UserSession.ended_reason)).scalars().all()
    assert reasons == ["idle_timeout"]


def test_absolute_session_lifetime(app, client, demo):
    login(client, "officer@agency.example.org", demo.password)
    with app.app_context():
        db = get_session()
        now = dt.datetime.now(dt.UTC)
        db.execute(
            update(UserSession).values(
                created_at=now - dt.timedelta(hours=app.config["SESSION_MAX_HOURS"] + 1),
                last_seen_at=now,
            )
        )
        db.commit()
    assert client.get("/dashboard").status_code == 302
    with app.app_context():
        assert (
            get_session().execute(select(UserSession.ended_reason)).scalar() == "absolute_timeout"
        )


def test_new_session_id_on_sign_in(app, client, demo):
    login(client, "officer@agency.example.org", demo.password)
    post_form(client, "/logout", {}, token_from="/dashboard")
    login(client, "officer@agency.example.org", demo.password)
    with app.app_context():
        rows = get_session().execute(select(UserSession).order_by(UserSession.id)).scalars().all()
    assert len(rows) == 2
    assert rows[0].ended_reason == "logout" and rows[1].ended_at is None
    assert rows[0].token_hash != rows[1].token_hash


def test_passwords_are_argon2id_hashes(app, demo):
    with app.app_context():
        stored = get_session().execute(select(User.password_hash)).scalars().first()
    assert stored.startswith("$argon2id$")
    assert verify_password(hash_password("correct horse battery"), "correct horse battery")
    assert not verify_password(hash_password("correct horse battery"), "wrong horse battery")


def test_password_rules_length_and_common_only():
    assert password_problem("short") is not None
    assert password_problem("password1234") is not None  # on the common list
    assert password_problem("aaaaaaaaaaaaaaaa") is not None  # too easy to guess
    assert password_problem("lowercase only phrase") is None  # no composition rules
    assert password_problem("admin@example.org", email="admin@example.org") is not None


def test_change_password_needs_current_password(app, client, demo):
    login(client, "editor@vet.example.org", demo.password)
    response = post_form(
        client,
        "/account/password",
        {
            "current_password": "not-the-current-one",
            "new_password": "a brand new long passphrase",
            "confirm_password": "a brand new long passphrase",
        },
    )
    assert "The current password is not correct." in response.get_data(as_text=True)
    response = post_form(
        client,
        "/account/password",
        {
            "current_password": demo.password,
            "new_password": "a brand new long passphrase",
            "confirm_password": "a brand new long passphrase",
        },
    )
    assert response.status_code == 302
    other = app.test_client()
    login(other, "editor@vet.example.org", "a brand new long passphrase")
