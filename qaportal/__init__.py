"""qaportal: quality-assurance workflow and accreditation portal for micro-credentials."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

from flask import Flask

from qaportal.paths import STATIC_DIR, TEMPLATES_DIR

__version__ = "0.1.0"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The app factory. ``config`` overrides what the environment says (tests use it)."""
    from qaportal import db
    from qaportal.config import load_config

    instance_path = os.environ.get("QAPORTAL_INSTANCE_PATH") or (config or {}).get("INSTANCE_PATH")
    app = Flask(
        __name__,
        instance_path=str(Path(instance_path).resolve()) if instance_path else None,
        instance_relative_config=True,
        template_folder=str(TEMPLATES_DIR),
        static_folder=str(STATIC_DIR),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(load_config(Path(app.instance_path), config))
    Path(app.config["UPLOAD_FOLDER"]).mkdir(parents=True, exist_ok=True)

    if app.config.get("PROXY_FIX") or os.environ.get("QAPORTAL_PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]

    from qaportal.auth.passwords import configure_hasher

    configure_hasher(app.config["ARGON2_TIME_COST"], app.config["ARGON2_MEMORY_KIB"])
    db.init_app(app)
    from qaportal import tasks

    tasks.init_app(app)
    _init_extensions(app)
    _bound_numbers(app)
    _register_blueprints(app)

    from qaportal.web import errors, security

    security.init_app(app)
    errors.init_app(app)
    _register_template_helpers(app)

    from qaportal.cli import register_commands

    register_commands(app)
    return app


def _init_extensions(app: Flask) -> None:
    from qaportal.auth import session_loader
    from qaportal.extensions import babel, csrf, limiter, login_manager
    from qaportal.web.i18n import install_template_gettext, select_locale

    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories="translations"
    )
    install_template_gettext(app)
    login_manager.init_app(app)
    session_loader.init_app(app)
    from qaportal.web import cache

    cache.init_app(app)


def _bound_numbers(app: Flask) -> None:
    """Before any route exists: ``<int:...>`` and ``args.get(type=int)`` refuse numbers that
    no id column can hold, and path segments refuse control characters, so such an address
    is a 404, never a database error."""
    from qaportal.web.bounds import DatabaseIntConverter, PortalRequest, TextSegmentConverter

    app.url_map.converters["int"] = DatabaseIntConverter
    app.url_map.converters["default"] = app.url_map.converters["string"] = TextSegmentConverter
    app.request_class = PortalRequest


def _register_template_helpers(app: Flask) -> None:
    from flask_babel import get_locale

    from qaportal.web.context import navigation
    from qaportal.web.i18n import day, moment

    app.add_template_filter(day, "day")
    app.add_template_filter(moment, "moment")

    @app.context_processor
    def _helpers() -> dict[str, Any]:
        return {"navigation": navigation, "current_locale": lambda: str(get_locale() or "en")}


# The domain packages, in the order their work appears on a dashboard panel. Each exposes
# ``register(app)``, called once per app at start-up: its blueprints, the access rules of
# its ``access.py``, its dashboard sources, its entries of the main navigation, its
# commands and its kinds of background job. The core modules
# (qaportal.access.policy, qaportal.web.dashboard, qaportal.web.context, qaportal.tasks,
# qaportal.cli) import no domain: they hold what these registrations put in
# (tests/test_architecture.py keeps it so).
DOMAINS = (
    "qaportal.orgs",
    "qaportal.audit",
    "qaportal.notifications",
    "qaportal.catalogue",
    "qaportal.frameworks",
    "qaportal.cases",
    "qaportal.evidence",
    "qaportal.feedback",
    "qaportal.reviews",
    "qaportal.decisions",
    "qaportal.reporting",
    "qaportal.register",
    "qaportal.api",
)


def _register_blueprints(app: Flask) -> None:
    from qaportal.auth.views import bp as auth_bp
    from qaportal.web.views import bp as web_bp

    for blueprint in (web_bp, auth_bp):
        app.register_blueprint(blueprint)
    for name in DOMAINS:
        importlib.import_module(name).register(app)
