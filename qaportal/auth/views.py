"""Sign-in, sign-out, the account page, password change, invitations and password reset.

Links sent by email carry a single-use token. Opening one stores the token in the (signed,
HttpOnly) session cookie and redirects to a fixed address, so the token neither stays in the
address bar and history nor leaks through the Referer header of the page that follows.
"""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required
from limits import parse_many
from werkzeug.wrappers import Response

from qaportal.audit.services import Actor, record, record_repeated
from qaportal.auth import invitations, services
from qaportal.auth.forms import (
    ChangePasswordForm,
    ConfirmInvitationForm,
    LoginForm,
    RequestResetForm,
    ResetPasswordForm,
    SetPasswordForm,
)
from qaportal.auth.models import TokenPurpose
from qaportal.auth.passwords import verify_password
from qaportal.auth.session_loader import current_session_token, sign_in, sign_out
from qaportal.auth.tokens import TokenError
from qaportal.db import get_session
from qaportal.extensions import limiter
from qaportal.web.context import current_actor
from qaportal.web.dashboard import role_label
from qaportal.web.redirects import safe_target

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_FAILURE_LIMIT"]


def _account_key() -> str:
    return "login-account:" + services.normalise_email(request.form.get("email", ""))


def _login_failed(response: Response) -> bool:
    # Only failures count towards the limit; a successful sign-in redirects.
    return response.status_code != 302


def _safe_next(target: str | None) -> str:
    return safe_target(target, url_for("web.dashboard"))


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


CHANGE_LIMIT_SCOPE = "password-change"


def _password_change_allowed(user_id: int) -> bool:
    """Guessing the current password from a stolen session meets the sign-in limit too."""
    if not limiter.enabled:
        return True
    return all(
        limiter.limiter.test(item, CHANGE_LIMIT_SCOPE, str(user_id))
        for item in parse_many(_login_limit())
    )


