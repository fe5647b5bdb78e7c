"""reviewer judgements, site visits, panel reports and factual-accuracy checks

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 15:00:00.000000

Hand-reviewed: ``review_judgements`` holds each panel member's judgement per criterion (inside
the panel and the agency only); ``panel_judgements`` the chair's consolidated judgement per
criterion; ``site_visits`` one visit record per case; ``panel_reports`` the recommended
outcome and the draft report's progress; ``factual_comments`` the provider's comments on the
draft report with the panel's responses.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import qaportal.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, **kw: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), **kw
    )


def _index(table: str, *columns: str, unique: bool = False) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns), unique=unique)


def upgrade() -> None:
    op.create_table(
        "review_judgements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=40), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("recommendations", sa.Text(), nullable=False),
        sa.Column("updated_at", qaportal.db.UTCDateTime(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        _fk("review_judgements", "case_id", "cases", ondelete="CASCADE"),
        _fk("review_judgements", "member_id", "panel_members", ondelete="CASCADE"),
        _fk("review_judgements", "criterion_id", "criteria"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_judgements")),
        sa.UniqueConstraint(
            "member_id",
            "criterion_id",
            name=op.f("uq_review_judgements_member_id_criterion_id"),
        ),
    )
    for column in ("case_id", "member_id", "criterion_id"):
        _index("review_judgements", column)

    op.create_table(
        "panel_judgements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=40), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("recommendations", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", qaportal.db.UTCDateTime(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        _fk("panel_judgements", "case_id", "cases", ondelete="CASCADE"),
        _fk("panel_judgements", "criterion_id", "criteria"),
        _fk("panel_judgements", "updated_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_panel_judgements")),
        sa.UniqueConstraint(
            "case_id", "criterion_id", name=op.f("uq_panel_judgements_case_id_criterion_id")
        ),
    )
    for column in ("case_id", "criterion_id"):
        _index("panel_judgements", column)

    op.create_table(
        "site_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("visit_date", sa.Date(), nullable=False),
        sa.Column(
            "format",
            sa.Enum("on_site", "online", name="visitformat", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("agenda", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", qaportal.db.UTCDateTime(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        _fk("site_visits", "case_id", "cases", ondelete="CASCADE"),
        _fk("site_visits", "updated_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_visits")),
    )
    _index("site_visits", "case_id", unique=True)

    op.create_table(
        "panel_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "positive",
                "positive_with_conditions",
                "negative",
                name="outcome",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", qaportal.db.UTCDateTime(), nullable=False),
        sa.Column("sent_at", qaportal.db.UTCDateTime(), nullable=True),
        sa.Column("comments_submitted_at", qaportal.db.UTCDateTime(), nullable=True),
        sa.Column("comments_submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("finalised_at", qaportal.db.UTCDateTime(), nullable=True),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        _fk("panel_reports", "case_id", "cases", ondelete="CASCADE"),
        _fk("panel_reports", "updated_by_id", "users"),
        _fk("panel_reports", "comments_submitted_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_panel_reports")),
    )
    _index("panel_reports", "case_id", unique=True)

    op.create_table(
        "factual_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", qaportal.db.UTCDateTime(), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("responded_by_id", sa.Integer(), nullable=True),
        sa.Column("responded_at", qaportal.db.UTCDateTime(), nullable=True),
        _fk("factual_comments", "case_id", "cases", ondelete="CASCADE"),
        _fk("factual_comments", "criterion_id", "criteria"),
        _fk("factual_comments", "created_by_id", "users"),
        _fk("factual_comments", "responded_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_factual_comments")),
    )
    _index("factual_comments", "case_id")


def downgrade() -> None:
    op.drop_table("factual_comments")
    op.drop_table("panel_reports")
    op.drop_table("site_visits")
    op.drop_table("panel_judgements")
    op.drop_table("review_judgements")
