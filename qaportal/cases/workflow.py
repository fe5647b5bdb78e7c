"""How a case moves: one declared table of transitions, checked on the server.

Every state change of a case goes through :func:`apply_transition`, which looks the action up
in :data:`TRANSITIONS` for the case's *current* state, checks the actor's role on this case,
runs the guard, changes the state, writes an audit event and queues email to the people
concerned. A request that names an action not allowed from the current state (for example
"decide" on a draft) is refused, so no stage can be skipped. Later issues add their rows
(panel report, factual check, decision, publication, appeal, follow-up) to the same table.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from qaportal.audit.services import Actor, record
from qaportal.auth.models import Membership, Role, User
from qaportal.cases import screening
from qaportal.cases.models import Case, CaseState
from qaportal.db import utcnow
from qaportal.notifications.services import enqueue


class Party(enum.StrEnum):
    """Who may take an action: staff of the case's provider or agency, or a seat on the
    case's panel (the chair is also a member)."""

    PROVIDER = "provider"
    AGENCY = "agency"
    PANEL_CHAIR = "panel_chair"
    PANEL_MEMBER = "panel_member"


PANEL_PARTIES = frozenset({Party.PANEL_CHAIR, Party.PANEL_MEMBER})
# (user, case) -> the panel parties the user is on that case; the review domain registers
# how it knows (qaportal/reviews/access.py), so this module imports no panel code.
PanelParties = Callable[[User, Case], set[Party]]
_PANEL_RESOLVERS: list[PanelParties] = []


def register_panel_parties(resolver: PanelParties) -> None:
    if resolver not in _PANEL_RESOLVERS:
        _PANEL_RESOLVERS.append(resolver)


def panel_parties(user: User, case: Case) -> set[Party]:
    return {party for resolve in _PANEL_RESOLVERS for party in resolve(user, case)}


