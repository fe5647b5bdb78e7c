"""maintained feedback aggregates

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 20:30:00.000000

Hand-reviewed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import qaportal.db  # noqa: F401

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _campaign_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["campaign_id"],
        ["feedback_campaigns.id"],
        name=op.f(f"fk_{table}_campaign_id_feedback_campaigns"),
        ondelete="CASCADE",
    )


# The backfill counts what is stored, exactly as qaportal.feedback.aggregates.recompute does
# (0 stands for "not stated" and for "no Likert value"), so upgraded databases show the
# same results as before.
BACKFILL = (
    """
    INSERT INTO feedback_answer_counts
        (campaign_id, item_code, specification_key, is_value, value, choice, count)
    SELECT campaign_id, item_code, COALESCE(specification_id, 0), value IS NOT NULL,
           COALESCE(value, 0), choice, COUNT(*)
    FROM feedback_answers
    GROUP BY campaign_id, item_code, specification_id, value, choice
    """,
    """
    INSERT INTO feedback_breakdown_counts
        (campaign_id, group_item, group_choice, item_code, value, count)
    SELECT a.campaign_id, g.item_code, g.choice, a.item_code, a.value, COUNT(*)
    FROM feedback_answers AS a
    JOIN feedback_answers AS g ON g.response_id = a.response_id
    WHERE a.value IS NOT NULL AND g.choice <> ''
    GROUP BY a.campaign_id, g.item_code, g.choice, a.item_code, a.value
    """,
    """
    INSERT INTO feedback_response_counts (campaign_id, specification_key, count)
    SELECT campaign_id, COALESCE(specification_id, 0), COUNT(*)
    FROM feedback_responses
    GROUP BY campaign_id, specification_id
    """,
)


def upgrade() -> None:
    op.create_table(
        "feedback_answer_counts",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=60), nullable=False),
        sa.Column("specification_key", sa.Integer(), nullable=False),
        sa.Column("is_value", sa.Boolean(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("choice", sa.String(length=60), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        _campaign_fk("feedback_answer_counts"),
        sa.PrimaryKeyConstraint(
            "campaign_id",
            "item_code",
            "specification_key",
            "value",
            "choice",
            name=op.f("pk_feedback_answer_counts"),
        ),
    )
    op.create_table(
        "feedback_breakdown_counts",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("group_item", sa.String(length=60), nullable=False),
        sa.Column("group_choice", sa.String(length=60), nullable=False),
        sa.Column("item_code", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        _campaign_fk("feedback_breakdown_counts"),
        sa.PrimaryKeyConstraint(
            "campaign_id",
            "group_item",
            "group_choice",
            "item_code",
            "value",
            name=op.f("pk_feedback_breakdown_counts"),
        ),
    )
    op.create_table(
        "feedback_response_counts",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("specification_key", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        _campaign_fk("feedback_response_counts"),
        sa.PrimaryKeyConstraint(
            "campaign_id", "specification_key", name=op.f("pk_feedback_response_counts")
        ),
    )
    for statement in BACKFILL:
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("feedback_response_counts")
    op.drop_table("feedback_breakdown_counts")
    op.drop_table("feedback_answer_counts")
