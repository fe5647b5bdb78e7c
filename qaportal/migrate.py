"""Alembic, driven from the app's configuration (no alembic.ini needed)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from flask import current_app

from qaportal.paths import MIGRATIONS_DIR


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url or current_app.config["SQLALCHEMY_DATABASE_URI"])
    cfg.set_main_option("path_separator", "os")
    return cfg


def upgrade(revision: str = "head", url: str | None = None) -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(revision: str, url: str | None = None) -> None:
    command.downgrade(alembic_config(url), revision)


def current(url: str | None = None) -> None:
    command.current(alembic_config(url), verbose=True)
