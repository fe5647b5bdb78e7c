"""Locale choice: the visitor's pick (language switcher), then the browser's preference."""

from __future__ import annotations

import datetime as dt

from babel.support import NullTranslations, Translations
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import format_date, format_time, get_locale, get_translations
from flask_babel import gettext as _
from wtforms.i18n import messages_path

# WTForms' own messages ("Not a valid choice.") by locale: its catalogues ship with the
# package and never change while the process runs.
_WTFORMS_CATALOGUES: dict[str, NullTranslations] = {}


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


def install_template_gettext(app: Flask) -> None:
    """Templates translate through :func:`_translations`: Flask-Babel's own callables look
    the catalogue up again for every text (5 µs each, mostly context lookups), and a page
    translates dozens of texts."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )


def _translations() -> NullTranslations:
    """Flask-Babel's translations for the current locale, remembered beside the locale it
    keeps for the context. A switch of locale (``force_locale`` for an email in its
    recipient's language, ``refresh``) replaces that locale object, so the memo is used
    only while the very same object is current."""
    state = g.get("_flask_babel") if g else None
    locale = getattr(state, "babel_locale", None)
    if locale is not None:
        memo = getattr(state, "qaportal_translations", None)
        if memo is not None and memo[0] is locale:
            return memo[1]
    translations = get_translations()
    state = g.get("_flask_babel") if g else None
    locale = getattr(state, "babel_locale", None)
    if locale is not None:
        state.qaportal_translations = (locale, translations)
    return translations


def wtforms_translations() -> NullTranslations | None:
    """WTForms' messages in the request's language, or None (English) outside a request.
    Flask-WTF reads and parses the catalogue file again for every request that shows or
    checks a form."""
    if not has_request_context():
        return None
    locale = get_locale()
    key = str(locale or "")
    found = _WTFORMS_CATALOGUES.get(key)
    if found is None:
        found = Translations.load(messages_path(), [locale] if locale else [], domain="wtforms")
        _WTFORMS_CATALOGUES[key] = found
    return found
