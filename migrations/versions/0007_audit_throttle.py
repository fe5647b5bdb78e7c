"""coalesced audit events for repeated failed sign-ins

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 14:00:00.000000

Hand-reviewed: ``audit_throttle`` counts repeats of one action from one source per window
(failed and rate-limited sign-ins); it is not part of the hash chain, which receives one
event per closed window.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import qaportal.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_throttle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("window_start", qaportal.db.UTCDateTime(), nullable=False),
        sa.Column("first_at", qaportal.db.UTCDateTime(), nullable=False),
        sa.Column("last_at", qaportal.db.UTCDateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("actor_label", sa.String(length=254), nullable=False),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        sa.Column("object_type", sa.String(length=60), nullable=True),
        sa.Column("object_id", sa.String(length=60), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_throttle")),
        sa.UniqueConstraint(
            "action",
            "source",
            "window_start",
            name=op.f("uq_audit_throttle_action_source_window_start"),
        ),
    )
    op.create_index(
        op.f("ix_audit_throttle_window_start"), "audit_throttle", ["window_start"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_throttle_window_start"), table_name="audit_throttle")
    op.drop_table("audit_throttle")
