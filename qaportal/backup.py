"""Consistent online backups of an SQLite database, written with ``VACUUM INTO``."""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    pass


def partial_name(target: Path) -> Path:
    """Where the copy is written until it is complete: beside the target, so the final
    rename stays on one file system and is atomic."""
    return target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")


def backup_sqlite(database_url: str, target: Path) -> int:
    """Copy the live database to ``target`` while the portal keeps running; returns pages.

    ``VACUUM INTO`` reads one snapshot in one read transaction, so writers that commit
    meanwhile neither restart nor block it (the backup API started over after every write).
    The copy only takes the target's name once it is complete: a backup that fails or is
    killed never leaves a partial file there.
    """
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        raise BackupError(
            "`qaportal db backup` copies SQLite databases; for PostgreSQL use pg_dump."
        )
    if target.exists():
        raise BackupError(f"{target} exists; choose a new file name.")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_name(target)
    try:
        source = sqlite3.connect(f"file:{url.database}?mode=ro", uri=True)
        try:
            source.execute("PRAGMA busy_timeout=10000")
            source.execute("VACUUM INTO ?", (str(partial),))
        finally:
            source.close()
        copy = sqlite3.connect(partial)
        try:
            pages = copy.execute("PRAGMA page_count").fetchone()[0]
            # A standalone file is easier to move around than one with WAL side files.
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
        with open(partial, "rb") as written:
            os.fsync(written.fileno())
        if target.exists():
            raise BackupError(f"{target} exists; choose a new file name.")
        os.replace(partial, target)
    except sqlite3.Error as exc:
        raise BackupError(f"The backup failed: {exc}") from exc
    finally:
        for leftover in (partial, Path(f"{partial}-journal")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    return int(pages)