class TransitionError(Exception):
    """A transition was refused; ``status`` is the HTTP status a view should answer with."""

    status = 409

    def __init__(self, message: str, problems: Iterable[Any] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems = list(problems)


class NotAllowed(TransitionError):
    status = 403


class InvalidTransition(TransitionError):
    status = 409


class GuardFailed(TransitionError):
    status = 409


class ReasonRequired(TransitionError):
    status = 400


Guard = Callable[[Session, Case], list[Any]]
# What a transition stores beside the state change: (session, case, actor's user, reason).
Effect = Callable[[Session, Case, User, str], None]


@dataclass(frozen=True)
class Transition:
    source: CaseState
    action: str
    target: CaseState
    party: Party
    roles: frozenset[Role]
    label: Any  # lazy string shown on the button
    guard: Guard | None = None
    needs_reason: bool = False
    notify: tuple[str, ...] = field(default_factory=tuple)  # "agency", "provider"
    button_class: str = ""
    effect: Effect | None = None
    # An action taken on its own page with a form (endpoint taking ``case_id``): the case
    # page links there instead of offering a bare button.
    page: str | None = None


def _complete_self_assessment(session: Session, case: Case) -> list[Any]:
    from qaportal.cases.assessment import completeness_problems

    return completeness_problems(session, case)


def _screening_passed(session: Session, case: Case) -> list[Any]:
    return screening.unmet(session, case)


def _keep_return_comments(session: Session, case: Case, user: User, reason: str) -> None:
    screening.record_return(session, case, user, reason)


def _close_return_comments(session: Session, case: Case, user: User, reason: str) -> None:
    screening.resolve_returns(session, case)


# The panel's report (qaportal/reviews/report.py), imported when used: the review domain
# imports this module.
def _draft_report_ready(session: Session, case: Case) -> list[Any]:
    from qaportal.reviews.report import send_problems

    return list(send_problems(session, case))


def _send_draft_report(session: Session, case: Case, user: User, reason: str) -> None:
    from qaportal.reviews.report import on_send

    on_send(session, case, user, reason)


def _factual_check_done(session: Session, case: Case) -> list[Any]:
    from qaportal.reviews.report import finalise_problems

    return list(finalise_problems(session, case))


def _finalise_report(session: Session, case: Case, user: User, reason: str) -> None:
    from qaportal.reviews.report import on_finalise

    on_finalise(session, case, user, reason)


# Decisions, appeals and follow-up (qaportal/decisions/services.py), imported when used.
def _decisions(name: str) -> Any:
    from qaportal.decisions import services as decisions

    return getattr(decisions, name)


def _decision_ready(session: Session, case: Case) -> list[Any]:
    return list(_decisions("decision_ready")(session, case))


def _promote_decision(session: Session, case: Case, user: User, reason: str) -> None:
    _decisions("promote_decision")(session, case, user, reason)


def _appeal_lodged_in_window(session: Session, case: Case) -> list[Any]:
    return list(_decisions("within_appeal_window")(session, case))


def _appeal_decided(session: Session, case: Case) -> list[Any]:
    return list(_decisions("appeal_decided")(session, case))


def _follow_up_due(session: Session, case: Case) -> list[Any]:
    return list(_decisions("ready_for_follow_up")(session, case))


def _closable_decided(session: Session, case: Case) -> list[Any]:
    return list(_decisions("ready_to_close_decided")(session, case))


def _conditions_met(session: Session, case: Case) -> list[Any]:
    return list(_decisions("all_conditions_met")(session, case))


PROVIDER_STAFF = frozenset({Role.PROVIDER_ADMIN, Role.PROVIDER_EDITOR})
PROVIDER_ADMIN = frozenset({Role.PROVIDER_ADMIN})
AGENCY_STAFF = frozenset({Role.AGENCY_ADMIN, Role.AGENCY_OFFICER})

# (from state, action) -> transition. The one table; nothing else moves a case.
TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        CaseState.DRAFT,
        "submit",
        CaseState.SUBMITTED,
        Party.PROVIDER,
        PROVIDER_STAFF,
        _l("Submit the self-assessment"),
        guard=_complete_self_assessment,
        notify=("agency",),
        effect=_close_return_comments,
    ),
    Transition(
        CaseState.DRAFT,
        "withdraw",
        CaseState.WITHDRAWN,
        Party.PROVIDER,
        PROVIDER_ADMIN,
        _l("Withdraw the application"),
        notify=(),
        button_class="danger",
    ),
    Transition(
        CaseState.SUBMITTED,
        "return",
        CaseState.DRAFT,
        Party.AGENCY,
        AGENCY_STAFF,
        _l("Return to the provider"),
        needs_reason=True,
        notify=("provider",),
        effect=_keep_return_comments,
    ),
    Transition(
        CaseState.SUBMITTED,
        "screen",
        CaseState.IN_REVIEW,
        Party.AGENCY,
        AGENCY_STAFF,
        _l("Accept after screening"),
        guard=_screening_passed,
        notify=("provider",),
    ),
    Transition(
        CaseState.SUBMITTED,
        "withdraw",
        CaseState.WITHDRAWN,
        Party.PROVIDER,
        PROVIDER_ADMIN,
        _l("Withdraw the application"),
        notify=("agency",),
        button_class="danger",
    ),
    # ----- the panel's report and the provider's factual-accuracy check (qaportal/reviews) ---
    # The provider's comments are stored by qaportal.reviews.report.submit_comments (the
    # case stays at factual check); the chair answers them, then finalises.
    Transition(
        CaseState.IN_REVIEW,
        "send_draft_report",
        CaseState.FACTUAL_CHECK,
        Party.PANEL_CHAIR,
        frozenset({Role.REVIEWER}),
        _l("Send the draft report to the provider"),
        guard=_draft_report_ready,
        notify=("provider", "agency"),
        effect=_send_draft_report,
        page="reviews.consolidation",
    ),
    Transition(
        CaseState.FACTUAL_CHECK,
        "finalise_report",
        CaseState.DECISION_PENDING,
        Party.PANEL_CHAIR,
        frozenset({Role.REVIEWER}),
        _l("Finalise the panel report"),
        guard=_factual_check_done,
        notify=("agency",),
        effect=_finalise_report,
        page="reviews.report_page",
    ),
    # ----- decision, appeal and follow-up (qaportal/decisions) ---------------------------
    # "decide", "appeal" and "decide_appeal" store their record first (decision page); the
    # guards refuse them without one, so a bare request moves nothing.
    Transition(
        CaseState.DECISION_PENDING,
        "decide",
        CaseState.DECIDED,
        Party.AGENCY,
        AGENCY_STAFF,
        _l("Record the decision"),
        guard=_decision_ready,
        notify=("provider", "agency"),
        effect=_promote_decision,
        page="decisions.decision",
    ),
    Transition(
        CaseState.DECIDED,
        "appeal",
        CaseState.APPEAL,
        Party.PROVIDER,
        PROVIDER_ADMIN,
        _l("Appeal against the decision"),
        guard=_appeal_lodged_in_window,
        notify=("agency", "provider"),
        page="decisions.decision",
    ),
    Transition(
        CaseState.APPEAL,
        "decide_appeal",
        CaseState.DECIDED,
        Party.AGENCY,
        AGENCY_STAFF,
        _l("Record the appeals committee's outcome"),
        guard=_appeal_decided,
        notify=("provider", "agency"),
        page="decisions.decision",
    ),
    Transition(
        CaseState.DECIDED,
        "start_follow_up",
        CaseState.FOLLOW_UP,
        Party.AGENCY,
        AGENCY_STAFF,
        _l("Start the follow-up of the conditions"),
        guard=_follow_up_due,
        notify=("provider",),
        page="decisions.decision",
    ),
    Transition(
        CaseState.DECIDED,
        "close",
        CaseState.CLOSED,
        Party.AGENCY,
        AGENCY_STAFF,
        _l("Close the case"),
        guard=_closable_decided,
        notify=("provider",),
        page="decisions.decision",
    ),
    Transition(
        CaseState.FOLLOW_UP,
        "close",
        CaseState.CLOSED,
        Party.AGENCY,
        AGENCY_STAFF,
        _l("Close the case: all conditions are met"),
        guard=_conditions_met,
        notify=("provider",),
        page="decisions.decision",
    ),
)

