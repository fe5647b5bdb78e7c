"""screening checklists and stage due dates

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 14:35:00.000000

Hand-reviewed: ``screening_items`` holds the officer's checklist answers per case and item,
``case_returns`` the comments of each return to the provider, ``case_deadlines`` one due
date per case and stage with the times its reminders went out.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import qaportal.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_STATES = (
    "draft",
    "submitted",
    "in_review",
    "factual_check",
    "decision_pending",
    "decided",
    "published",
    "appeal",
    "follow_up",
    "closed",
    "withdrawn",
)


def _case_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["case_id"], ["cases.id"], name=op.f(f"fk_{table}_case_id_cases"), ondelete="CASCADE"
    )


def _user_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"))


def upgrade() -> None:
    op.create_table(
        "screening_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=40), nullable=False),
        sa.Column("met", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("checked_by_id", sa.Integer(), nullable=True),
        sa.Column("checked_at", qaportal.db.UTCDateTime(), nullable=False),
        _case_fk("screening_items"),
        _user_fk("screening_items", "checked_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_items")),
        sa.UniqueConstraint("case_id", "item", name=op.f("uq_screening_items_case_id_item")),
    )
    op.create_index(op.f("ix_screening_items_case_id"), "screening_items", ["case_id"])

    op.create_table(
        "case_returns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("returned_by_id", sa.Integer(), nullable=True),
        sa.Column("returned_at", qaportal.db.UTCDateTime(), nullable=False),
        sa.Column("resolved_at", qaportal.db.UTCDateTime(), nullable=True),
        _case_fk("case_returns"),
        _user_fk("case_returns", "returned_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_returns")),
    )
    op.create_index(op.f("ix_case_returns_case_id"), "case_returns", ["case_id"])

    op.create_table(
        "case_deadlines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column(
            "stage",
            sa.Enum(*_STATES, name="casestate", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("set_at", qaportal.db.UTCDateTime(), nullable=False),
        sa.Column("reminded_due_at", qaportal.db.UTCDateTime(), nullable=True),
        sa.Column("reminded_overdue_at", qaportal.db.UTCDateTime(), nullable=True),
        _case_fk("case_deadlines"),
        _user_fk("case_deadlines", "set_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_deadlines")),
        sa.UniqueConstraint("case_id", "stage", name=op.f("uq_case_deadlines_case_id_stage")),
    )
    op.create_index(op.f("ix_case_deadlines_case_id"), "case_deadlines", ["case_id"])
    op.create_index(op.f("ix_case_deadlines_due_on"), "case_deadlines", ["due_on"])


def downgrade() -> None:
    op.drop_table("case_deadlines")
    op.drop_table("case_returns")
    op.drop_table("screening_items")
