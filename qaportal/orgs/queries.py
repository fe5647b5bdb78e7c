"""Read-only queries behind the organisation pages. Each page is a fixed number of statements,
however many rows it shows; the results are plain rows for the templates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, String, and_, func, literal, or_, select
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from qaportal.auth.models import (
    Membership,
    OneTimeToken,
    ReviewerCategory,
    ReviewerProfile,
    Role,
    TokenPurpose,
    User,
)
from qaportal.db import utcnow
from qaportal.orgs.models import Organisation, OrgKind, ProviderType
from qaportal.pagination import Page, paginate

PROVIDERS_PER_PAGE = 25
REVIEWERS_PER_PAGE = 25

STATUS_ACTIVE = "active"
STATUS_DEACTIVATED = "deactivated"
STATUS_INVITED = "invited"


def user_status(active: bool, has_password: bool) -> str:
    if not active:
        return STATUS_DEACTIVATED
    if not has_password:
        return STATUS_INVITED
    return STATUS_ACTIVE


def load_organisation(session: Session, org_id: int) -> Organisation | None:
    return session.execute(
        select(Organisation)
        .where(Organisation.id == org_id)
        .options(joinedload(Organisation.managing_agency))
    ).scalar_one_or_none()


def load_user_with_memberships(session: Session, user_id: int) -> User | None:
    return session.execute(
        select(User)
        .where(User.id == user_id)
        .options(selectinload(User.memberships).joinedload(Membership.organisation))
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


# ----- staff -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberRow:
    membership_id: int
    user_id: int
    name: str
    email: str
    role: Role
    status: str


@dataclass(frozen=True)
class InvitationRow:
    id: int
    email: str
    role: Role | None
    invited_by: str | None
    created_at: Any
    expires_at: Any


def members(session: Session, org_id: int) -> list[MemberRow]:
    rows = session.execute(
        select(
            Membership.id,
            User.id,
            User.display_name,
            User.email,
            Membership.role,
            User.active,
            User.password_hash.is_not(None),
        )
        .join(User, Membership.user_id == User.id)
        .where(Membership.organisation_id == org_id)
        .order_by(func.lower(User.display_name), User.id, Membership.role)
    ).all()
    return [
        MemberRow(mid, uid, name, email, role, user_status(active, has_pw))
        for mid, uid, name, email, role, active, has_pw in rows
    ]


def pending_invitations_condition(org_id: Any, now: Any = None) -> Any:
    """``now``: a moment or a bound parameter (for a statement built once); the current
    time if not given."""
    return and_(
        OneTimeToken.purpose == TokenPurpose.INVITATION,
        OneTimeToken.organisation_id == org_id,
        OneTimeToken.used_at.is_(None),
        OneTimeToken.revoked_at.is_(None),
        OneTimeToken.expires_at > (utcnow() if now is None else now),
    )


def pending_invitations(session: Session, org_id: int) -> list[InvitationRow]:
    inviter = aliased(User)
    rows = session.execute(
        select(
            OneTimeToken.id,
            OneTimeToken.email,
            OneTimeToken.role,
            inviter.display_name,
            OneTimeToken.created_at,
            OneTimeToken.expires_at,
        )
        .outerjoin(inviter, OneTimeToken.created_by_id == inviter.id)
        .where(pending_invitations_condition(org_id))
        .order_by(OneTimeToken.created_at.desc(), OneTimeToken.id.desc())
    ).all()
    return [InvitationRow(*row) for row in rows]


# ----- the agency's providers --------------------------------------------------------------


@dataclass(frozen=True)
class ProviderRow:
    id: int
    legal_name: str
    acronym: str | None
    country: str | None
    region: str | None
    provider_type: ProviderType | None
    website: str | None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def providers_page(session: Session, agency_id: int, search: str | None, number: int) -> Page:
    stmt: Select[Any] = select(
        Organisation.id,
        Organisation.legal_name,
        Organisation.acronym,
        Organisation.country,
        Organisation.region,
        Organisation.provider_type,
        Organisation.website,
    ).where(Organisation.kind == OrgKind.PROVIDER, Organisation.managing_agency_id == agency_id)
    if search:
        pattern = f"%{_escape_like(search.lower())}%"
        stmt = stmt.where(
            or_(
                func.lower(Organisation.legal_name).like(pattern, escape="\\"),
                func.lower(Organisation.acronym).like(pattern, escape="\\"),
            )
        )
    stmt = stmt.order_by(func.lower(Organisation.legal_name), Organisation.id)
    page = paginate(session, stmt, number, PROVIDERS_PER_PAGE)
    page.items = [ProviderRow(*row) for row in page.items]
    return page


# ----- the reviewer pool -------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewerFilters:
    category: ReviewerCategory | None = None
    country: str | None = None
    language: str | None = None
    available: bool | None = None


@dataclass(frozen=True)
class ReviewerRow:
    membership_id: int
    user_id: int
    name: str
    email: str
    status: str
    category: ReviewerCategory | None
    expertise: str
    country: str | None
    languages: list[str]
    available: bool | None


def reviewers_page(session: Session, agency_id: int, filters: ReviewerFilters, number: int) -> Page:
    stmt: Select[Any] = (
        select(
            Membership.id,
            User.id,
            User.display_name,
            User.email,
            User.active,
            User.password_hash.is_not(None),
            ReviewerProfile.category,
            ReviewerProfile.expertise,
            ReviewerProfile.country,
            ReviewerProfile.languages,
            ReviewerProfile.available,
        )
        .join(User, Membership.user_id == User.id)
        .outerjoin(ReviewerProfile, ReviewerProfile.membership_id == Membership.id)
        .where(Membership.organisation_id == agency_id, Membership.role == Role.REVIEWER)
    )
    if filters.category is not None:
        stmt = stmt.where(ReviewerProfile.category == filters.category)
    if filters.country:
        stmt = stmt.where(ReviewerProfile.country == filters.country)
    if filters.language:
        # Languages are stored as "de,en"; comma-wrap both sides for an exact code match.
        wrapped = literal(",", String) + ReviewerProfile.languages + literal(",", String)
        stmt = stmt.where(wrapped.like(f"%,{_escape_like(filters.language)},%", escape="\\"))
    if filters.available is not None:
        stmt = stmt.where(ReviewerProfile.available == filters.available)
    stmt = stmt.order_by(func.lower(User.display_name), Membership.id)
    page = paginate(session, stmt, number, REVIEWERS_PER_PAGE)
    page.items = [
        ReviewerRow(
            membership_id=mid,
            user_id=uid,
            name=name,
            email=email,
            status=user_status(active, has_pw),
            category=category,
            expertise=expertise or "",
            country=country,
            languages=[code for code in (languages or "").split(",") if code],
            available=available,
        )
        for (
            mid,
            uid,
            name,
            email,
            active,
            has_pw,
            category,
            expertise,
            country,
            languages,
            available,
        ) in page.items
    ]
    return page


def load_reviewer_membership(
    session: Session, agency_id: int, membership_id: int
) -> Membership | None:
    return session.execute(
        select(Membership)
        .where(
            Membership.id == membership_id,
            Membership.organisation_id == agency_id,
            Membership.role == Role.REVIEWER,
        )
        .options(joinedload(Membership.user), joinedload(Membership.reviewer_profile))
    ).scalar_one_or_none()


# ----- dashboard counts --------------------------------------------------------------------


@dataclass(frozen=True)
class OrgCounts:
    providers: int
    reviewers: int
    available_reviewers: int
    members: int
    pending_invitations: int


def organisation_counts(session: Session, org_id: int) -> OrgCounts:
    """All the dashboard's numbers for one organisation in a single statement."""
    providers = (
        select(func.count(Organisation.id))
        .where(Organisation.managing_agency_id == org_id, Organisation.kind == OrgKind.PROVIDER)
        .scalar_subquery()
    )
    reviewers = (
        select(func.count(Membership.id))
        .where(Membership.organisation_id == org_id, Membership.role == Role.REVIEWER)
        .scalar_subquery()
    )
    available = (
        select(func.count(Membership.id))
        .join(ReviewerProfile, ReviewerProfile.membership_id == Membership.id)
        .join(User, Membership.user_id == User.id)
        .where(
            Membership.organisation_id == org_id,
            Membership.role == Role.REVIEWER,
            ReviewerProfile.available == True,  # noqa: E712
            User.active == True,  # noqa: E712
        )
        .scalar_subquery()
    )
    staff = (
        select(func.count(func.distinct(Membership.user_id)))
        .where(Membership.organisation_id == org_id, Membership.role != Role.REVIEWER)
        .scalar_subquery()
    )
    invitations = (
        select(func.count(OneTimeToken.id))
        .where(pending_invitations_condition(org_id))
        .scalar_subquery()
    )
    row = session.execute(select(providers, reviewers, available, staff, invitations)).one()
    return OrgCounts(*(int(value or 0) for value in row))
