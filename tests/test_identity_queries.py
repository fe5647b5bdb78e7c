"""A signed-in request learns who is asking with one indexed statement: the session row,
its user, the memberships and their organisations, in one select. The security checks
stay (tests/test_auth.py, tests/test_sessions_passwords.py cover the timeouts, revocation
and disabled accounts); these tests count what they cost and check what they still refuse."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from flask_login import current_user
from sqlalchemy import select, update

from qaportal.auth.models import User, UserSession
from qaportal.db import get_session
from tests.conftest import login


def _add_identity_route(app: Flask) -> None:
    """A page that reads what every page reads: the user, their roles and organisations."""

    @app.get("/_test/identity")
    def _identity() -> str:
        if not current_user.is_authenticated:
            return "anonymous"
        orgs = sorted(
            f"{m.role.value}@{m.organisation.display_name}" for m in current_user.memberships
        )
        return f"{current_user.email}|{','.join(orgs)}"


def test_loading_a_signed_in_identity_costs_one_statement(app, demo, count_queries):
    _add_identity_route(app)
    client = app.test_client()
    login(client, "officer@agency.example.org", demo.password)
    client.get("/_test/identity")  # first-request work (translations) is not the identity
    with count_queries() as counter:
        response = client.get("/_test/identity")
    body = response.get_data(as_text=True)
    assert body.startswith("officer@agency.example.org|agency_officer@"), body
    assert counter.count == 1, f"{counter.count} statements to load the identity"


def test_a_user_with_several_memberships_gets_all_of_them_in_one_statement(
    app, demo, count_queries
):
    from qaportal.auth.models import Membership, Role
    from qaportal.orgs.models import Organisation

    _add_identity_route(app)
    with app.app_context():
        db = get_session()
        user = db.execute(
            select(User).where(User.email == "officer@agency.example.org")
        ).scalar_one()
        others = (
            db.execute(
                select(Organisation).where(
                    Organisation.id.not_in([m.organisation_id for m in user.memberships])
                )
            )
            .scalars()
            .all()
        )
        for org in others[:2]:
            db.add(Membership(user_id=user.id, organisation_id=org.id, role=Role.REVIEWER))
        db.commit()
        expected = 1 + min(2, len(others))
    client = app.test_client()
    login(client, "officer@agency.example.org", demo.password)
    client.get("/_test/identity")
    with count_queries() as counter:
        body = client.get("/_test/identity").get_data(as_text=True)
    assert len(body.split("|", 1)[1].split(",")) == expected, body
    assert counter.count == 1


def _expire(app: Flask, **values: Any) -> None:
    with app.app_context():
        db = get_session()
        db.execute(update(UserSession).values(**values))
        db.commit()


def test_the_one_statement_still_refuses_idle_ended_and_disabled_sessions(app, demo):
    _add_identity_route(app)
    now = dt.datetime.now(dt.UTC)
    cases = {
        "idle": {"last_seen_at": now - dt.timedelta(hours=2)},
        "absolute": {"created_at": now - dt.timedelta(days=2)},
        "ended": {"ended_at": now, "ended_reason": "logout"},
    }
    for name, values in cases.items():
        client = app.test_client()
        login(client, "officer@agency.example.org", demo.password)
        assert client.get("/_test/identity").get_data(as_text=True) != "anonymous"
        _expire(app, **values)
        assert client.get("/_test/identity").get_data(as_text=True) == "anonymous", name
    client = app.test_client()
    login(client, "officer@agency.example.org", demo.password)
    with app.app_context():
        db = get_session()
        db.execute(
            update(User).where(User.email == "officer@agency.example.org").values(active=False)
        )
        db.commit()
    assert client.get("/_test/identity").get_data(as_text=True) == "anonymous"
