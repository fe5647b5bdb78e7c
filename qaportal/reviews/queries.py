"""Reading panels: the reviewer pool with past assignments, a case's panel, a reviewer's
assignments. Each function is one query (plus eager loads), whatever the number of rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, and_, func, literal, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session, joinedload

from qaportal.auth.models import Membership, ReviewerCategory, ReviewerProfile, Role, User
from qaportal.cases.models import Case
from qaportal.reviews.models import (
    LIVE,
    MemberStatus,
    ObjectionStatus,
    PanelMember,
    PanelObjection,
    PanelRole,
)

POOL_LIMIT = 200


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class PoolFilters:
    expertise: str = ""
    country: str = ""
    language: str = ""


@dataclass(frozen=True)
class PoolRow:
    user_id: int
    name: str
    email: str
    category: ReviewerCategory | None
    expertise: str
    country: str | None
    languages: list[str]
    available: bool
    panels: int  # panels of other cases they sat on (accepted with no conflict)
    same_provider: bool  # one of those was for this case's provider


def pool(session: Session, case: Case, filters: PoolFilters) -> list[PoolRow]:
    """Active reviewers of the case's agency, filtered, with their past assignments."""
    sat = (
        select(
            PanelMember.user_id.label("user_id"),
            func.count(PanelMember.id).label("panels"),
            func.max(sql_case((Case.provider_id == case.provider_id, 1), else_=0)).label("same"),
        )
        .join(Case, Case.id == PanelMember.case_id)
        # "Sat on" a panel: accepted it; a later removal does not undo the sitting.
        .where(PanelMember.responded_at.is_not(None), PanelMember.case_id != case.id)
        .where(PanelMember.status.in_([MemberStatus.ACTIVE, MemberStatus.REMOVED]))
        .group_by(PanelMember.user_id)
        .subquery()
    )
    stmt: Any = (
        select(
            User.id,
            User.display_name,
            User.email,
            ReviewerProfile.category,
            ReviewerProfile.expertise,
            ReviewerProfile.country,
            ReviewerProfile.languages,
            ReviewerProfile.available,
            func.coalesce(sat.c.panels, 0),
            func.coalesce(sat.c.same, 0),
        )
        .join(Membership, Membership.user_id == User.id)
        .outerjoin(ReviewerProfile, ReviewerProfile.membership_id == Membership.id)
        .outerjoin(sat, sat.c.user_id == User.id)
        .where(
            Membership.organisation_id == case.agency_id,
            Membership.role == Role.REVIEWER,
            User.active.is_(True),
        )
    )
    if filters.expertise:
        pattern = f"%{_escape_like(filters.expertise.lower())}%"
        stmt = stmt.where(func.lower(ReviewerProfile.expertise).like(pattern, escape="\\"))
    if filters.country:
        stmt = stmt.where(ReviewerProfile.country == filters.country.upper())
    if filters.language:
        # Stored as "de,en": comma-wrap both sides for an exact code match.
        wrapped = literal(",", String) + ReviewerProfile.languages + literal(",", String)
        code = _escape_like(filters.language.lower())
        stmt = stmt.where(wrapped.like(f"%,{code},%", escape="\\"))
    stmt = stmt.order_by(func.lower(User.display_name), User.id).limit(POOL_LIMIT)
    return [
        PoolRow(
            user_id=uid,
            name=name,
            email=email,
            category=category,
            expertise=expertise or "",
            country=country,
            languages=[c for c in (languages or "").split(",") if c],
            available=bool(available) if available is not None else True,
            panels=int(panels),
            same_provider=bool(same),
        )
        for uid, name, email, category, expertise, country, languages, available, panels, same in (
            session.execute(stmt).all()
        )
    ]


def panel(session: Session, case_id: int) -> list[PanelMember]:
    """Everyone ever invited to the case's panel, the live ones first."""
    rows = (
        session.execute(
            select(PanelMember)
            .where(PanelMember.case_id == case_id)
            .options(joinedload(PanelMember.user))
            .order_by(PanelMember.invited_at, PanelMember.id)
        )
        .scalars()
        .all()
    )
    return sorted(rows, key=lambda m: m.status not in LIVE)


