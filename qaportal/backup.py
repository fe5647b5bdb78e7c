"""Consistent online backups of an SQLite database through SQLite's backup API."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    pass


def backup_sqlite(database_url: str, target: Path) -> int:
    """Copy the live database to ``target`` while the portal keeps running; returns pages."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        raise BackupError(
            "`qaportal db backup` copies SQLite databases; for PostgreSQL use pg_dump."
        )
    if target.exists():
        raise BackupError(f"{target} exists; choose a new file name.")
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{url.database}?mode=ro", uri=True)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy, pages=256)
        pages = copy.execute("PRAGMA page_count").fetchone()[0]
        # A standalone file is easier to move around than one with WAL side files.
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        copy.close()
        source.close()
    return int(pages)
