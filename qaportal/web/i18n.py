"""Locale choice: the visitor's pick (language switcher), then the browser's preference."""

from __future__ import annotations

from flask import current_app, has_request_context, request, session


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
