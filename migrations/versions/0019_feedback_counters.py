"""maintained invitation counts and an index for the comment sample

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 23:10:00.000000

Hand-reviewed.

- ``feedback_campaigns.invited_by_email`` / ``invited_by_code`` were set only when a closed
  campaign's invitations were swept; they are now kept up to date as invitations are made
  (qaportal.feedback.aggregates.add_invitations). The backfill counts the invitations of
  every campaign not swept yet, as ``aggregates.recount_invitations`` does.
- ``ix_feedback_invitations_campaign_used`` gains ``id`` as its last column, so the lowest
  and highest used invitation ids of a campaign (the range decoys are drawn from on every
  submission) are one index step each on PostgreSQL too (SQLite appends the rowid anyway).
- ``ix_feedback_answers_comments``: a partial index on (campaign, item, response id) over
  the answers that carry text, so the results page's comment sample is an index range read
  with a LIMIT, not a sort of every comment.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import qaportal.db  # noqa: F401

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

BACKFILL = (
    """
    UPDATE feedback_campaigns SET
        invited_by_email = (SELECT COUNT(*) FROM feedback_invitations i
                            WHERE i.campaign_id = feedback_campaigns.id AND i.channel = 'email'),
        invited_by_code = (SELECT COUNT(*) FROM feedback_invitations i
                           WHERE i.campaign_id = feedback_campaigns.id AND i.channel = 'code')
    WHERE swept_at IS NULL
    """,
)


def upgrade() -> None:
    op.drop_index("ix_feedback_invitations_campaign_used", table_name="feedback_invitations")
    op.create_index(
        "ix_feedback_invitations_campaign_used",
        "feedback_invitations",
        ["campaign_id", "used", "id"],
        unique=False,
    )
    op.create_index(
        "ix_feedback_answers_comments",
        "feedback_answers",
        ["campaign_id", "item_code", "response_id"],
        unique=False,
        sqlite_where=sa.text("text IS NOT NULL"),
        postgresql_where=sa.text("text IS NOT NULL"),
    )
    for statement in BACKFILL:
        op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_feedback_answers_comments", table_name="feedback_answers")
    op.drop_index("ix_feedback_invitations_campaign_used", table_name="feedback_invitations")
    op.create_index(
        "ix_feedback_invitations_campaign_used",
        "feedback_invitations",
        ["campaign_id", "used"],
        unique=False,
    )
    # The counts of running campaigns stay: the previous release ignores them until the
    # sweep, which overwrites them.
