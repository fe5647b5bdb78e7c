"""`qaportal db backup PATH`: a consistent online copy of the SQLite database that a restore
finds every row in."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
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


# ----- a large database under writes ------------------------------------------------------

BIG_ROWS, BIG_ROW_BYTES = 110, 1024 * 1024  # about 110 MB


def _grow(path: str) -> None:
    """Make the live database large quickly: one transaction of 1 MB rows."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("CREATE TABLE scratch_blobs (id INTEGER PRIMARY KEY, body BLOB)")
        conn.execute("CREATE TABLE scratch_writes (id INTEGER PRIMARY KEY, body TEXT)")
        with conn:
            conn.executemany(
                "INSERT INTO scratch_blobs (body) VALUES (?)",
                ((os.urandom(BIG_ROW_BYTES),) for _ in range(BIG_ROWS)),
            )
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


class Writers:
    """Threads that commit small rows to the live database as fast as they can."""

    def __init__(self, path: str, count: int = 2) -> None:
        self.path = path
        self.stop = threading.Event()
        self.commits = 0
        self.errors: list[BaseException] = []
        self.threads = [threading.Thread(target=self._run) for _ in range(count)]

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=30)
        try:
            while not self.stop.is_set():
                with conn:
                    conn.execute("INSERT INTO scratch_writes (body) VALUES (?)", ("x" * 200,))
                self.commits += 1
        except BaseException as exc:  # handed to the test
            self.errors.append(exc)
        finally:
            conn.close()

    def __enter__(self) -> Writers:
        for t in self.threads:
            t.start()
        while self.commits < 20 and not self.errors:
            time.sleep(0.01)
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=30)
        assert not self.errors, self.errors


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial" in p.name)


def test_large_database_is_backed_up_while_writers_commit(app: Flask, tmp_path: Path):
    live = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    assert live
    _grow(live)
    assert Path(live).stat().st_size >= 100 * 1024 * 1024
    folder = tmp_path / "backups"
    target = folder / "big.sqlite3"
    outcome: dict[str, Any] = {}

    def run_backup() -> None:
        started = time.monotonic()
        outcome["result"] = app.test_cli_runner().invoke(args=["db", "backup", str(target)])
        outcome["seconds"] = time.monotonic() - started

    with Writers(live) as writers:
        with sqlite3.connect(live) as peek:
            committed_before = peek.execute("SELECT max(id) FROM scratch_writes").fetchone()[0]
        commits_at_start = writers.commits
        backup = threading.Thread(target=run_backup)
        backup.start()
        backup.join(timeout=60)
        # The writers were still committing while the backup ran to its end.
        assert not backup.is_alive(), "the backup did not finish while writers committed"
        assert writers.commits > commits_at_start
    result = outcome["result"]
    assert result.exit_code == 0, result.output
    assert outcome["seconds"] < 30

    check = sqlite3.connect(target)
    try:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert check.execute("SELECT count(*) FROM scratch_blobs").fetchone()[0] == BIG_ROWS
        ids = {row[0] for row in check.execute("SELECT id FROM scratch_writes")}
        assert set(range(1, committed_before + 1)) <= ids
    finally:
        check.close()
    assert _leftovers(folder) == []
    assert sorted(p.name for p in folder.iterdir()) == ["big.sqlite3"]


def test_failed_backup_leaves_no_file(app: Flask, tmp_path: Path):
    not_a_database = tmp_path / "garbage.sqlite3"
    not_a_database.write_bytes(b"this is not an SQLite database" * 1000)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{not_a_database}"
    folder = tmp_path / "backups"
    target = folder / "copy.sqlite3"
    result = app.test_cli_runner().invoke(args=["db", "backup", str(target)])
    assert result.exit_code != 0
    assert "The backup failed" in result.output
    assert not target.exists()
    assert _leftovers(folder) == []


def test_killed_backup_leaves_nothing_under_the_target_name(app: Flask, tmp_path: Path):
    live = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    assert live
    _grow(live)
    folder = tmp_path / "backups"
    folder.mkdir()
    target = folder / "killed.sqlite3"
    code = (
        "import sys; from pathlib import Path; from qaportal.backup import backup_sqlite;"
        "backup_sqlite(sys.argv[1], Path(sys.argv[2]))"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code, app.config["SQLALCHEMY_DATABASE_URI"], str(target)]
    )
    try:
        deadline = time.monotonic() + 30
        # Killed once the copy is under way: its partial file has appeared.
        while not _leftovers(folder) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.001)
        assert process.poll() is None, "the backup ended before it could be killed"
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert not target.exists()
    # Whatever the killed process left carries a name no restore would take for a backup.
    assert all(name.startswith(".killed.sqlite3.") for name in _leftovers(folder))