def objections(session: Session, case_id: int) -> list[PanelObjection]:
    return list(
        session.execute(
            select(PanelObjection)
            .where(PanelObjection.case_id == case_id)
            .options(joinedload(PanelObjection.member).joinedload(PanelMember.user))
            .order_by(PanelObjection.raised_at, PanelObjection.id)
        )
        .scalars()
        .all()
    )


@dataclass(frozen=True)
class PanelWarnings:
    no_chair: bool
    no_student: bool


def warnings(members: list[PanelMember]) -> PanelWarnings:
    live = [m for m in members if m.status in LIVE]
    return PanelWarnings(
        no_chair=not any(m.role == PanelRole.CHAIR for m in live),
        no_student=not any(m.role == PanelRole.STUDENT for m in live),
    )


def member_of_case(session: Session, case_id: int, member_id: int) -> PanelMember | None:
    member = session.get(PanelMember, member_id)
    return member if member is not None and member.case_id == case_id else None


def active_panel_role(session: Session, user_id: int, case_id: int) -> PanelRole | None:
    """The user's role on the case's panel if they sit on it (accepted, no conflict)."""
    return session.execute(
        select(PanelMember.role).where(
            PanelMember.case_id == case_id,
            PanelMember.user_id == user_id,
            PanelMember.status == MemberStatus.ACTIVE,
        )
    ).scalar_one_or_none()


@dataclass(frozen=True)
class Assignment:
    member_id: int
    case_id: int
    reference: str
    provider: str
    role: PanelRole
    status: MemberStatus
    invited_at: dt.datetime


def assignments(session: Session, user_id: int, agency_id: int | None = None) -> list[Assignment]:
    """The reviewer's live invitations and panels (of one agency, if given)."""
    from qaportal.orgs.models import Organisation

    stmt = (
        select(
            PanelMember.id,
            Case.id,
            Case.reference,
            Organisation.legal_name,
            PanelMember.role,
            PanelMember.status,
            PanelMember.invited_at,
        )
        .join(Case, Case.id == PanelMember.case_id)
        .join(Organisation, Organisation.id == Case.provider_id)
        .where(PanelMember.user_id == user_id, PanelMember.status.in_(list(LIVE)))
        .order_by(PanelMember.invited_at.desc(), PanelMember.id.desc())
    )
    if agency_id is not None:
        stmt = stmt.where(Case.agency_id == agency_id)
    return [Assignment(*row) for row in session.execute(stmt).all()]


@dataclass(frozen=True)
class PanelGap:
    case_id: int
    reference: str
    provider: str
    chairs: int
    students: int
    open_objections: int


def agency_panel_gaps(session: Session, agency_id: int, states: list[Any]) -> list[PanelGap]:
    """Cases of the agency in the given states with their live chairs, students and open
    objections counted in one grouped query."""
    from qaportal.orgs.models import Organisation

    live = and_(PanelMember.case_id == Case.id, PanelMember.status.in_(list(LIVE)))
    open_objections = (
        select(func.count(PanelObjection.id))
        .where(
            PanelObjection.case_id == Case.id,
            PanelObjection.status == ObjectionStatus.OPEN,
        )
        .correlate(Case)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            Case.id,
            Case.reference,
            Organisation.legal_name,
            func.coalesce(func.sum(sql_case((PanelMember.role == PanelRole.CHAIR, 1), else_=0)), 0),
            func.coalesce(
                func.sum(sql_case((PanelMember.role == PanelRole.STUDENT, 1), else_=0)), 0
            ),
            open_objections,
        )
        .join(Organisation, Organisation.id == Case.provider_id)
        .outerjoin(PanelMember, live)
        .where(Case.agency_id == agency_id, Case.state.in_(states))
        .group_by(Case.id, Case.reference, Organisation.legal_name)
        .order_by(Case.id)
    ).all()
    return [PanelGap(*row) for row in rows]


@dataclass(frozen=True)
class Announcement:
    case_id: int
    reference: str
    announced_at: dt.datetime


