"""Every SQLite connection the portal opens runs with the pragmas chosen for a web workload
(README.md, "SQLite settings"), and WAL keeps readers going while a writer holds the lock."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from qaportal.db import make_engine

EXPECTED = {
    "foreign_keys": 1,
    "journal_mode": "wal",
    "synchronous": 1,  # NORMAL
    "busy_timeout": 10000,
    "cache_size": -32768,
    "temp_store": 2,  # MEMORY
    "mmap_size": 268435456,
}


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'pragmas.sqlite3'}"


def test_each_new_connection_gets_the_pragmas(sqlite_url):
    engine = make_engine(sqlite_url)
    try:
        # Two connections at once: pragmas are per connection, not per file.
        with engine.connect() as first, engine.connect() as second:
            for conn in (first, second):
                found = {name: conn.execute(text(f"PRAGMA {name}")).scalar() for name in EXPECTED}
                assert found == EXPECTED
    finally:
        engine.dispose()


def test_readers_are_not_blocked_by_a_writer_in_wal(sqlite_url):
    engine = make_engine(sqlite_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
            conn.execute(text("INSERT INTO t (v) VALUES ('committed')"))
        with engine.connect() as writer, engine.connect() as reader:
            writer.begin()
            writer.execute(text("INSERT INTO t (v) VALUES ('pending')"))  # holds the write lock
            # The reader sees the last committed state at once, without waiting for the lock.
            rows = reader.execute(text("SELECT v FROM t ORDER BY id")).scalars().all()
            assert rows == ["committed"]
            writer.commit()
            reader.rollback()
            rows = reader.execute(text("SELECT v FROM t ORDER BY id")).scalars().all()
            assert rows == ["committed", "pending"]
    finally:
        engine.dispose()


def test_the_app_engine_uses_them(app):
    if app.extensions["qaportal.engine"].dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with app.extensions["qaportal.engine"].connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA temp_store")).scalar() == 2
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
