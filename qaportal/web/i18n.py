"""Locale choice: the visitor's pick (language switcher), then the browser's preference."""

from __future__ import annotations

import datetime as dt

from flask import current_app, has_request_context, request, session
from flask_babel import format_date, format_time
from flask_babel import gettext as _


def select_locale() -> str | None:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and background work: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return (
        request.accept_languages.best_match(list(languages))
        or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def day(value: dt.date | dt.datetime | None) -> str:
    """A day in the visitor's language ("3 déc. 2026", "03.12.2026"); for a moment, its day
    in UTC, the portal's time zone."""
    if value is None:
        return ""
    return format_date(value, "medium", rebase=False)


def moment(value: dt.datetime | None) -> str:
    """A moment in the visitor's language, to the minute, in UTC ("3 déc. 2026, 07:23
    UTC"): every user of a case sees the same time, whatever their time zone."""
    if value is None:
        return ""
    time = format_time(value, "short", rebase=False)
    return _("%(day)s, %(time)s UTC", day=day(value), time=time)