def provider_announcements(
    session: Session, provider_id: int, since: dt.datetime
) -> list[Announcement]:
    """Cases of the provider whose panel was announced after ``since`` (their objection
    window is open), with the latest announcement."""
    rows = session.execute(
        select(Case.id, Case.reference, func.max(PanelMember.announced_at))
        .join(PanelMember, PanelMember.case_id == Case.id)
        .where(
            Case.provider_id == provider_id,
            PanelMember.status == MemberStatus.ACTIVE,
            PanelMember.announced_at.is_not(None),
            PanelMember.announced_at > since,
        )
        .group_by(Case.id, Case.reference)
        .order_by(Case.id)
    ).all()
    return [Announcement(*row) for row in rows]


# ----- findings on the dashboards -------------------------------------------------------------


@dataclass(frozen=True)
class FindingsWork:
    case_id: int
    reference: str
    state: Any
    role: PanelRole
    criteria: int  # criteria of the case's frameworks
    judged: int  # of them judged by this member
    consolidated: int  # of them with the panel's judgement
    comments_submitted: bool
    unanswered: int  # the provider's comments without the panel's response


def findings_work(session: Session, user_id: int, agency_id: int) -> list[FindingsWork]:
    """The reviewer's seats on cases in review or at factual check, with what is left to
    do, counted by correlated subqueries in one statement."""
    from qaportal.cases.models import CaseFramework, CaseState
    from qaportal.frameworks.models import Criterion
    from qaportal.reviews.models import FactualComment, Judgement, PanelJudgement, PanelReport

    def count(column: Any, *where: Any) -> Any:
        return (
            select(func.count(column)).where(*where).correlate(Case, PanelMember).scalar_subquery()
        )

    criteria = (
        select(func.count(Criterion.id))
        .join(CaseFramework, CaseFramework.framework_version_id == Criterion.framework_version_id)
        .where(CaseFramework.case_id == Case.id)
        .correlate(Case)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            Case.id,
            Case.reference,
            Case.state,
            PanelMember.role,
            criteria,
            count(Judgement.id, Judgement.member_id == PanelMember.id),
            count(PanelJudgement.id, PanelJudgement.case_id == Case.id),
            PanelReport.comments_submitted_at.is_not(None),
            count(
                FactualComment.id,
                FactualComment.case_id == Case.id,
                FactualComment.responded_at.is_(None),
            ),
        )
        .join(Case, Case.id == PanelMember.case_id)
        .outerjoin(PanelReport, PanelReport.case_id == Case.id)
        .where(
            PanelMember.user_id == user_id,
            PanelMember.status == MemberStatus.ACTIVE,
            Case.agency_id == agency_id,
            Case.state.in_([CaseState.IN_REVIEW, CaseState.FACTUAL_CHECK]),
        )
        .order_by(Case.id)
    ).all()
    return [
        FindingsWork(cid, ref, state, role, int(n), int(j), int(c), bool(sub), int(u))
        for cid, ref, state, role, n, j, c, sub, u in rows
    ]


@dataclass(frozen=True)
class FactualCheck:
    case_id: int
    reference: str
    due_on: dt.date | None


def provider_factual_checks(session: Session, provider_id: int) -> list[FactualCheck]:
    """The provider's cases whose draft report awaits its factual-accuracy comments."""
    from qaportal.cases.models import CaseDeadline, CaseState
    from qaportal.reviews.models import PanelReport

    rows = session.execute(
        select(Case.id, Case.reference, CaseDeadline.due_on)
        .join(PanelReport, PanelReport.case_id == Case.id)
        .outerjoin(
            CaseDeadline,
            and_(
                CaseDeadline.case_id == Case.id,
                CaseDeadline.stage == CaseState.FACTUAL_CHECK,
            ),
        )
        .where(
            Case.provider_id == provider_id,
            Case.state == CaseState.FACTUAL_CHECK,
            PanelReport.comments_submitted_at.is_(None),
        )
        .order_by(CaseDeadline.due_on, Case.id)
    ).all()
    return [FactualCheck(*row) for row in rows]
