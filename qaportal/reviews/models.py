"""Panel members (one row per reviewer invited to a case's panel), provider objections, and
the panel's findings: judgements, the site visit, the report and the factual check."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Date, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qaportal.auth.models import User
from qaportal.cases.models import Case
from qaportal.db import Base, UTCDateTime, utcnow
from qaportal.orgs.models import enum_values


class PanelRole(enum.StrEnum):
    CHAIR = "chair"
    MEMBER = "member"
    STUDENT = "student"  # ESG 2.4 expects one on every panel
    EMPLOYER = "employer"  # employer / labour-market member


class MemberStatus(enum.StrEnum):
    INVITED = "invited"  # sees only the invitation until they declare
    ACTIVE = "active"  # accepted, declared no conflict: reads the case
    DECLINED = "declined"
    CONFLICT = "conflict"  # declared a conflict of interest: off the panel
    WITHDRAWN = "withdrawn"  # the agency withdrew the invitation or removed the member
    REMOVED = "removed"  # removed after an upheld objection of the provider


# The statuses of people on (or on their way onto) the panel.
LIVE = frozenset({MemberStatus.INVITED, MemberStatus.ACTIVE})


class PanelMember(Base):
    """A reviewer invited to the panel of a case. Rows are never deleted: the history of who
    was asked, who declared a conflict and who was removed stays with the case."""

    __tablename__ = "panel_members"
    __table_args__ = (UniqueConstraint("case_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[PanelRole] = mapped_column(
        Enum(PanelRole, native_enum=False, length=16, values_callable=enum_values)
    )
    status: Mapped[MemberStatus] = mapped_column(
        Enum(MemberStatus, native_enum=False, length=16, values_callable=enum_values),
        default=MemberStatus.INVITED,
        index=True,
    )
    invited_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    responded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Kept inside the agency: the provider never reads a declaration.
    declaration_note: Mapped[str] = mapped_column(Text, default="")
    conflict: Mapped[str] = mapped_column(Text, default="")
    # Set when the officer announces the panel to the provider; the objection window runs
    # from here.
    announced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    case: Mapped[Case] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __mapper_args__ = {"version_id_col": lock_version}


class ObjectionStatus(enum.StrEnum):
    OPEN = "open"
    UPHELD = "upheld"  # the member was removed
    DISMISSED = "dismissed"


class PanelObjection(Base):
    """The provider's objection to a panel member, and the agency's answer."""

    __tablename__ = "panel_objections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("panel_members.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(Text)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    raised_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[ObjectionStatus] = mapped_column(
        Enum(ObjectionStatus, native_enum=False, length=16, values_callable=enum_values),
        default=ObjectionStatus.OPEN,
        index=True,
    )
    resolution: Mapped[str] = mapped_column(Text, default="")
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    member: Mapped[PanelMember] = relationship()


# ----- findings: judgements, site visit, the panel's report and the factual check ----------


class Judgement(Base):
    """One panel member's judgement of one criterion. Read by the member, the chair and the
    agency; never by another member, never by the provider."""

    __tablename__ = "review_judgements"
    __table_args__ = (UniqueConstraint("member_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("panel_members.id", ondelete="CASCADE"), index=True
    )
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id"), index=True)
    level: Mapped[str] = mapped_column(String(40))  # a value of the criterion's scale
    rationale: Mapped[str] = mapped_column(Text)
    recommendations: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    member: Mapped[PanelMember] = relationship()

    __mapper_args__ = {"version_id_col": lock_version}


class PanelJudgement(Base):
    """The panel's consolidated judgement of one criterion, written by the chair; this is
    what the provider reads in the draft report."""

    __tablename__ = "panel_judgements"
    __table_args__ = (UniqueConstraint("case_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id"), index=True)
    level: Mapped[str] = mapped_column(String(40))
    rationale: Mapped[str] = mapped_column(Text)
    recommendations: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": lock_version}


class VisitFormat(enum.StrEnum):
    ON_SITE = "on_site"
    ONLINE = "online"


class SiteVisit(Base):
    """The record of the panel's visit; ``participants`` maps a group code
    (:data:`qaportal.reviews.findings.PARTICIPANT_GROUPS`) to free text (names or counts)."""

    __tablename__ = "site_visits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), unique=True, index=True
    )
    visit_date: Mapped[dt.date] = mapped_column(Date)
    format: Mapped[VisitFormat] = mapped_column(
        Enum(VisitFormat, native_enum=False, length=16, values_callable=enum_values)
    )
    participants: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    agenda: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")  # internal: never in the draft report
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": lock_version}


class Outcome(enum.StrEnum):
    """The panel's recommended outcome (DEQAR's vocabulary of decisions)."""

    POSITIVE = "positive"
    CONDITIONS = "positive_with_conditions"
    NEGATIVE = "negative"


class PanelReport(Base):
    """The panel's recommended outcome and summary, and where the draft report stands:
    sent to the provider, the provider's factual-accuracy comments submitted, finalised."""

    __tablename__ = "panel_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), unique=True, index=True
    )
    outcome: Mapped[Outcome | None] = mapped_column(
        Enum(Outcome, native_enum=False, length=32, values_callable=enum_values)
    )
    summary: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    comments_submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    comments_submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    finalised_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": lock_version}


class FactualComment(Base):
    """A provider's factual-accuracy comment on the draft report (on one criterion, or
    general when ``criterion_id`` is None) and the panel's response."""

    __tablename__ = "factual_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int | None] = mapped_column(ForeignKey("criteria.id"))
    comment: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    response: Mapped[str] = mapped_column(Text, default="")
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    responded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ReviewSettings(Base):
    """An agency's review settings; absent, the portal's configured defaults apply
    (:mod:`qaportal.reviews.settings`)."""

    __tablename__ = "review_settings"

    agency_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    objection_days: Mapped[int] = mapped_column(Integer)
    factual_check_days: Mapped[int] = mapped_column(Integer)
    # Shown to reviewers when they declare; empty: the portal's general guidance instead.
    coi_guidance: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
