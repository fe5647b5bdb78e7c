"""Locale choice: the visitor's pick (language switcher), then the browser's preference."""

from __future__ import annotations

from flask import current_app, request, session


def select_locale() -> str | None:
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(list(languages)) or current_app.config[
        "BABEL_DEFAULT_LOCALE"
    ]
