"""Appeals: the provider lodges one within the window, with an optional document; the agency
names a committee of its users who did not sit on the panel and records its outcome (uphold,
or revise: a new decision replaces the old, kept as superseded). The caller commits."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from qaportal.audit.services import Actor, record
from qaportal.auth.models import AGENCY_STAFF_ROLES, Membership, Role, User
from qaportal.cases import workflow
from qaportal.cases.models import Case, CaseState
from qaportal.db import utcnow
from qaportal.decisions.documents import add_document
from qaportal.decisions.models import (
    Appeal,
    AppealCommitteeMember,
    AppealOutcome,
    Decision,
    DecisionStatus,
)
from qaportal.decisions.services import (
    DecisionData,
    DecisionError,
    appeal_closes,
    appeal_window_open,
    audit_details,
    current_decision,
    lock_case,
    new_decision,
    state_refusal,
    validate,
)
from qaportal.evidence.services import ReceivedFile
from qaportal.evidence.storage import Storage
from qaportal.web.cache import public_content_changed

# ----- appeals -----------------------------------------------------------------------------


def lodge_appeal(
    session: Session,
    case: Case,
    grounds: str,
    user: User,
    actor: Actor,
    *,
    document: ReceivedFile | None = None,
    storage: Storage | None = None,
) -> Appeal:
    """Lodge the provider's appeal (APPEAL) with an optional document already checked by
    content and size (:func:`qaportal.evidence.services.receive`); a refused appeal keeps
    nothing of it."""
    try:
        return _lodge_appeal(session, case, grounds, user, actor, document, storage)
    except BaseException:
        if document is not None:
            document.discard()
        raise


def _lodge_appeal(
    session: Session,
    case: Case,
    grounds: str,
    user: User,
    actor: Actor,
    document: ReceivedFile | None,
    storage: Storage | None,
) -> Appeal:
    lock_case(session, case)
    if case.state != CaseState.DECIDED:
        raise state_refusal(case, _l("only a decided case can be appealed."))
    decision = current_decision(session, case.id)
    if decision is None or not appeal_window_open(session, case):
        closes = appeal_closes(session, case, decision) if decision else None
        raise DecisionError(
            str(
                _l(
                    "The appeal window closed on %(date)s. Nothing was stored.",
                    date=closes.strftime("%Y-%m-%d %H:%M UTC") if closes else "—",
                )
            )
        )
    already = session.execute(
        select(Appeal.id).where(Appeal.decision_id == decision.id).limit(1)
    ).scalar_one_or_none()
    if already is not None:
        raise DecisionError(str(_l("This decision has been appealed already. Nothing was stored.")))
    if not grounds.strip():
        raise DecisionError("", {"grounds": str(_l("Give the grounds of the appeal."))})
    appeal = Appeal(
        case_id=case.id, decision_id=decision.id, grounds=grounds.strip(), lodged_by_id=user.id
    )
    if document is not None:
        assert storage is not None
        title = _l("Appeal: %(name)s", name=document.name)
        appeal.evidence_id = add_document(session, storage, case, document, user, title).id
    session.add(appeal)
    session.flush()
    workflow.apply_transition(session, case, "appeal", user, actor)
    record(
        session,
        actor,
        "decision.appealed",
        object_type="appeal",
        object_id=appeal.id,
        organisation_id=case.provider_id,
        details={"reference": case.reference, "agency_id": case.agency_id},
    )
    return appeal


def committee_candidates(session: Session, case: Case) -> list[User]:
    """Users of the case's agency who may sit on an appeals committee (staff and reviewers)."""
    roles = [*AGENCY_STAFF_ROLES, Role.REVIEWER]
    return list(
        session.execute(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.organisation_id == case.agency_id,
                Membership.role.in_(roles),
                User.active.is_(True),
            )
            .distinct()
            .order_by(User.display_name, User.id)
        ).scalars()
    )


