"""Panel members (one row per reviewer invited to a case's panel) and provider objections."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Enum, ForeignKey, Integer, Text, UniqueConstraint
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
