"""Accreditation cases and the provider's self-assessment answers."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qaportal.catalogue.models import Specification
from qaportal.db import Base, UTCDateTime, utcnow
from qaportal.frameworks.models import Criterion, FrameworkVersion
from qaportal.orgs.models import Organisation, enum_values


class CaseState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    FACTUAL_CHECK = "factual_check"
    DECISION_PENDING = "decision_pending"
    DECIDED = "decided"
    PUBLISHED = "published"
    APPEAL = "appeal"
    FOLLOW_UP = "follow_up"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    state: Mapped[CaseState] = mapped_column(
        Enum(CaseState, native_enum=False, length=24, values_callable=enum_values),
        default=CaseState.DRAFT,
        index=True,
    )
    title: Mapped[str] = mapped_column(String(300), default="")
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(254))
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    provider: Mapped[Organisation] = relationship(foreign_keys=[provider_id])
    agency: Mapped[Organisation] = relationship(foreign_keys=[agency_id])
    frameworks: Mapped[list[CaseFramework]] = relationship(
        back_populates="case", cascade="all, delete-orphan"
    )
    scope: Mapped[list[CaseScope]] = relationship(
        back_populates="case", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": lock_version}


class CaseFramework(Base):
    """A framework version the case is assessed against (fixed when the case opens)."""

    __tablename__ = "case_frameworks"
    __table_args__ = (UniqueConstraint("case_id", "framework_version_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    framework_version_id: Mapped[int] = mapped_column(ForeignKey("framework_versions.id"))
    required: Mapped[bool] = mapped_column(default=True)

    case: Mapped[Case] = relationship(back_populates="frameworks")
    framework_version: Mapped[FrameworkVersion] = relationship()


class CaseScope(Base):
    """A micro-credential specification within the case's scope."""

    __tablename__ = "case_scope"
    __table_args__ = (UniqueConstraint("case_id", "specification_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    specification_id: Mapped[int] = mapped_column(ForeignKey("specifications.id"))

    case: Mapped[Case] = relationship(back_populates="scope")
    specification: Mapped[Specification] = relationship()


class Answer(Base):
    """The provider's self-assessment for one criterion. Optimistically locked."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("case_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id"), index=True)
    narrative: Mapped[str] = mapped_column(Text, default="")  # Markdown as written
    narrative_html: Mapped[str] = mapped_column(Text, default="")  # rendered, sanitised (nh3)
    rating: Mapped[str | None] = mapped_column(String(40))
    # Answers to the criterion's other questions (figures for indicators etc.), by code.
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    criterion: Mapped[Criterion] = relationship()

    __mapper_args__ = {"version_id_col": lock_version}


class ScreeningItem(Base):
    """The agency officer's answer to one item of the screening checklist
    (:data:`qaportal.cases.screening.CHECKLIST`) for a submitted case."""

    __tablename__ = "screening_items"
    __table_args__ = (UniqueConstraint("case_id", "item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    item: Mapped[str] = mapped_column(String(40))  # a checklist code
    met: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CaseReturn(Base):
    """The agency returned a submitted case to the provider with comments; the provider sees
    them until it submits again (``resolved_at``)."""

    __tablename__ = "case_returns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    comment: Mapped[str] = mapped_column(Text)
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    returned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class CaseDeadline(Base):
    """By when the work of one stage of a case must be done (set by the agency); the
    reminder columns make ``qaportal reminders`` send each reminder once per date."""

    __tablename__ = "case_deadlines"
    __table_args__ = (UniqueConstraint("case_id", "stage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    stage: Mapped[CaseState] = mapped_column(
        Enum(CaseState, native_enum=False, length=24, values_callable=enum_values)
    )
    due_on: Mapped[dt.date] = mapped_column(Date, index=True)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reminded_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reminded_overdue_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