def _count_password_change_failure(user_id: int) -> None:
    if limiter.enabled:
        for item in parse_many(_login_limit()):
            limiter.limiter.hit(item, CHANGE_LIMIT_SCOPE, str(user_id))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> str | Response | tuple[str, int]:
    form = ChangePasswordForm()
    form.email_for_check = current_user.email
    if form.validate_on_submit():
        db = get_session()
        actor = current_actor()
        if not _password_change_allowed(current_user.id):
            # one event per window with a count, however often a blocked client retries
            record_repeated(
                db,
                actor,
                "auth.password_change_rate_limited",
                object_type="user",
                object_id=current_user.id,
            )
            db.commit()
            page = render_template(
                "errors/error.html",
                status=429,
                title=_("Too many attempts"),
                message=_(
                    "There have been too many failed attempts. For your security, please wait "
                    "15 minutes before trying again."
                ),
            )
            return page, 429
        if not verify_password(current_user.password_hash, form.current_password.data):
            _count_password_change_failure(current_user.id)
            record(
                db,
                actor,
                "auth.password_change_failed",
                object_type="user",
                object_id=current_user.id,
            )
            db.commit()
            form.current_password.errors.append(_("The current password is not correct."))
        else:
            ended = services.change_password(
                db,
                current_user,
                form.new_password.data,
                actor,
                keep_token=current_session_token(),
            )
            db.commit()
            if ended:
                flash(
                    _(
                        "Your password has been changed. You have been signed out on your "
                        "other devices."
                    ),
                    "success",
                )
            else:
                flash(_("Your password has been changed."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/change_password.html", form=form)


# ----- links from emails: invitations and password reset ----------------------------------

INVITATION_KEY = "invitation_token"
RESET_KEY = "reset_token"
MAX_TOKEN_LENGTH = 200


def _link_problem(
    purpose: TokenPurpose, reason: str, expired_at: dt.datetime | None = None
) -> tuple[str, int]:
    """A friendly page for a link that cannot be used: what happened, what to do now."""
    invitation = purpose == TokenPurpose.INVITATION
    if reason == "unknown" or reason == "missing":
        status = 404
        title = _("Invitation link not recognised") if invitation else _("Link not recognised")
        if reason == "missing":
            message = (
                _("There is no invitation open in this browser.")
                if invitation
                else _("There is no password reset open in this browser.")
            )
        else:
            message = _("We do not recognise this link. It may have been copied incompletely.")
        advice = (
            _(
                "Open the link from your invitation email again, copying the whole address. If "
                "it still does not work, ask the person who invited you to send a new invitation."
            )
            if invitation
            else _(
                "Open the link from your email again, copying the whole address, or ask "
                "for a new link below."
            )
        )
    elif reason == "used":
        status = 410
        title = (
            _("This invitation has already been used")
            if invitation
            else _("This link has already been used")
        )
        message = _("Each link works only once, and this one has been used.")
        advice = (
            _(
                "If you accepted the invitation, sign in with your email address and password. "
                "If you have forgotten your password, you can reset it."
            )
            if invitation
            else _(
                "If you have just chosen a new password, sign in with it. Otherwise, ask "
                "for a new link below."
            )
        )
    elif reason == "expired":
        status = 410
        title = _("This invitation has expired") if invitation else _("This link has expired")
        message = (
            _("The link stopped working on %(when)s.", when=format_datetime(expired_at))
            if expired_at
            else _("The link is no longer valid.")
        )
        advice = (
            _("Ask the person who invited you to send a new invitation.")
            if invitation
            else _("Ask for a new link below; it will work for a limited time.")
        )
    else:  # revoked
        status = 410
        title = (
            _("This invitation has been withdrawn")
            if invitation
            else _("This link is no longer valid")
        )
        message = (
            _("The organisation withdrew this invitation.")
            if invitation
            else _("The link was cancelled because the password has been changed since.")
        )
        advice = (
            _("If you think this is a mistake, contact the organisation that invited you.")
            if invitation
            else _("Ask for a new link below if you still need one.")
        )
    page = render_template(
        "auth/link_problem.html",
        title=title,
        message=message,
        advice=advice,
        purpose=purpose.value,
        status=status,
    )
    return page, status


def _refused(purpose: TokenPurpose, key: str, exc: TokenError) -> tuple[str, int]:
    get_session().commit()  # keep the audit event of the refused link
    session.pop(key, None)
    return _link_problem(purpose, exc.reason, exc.record.expires_at if exc.record else None)


def _cannot_continue(key: str, message: str) -> tuple[str, int]:
    get_session().rollback()
    session.pop(key, None)
    page = render_template(
        "auth/link_problem.html",
        title=_("This cannot be done"),
        message=message,
        advice=_("If you need help, contact the organisation's administrator."),
        purpose="",
        status=409,
    )
    return page, 409


@bp.get("/invitations/<token>")
def invitation_link(token: str) -> Response:
    """The address in the invitation email: keep the token, then leave this address."""
    session[INVITATION_KEY] = token[:MAX_TOKEN_LENGTH]
    return redirect(url_for("auth.accept_invitation"))


@bp.route("/invitations/accept", methods=["GET", "POST"])
def accept_invitation() -> str | Response | tuple[str, int]:
    token = session.get(INVITATION_KEY)
    if not token:
        return _link_problem(TokenPurpose.INVITATION, "missing")
    db = get_session()
    actor = current_actor()
    try:
        pending = invitations.check_invitation(db, token, actor)
    except TokenError as exc:
        return _refused(TokenPurpose.INVITATION, INVITATION_KEY, exc)
    except invitations.InvitationError as exc:
        return _cannot_continue(INVITATION_KEY, str(exc))

    form: SetPasswordForm | ConfirmInvitationForm
    if pending.needs_password:
        form = SetPasswordForm()
        form.email_for_check = pending.email
        if request.method == "GET" and pending.display_name:
            form.display_name.data = pending.display_name
    else:
        form = ConfirmInvitationForm()

    if form.validate_on_submit():
        name = form.display_name.data if isinstance(form, SetPasswordForm) else ""
        password = form.new_password.data if isinstance(form, SetPasswordForm) else None
        try:
            user = invitations.accept_invitation(db, token, name or "", password, actor)
        except TokenError as exc:
            return _refused(TokenPurpose.INVITATION, INVITATION_KEY, exc)
        except invitations.InvitationError as exc:
            db.rollback()
            flash(str(exc), "error")
        else:
            db.commit()
            if current_user.is_authenticated:
                sign_out(actor)  # someone else was signed in in this browser
            sign_in(user, Actor(user.id, user.email, request.remote_addr))  # drops the token
            flash(
                _(
                    "Welcome, %(name)s. You are now %(role)s at %(org)s.",
                    name=user.display_name,
                    role=role_label(pending.role),
                    org=pending.organisation_name,
                ),
                "success",
            )
            return redirect(url_for("web.dashboard"))

    other_user = (
        current_user.email
        if current_user.is_authenticated and current_user.email != pending.email
        else None
    )
    return render_template(
        "auth/accept_invitation.html",
        form=form,
        invitation=pending,
        role=role_label(pending.role),
        other_user=other_user,
    )


def _reset_limits_ok(email: str) -> bool:
    """Flask-Limiter's storage counts reset requests per email address and per IP address."""
    if not limiter.enabled:
        return True
    config = current_app.config
    checks = (
        (config.get("RESET_REQUEST_LIMIT", "5 per hour"), "email", email),
        (config.get("RESET_REQUEST_IP_LIMIT", "20 per hour"), "ip", request.remote_addr or "-"),
    )
    allowed = True
    for spec, kind, key in checks:
        for item in parse_many(spec):
            if not limiter.limiter.hit(item, "password-reset", kind, key):
                allowed = False
    return allowed


@bp.route("/password-reset", methods=["GET", "POST"])
def request_reset() -> str | Response | tuple[str, int]:
    form = RequestResetForm()
    if form.validate_on_submit():
        db = get_session()
        email = services.normalise_email(form.email.data)
        if not _reset_limits_ok(email):
            record_repeated(
                db, current_actor(), "auth.reset_rate_limited", details={"email": email}
            )
            db.commit()
            page = render_template(
                "errors/error.html",
                status=429,
                title=_("Too many requests"),
                message=_(
                    "Several password reset links have been asked for recently. Check your "
                    "inbox (and spam folder) for the links already sent, or try again in an "
                    "hour."
                ),
            )
            return page, 429
        links = invitations.LinkSettings.from_config(current_app.config)
        invitations.request_password_reset(db, email, current_actor(), links)
        db.commit()
        flash(
            _(
                "If an account exists for %(email)s, we have sent it a link to choose a new "
                "password. Check your inbox; the link works once and for a limited time.",
                email=email,
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/request_reset.html", form=form)


@bp.get("/password-reset/<token>")
def reset_link(token: str) -> Response:
    """The address in the reset email: keep the token, then leave this address."""
    session[RESET_KEY] = token[:MAX_TOKEN_LENGTH]
    return redirect(url_for("auth.reset_password"))


@bp.route("/password-reset/new", methods=["GET", "POST"])
def reset_password() -> str | Response | tuple[str, int]:
    token = session.get(RESET_KEY)
    if not token:
        return _link_problem(TokenPurpose.PASSWORD_RESET, "missing")
    db = get_session()
    actor = current_actor()
    try:
        pending = invitations.check_reset(db, token, actor)
    except TokenError as exc:
        return _refused(TokenPurpose.PASSWORD_RESET, RESET_KEY, exc)
    except invitations.InvitationError as exc:
        return _cannot_continue(RESET_KEY, str(exc))

    form = ResetPasswordForm()
    form.email_for_check = pending.email
    if form.validate_on_submit():
        try:
            invitations.reset_password(db, token, form.new_password.data, actor)
        except TokenError as exc:
            return _refused(TokenPurpose.PASSWORD_RESET, RESET_KEY, exc)
        except invitations.InvitationError as exc:
            db.rollback()
            flash(str(exc), "error")
        else:
            db.commit()
            sign_out(actor)  # every session of the account has ended, this one too
            flash(
                _(
                    "Your password has been changed and you have been signed out everywhere. "
                    "Sign in with your new password."
                ),
                "success",
            )
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form, reset=pending)
