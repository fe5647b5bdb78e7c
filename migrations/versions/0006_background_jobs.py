"""background jobs with visible state, attempts and worker heartbeat

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 14:00:00.000000

Hand-reviewed: ``background_jobs`` holds the truth of a job's state (the queue only carries
its id) and ``worker_heartbeats`` one row per live worker process.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import qaportal.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "background_jobs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "queued", "running", "done", "failed", name="jobstate", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("enqueued_at", qaportal.db.UTCDateTime(), nullable=False),
        sa.Column("dispatched_at", qaportal.db.UTCDateTime(), nullable=True),
        sa.Column("started_at", qaportal.db.UTCDateTime(), nullable=True),
        sa.Column("finished_at", qaportal.db.UTCDateTime(), nullable=True),
        sa.Column("heartbeat_at", qaportal.db.UTCDateTime(), nullable=True),
        sa.Column("lease_until", qaportal.db.UTCDateTime(), nullable=True),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_background_jobs_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_background_jobs_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_background_jobs")),
    )
    for column in ("kind", "lease_until", "organisation_id", "state"):
        op.create_index(op.f(f"ix_background_jobs_{column}"), "background_jobs", [column])
    op.create_table(
        "worker_heartbeats",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("started_at", qaportal.db.UTCDateTime(), nullable=False),
        sa.Column("seen_at", qaportal.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_worker_heartbeats")),
    )
    op.create_index(op.f("ix_worker_heartbeats_seen_at"), "worker_heartbeats", ["seen_at"])


def downgrade() -> None:
    op.drop_table("worker_heartbeats")
    op.drop_table("background_jobs")
