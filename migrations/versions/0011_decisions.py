"""decisions, conditions, appeals, complaints and follow-up

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 15:00:00.000000

Hand-reviewed: ``decisions`` keeps every decision of a case (a decision revised on appeal
stays, ``superseded``); ``decision_conditions`` its conditions with the provider's answers and
the officer's assessment; ``appeals`` with ``appeal_committee_members``; ``complaints`` about
the process; ``decision_settings`` an agency's validity, appeal window and expiry notice.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import qaportal.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "decision_settings",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("validity_years", sa.Integer(), nullable=False),
        sa.Column("appeal_days", sa.Integer(), nullable=False),
        sa.Column("expiry_notice_months", sa.Integer(), nullable=False),
        sa.Column("updated_at", qaportal.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["organisations.id"],
            name=op.f("fk_decision_settings_agency_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("agency_id", name=op.f("pk_decision_settings")),
    )
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("lodged_at", qaportal.db.UTCDateTime(), nullable=False),
        sa.Column("lodged_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("open", "answered", name="complaintstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("responded_at", qaportal.db.UTCDateTime(), nullable=True),
        sa.Column("responded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_complaints_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["lodged_by_id"], ["users.id"], name=op.f("fk_complaints_lodged_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["responded_by_id"], ["users.id"], name=op.f("fk_complaints_responded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
    )
    op.create_index(op.f("ix_complaints_case_id"), "complaints", ["case_id"], unique=False)
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "current",
                "superseded",
                name="decisionstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "outcome",
            sa.Enum(
                "positive",
                "positive with conditions or restrictions",
                "negative",
                name="outcome",
                native_enum=False,
                length=60,
            ),
            nullable=False,
        ),
        sa.Column(
            "eqa_status",
            sa.Enum(
                "part of obligatory EQA system",
                "voluntary",
                name="eqastatus",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("decided_at", qaportal.db.UTCDateTime(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("expiry_notified_at", qaportal.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_decisions_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_decisions_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["replaces_id"], ["decisions.id"], name=op.f("fk_decisions_replaces_id_decisions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
    )
    op.create_index(op.f("ix_decisions_case_id"), "decisions", ["case_id"], unique=False)
    op.create_index(op.f("ix_decisions_status"), "decisions", ["status"], unique=False)
    op.create_index(op.f("ix_decisions_valid_until"), "decisions", ["valid_until"], unique=False)
    op.create_table(
        "appeals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=True),
        sa.Column("lodged_at", qaportal.db.UTCDateTime(), nullable=False),
        sa.Column("lodged_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum("upheld", "revised", name="appealoutcome", native_enum=False, length=16),
            nullable=True,
        ),
        sa.Column("reasoning", sa.Text(), nullable=False),
        sa.Column("decided_at", qaportal.db.UTCDateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_appeals_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_appeals_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decisions.id"], name=op.f("fk_appeals_decision_id_decisions")
        ),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence.id"],
            name=op.f("fk_appeals_evidence_id_evidence"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["lodged_by_id"], ["users.id"], name=op.f("fk_appeals_lodged_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeals")),
    )
    op.create_index(op.f("ix_appeals_case_id"), "appeals", ["case_id"], unique=False)
    op.create_index(op.f("ix_appeals_decision_id"), "appeals", ["decision_id"], unique=False)
    op.create_table(
        "appeal_committee_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeals.id"],
            name=op.f("fk_appeal_committee_members_appeal_id_appeals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_appeal_committee_members_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal_committee_members")),
    )
    op.create_index(
        op.f("ix_appeal_committee_members_appeal_id"),
        "appeal_committee_members",
        ["appeal_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_appeal_committee_members_user_id"),
        "appeal_committee_members",
        ["user_id"],
        unique=False,
    )
    op.create_table(
        "decision_conditions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "answered",
                "met",
                "not_met",
                name="conditionstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("answer_evidence_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", qaportal.db.UTCDateTime(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("assessment", sa.Text(), nullable=False),
        sa.Column("assessed_at", qaportal.db.UTCDateTime(), nullable=True),
        sa.Column("assessed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["answer_evidence_id"],
            ["evidence.id"],
            name=op.f("fk_decision_conditions_answer_evidence_id_evidence"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["users.id"],
            name=op.f("fk_decision_conditions_answered_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["assessed_by_id"],
            ["users.id"],
            name=op.f("fk_decision_conditions_assessed_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["criteria.id"],
            name=op.f("fk_decision_conditions_criterion_id_criteria"),
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decisions.id"],
            name=op.f("fk_decision_conditions_decision_id_decisions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_conditions")),
    )
    op.create_index(
        op.f("ix_decision_conditions_decision_id"),
        "decision_conditions",
        ["decision_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_decision_conditions_due_on"), "decision_conditions", ["due_on"], unique=False
    )
    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_index(op.f("ix_decision_conditions_due_on"), table_name="decision_conditions")
    op.drop_index(op.f("ix_decision_conditions_decision_id"), table_name="decision_conditions")
    op.drop_table("decision_conditions")
    op.drop_index(
        op.f("ix_appeal_committee_members_user_id"), table_name="appeal_committee_members"
    )
    op.drop_index(
        op.f("ix_appeal_committee_members_appeal_id"), table_name="appeal_committee_members"
    )
    op.drop_table("appeal_committee_members")
    op.drop_index(op.f("ix_appeals_decision_id"), table_name="appeals")
    op.drop_index(op.f("ix_appeals_case_id"), table_name="appeals")
    op.drop_table("appeals")
    op.drop_index(op.f("ix_decisions_valid_until"), table_name="decisions")
    op.drop_index(op.f("ix_decisions_status"), table_name="decisions")
    op.drop_index(op.f("ix_decisions_case_id"), table_name="decisions")
    op.drop_table("decisions")
    op.drop_index(op.f("ix_complaints_case_id"), table_name="complaints")
    op.drop_table("complaints")
    op.drop_table("decision_settings")
    # ### end Alembic commands ###
