"""Panel work: invitations, declarations, announcement, objections. The caller commits.

Every change is audited and mails the people concerned through the outbox, in the caller's
transaction. Services know nothing of the request: the objection window and the time come in
as arguments.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from qaportal.audit.services import Actor, record
from qaportal.auth.models import Membership, Role, User
from qaportal.cases.models import Case, CaseState
from qaportal.cases.workflow import case_url, recipients
from qaportal.db import utcnow
from qaportal.notifications.services import enqueue
from qaportal.reviews.labels import role_label
from qaportal.reviews.models import (
    LIVE,
    MemberStatus,
    ObjectionStatus,
    PanelMember,
    PanelObjection,
    PanelRole,
)

DEFAULT_OBJECTION_DAYS = 10


class PanelError(Exception):
    """A refused panel action; ``field`` names the form field the message belongs to."""

    def __init__(self, message: Any, field: str | None = None, status: int = 409) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        self.status = status


def _lock_case(session: Session, case: Case) -> None:
    """Serialise panel changes of one case (two officers inviting two chairs at once)."""
    session.execute(select(Case.id).where(Case.id == case.id).with_for_update()).one()


def _flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError as exc:
        raise PanelError(
            _l("Someone changed this panel meanwhile. Reload the page and try again.")
        ) from exc


def _audit(
    session: Session,
    actor: Actor,
    action: str,
    case: Case,
    member: PanelMember | None,
    **extra: Any,
) -> None:
    details: dict[str, Any] = {"reference": case.reference, "agency_id": case.agency_id}
    if member is not None:
        details.update(member_id=member.id, reviewer_id=member.user_id, role=member.role.value)
    details.update(extra)
    record(
        session,
        actor,
        action,
        object_type="case",
        object_id=case.id,
        organisation_id=case.agency_id,
        details=details,
    )


def _mail(session: Session, case: Case, to: list[str], subject: Any, lines: list[Any]) -> None:
    body = "\n".join(str(line) for line in lines)
    seen: set[str] = set()
    for address in to:
        if address.lower() in seen:
            continue
        seen.add(address.lower())
        enqueue(session, address, str(subject), body, organisation_id=case.agency_id)


def _portal_url(path: str) -> str:
    """An address for mail: the configured base address and ``path``."""
    base = current_app.config.get("BASE_URL", "") if has_app_context() else ""
    return f"{base}{path}"


# ----- forming the panel ------------------------------------------------------------------


def invite(
    session: Session,
    case: Case,
    reviewer_id: int,
    role: PanelRole,
    by: User,
    actor: Actor,
) -> PanelMember:
    _lock_case(session, case)
    session.refresh(case)
    if case.state != CaseState.IN_REVIEW:
        raise PanelError(_l("A panel is formed once the case has been accepted for review."))
    reviewer = session.execute(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            User.id == reviewer_id,
            User.active.is_(True),
            Membership.organisation_id == case.agency_id,
            Membership.role == Role.REVIEWER,
        )
    ).scalar_one_or_none()
    if reviewer is None:
        raise PanelError(_l("Choose a reviewer of the agency's pool."), "reviewer", 400)
    members = session.execute(select(PanelMember).where(PanelMember.case_id == case.id)).scalars()
    existing = None
    for m in members:
        if m.user_id == reviewer.id:
            existing = m
        elif role == PanelRole.CHAIR and m.role == PanelRole.CHAIR and m.status in LIVE:
            raise PanelError(
                _l("The panel already has a chair (%(name)s).", name=m.user.display_name),
                "role",
                400,
            )
    if existing is not None and existing.status in LIVE:
        raise PanelError(_l("This reviewer is already on the panel."), "reviewer", 400)
    if existing is not None and existing.status in (MemberStatus.CONFLICT, MemberStatus.REMOVED):
        raise PanelError(
            _l("This reviewer cannot sit on this panel: a conflict or an upheld objection."),
            "reviewer",
            400,
        )
    now = utcnow()
    if existing is None:
        member = PanelMember(case_id=case.id, user_id=reviewer.id, role=role)
        session.add(member)
    else:  # declined or withdrawn before: asked again
        member = existing
        member.role = role
        member.status = MemberStatus.INVITED
        member.responded_at = member.announced_at = member.ended_at = None
        member.declaration_note = member.conflict = ""
    member.invited_at = now
    member.invited_by_id = by.id
    _flush(session)
    session.refresh(member, ["user"])
    _audit(session, actor, "panel.invite", case, member)
    _mail(
        session,
        case,
        [reviewer.email],
        _l("[qaportal] Invitation to the review panel of %(reference)s", reference=case.reference),
        [
            _l(
                "%(agency)s invites you to the review panel of %(provider)s (case %(reference)s) "
                "as %(role)s.",
                agency=case.agency.display_name,
                provider=case.provider.display_name,
                reference=case.reference,
                role=role_label(role),
            ),
            _l(
                "Before you see anything of the case, accept and declare any conflict of "
                "interest with the provider, or decline:"
            ),
            "",
            _portal_url(f"/reviews/invitations/{member.id}"),
        ],
    )
    return member


def withdraw(session: Session, case: Case, member: PanelMember, actor: Actor) -> None:
    """The agency withdraws an invitation or takes a member off the panel."""
    _lock_case(session, case)
    session.refresh(member)
    if member.status not in LIVE:
        raise PanelError(_l("This reviewer is no longer on the panel. Reload the page."))
    previous = member.status
    member.status = MemberStatus.WITHDRAWN
    member.ended_at = utcnow()
    _flush(session)
    _audit(session, actor, "panel.withdraw", case, member, previous=previous.value)
    _mail(
        session,
        case,
        [member.user.email],
        _l("[qaportal] %(reference)s: you are no longer on the panel", reference=case.reference),
        [
            _l(
                "%(agency)s has withdrawn your place on the review panel of %(provider)s "
                "(case %(reference)s).",
                agency=case.agency.display_name,
                provider=case.provider.display_name,
                reference=case.reference,
            )
        ],
    )


def announce(session: Session, case: Case, actor: Actor) -> int:
    """Tell the provider who sits on the panel; the objection window opens now for each
    member not announced before. Returns how many members were announced."""
    _lock_case(session, case)
    fresh = list(
        session.execute(
            select(PanelMember).where(
                PanelMember.case_id == case.id,
                PanelMember.status == MemberStatus.ACTIVE,
                PanelMember.announced_at.is_(None),
            )
        ).scalars()
    )
    if not fresh:
        raise PanelError(
            _l("No member to announce: members are announced once they have accepted.")
        )
    now = utcnow()
    for member in fresh:
        member.announced_at = now
    _flush(session)
    _audit(session, actor, "panel.announce", case, None, members=[m.id for m in fresh])
    _mail(
        session,
        case,
        recipients(session, case, "provider"),
        _l("[qaportal] %(reference)s: your review panel", reference=case.reference),
        [
            _l(
                "%(agency)s has announced the review panel of case %(reference)s:",
                agency=case.agency.display_name,
                reference=case.reference,
            ),
            *[f"- {m.user.display_name} ({role_label(m.role)})" for m in fresh],
            "",
            _l("You may object to a member, with a reason, on the panel page:"),
            f"{case_url(case)}/panel/members",
        ],
    )
    return len(fresh)


# ----- the reviewer's declaration -----------------------------------------------------------


def _answerable(member: PanelMember) -> None:
    if member.status != MemberStatus.INVITED:
        raise PanelError(_l("You have already answered this invitation."))


def accept(session: Session, member: PanelMember, actor: Actor, note: str) -> None:
    _answerable(member)
    member.status = MemberStatus.ACTIVE
    member.responded_at = utcnow()
    member.declaration_note = note.strip()
    _flush(session)
    _audit(session, actor, "panel.accept", member.case, member, conflict=False)


def declare_conflict(session: Session, member: PanelMember, actor: Actor, conflict: str) -> None:
    """A declared conflict takes the reviewer off the panel; the agency is told."""
    _answerable(member)
    conflict = conflict.strip()
    if not conflict:
        raise PanelError(_l("Describe the conflict of interest."), "conflict", 400)
    case = member.case
    member.status = MemberStatus.CONFLICT
    member.responded_at = member.ended_at = utcnow()
    member.conflict = conflict
    _flush(session)
    _audit(session, actor, "panel.conflict", case, member, conflict=True)
    _mail(
        session,
        case,
        recipients(session, case, "agency"),
        _l(
            "[qaportal] %(reference)s: %(name)s declared a conflict of interest",
            reference=case.reference,
            name=member.user.display_name,
        ),
        [
            _l(
                "%(name)s declared a conflict of interest with %(provider)s and is off the "
                "panel of case %(reference)s:",
                name=member.user.display_name,
                provider=case.provider.display_name,
                reference=case.reference,
            ),
            "",
            conflict,
            "",
            f"{case_url(case)}/panel",
        ],
    )


def decline(session: Session, member: PanelMember, actor: Actor) -> None:
    _answerable(member)
    case = member.case
    member.status = MemberStatus.DECLINED
    member.responded_at = member.ended_at = utcnow()
    _flush(session)
    _audit(session, actor, "panel.decline", case, member)
    _mail(
        session,
        case,
        recipients(session, case, "agency"),
        _l(
            "[qaportal] %(reference)s: %(name)s declined the panel",
            reference=case.reference,
            name=member.user.display_name,
        ),
        [f"{case_url(case)}/panel"],
    )


# ----- the provider's objections -------------------------------------------------------------


def objection_closes(member: PanelMember, window: dt.timedelta) -> dt.datetime | None:
    return member.announced_at + window if member.announced_at else None


def object_to(
    session: Session,
    member: PanelMember,
    actor: Actor,
    reason: str,
    *,
    window: dt.timedelta,
    now: dt.datetime | None = None,
) -> PanelObjection:
    now = now or utcnow()
    closes = objection_closes(member, window)
    if member.status != MemberStatus.ACTIVE or closes is None:
        raise PanelError(_l("This reviewer is not on the announced panel."))
    if now > closes:
        raise PanelError(
            _l(
                "The time to object to this panel member ended on %(date)s. Nothing was stored.",
                date=closes.strftime("%Y-%m-%d %H:%M UTC"),
            )
        )
    reason = reason.strip()
    if not reason:
        raise PanelError(_l("Give the reason of your objection."), "reason", 400)
    case = member.case
    objection = PanelObjection(
        case_id=case.id, member_id=member.id, reason=reason, raised_by_id=actor.user_id
    )
    session.add(objection)
    session.flush()
    _audit(session, actor, "panel.objection", case, member, objection_id=objection.id)
    _mail(
        session,
        case,
        recipients(session, case, "agency"),
        _l(
            "[qaportal] %(reference)s: the provider objects to %(name)s",
            reference=case.reference,
            name=member.user.display_name,
        ),
        [
            _l(
                "%(provider)s objects to %(name)s on the panel of case %(reference)s:",
                provider=case.provider.display_name,
                name=member.user.display_name,
                reference=case.reference,
            ),
            "",
            reason,
            "",
            f"{case_url(case)}/panel",
        ],
    )
    return objection


def resolve(
    session: Session, objection: PanelObjection, uphold: bool, comment: str, actor: Actor
) -> None:
    """Uphold (the member leaves the panel) or dismiss an open objection, with a comment."""
    comment = comment.strip()
    if not comment:
        raise PanelError(_l("Say why: the provider reads your comment."), "comment", 400)
    member = objection.member
    case = member.case
    _lock_case(session, case)
    session.refresh(objection)  # another officer may have answered it while we waited
    if objection.status != ObjectionStatus.OPEN:
        raise PanelError(_l("This objection has already been answered. Reload the page."))
    objection.status = ObjectionStatus.UPHELD if uphold else ObjectionStatus.DISMISSED
    objection.resolution = comment
    objection.resolved_by_id = actor.user_id
    objection.resolved_at = utcnow()
    to = recipients(session, case, "provider")
    if uphold and member.status in LIVE:
        member.status = MemberStatus.REMOVED
        member.ended_at = objection.resolved_at
        to.append(member.user.email)
    _flush(session)
    _audit(
        session,
        actor,
        "panel.objection_upheld" if uphold else "panel.objection_dismissed",
        case,
        member,
        objection_id=objection.id,
        comment=comment[:2000],
    )
    verdict = (
        _l("The objection is upheld: %(name)s leaves the panel.", name=member.user.display_name)
        if uphold
        else _l(
            "The objection is dismissed: %(name)s stays on the panel.",
            name=member.user.display_name,
        )
    )
    _mail(
        session,
        case,
        to,
        _l("[qaportal] %(reference)s: objection answered", reference=case.reference),
        [verdict, "", comment, "", f"{case_url(case)}/panel/members"],
    )
