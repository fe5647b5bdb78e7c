"""review settings: objection window, factual-check days, conflict-of-interest guidance

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 17:00:00.000000

Hand-reviewed. ``review_settings``: an agency's objection window, factual-check days and
conflict-of-interest guidance; an agency without a row uses the configured defaults.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import qaportal.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_settings",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("objection_days", sa.Integer(), nullable=False),
        sa.Column("factual_check_days", sa.Integer(), nullable=False),
        sa.Column("coi_guidance", sa.Text(), nullable=False),
        sa.Column("updated_at", qaportal.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["organisations.id"],
            name=op.f("fk_review_settings_agency_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("agency_id", name=op.f("pk_review_settings")),
    )


def downgrade() -> None:
    op.drop_table("review_settings")
