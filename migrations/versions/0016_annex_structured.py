"""Annex I elements as structured data (NQF level, maximum duration, awarding-body identifiers)

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 20:00:00.000000

Hand-reviewed.

New columns start NULL everywhere: published versions are immutable and nothing can be
derived for them, so their exports keep what they had. Awarding bodies stay a JSON list;
the new keys (legal_id, vat_id, country, region, address) need no schema change, and rows
written before this revision, with only name and url, read as "not entered".
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import qaportal.db  # noqa: F401

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("specification_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("nqf_level", sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column("max_duration_weeks", sa.Integer(), nullable=True))
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("vat_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("street_address", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("street_address")
        batch_op.drop_column("vat_id")
    with op.batch_alter_table("specification_versions", schema=None) as batch_op:
        batch_op.drop_column("max_duration_weeks")
        batch_op.drop_column("nqf_level")
