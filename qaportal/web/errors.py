"""Error pages in the portal's own style."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from qaportal.audit.services import record_repeated
from qaportal.db import get_session


def _page(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("errors/error.html", status=status, title=title, message=message), status


def refused(message: str, status: int = 409) -> tuple[str, int]:
    """The page a view answers when a service refuses an action (out of turn, changed
    meanwhile, …): the service's ``message``, with "nothing was changed" left to it."""
    return _page(status, _("This action is not possible"), message)


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> tuple[str, int]:
        return _page(
            400,
            _("The form has expired"),
            _(
                "The form could not be accepted because its security token was missing or "
                "invalid. Go back, reload the page and try again; nothing was changed."
            ),
        )

    @app.errorhandler(403)
    def _forbidden(error: HTTPException) -> tuple[str, int]:
        return _page(403, _("Not allowed"), _("You do not have permission to do this."))

    @app.errorhandler(404)
    def _not_found(error: HTTPException) -> tuple[str, int]:
        return _page(404, _("Page not found"), _("There is nothing at this address."))

    @app.errorhandler(405)
    def _method(error: HTTPException) -> tuple[str, int]:
        return _page(405, _("Not allowed"), _("This address does not accept that request."))

    @app.errorhandler(413)
    def _too_large(error: HTTPException) -> tuple[str, int]:
        return _page(
            413,
            _("Too large"),
            _("What you sent is larger than the portal accepts. Nothing was stored."),
        )

    @app.errorhandler(429)
    def _too_many(error: HTTPException) -> tuple[str, int]:
        from qaportal.web.context import current_actor

        if request.endpoint == "auth.login":
            db = get_session()
            db.rollback()
            record_repeated(
                db,
                current_actor(),
                "auth.login_rate_limited",
                details={"email": (request.form.get("email") or "")[:254]},
            )
            db.commit()
        return _page(
            429,
            _("Too many attempts"),
            _(
                "There have been too many failed attempts. For your security, please wait "
                "15 minutes before trying again."
            ),
        )

    @app.errorhandler(500)
    def _server_error(error: Exception) -> tuple[str, int]:
        return _page(
            500,
            _("Something went wrong"),
            _("The portal could not finish this request. Nothing was changed; please try again."),
        )
