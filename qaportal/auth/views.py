"""Sign-in, sign-out, the account page and password change."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from qaportal.audit.services import Actor
from qaportal.auth import services
from qaportal.auth.forms import ChangePasswordForm, LoginForm
from qaportal.auth.passwords import verify_password
from qaportal.auth.session_loader import current_session_token, sign_in, sign_out
from qaportal.db import get_session
from qaportal.extensions import limiter
from qaportal.web.context import current_actor

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_FAILURE_LIMIT"]


def _account_key() -> str:
    return "login-account:" + services.normalise_email(request.form.get("email", ""))


def _login_failed(response: Response) -> bool:
    # Only failures count towards the limit; a successful sign-in redirects.
    return response.status_code != 302


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("web.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_login_failed)
@limiter.limit(_login_limit, methods=["POST"], key_func=_account_key, deduct_when=_login_failed)
def login() -> str | Response:
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("web.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        db = get_session()
        user = services.authenticate(db, form.email.data, form.password.data, current_actor())
        if user is not None:
            sign_in(user, Actor(user.id, user.email, request.remote_addr))
            flash(_("Welcome, %(name)s.", name=user.display_name), "success")
            return redirect(_safe_next(request.args.get("next")))
        db.commit()  # keep the audit event of the failed attempt
        form.password.errors.append(_("The email address or password is not correct."))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Response:
    sign_out(current_actor())
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/logout-everywhere")
@login_required
def logout_everywhere() -> Response:
    db = get_session()
    services.end_all_sessions(db, current_user, current_actor(), "logout_everywhere")
    db.commit()
    sign_out(current_actor())
    flash(_("You are signed out on every device."), "info")
    return redirect(url_for("auth.login"))


@bp.get("/account")
@login_required
def account() -> str:
    sessions = services.active_sessions(get_session(), current_user)
    current_hash = services.session_token_hash(current_session_token() or "")
    return render_template(
        "auth/account.html",
        sessions=[
            {
                "started": s.created_at,
                "last_seen": s.last_seen_at,
                "ip": s.ip_address,
                "agent": s.user_agent,
                "current": s.token_hash == current_hash,
            }
            for s in sessions
        ],
    )


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> str | Response:
    form = ChangePasswordForm()
    form.email_for_check = current_user.email
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current_password.data):
            form.current_password.errors.append(_("The current password is not correct."))
        else:
            db = get_session()
            services.change_password(db, current_user, form.new_password.data, current_actor())
            db.commit()
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/change_password.html", form=form)
