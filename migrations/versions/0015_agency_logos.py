"""agency logos printed on the documents

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 17:00:00.000000

Hand-reviewed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import qaportal.db  # noqa: F401

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("logo_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("logo_media_type", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("logo_name", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("logo_name")
        batch_op.drop_column("logo_media_type")
        batch_op.drop_column("logo_sha256")
