"""`qaportal db backup PATH`: a consistent online copy of the SQLite database that a restore
finds every row in."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.engine import make_url

from qaportal.migrate import upgrade
from qaportal.models import Base


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """Backups are of SQLite databases: these tests use one even in the PostgreSQL run."""
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    upgrade("head", url=url)
    return url


def _dump(path: str | Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(path)
    try:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        # Sorted in Python: some tables (e.g. full-text index shadows) have no rowid.
        return {
            table: sorted(conn.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr)
            for table in tables
        }
    finally:
        conn.close()


def test_backup_while_in_use_restores_every_row(app: Flask, demo: Any, tmp_path: Path):
    live = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    assert live
    before = _dump(live)
    assert set(Base.metadata.tables) <= set(before)
    assert before["users"] and before["organisations"] and before["memberships"]
    assert before["audit_events"]

    # Another connection keeps the database open, in the middle of a read transaction,
    # as the running portal would.
    other = sqlite3.connect(live)
    other.execute("BEGIN")
    assert other.execute("SELECT count(*) FROM users").fetchone()[0] == len(before["users"])
    try:
        target = tmp_path / "backups" / "copy.sqlite3"
        result = app.test_cli_runner().invoke(args=["db", "backup", str(target)])
        assert result.exit_code == 0, result.output
        assert "Backup written" in result.output
    finally:
        other.rollback()
        other.close()

    # The copy stands alone (no WAL side files needed) and holds every row of every table.
    assert not Path(f"{target}-wal").exists()
    check = sqlite3.connect(target)
    try:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert check.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    finally:
        check.close()
    assert _dump(target) == before


def test_restored_copy_serves_the_portal(
    app: Flask, app_config: dict[str, Any], demo: Any, tmp_path: Path
):
    from qaportal import create_app
    from tests.conftest import login

    target = tmp_path / "copy.sqlite3"
    result = app.test_cli_runner().invoke(args=["db", "backup", str(target)])
    assert result.exit_code == 0, result.output

    restored = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{target}"})
    try:
        client = restored.test_client()
        login(client, "admin@agency.example.org", demo.password)
        assert "Demo Agency for Quality Assurance" in client.get("/dashboard").get_data(
            as_text=True
        )
    finally:
        restored.extensions["qaportal.engine"].dispose()


def test_backup_refuses_to_overwrite(app: Flask, tmp_path: Path):
    target = tmp_path / "exists.sqlite3"
    target.write_bytes(b"keep me")
    result = app.test_cli_runner().invoke(args=["db", "backup", str(target)])
    assert result.exit_code != 0
    assert "exists" in result.output
    assert target.read_bytes() == b"keep me"


def test_backup_of_postgresql_points_to_pg_dump(app: Flask, tmp_path: Path):
    app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://user@127.0.0.1:1/none"
    result = app.test_cli_runner().invoke(args=["db", "backup", str(tmp_path / "x")])
    assert result.exit_code != 0
    assert "pg_dump" in result.output
