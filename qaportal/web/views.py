"""Landing page, per-role dashboard, language switcher."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from qaportal.access.policy import CoreAction, authorize
from qaportal.web.dashboard import dashboard_panels, fixed_html
from qaportal.web.forms import LanguageForm
from qaportal.web.redirects import safe_target

bp = Blueprint("web", __name__)


@bp.get("/")
def index() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("web.dashboard"))
    return render_template("web/index.html")


@bp.get("/dashboard")
@login_required
def dashboard() -> str:
    authorize(current_user, CoreAction.VIEW_DASHBOARD)
    # The user itself, not the proxy: the panels read it a few dozen times.
    user = current_user._get_current_object()
    return render_template("web/dashboard.html", panels=dashboard_panels(user), fixed=fixed_html())


@bp.route("/language", methods=["GET", "POST"])
def language() -> Response:
    if request.method == "GET":
        # The switcher of cached public pages (qaportal.web.cache), which carry no CSRF
        # token: choosing a language changes nothing but the visitor's own cookie.
        code = request.args.get("language")
        if code in current_app.config["LANGUAGES"]:
            session["lang"] = code
        return redirect(safe_target(request.args.get("next"), url_for("web.index")))
    form = LanguageForm()
    if form.validate_on_submit() and form.language.data in current_app.config["LANGUAGES"]:
        session["lang"] = form.language.data
    return redirect(safe_target(request.form.get("next"), url_for("web.index")))


def _database_answers() -> None:
    from sqlalchemy import text

    from qaportal.db import get_session

    get_session().execute(text("SELECT 1"))


def _queue_answers() -> None:
    from qaportal.tasks import get_huey

    # One LLEN on Redis, a count of the waiting rows on SQLite: reaching the store is the
    # question, not how much waits in it.
    get_huey().pending_count()


_HEALTH_CHECKS = {"database": _database_answers, "queue": _queue_answers}


@bp.get("/healthz")
def healthz() -> tuple[dict[str, object], int]:
    """For load balancers and the production script: unauthenticated and cheap, so it says
    which dependency failed but never why (the reason goes to the log)."""
    failed = []
    for name, check in _HEALTH_CHECKS.items():
        try:
            check()
        except Exception:
            current_app.logger.exception("health check %s failed", name)
            failed.append(name)
    if failed:
        return {"status": "failing", "failed": failed}, 503
    return {"status": "ok", "checked": list(_HEALTH_CHECKS)}, 200
