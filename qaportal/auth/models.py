"""Users, their memberships in organisations, sessions and one-time tokens."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qaportal.db import Base, UTCDateTime, utcnow
from qaportal.orgs.models import Organisation, OrgKind, enum_values


class Role(enum.StrEnum):
    AGENCY_ADMIN = "agency_admin"
    AGENCY_OFFICER = "agency_officer"
    REVIEWER = "reviewer"
    PROVIDER_ADMIN = "provider_admin"
    PROVIDER_EDITOR = "provider_editor"

    @property
    def org_kind(self) -> OrgKind:
        if self in (Role.PROVIDER_ADMIN, Role.PROVIDER_EDITOR):
            return OrgKind.PROVIDER
        return OrgKind.AGENCY


AGENCY_ROLES = (Role.AGENCY_ADMIN, Role.AGENCY_OFFICER, Role.REVIEWER)
AGENCY_STAFF_ROLES = (Role.AGENCY_ADMIN, Role.AGENCY_OFFICER)
PROVIDER_ROLES = (Role.PROVIDER_ADMIN, Role.PROVIDER_EDITOR)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    locale: Mapped[str | None] = mapped_column(String(10))

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # Flask-Login protocol; the session row, not this object, says whether a login is valid.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    def roles_in(self, organisation_id: int) -> set[Role]:
        return {m.role for m in self.memberships if m.organisation_id == organisation_id}

    def has_role(self, *roles: Role) -> bool:
        return any(m.role in roles for m in self.memberships)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=32, values_callable=enum_values)
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship()
    reviewer_profile: Mapped[ReviewerProfile | None] = relationship(
        back_populates="membership", cascade="all, delete-orphan", uselist=False
    )


class ReviewerCategory(enum.StrEnum):
    ACADEMIC = "academic"
    STUDENT = "student"
    EMPLOYER = "employer"
    INTERNATIONAL = "international"
    QA_EXPERT = "qa_expert"


class ReviewerProfile(Base):
    """A reviewer's entry in an agency's reviewer pool."""

    __tablename__ = "reviewer_profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    membership_id: Mapped[int] = mapped_column(
        ForeignKey("memberships.id", ondelete="CASCADE"), unique=True
    )
    category: Mapped[ReviewerCategory] = mapped_column(
        Enum(ReviewerCategory, native_enum=False, length=32, values_callable=enum_values)
    )
    expertise: Mapped[str] = mapped_column(Text, default="")
    country: Mapped[str | None] = mapped_column(String(2))
    languages: Mapped[str] = mapped_column(String(200), default="")
    available: Mapped[bool] = mapped_column(Boolean, default=True)

    membership: Mapped[Membership] = relationship(back_populates="reviewer_profile")


class UserSession(Base):
    """A signed-in browser. The cookie holds only a random id; ending the row ends the login."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    ended_reason: Mapped[str | None] = mapped_column(String(40))
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))

    user: Mapped[User] = relationship()


class TokenPurpose(enum.StrEnum):
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"


class OneTimeToken(Base):
    """An invitation or password-reset link. Only the SHA-256 of the token is stored."""

    __tablename__ = "one_time_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[TokenPurpose] = mapped_column(
        Enum(TokenPurpose, native_enum=False, length=32, values_callable=enum_values)
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    role: Mapped[Role | None] = mapped_column(
        Enum(Role, native_enum=False, length=32, values_callable=enum_values)
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