_BY_KEY = {(t.source, t.action): t for t in TRANSITIONS}
ACTIONS = frozenset(t.action for t in TRANSITIONS)


def roles_on_case(user: User, case: Case) -> set[Role]:
    """The user's roles that count on this case: provider roles in the case's provider,
    agency staff roles in the case's agency, ``reviewer`` for a seat on its panel."""
    roles: set[Role] = set()
    for m in getattr(user, "memberships", ()):
        if m.organisation_id == case.provider_id and m.role in PROVIDER_STAFF:
            roles.add(m.role)
        if m.organisation_id == case.agency_id and m.role in AGENCY_STAFF:
            roles.add(m.role)
    if panel_parties(user, case):
        roles.add(Role.REVIEWER)
    return roles


def _may(user: User, case: Case, transition: Transition) -> bool:
    if transition.party in PANEL_PARTIES:
        # A reviewer's role in the agency is not enough: the seat on this case's panel is.
        return transition.party in panel_parties(user, case)
    return bool(roles_on_case(user, case) & transition.roles)


def available_transitions(user: User, case: Case) -> list[Transition]:
    """The actions this user may take on the case now (the case page shows only these)."""
    return [t for t in TRANSITIONS if t.source == case.state and _may(user, case, t)]


def find_transition(state: CaseState, action: str) -> Transition | None:
    return _BY_KEY.get((state, action))


