"""The agency's publication of a decision in the public register.

One row per decision, written when an officer publishes it. Withdrawing keeps the row (and
who published it) and adds who withdrew it, when and why; publishing again clears the
withdrawal. Public surfaces read only rows with ``withdrawn_at`` empty, through
:mod:`qaportal.register.queries`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qaportal.db import Base, UTCDateTime, utcnow
from qaportal.decisions.models import Decision


class RegisterPublication(Base):
    __tablename__ = "register_publications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(
        ForeignKey("decisions.id", ondelete="CASCADE"), unique=True
    )
    # The public summary, fixed at publication (what the preview showed).
    summary: Mapped[str] = mapped_column(Text, default="")
    # Lower-cased provider name, micro-credential titles and summary: what the register's
    # full-text search matches every query word against.
    search_text: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)

    decision: Mapped[Decision] = relationship()
