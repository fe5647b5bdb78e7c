"""Ties Flask-Login to the server-side session table.

The signed cookie carries only a random session id (``sid``). On each request the
``user_loader`` checks that row: ended, idle or past its absolute lifetime means signed out.
"""

from __future__ import annotations

import datetime as dt

from flask import Flask, current_app, request, session
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user

from qaportal.audit.services import Actor
from qaportal.auth import services
from qaportal.auth.models import User
from qaportal.db import get_session
from qaportal.extensions import login_manager

SESSION_KEY = "sid"


def _limits() -> services.SessionLimits:
    return services.SessionLimits(
        idle=dt.timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"]),
        absolute=dt.timedelta(hours=current_app.config["SESSION_MAX_HOURS"]),
    )


def _load_user(user_id: str) -> User | None:
    token = session.get(SESSION_KEY)
    if not token:
        return None
    user = services.resume_session(get_session(), token, _limits())
    if user is None or str(user.id) != user_id:
        session.clear()
        return None
    return user


def init_app(app: Flask) -> None:
    login_manager.user_loader(_load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    # Sessions are checked against the database; Flask-Login's own protection would only
    # add a second, weaker notion of "fresh".
    login_manager.session_protection = None


def sign_in(user: User, actor: Actor) -> None:
    db = get_session()
    previous = session.get(SESSION_KEY)
    if previous:
        # Signing in over a live session must not leave it usable: whoever copied the old
        # cookie would otherwise stay signed in.
        services.end_session(db, previous, actor, reason="signed_in_again")
    # A new session on sign-in: nothing from before survives but the language the visitor
    # chose, which grants nothing and would otherwise switch back to the browser's.
    language = session.get("lang")
    session.clear()
    token = services.start_session(db, user, actor, request.user_agent.string)
    db.commit()
    session[SESSION_KEY] = token
    if language is not None:
        session["lang"] = language
    session.permanent = False
    login_user(user)


def sign_out(actor: Actor) -> None:
    token = session.get(SESSION_KEY)
    if token:
        db = get_session()
        services.end_session(db, token, actor)
        db.commit()
    logout_user()
    language = session.get("lang")
    session.clear()
    if language is not None:
        session["lang"] = language


def current_session_token() -> str | None:
    return session.get(SESSION_KEY)
