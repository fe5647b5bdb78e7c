"""the public register: publication and withdrawal of decisions

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 17:00:00.000000

Hand-reviewed: ``register_publications`` holds one row per published decision (unique),
with its public summary, the text the register searches, and who published and withdrew it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import qaportal.db

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "register_publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("published_at", qaportal.db.UTCDateTime(), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", qaportal.db.UTCDateTime(), nullable=True),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawal_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decisions.id"],
            name=op.f("fk_register_publications_decision_id_decisions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["users.id"],
            name=op.f("fk_register_publications_published_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_id"],
            ["users.id"],
            name=op.f("fk_register_publications_withdrawn_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_publications")),
        sa.UniqueConstraint("decision_id", name=op.f("uq_register_publications_decision_id")),
    )
    for column in ("published_at", "withdrawn_at"):
        op.create_index(
            op.f(f"ix_register_publications_{column}"),
            "register_publications",
            [column],
            unique=False,
        )


def downgrade() -> None:
    for column in ("withdrawn_at", "published_at"):
        op.drop_index(
            op.f(f"ix_register_publications_{column}"), table_name="register_publications"
        )
    op.drop_table("register_publications")
