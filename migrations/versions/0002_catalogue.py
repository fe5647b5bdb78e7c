"""catalogue of micro-credential specifications

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 03:40:47.802641

Specifications, their versions and learning outcomes; the public catalogue's index
(``catalogue_entries`` + ``catalogue_facets``) with full-text search per dialect:

- SQLite: FTS5 table ``catalogue_fts`` with external content ``catalogue_entries``, kept in
  sync by three triggers (insert, delete, update of title/outcomes_text);
- PostgreSQL: ``catalogue_entries.search_vector`` tsvector with a GIN index (the service
  refreshes it; on SQLite the column is an unused TEXT with a plain index).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import qaportal.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "specifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("created_at", qaportal.db.UTCDateTime(), nullable=False),
        sa.Column("retired_at", qaportal.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["organisations.id"],
            name=op.f("fk_specifications_provider_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_specifications")),
        sa.UniqueConstraint("public_id", name=op.f("uq_specifications_public_id")),
    )
    with op.batch_alter_table("specifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_specifications_provider_id"), ["provider_id"], unique=False
        )

    op.create_table(
        "specification_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("specification_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "published",
                "superseded",
                "retired",
                name="versionstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("issuer_regions", sa.JSON(), nullable=False),
        sa.Column("awarding_bodies", sa.JSON(), nullable=False),
        sa.Column("ects", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("hours", sa.Integer(), nullable=True),
        sa.Column("eqf_level", sa.SmallInteger(), nullable=True),
        sa.Column("level_not_applicable", sa.Boolean(), nullable=False),
        sa.Column(
            "qf_ehea_cycle",
            sa.Enum(
                "short",
                "first",
                "second",
                "third",
                name="qfeheacycle",
                native_enum=False,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("assessment_type", sa.Text(), nullable=False),
        sa.Column(
            "participation_form",
            sa.Enum(
                "online",
                "onsite",
                "blended",
                "work_based",
                "other",
                name="participationform",
                native_enum=False,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("participation_detail", sa.String(length=300), nullable=True),
        sa.Column("quality_assurance", sa.Text(), nullable=False),
        sa.Column("prerequisites", sa.Text(), nullable=True),
        sa.Column(
            "supervision",
            sa.Enum(
                "unsupervised_no_id",
                "supervised_no_id",
                "supervised_online",
                "onsite_with_id",
                name="supervision",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("grading_scheme", sa.Text(), nullable=True),
        sa.Column(
            "integration",
            sa.Enum(
                "stand_alone",
                "integrated",
                "stackable",
                name="integration",
                native_enum=False,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("stackable_towards", sa.String(length=300), nullable=True),
        sa.Column("further_information", sa.Text(), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("isced_f", sa.String(length=4), nullable=True),
        sa.Column("price_note", sa.Text(), nullable=True),
        sa.Column("created_at", qaportal.db.UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", qaportal.db.UTCDateTime(), nullable=False),
        sa.Column("published_at", qaportal.db.UTCDateTime(), nullable=True),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_specification_versions_created_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["users.id"],
            name=op.f("fk_specification_versions_published_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["specification_id"],
            ["specifications.id"],
            name=op.f("fk_specification_versions_specification_id_specifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_specification_versions")),
        sa.UniqueConstraint(
            "specification_id",
            "number",
            name=op.f("uq_specification_versions_specification_id_number"),
        ),
    )
    with op.batch_alter_table("specification_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_specification_versions_eqf_level"), ["eqf_level"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_specification_versions_participation_form"),
            ["participation_form"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_specification_versions_published_at"), ["published_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_specification_versions_specification_id"),
            ["specification_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_specification_versions_status"), ["status"], unique=False
        )
        # At most one open draft and one published version per specification.
        batch_op.create_index(
            "ix_specification_versions_one_draft",
            ["specification_id"],
            unique=True,
            sqlite_where=sa.text("status = 'draft'"),
            postgresql_where=sa.text("status = 'draft'"),
        )
        batch_op.create_index(
            "ix_specification_versions_one_published",
            ["specification_id"],
            unique=True,
            sqlite_where=sa.text("status = 'published'"),
            postgresql_where=sa.text("status = 'published'"),
        )

    op.create_table(
        "learning_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("esco_uri", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["specification_versions.id"],
            name=op.f("fk_learning_outcomes_version_id_specification_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_outcomes")),
        sa.UniqueConstraint(
            "version_id", "position", name=op.f("uq_learning_outcomes_version_id_position")
        ),
    )
    with op.batch_alter_table("learning_outcomes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_learning_outcomes_version_id"), ["version_id"], unique=False
        )

    _create_catalogue_index()


def _create_catalogue_index() -> None:
    op.create_table(
        "catalogue_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("specification_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("outcomes_text", sa.Text(), nullable=False),
        sa.Column("eqf_level", sa.SmallInteger(), nullable=True),
        sa.Column("ects", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("hours", sa.Integer(), nullable=True),
        sa.Column(
            "participation_form",
            sa.Enum(
                "online",
                "onsite",
                "blended",
                "work_based",
                "other",
                name="participationform",
                native_enum=False,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("published_at", qaportal.db.UTCDateTime(), nullable=False),
        sa.Column(
            "search_vector",
            sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["organisations.id"],
            name=op.f("fk_catalogue_entries_provider_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["specification_id"],
            ["specifications.id"],
            name=op.f("fk_catalogue_entries_specification_id_specifications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["specification_versions.id"],
            name=op.f("fk_catalogue_entries_version_id_specification_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_entries")),
        sa.UniqueConstraint("public_id", name=op.f("uq_catalogue_entries_public_id")),
        sa.UniqueConstraint("specification_id", name=op.f("uq_catalogue_entries_specification_id")),
        sa.UniqueConstraint("version_id", name=op.f("uq_catalogue_entries_version_id")),
    )
    with op.batch_alter_table("catalogue_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalogue_entries_ects"), ["ects"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_catalogue_entries_eqf_level"), ["eqf_level"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_catalogue_entries_participation_form"),
            ["participation_form"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_catalogue_entries_provider_id"), ["provider_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_catalogue_entries_published_at"), ["published_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_catalogue_entries_title"), ["title"], unique=False)
        batch_op.create_index(
            "ix_catalogue_entries_search_vector",
            ["search_vector"],
            unique=False,
            postgresql_using="gin",
        )

    op.create_table(
        "catalogue_facets",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "country", "region", "language", name="facetkind", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("value", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["catalogue_entries.id"],
            name=op.f("fk_catalogue_facets_entry_id_catalogue_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("entry_id", "kind", "value", name=op.f("pk_catalogue_facets")),
    )
    with op.batch_alter_table("catalogue_facets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_catalogue_facets_kind_value", ["kind", "value", "entry_id"], unique=False
        )

    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_FTS_UP:
            op.execute(statement)


# FTS5 over catalogue_entries (external content); the triggers keep it in step with the
# rows the service writes, in the same transaction.
SQLITE_FTS_UP = (
    """CREATE VIRTUAL TABLE catalogue_fts USING fts5(
        title, outcomes_text,
        content='catalogue_entries', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER catalogue_entries_fts_insert AFTER INSERT ON catalogue_entries BEGIN
        INSERT INTO catalogue_fts(rowid, title, outcomes_text)
        VALUES (new.id, new.title, new.outcomes_text);
    END""",
    """CREATE TRIGGER catalogue_entries_fts_delete AFTER DELETE ON catalogue_entries BEGIN
        INSERT INTO catalogue_fts(catalogue_fts, rowid, title, outcomes_text)
        VALUES ('delete', old.id, old.title, old.outcomes_text);
    END""",
    """CREATE TRIGGER catalogue_entries_fts_update
    AFTER UPDATE OF title, outcomes_text ON catalogue_entries BEGIN
        INSERT INTO catalogue_fts(catalogue_fts, rowid, title, outcomes_text)
        VALUES ('delete', old.id, old.title, old.outcomes_text);
        INSERT INTO catalogue_fts(rowid, title, outcomes_text)
        VALUES (new.id, new.title, new.outcomes_text);
    END""",
)
SQLITE_FTS_DOWN = (
    "DROP TRIGGER IF EXISTS catalogue_entries_fts_update",
    "DROP TRIGGER IF EXISTS catalogue_entries_fts_delete",
    "DROP TRIGGER IF EXISTS catalogue_entries_fts_insert",
    "DROP TABLE IF EXISTS catalogue_fts",
)


def _drop_catalogue_index() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_FTS_DOWN:
            op.execute(statement)
    with op.batch_alter_table("catalogue_facets", schema=None) as batch_op:
        batch_op.drop_index("ix_catalogue_facets_kind_value")
    op.drop_table("catalogue_facets")
    with op.batch_alter_table("catalogue_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_catalogue_entries_search_vector", postgresql_using="gin")
        batch_op.drop_index(batch_op.f("ix_catalogue_entries_title"))
        batch_op.drop_index(batch_op.f("ix_catalogue_entries_published_at"))
        batch_op.drop_index(batch_op.f("ix_catalogue_entries_provider_id"))
        batch_op.drop_index(batch_op.f("ix_catalogue_entries_participation_form"))
        batch_op.drop_index(batch_op.f("ix_catalogue_entries_eqf_level"))
        batch_op.drop_index(batch_op.f("ix_catalogue_entries_ects"))
    op.drop_table("catalogue_entries")


def downgrade() -> None:
    _drop_catalogue_index()
    with op.batch_alter_table("learning_outcomes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learning_outcomes_version_id"))

    op.drop_table("learning_outcomes")
    with op.batch_alter_table("specification_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_specification_versions_one_published")
        batch_op.drop_index("ix_specification_versions_one_draft")
        batch_op.drop_index(batch_op.f("ix_specification_versions_status"))
        batch_op.drop_index(batch_op.f("ix_specification_versions_specification_id"))
        batch_op.drop_index(batch_op.f("ix_specification_versions_published_at"))
        batch_op.drop_index(batch_op.f("ix_specification_versions_participation_form"))
        batch_op.drop_index(batch_op.f("ix_specification_versions_eqf_level"))

    op.drop_table("specification_versions")
    with op.batch_alter_table("specifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_specifications_provider_id"))

    op.drop_table("specifications")
