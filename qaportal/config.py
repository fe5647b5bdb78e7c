"""Configuration from environment variables (documented in the README)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ENV_PREFIX = "QAPORTAL_"


class ConfigError(RuntimeError):
    """The portal refuses to start with an unsafe or incomplete configuration."""


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(ENV_PREFIX + name, default)


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return default if value is None or value == "" else int(value)


DEFAULT_LANGUAGES = {"en": "English", "fr": "Français", "de": "Deutsch"}


def _languages(codes: str | None) -> dict[str, str]:
    """The interface languages, each named in itself: QAPORTAL_LANGUAGES (e.g.
    ``en,fr,de,it``), so that an agency adds a language with its catalogue and data
    translations, without code changes (forms/README.md)."""
    if not codes or not codes.strip():
        return dict(DEFAULT_LANGUAGES)
    from babel import Locale, UnknownLocaleError

    out: dict[str, str] = {}
    for code in (c.strip() for c in codes.split(",")):
        if not code:
            continue
        try:
            name = Locale.parse(code.replace("-", "_")).get_display_name() or code
        except (UnknownLocaleError, ValueError):
            name = code
        out[code] = DEFAULT_LANGUAGES.get(code) or name[:1].upper() + name[1:]
    return out


def _local_secret_key(instance_path: Path) -> str:
    """A key generated once and kept in the instance folder, for local use only."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def load_config(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the Flask config from the environment, then apply ``overrides``."""
    overrides = overrides or {}
    production = _env("ENV", "development") == "production"
    production = overrides.get("PRODUCTION", production)
    cfg: dict[str, Any] = {
        "PRODUCTION": production,
        "SQLALCHEMY_DATABASE_URI": _env(
            "DATABASE_URL", f"sqlite:///{instance_path / 'qaportal.sqlite3'}"
        ),
        "SECRET_KEY": _env("SECRET_KEY"),
        "UPLOAD_FOLDER": _env("UPLOAD_FOLDER", str(instance_path / "uploads")),
        # Agencies' own framework and questionnaire files (see forms/README.md).
        "FORMS_EXTRA_DIR": _env("FORMS_EXTRA_DIR") or None,
        "BASE_URL": _env("BASE_URL", "http://localhost:5000").rstrip("/"),
        # Background work (qaportal.tasks): SQLite in the instance folder unless a URL is set.
        "QUEUE_URL": _env("QUEUE_URL") or None,
        "QUEUE_WORKERS": _env_int("QUEUE_WORKERS", 2),
        "QUEUE_IMMEDIATE": _env_bool("QUEUE_IMMEDIATE", False),
        "MAIL_HOST": _env("MAIL_HOST", "localhost"),
        "MAIL_PORT": _env_int("MAIL_PORT", 25),
        "MAIL_USERNAME": _env("MAIL_USERNAME"),
        "MAIL_PASSWORD": _env("MAIL_PASSWORD"),
        "MAIL_STARTTLS": _env_bool("MAIL_STARTTLS", False),
        "MAIL_SSL": _env_bool("MAIL_SSL", False),
        "MAIL_FROM": _env("MAIL_FROM", "qaportal <noreply@localhost>"),
        "MAIL_MAX_ATTEMPTS": _env_int("MAIL_MAX_ATTEMPTS", 30),
        "MAIL_TIMEOUT": _env_int("MAIL_TIMEOUT", 30),
        "RESET_REQUEST_LIMIT": _env("RESET_REQUEST_LIMIT", "5 per hour"),
        "RESET_REQUEST_IP_LIMIT": _env("RESET_REQUEST_IP_LIMIT", "20 per hour"),
        "CATALOGUE_IMPORT_MAX_ROWS": _env_int("CATALOGUE_IMPORT_MAX_ROWS", 5000),
        "MAX_CONTENT_LENGTH": _env_int("MAX_CONTENT_LENGTH", 30 * 1024 * 1024),
        # Evidence uploads: size limit (checked while streaming) and the zip-bomb guard.
        "EVIDENCE_MAX_BYTES": _env_int("EVIDENCE_MAX_BYTES", 25 * 1024 * 1024),
        "EVIDENCE_ZIP_MAX_ENTRIES": _env_int("EVIDENCE_ZIP_MAX_ENTRIES", 1000),
        "EVIDENCE_ZIP_MAX_UNCOMPRESSED": _env_int(
            "EVIDENCE_ZIP_MAX_UNCOMPRESSED", 200 * 1024 * 1024
        ),
        "EVIDENCE_ZIP_MAX_RATIO": _env_int("EVIDENCE_ZIP_MAX_RATIO", 100),
        "MAX_FORM_MEMORY_SIZE": 2 * 1024 * 1024,
        "SESSION_IDLE_MINUTES": _env_int("SESSION_IDLE_MINUTES", 30),
        "SESSION_MAX_HOURS": _env_int("SESSION_MAX_HOURS", 12),
        "RATELIMIT_STORAGE_URI": _env("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _env_bool("RATELIMIT_ENABLED", True),
        "LOGIN_FAILURE_LIMIT": _env("LOGIN_FAILURE_LIMIT", "10 per 15 minutes"),
        "TOKEN_HOURS_INVITATION": _env_int("INVITATION_HOURS", 7 * 24),
        "TOKEN_HOURS_PASSWORD_RESET": _env_int("PASSWORD_RESET_HOURS", 2),
        # learner and peer feedback (qaportal.feedback)
        "FEEDBACK_MIN_RESPONSES": _env_int("FEEDBACK_MIN_RESPONSES", 5),  # agencies may change it
        "FEEDBACK_SUBMIT_LIMIT": _env("FEEDBACK_SUBMIT_LIMIT", "60 per minute; 600 per hour"),
        "FEEDBACK_REDEEM_LIMIT": _env("FEEDBACK_REDEEM_LIMIT", "60 per minute; 600 per hour"),
        "FEEDBACK_PASS_MINUTES": _env_int("FEEDBACK_PASS_MINUTES", 180),
        # Review defaults for an agency that has not set its own (qaportal.reviews.settings):
        # days a provider may object to a panel member after the panel is announced, and
        # days the provider has to check the draft panel report for factual accuracy.
        "PANEL_OBJECTION_DAYS": _env_int("PANEL_OBJECTION_DAYS", 10),
        "FACTUAL_CHECK_DAYS": _env_int("FACTUAL_CHECK_DAYS", 14),
        # Generated reports (qaportal.reporting): render limits, where the PDFs are kept,
        # and the public verification page's upload size and rate limit.
        "REPORT_RENDER_TIMEOUT_SECONDS": _env_int("REPORT_RENDER_TIMEOUT_SECONDS", 120),
        "REPORT_RENDER_MEMORY_MB": _env_int("REPORT_RENDER_MEMORY_MB", 1024),
        "REPORT_STORAGE_FOLDER": _env("REPORT_STORAGE_FOLDER") or None,
        "VERIFY_UPLOAD_MAX_BYTES": _env_int("VERIFY_UPLOAD_MAX_BYTES", 20 * 1024 * 1024),
        "VERIFY_LIMIT": _env("VERIFY_LIMIT", "20 per minute; 200 per hour"),
        # DEQAR's activity for the register's CSV (an id or label of the agency's activity in
        # DEQAR); unset, each row names its decision's framework.
        "DEQAR_ACTIVITY": _env("DEQAR_ACTIVITY") or None,
        # Public pages' cache (qaportal.web.cache): Redis at CACHE_URL (CACHE_REDIS_URL is
        # read too), else files in the instance folder; CACHE_TYPE=NullCache turns it off.
        "CACHE_URL": _env("CACHE_URL") or os.environ.get("CACHE_REDIS_URL") or None,
        "CACHE_TYPE": _env("CACHE_TYPE") or None,
        "PAGE_CACHE_SECONDS": _env_int("PAGE_CACHE_SECONDS", 300),
        "PAGE_MAX_AGE_SECONDS": _env_int("PAGE_MAX_AGE_SECONDS", 60),
        "ARGON2_TIME_COST": _env_int("ARGON2_TIME_COST", 0) or None,
        "ARGON2_MEMORY_KIB": _env_int("ARGON2_MEMORY_KIB", 0) or None,
        "BABEL_DEFAULT_LOCALE": "en",
        "LANGUAGES": _languages(_env("LANGUAGES")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _env_bool("SECURE_COOKIES", production),
        "SESSION_COOKIE_NAME": "qaportal_session",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": True,
    }
    cfg.update(overrides)
    cfg["REMEMBER_COOKIE_SECURE"] = cfg["SESSION_COOKIE_SECURE"]
    if cfg["PRODUCTION"]:
        _check_production(cfg)
    elif not cfg["SECRET_KEY"]:
        cfg["SECRET_KEY"] = _local_secret_key(instance_path)
    return cfg


def _check_production(cfg: dict[str, Any]) -> None:
    problems = []
    if not cfg["SECRET_KEY"] or len(cfg["SECRET_KEY"]) < 32:
        problems.append("QAPORTAL_SECRET_KEY must be set to at least 32 random characters")
    if not cfg["SESSION_COOKIE_SECURE"]:
        problems.append("secure cookies must stay on (QAPORTAL_SECURE_COOKIES)")
    if not str(cfg["BASE_URL"]).startswith("https://"):
        problems.append("QAPORTAL_BASE_URL must be an https:// address")
    if problems:
        raise ConfigError("refusing to start in production: " + "; ".join(problems))
