"""full-text index of the public register

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 21:00:00.000000

Hand-reviewed.

- SQLite: FTS5 table ``register_fts`` with external content ``register_publications``
  (column ``search_text``), kept in step by triggers in the writer's transaction, and
  rebuilt here from the rows already published.
- PostgreSQL: a GIN index on ``to_tsvector('simple', search_text)``, the expression the
  register's search matches (qaportal.register.queries.matches_words).
"""

from __future__ import annotations

from alembic import op

import qaportal.db  # noqa: F401

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

SQLITE_UP = (
    """CREATE VIRTUAL TABLE register_fts USING fts5(
        search_text,
        content='register_publications', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER register_publications_fts_insert AFTER INSERT ON register_publications
    BEGIN
        INSERT INTO register_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    """CREATE TRIGGER register_publications_fts_delete AFTER DELETE ON register_publications
    BEGIN
        INSERT INTO register_fts(register_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    END""",
    """CREATE TRIGGER register_publications_fts_update
    AFTER UPDATE OF search_text ON register_publications BEGIN
        INSERT INTO register_fts(register_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
        INSERT INTO register_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    "INSERT INTO register_fts(register_fts) VALUES ('rebuild')",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS register_publications_fts_update",
    "DROP TRIGGER IF EXISTS register_publications_fts_delete",
    "DROP TRIGGER IF EXISTS register_publications_fts_insert",
    "DROP TABLE IF EXISTS register_fts",
)
PG_INDEX = "ix_register_publications_search"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)
    else:
        op.execute(
            f"CREATE INDEX {PG_INDEX} ON register_publications "
            "USING gin (to_tsvector('simple', search_text))"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
    else:
        op.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
