"""Generated documents: every rendered PDF of a case, one row per version.

A row is written only once its file is stored, so each row names bytes that exist and whose
SHA-256 is known. The bytes are never rewritten: generating again adds version n + 1 in a
new file and marks version n superseded. Publication and withdrawal are the agency's
statements about a version, kept on the row beside who made them and when.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qaportal.cases.models import Case
from qaportal.db import Base, UTCDateTime, utcnow


class DocumentStatus(enum.StrEnum):
    CURRENT = "current"
    SUPERSEDED = "superseded"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class GeneratedDocument(Base):
    __tablename__ = "generated_documents"
    __table_args__ = (UniqueConstraint("case_id", "kind", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    # A value of qaportal.reporting.documents.DocumentKind (kept as text so that a kind the
    # code no longer knows still reads back).
    kind: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    locale: Mapped[str] = mapped_column(String(16), default="en")
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    # Relative to the report storage folder; never a client's name.
    storage_path: Mapped[str] = mapped_column(String(300), unique=True)
    # Printed in documents that can be published; None for internal ones.
    verification_code: Mapped[str | None] = mapped_column(String(20), unique=True)
    job_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    superseded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("generated_documents.id"))
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship()
    superseded_by: Mapped[GeneratedDocument | None] = relationship(
        remote_side=[id], foreign_keys=[superseded_by_id]
    )

    @property
    def status(self) -> DocumentStatus:
        """The one word the version list shows; withdrawal outranks the rest."""
        if self.withdrawn_at is not None:
            return DocumentStatus.WITHDRAWN
        if self.superseded_at is not None:
            return DocumentStatus.SUPERSEDED
        if self.published_at is not None:
            return DocumentStatus.PUBLISHED
        return DocumentStatus.CURRENT