def apply_transition(
    session: Session,
    case: Case,
    action: str,
    actor_user: User,
    actor: Actor,
    **kw: Any,
) -> Transition:
    """Move ``case`` by ``action`` or raise a :class:`TransitionError`; the caller commits.

    Keyword arguments: ``reason`` (required where the table says so).
    """
    # Read the state under a row lock so that two concurrent transitions serialise.
    current = session.execute(
        select(Case.state).where(Case.id == case.id).with_for_update()
    ).scalar_one()
    if current != case.state:
        session.refresh(case)
    transition = find_transition(case.state, action)
    if transition is None:
        raise InvalidTransition(
            str(
                _l(
                    "“%(action)s” is not possible while the case is %(state)s.",
                    action=action,
                    state=state_label(case.state),
                )
            )
        )
    if not _may(actor_user, case, transition):
        raise NotAllowed(str(_l("You may not take this action on this case.")))
    reason = (kw.get("reason") or "").strip()
    if transition.needs_reason and not reason:
        raise ReasonRequired(str(_l("Give a reason: the provider will read it.")))
    if transition.guard is not None:
        problems = transition.guard(session, case)
        if problems:
            raise GuardFailed(
                ngettext(
                    "The case cannot move on yet: %(num)d item is missing.",
                    "The case cannot move on yet: %(num)d items are missing.",
                    len(problems),
                ),
                problems,
            )

    source = case.state
    case.state = transition.target
    if transition.target == CaseState.SUBMITTED:
        case.submitted_at = utcnow()
    elif transition.target == CaseState.DRAFT:
        case.submitted_at = None
    try:
        session.flush()  # bumps the case's lock_version: a concurrent change fails here
    except StaleDataError as exc:
        raise InvalidTransition(
            str(_l("The case was changed by someone else meanwhile. Reload it and try again."))
        ) from exc

    details: dict[str, Any] = {
        "reference": case.reference,
        "from": source.value,
        "to": transition.target.value,
        "agency_id": case.agency_id,
    }
    if reason:
        details["reason"] = reason[:2000]
    if transition.effect is not None:
        transition.effect(session, case, actor_user, reason[:2000])
    record(
        session,
        actor,
        f"case.{action}",
        object_type="case",
        object_id=case.id,
        organisation_id=case.provider_id,
        details=details,
    )
    _notify(session, case, transition, actor_user, reason)
    return transition


# ----- notifications -----------------------------------------------------------------------


def _staff_emails(session: Session, org_id: int, roles: Iterable[Role]) -> list[str]:
    rows = session.execute(
        select(User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.organisation_id == org_id,
            Membership.role.in_(list(roles)),
            User.active.is_(True),
        )
        .distinct()
        .order_by(User.email)
    ).scalars()
    return list(rows)


def case_url(case: Case) -> str:
    base = current_app.config.get("BASE_URL", "") if has_app_context() else ""
    return f"{base}/cases/{case.id}"


def recipients(session: Session, case: Case, who: str) -> list[str]:
    if who == "agency":
        return _staff_emails(session, case.agency_id, AGENCY_STAFF)
    emails = _staff_emails(session, case.provider_id, PROVIDER_STAFF)
    if case.contact_email and case.contact_email.lower() not in {e.lower() for e in emails}:
        emails.append(case.contact_email)
    return emails


def _notify(
    session: Session, case: Case, transition: Transition, actor_user: User, reason: str
) -> None:
    subject = str(
        _l(
            "[qaportal] %(reference)s: %(state)s",
            reference=case.reference,
            state=state_label(transition.target),
        )
    )
    lines = [
        str(
            _l(
                "Case %(reference)s (%(provider)s with %(agency)s) is now %(state)s.",
                reference=case.reference,
                provider=case.provider.display_name,
                agency=case.agency.display_name,
                state=state_label(transition.target),
            )
        ),
        str(_l("Action by: %(name)s", name=actor_user.display_name)),
    ]
    if reason:
        lines += ["", str(_l("Reason:")), reason]
    lines += ["", case_url(case)]
    body = "\n".join(lines)
    sent: set[str] = set()
    for who in transition.notify:
        for address in recipients(session, case, who):
            if address.lower() in sent:
                continue
            sent.add(address.lower())
            enqueue(session, address, subject, body, organisation_id=case.agency_id)


# ----- labels ------------------------------------------------------------------------------

_STATE_LABELS = {
    CaseState.DRAFT: _l("draft"),
    CaseState.SUBMITTED: _l("submitted"),
    CaseState.IN_REVIEW: _l("in review"),
    CaseState.FACTUAL_CHECK: _l("factual check"),
    CaseState.DECISION_PENDING: _l("decision pending"),
    CaseState.DECIDED: _l("decided"),
    CaseState.PUBLISHED: _l("published"),
    CaseState.APPEAL: _l("under appeal"),
    CaseState.FOLLOW_UP: _l("in follow-up"),
    CaseState.CLOSED: _l("closed"),
    CaseState.WITHDRAWN: _l("withdrawn"),
}


def state_label(state: CaseState) -> str:
    return str(_STATE_LABELS.get(state, state.value))
