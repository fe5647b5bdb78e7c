"""Evidence: uploaded files (stored once per content) linked to criteria of a case."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qaportal.cases.models import Case
from qaportal.db import Base, UTCDateTime, utcnow
from qaportal.frameworks.models import Criterion


class StoredFile(Base):
    """File content in the file store, under a server-generated key; one row per SHA-256."""

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(120))
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Evidence(Base):
    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    original_filename: Mapped[str] = mapped_column(String(255))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    case: Mapped[Case] = relationship()
    file: Mapped[StoredFile] = relationship()
    links: Mapped[list[EvidenceLink]] = relationship(
        back_populates="evidence", cascade="all, delete-orphan"
    )


class EvidenceLink(Base):
    """One evidence item can support several criteria."""

    __tablename__ = "evidence_links"
    __table_args__ = (UniqueConstraint("evidence_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evidence_id: Mapped[int] = mapped_column(
        ForeignKey("evidence.id", ondelete="CASCADE"), index=True
    )
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id"), index=True)

    evidence: Mapped[Evidence] = relationship(back_populates="links")
    criterion: Mapped[Criterion] = relationship()
