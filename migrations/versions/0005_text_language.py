"""languages of texts (specifications, provider profiles); outbox message references

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 14:00:00.000000

Hand-reviewed.

A specification version's ``text_language`` starts as its first language of instruction
(as ISO 639-1), or English when it has none or none with a two-letter code: that is the tag
the exports derived until now, so the published, immutable versions keep exporting exactly
what they exported before; providers correct it with their next version. Organisations get
no value (``NULL``: the exports then fall back to the specification's text language, as
before) until their profile is saved with one.
"""

from __future__ import annotations

import json

import pycountry
import sqlalchemy as sa
from alembic import op

import qaportal.db  # noqa: F401

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _alpha_2(code: object) -> str | None:
    if not isinstance(code, str):
        return None
    code = code.strip().lower()
    if len(code) == 2:
        found = pycountry.languages.get(alpha_2=code)
    elif len(code) == 3:
        found = pycountry.languages.get(alpha_3=code) or pycountry.languages.get(bibliographic=code)
    else:
        found = None
    return getattr(found, "alpha_2", None) if found is not None else None


def upgrade() -> None:
    with op.batch_alter_table("specification_versions") as batch:
        batch.add_column(
            sa.Column("text_language", sa.String(length=2), nullable=False, server_default="en")
        )
    versions = sa.table(
        "specification_versions",
        sa.column("id", sa.Integer),
        sa.column("languages", sa.JSON),
        sa.column("text_language", sa.String),
    )
    bind = op.get_bind()
    for version_id, languages in bind.execute(sa.select(versions.c.id, versions.c.languages)):
        if isinstance(languages, str):  # a JSON column read without its type on some drivers
            languages = json.loads(languages)
        for code in languages or []:
            alpha_2 = _alpha_2(code)
            if alpha_2 is not None:
                if alpha_2 != "en":
                    bind.execute(
                        versions.update()
                        .where(versions.c.id == version_id)
                        .values(text_language=alpha_2)
                    )
                break

    with op.batch_alter_table("organisations") as batch:
        batch.add_column(sa.Column("text_language", sa.String(length=2), nullable=True))

    with op.batch_alter_table("outbox_messages") as batch:
        batch.add_column(sa.Column("reference", sa.String(length=64), nullable=True))
        batch.create_index(batch.f("ix_outbox_messages_reference"), ["reference"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_index(batch.f("ix_outbox_messages_reference"))
        batch.drop_column("reference")
    with op.batch_alter_table("organisations") as batch:
        batch.drop_column("text_language")
    with op.batch_alter_table("specification_versions") as batch:
        batch.drop_column("text_language")
