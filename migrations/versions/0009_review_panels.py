"""review panels, conflict-of-interest declarations and provider objections

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 14:35:00.000000

Hand-reviewed: ``panel_members`` holds one row per reviewer asked to sit on a case's panel
(never deleted: who declined, declared a conflict or was removed stays with the case);
``panel_objections`` the provider's objections and the agency's answers.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import qaportal.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=16)


def upgrade() -> None:
    op.create_table(
        "panel_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "role", _enum("panelrole", "chair", "member", "student", "employer"), nullable=False
        ),
        sa.Column(
            "status",
            _enum(
                "memberstatus", "invited", "active", "declined", "conflict", "withdrawn", "removed"
            ),
            nullable=False,
        ),
        sa.Column("invited_at", qaportal.db.UTCDateTime(), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("responded_at", qaportal.db.UTCDateTime(), nullable=True),
        sa.Column("declaration_note", sa.Text(), nullable=False),
        sa.Column("conflict", sa.Text(), nullable=False),
        sa.Column("announced_at", qaportal.db.UTCDateTime(), nullable=True),
        sa.Column("ended_at", qaportal.db.UTCDateTime(), nullable=True),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_panel_members_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"], ["users.id"], name=op.f("fk_panel_members_invited_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_panel_members_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_panel_members")),
        sa.UniqueConstraint("case_id", "user_id", name=op.f("uq_panel_members_case_id_user_id")),
    )
    op.create_index(op.f("ix_panel_members_case_id"), "panel_members", ["case_id"], unique=False)
    op.create_index(op.f("ix_panel_members_status"), "panel_members", ["status"], unique=False)
    op.create_index(op.f("ix_panel_members_user_id"), "panel_members", ["user_id"], unique=False)
    op.create_table(
        "panel_objections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raised_by_id", sa.Integer(), nullable=True),
        sa.Column("raised_at", qaportal.db.UTCDateTime(), nullable=False),
        sa.Column(
            "status", _enum("objectionstatus", "open", "upheld", "dismissed"), nullable=False
        ),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", qaportal.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_panel_objections_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["panel_members.id"],
            name=op.f("fk_panel_objections_member_id_panel_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["raised_by_id"], ["users.id"], name=op.f("fk_panel_objections_raised_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["users.id"], name=op.f("fk_panel_objections_resolved_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_panel_objections")),
    )
    op.create_index(
        op.f("ix_panel_objections_case_id"), "panel_objections", ["case_id"], unique=False
    )
    op.create_index(
        op.f("ix_panel_objections_member_id"), "panel_objections", ["member_id"], unique=False
    )
    op.create_index(
        op.f("ix_panel_objections_status"), "panel_objections", ["status"], unique=False
    )


def downgrade() -> None:
    op.drop_table("panel_objections")
    op.drop_table("panel_members")
