"""learner and peer feedback: campaigns, invitations, anonymous responses, agency settings

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 09:00:00.000000

Hand-reviewed: only the feedback tables. ``feedback_responses`` has a random UUID primary
key and a day-level date; ``feedback_invitations`` a bare ``used`` flag (and the rows go
when the campaign closes); nothing links the two (see ``qaportal.feedback.models``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import qaportal.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback_settings",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("min_responses", sa.Integer(), nullable=False),
        sa.Column("updated_at", qaportal.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["organisations.id"],
            name=op.f("fk_feedback_settings_agency_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("agency_id", name=op.f("pk_feedback_settings")),
    )
    op.create_table(
        "feedback_campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("learner", "peer", name="feedbackkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("questionnaire_version_id", sa.Integer(), nullable=False),
        sa.Column("opens_at", qaportal.db.UTCDateTime(), nullable=False),
        sa.Column("closes_at", qaportal.db.UTCDateTime(), nullable=False),
        sa.Column("closed_early_at", qaportal.db.UTCDateTime(), nullable=True),
        sa.Column("swept_at", qaportal.db.UTCDateTime(), nullable=True),
        sa.Column("invited_by_email", sa.Integer(), nullable=True),
        sa.Column("invited_by_code", sa.Integer(), nullable=True),
        sa.Column("invitations_used", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", qaportal.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_feedback_campaigns_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["organisations.id"],
            name=op.f("fk_feedback_campaigns_provider_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["questionnaire_version_id"],
            ["framework_versions.id"],
            name=op.f("fk_feedback_campaigns_questionnaire_version_id_framework_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_campaigns")),
    )
    op.create_index(
        op.f("ix_feedback_campaigns_closes_at"), "feedback_campaigns", ["closes_at"], unique=False
    )
    op.create_index(
        op.f("ix_feedback_campaigns_provider_id"),
        "feedback_campaigns",
        ["provider_id"],
        unique=False,
    )
    op.create_table(
        "feedback_campaign_specifications",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("specification_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["feedback_campaigns.id"],
            name=op.f("fk_feedback_campaign_specifications_campaign_id_feedback_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["specification_id"],
            ["specifications.id"],
            name=op.f("fk_feedback_campaign_specifications_specification_id_specifications"),
        ),
        sa.PrimaryKeyConstraint(
            "campaign_id", "specification_id", name=op.f("pk_feedback_campaign_specifications")
        ),
    )
    op.create_index(
        op.f("ix_feedback_campaign_specifications_specification_id"),
        "feedback_campaign_specifications",
        ["specification_id"],
        unique=False,
    )
    op.create_table(
        "feedback_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum("email", "code", name="invitationchannel", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("created_at", qaportal.db.UTCDateTime(), nullable=False),
        sa.Column("last_sent_at", qaportal.db.UTCDateTime(), nullable=True),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["feedback_campaigns.id"],
            name=op.f("fk_feedback_invitations_campaign_id_feedback_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_invitations")),
        sa.UniqueConstraint(
            "campaign_id", "email", name=op.f("uq_feedback_invitations_campaign_id_email")
        ),
        sa.UniqueConstraint("token_hash", name=op.f("uq_feedback_invitations_token_hash")),
    )
    op.create_index(
        "ix_feedback_invitations_campaign_used",
        "feedback_invitations",
        ["campaign_id", "used"],
        unique=False,
    )
    op.create_table(
        "feedback_responses",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_version_id", sa.Integer(), nullable=False),
        sa.Column("specification_id", sa.Integer(), nullable=True),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["feedback_campaigns.id"],
            name=op.f("fk_feedback_responses_campaign_id_feedback_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["questionnaire_version_id"],
            ["framework_versions.id"],
            name=op.f("fk_feedback_responses_questionnaire_version_id_framework_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["specification_id"],
            ["specifications.id"],
            name=op.f("fk_feedback_responses_specification_id_specifications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_responses")),
    )
    op.create_index(
        op.f("ix_feedback_responses_campaign_id"),
        "feedback_responses",
        ["campaign_id"],
        unique=False,
    )
    op.create_table(
        "feedback_answers",
        sa.Column("response_id", sa.String(length=36), nullable=False),
        sa.Column("item_code", sa.String(length=60), nullable=False),
        sa.Column("choice", sa.String(length=60), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("specification_id", sa.Integer(), nullable=True),
        sa.Column("value", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["feedback_campaigns.id"],
            name=op.f("fk_feedback_answers_campaign_id_feedback_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["feedback_responses.id"],
            name=op.f("fk_feedback_answers_response_id_feedback_responses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["specification_id"],
            ["specifications.id"],
            name=op.f("fk_feedback_answers_specification_id_specifications"),
        ),
        sa.PrimaryKeyConstraint(
            "response_id", "item_code", "choice", name=op.f("pk_feedback_answers")
        ),
    )
    op.create_index(
        "ix_feedback_answers_aggregate",
        "feedback_answers",
        ["campaign_id", "item_code", "specification_id", "value", "choice"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_feedback_answers_aggregate", table_name="feedback_answers")
    op.drop_table("feedback_answers")
    op.drop_index(op.f("ix_feedback_responses_campaign_id"), table_name="feedback_responses")
    op.drop_table("feedback_responses")
    op.drop_index("ix_feedback_invitations_campaign_used", table_name="feedback_invitations")
    op.drop_table("feedback_invitations")
    op.drop_index(
        op.f("ix_feedback_campaign_specifications_specification_id"),
        table_name="feedback_campaign_specifications",
    )
    op.drop_table("feedback_campaign_specifications")
    op.drop_index(op.f("ix_feedback_campaigns_provider_id"), table_name="feedback_campaigns")
    op.drop_index(op.f("ix_feedback_campaigns_closes_at"), table_name="feedback_campaigns")
    op.drop_table("feedback_campaigns")
    op.drop_table("feedback_settings")
