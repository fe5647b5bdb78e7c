"""Accreditation decisions, their conditions, appeals and complaints, and an agency's
decision settings."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Date, Enum, ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qaportal.auth.models import User
from qaportal.cases.models import Case
from qaportal.db import Base, UTCDateTime, utcnow
from qaportal.frameworks.models import Criterion
from qaportal.orgs.models import enum_values

DEFAULT_VALIDITY_YEARS = 6
DEFAULT_APPEAL_DAYS = 30
DEFAULT_EXPIRY_NOTICE_MONTHS = 12


class Outcome(enum.StrEnum):
    """DEQAR's ``decision`` vocabulary (submission CSV)."""

    POSITIVE = "positive"
    CONDITIONAL = "positive with conditions or restrictions"
    NEGATIVE = "negative"


class EqaStatus(enum.StrEnum):
    """DEQAR's ``status`` vocabulary (submission CSV)."""

    OBLIGATORY = "part of obligatory EQA system"
    VOLUNTARY = "voluntary"


class DecisionStatus(enum.StrEnum):
    PENDING = "pending"  # written in the transaction of "decide", promoted by its effect
    CURRENT = "current"
    SUPERSEDED = "superseded"  # replaced by a revised decision after an appeal


class ConditionStatus(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    MET = "met"
    NOT_MET = "not_met"


class DecisionSettings(Base):
    """An agency's decision settings; absent, the defaults above apply."""

    __tablename__ = "decision_settings"

    agency_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    validity_years: Mapped[int] = mapped_column(Integer, default=DEFAULT_VALIDITY_YEARS)
    appeal_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_APPEAL_DAYS)
    expiry_notice_months: Mapped[int] = mapped_column(Integer, default=DEFAULT_EXPIRY_NOTICE_MONTHS)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Decision(Base):
    """The agency's decision on a case. Never deleted: a decision revised on appeal stays,
    ``superseded``, beside the one that replaced it."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    status: Mapped[DecisionStatus] = mapped_column(
        Enum(DecisionStatus, native_enum=False, length=16, values_callable=enum_values),
        default=DecisionStatus.PENDING,
        index=True,
    )
    outcome: Mapped[Outcome] = mapped_column(
        Enum(Outcome, native_enum=False, length=60, values_callable=enum_values)
    )
    eqa_status: Mapped[EqaStatus] = mapped_column(
        Enum(EqaStatus, native_enum=False, length=40, values_callable=enum_values)
    )
    rationale: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date, index=True)
    decided_on: Mapped[dt.date] = mapped_column(Date)
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Set on a decision that replaced another after an appeal.
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    # When `qaportal reminders` announced the coming expiry (once per decision).
    expiry_notified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    case: Mapped[Case] = relationship()
    conditions: Mapped[list[DecisionCondition]] = relationship(
        back_populates="decision", order_by="DecisionCondition.id", cascade="all, delete-orphan"
    )


class DecisionCondition(Base):
    """A condition of a positive decision, the provider's answer and the officer's
    assessment."""

    __tablename__ = "decision_conditions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(
        ForeignKey("decisions.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    criterion_id: Mapped[int | None] = mapped_column(ForeignKey("criteria.id"))
    due_on: Mapped[dt.date] = mapped_column(Date, index=True)
    status: Mapped[ConditionStatus] = mapped_column(
        Enum(ConditionStatus, native_enum=False, length=16, values_callable=enum_values),
        default=ConditionStatus.OPEN,
    )
    answer: Mapped[str] = mapped_column(Text, default="")
    answer_evidence_id: Mapped[int | None] = mapped_column(
        ForeignKey("evidence.id", ondelete="SET NULL")
    )
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assessment: Mapped[str] = mapped_column(Text, default="")
    assessed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    assessed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    decision: Mapped[Decision] = relationship(back_populates="conditions")
    criterion: Mapped[Criterion | None] = relationship()


class AppealOutcome(enum.StrEnum):
    UPHELD = "upheld"  # the decision stands
    REVISED = "revised"  # a new decision replaces it


class Appeal(Base):
    """The provider's appeal against a decision and the committee's answer."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)
    grounds: Mapped[str] = mapped_column(Text)
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id", ondelete="SET NULL"))
    lodged_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lodged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[AppealOutcome | None] = mapped_column(
        Enum(AppealOutcome, native_enum=False, length=16, values_callable=enum_values)
    )
    reasoning: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    committee: Mapped[list[AppealCommitteeMember]] = relationship(
        back_populates="appeal", cascade="all, delete-orphan"
    )


class AppealCommitteeMember(Base):
    __tablename__ = "appeal_committee_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)

    appeal: Mapped[Appeal] = relationship(back_populates="committee")
    user: Mapped[User] = relationship()


class ComplaintStatus(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"


class Complaint(Base):
    """A provider's complaint about the process, at any stage; not a transition."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    lodged_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lodged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[ComplaintStatus] = mapped_column(
        Enum(ComplaintStatus, native_enum=False, length=16, values_callable=enum_values),
        default=ComplaintStatus.OPEN,
    )
    response: Mapped[str] = mapped_column(Text, default="")
    responded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
