"""generated documents: immutable versions with SHA-256, verification codes and publication

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 17:00:00.000000

Hand-reviewed: ``generated_documents`` keeps one row per rendered version of a case's
document (unique per case, kind and version), with the SHA-256 and size of its stored file,
its verification code (unique; none for internal documents), and when it was superseded,
published or withdrawn, and by whom.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import qaportal.db

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "generated_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("storage_path", sa.String(length=300), nullable=False),
        sa.Column("verification_code", sa.String(length=20), nullable=True),
        sa.Column("job_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", qaportal.db.UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("superseded_at", qaportal.db.UTCDateTime(), nullable=True),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column("published_at", qaportal.db.UTCDateTime(), nullable=True),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", qaportal.db.UTCDateTime(), nullable=True),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawal_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_generated_documents_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_generated_documents_created_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["users.id"],
            name=op.f("fk_generated_documents_published_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"],
            ["generated_documents.id"],
            name=op.f("fk_generated_documents_superseded_by_id_generated_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_id"],
            ["users.id"],
            name=op.f("fk_generated_documents_withdrawn_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_generated_documents")),
        sa.UniqueConstraint(
            "case_id",
            "kind",
            "version",
            name=op.f("uq_generated_documents_case_id_kind_version"),
        ),
        sa.UniqueConstraint("storage_path", name=op.f("uq_generated_documents_storage_path")),
        sa.UniqueConstraint(
            "verification_code", name=op.f("uq_generated_documents_verification_code")
        ),
    )
    op.create_index(
        op.f("ix_generated_documents_case_id"), "generated_documents", ["case_id"], unique=False
    )
    op.create_index(
        op.f("ix_generated_documents_sha256"), "generated_documents", ["sha256"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_generated_documents_sha256"), table_name="generated_documents")
    op.drop_index(op.f("ix_generated_documents_case_id"), table_name="generated_documents")
    op.drop_table("generated_documents")