def _sat_on_panel(session: Session, case: Case) -> set[int]:
    from qaportal.reviews.models import MemberStatus, PanelMember

    # Whoever accepted a seat (even if later removed) or declared a conflict is not impartial.
    return set(
        session.execute(
            select(PanelMember.user_id).where(
                PanelMember.case_id == case.id,
                PanelMember.status.in_(
                    [MemberStatus.ACTIVE, MemberStatus.REMOVED, MemberStatus.CONFLICT]
                ),
            )
        ).scalars()
    )


def name_committee(
    session: Session, case: Case, appeal: Appeal, user_ids: list[int], actor: Actor
) -> None:
    if case.state != CaseState.APPEAL or appeal.outcome is not None:
        raise state_refusal(case, _l("no appeal is open."))
    if not user_ids:
        raise DecisionError("", {"members": str(_l("Name at least one committee member."))})
    candidates = {u.id: u for u in committee_candidates(session, case)}
    unknown = [uid for uid in user_ids if uid not in candidates]
    if unknown:
        raise DecisionError("", {"members": str(_l("Choose users of the agency."))})
    panel = _sat_on_panel(session, case)
    clash = [candidates[uid].display_name for uid in user_ids if uid in panel]
    if clash:
        raise DecisionError(
            "",
            {
                "members": str(
                    _l(
                        "%(names)s sat on the case's panel and cannot sit on the appeals "
                        "committee.",
                        names=", ".join(clash),
                    )
                )
            },
        )
    appeal.committee.clear()
    session.flush()
    appeal.committee.extend(AppealCommitteeMember(user_id=uid) for uid in sorted(set(user_ids)))
    session.flush()
    record(
        session,
        actor,
        "appeal.committee_named",
        object_type="appeal",
        object_id=appeal.id,
        organisation_id=case.provider_id,
        details={"reference": case.reference, "agency_id": case.agency_id, "members": user_ids},
    )


def decide_appeal(
    session: Session,
    case: Case,
    appeal: Appeal,
    outcome: str,
    reasoning: str,
    revised: DecisionData | None,
    user: User,
    actor: Actor,
    *,
    today: dt.date | None = None,
) -> Appeal:
    """The committee's outcome: uphold (the decision stands) or revise (a new decision
    replaces it, the old one kept as superseded); APPEAL -> DECIDED."""
    today = today or utcnow().date()
    lock_case(session, case)
    if case.state != CaseState.APPEAL or appeal.outcome is not None:
        raise state_refusal(case, _l("no appeal is open."))
    errors: dict[str, str] = {}
    if outcome not in {o.value for o in AppealOutcome}:
        errors["appeal_outcome"] = str(_l("Choose uphold or revise."))
    if not reasoning.strip():
        errors["reasoning"] = str(_l("Give the committee's reasoning."))
    if not appeal.committee:
        errors["appeal_outcome"] = str(_l("Name the appeals committee first."))
    if outcome == AppealOutcome.REVISED:
        assert revised is not None
        errors.update(validate(session, case, revised, today=today))
    if errors:
        raise DecisionError(str(_l("Correct the marked fields.")), errors)
    old = session.get(Decision, appeal.decision_id)
    assert old is not None
    if outcome == AppealOutcome.REVISED:
        assert revised is not None
        old.status = DecisionStatus.SUPERSEDED
        session.flush()
        public_content_changed(session)  # the old decision leaves the public register
        new = new_decision(
            session, case, revised, user, today, status=DecisionStatus.CURRENT, replaces=old
        )
        record(
            session,
            actor,
            "decision.revised",
            object_type="decision",
            object_id=new.id,
            organisation_id=case.provider_id,
            details={**audit_details(case, new), "replaces": old.id},
        )
    appeal.outcome = AppealOutcome(outcome)
    appeal.reasoning = reasoning.strip()
    appeal.decided_at = utcnow()
    appeal.decided_by_id = user.id
    session.flush()
    workflow.apply_transition(session, case, "decide_appeal", user, actor, reason=reasoning)
    return appeal
