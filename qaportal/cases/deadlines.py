"""Stage due dates: the agency sets by when each stage's work must be done; the case page
and the dashboards show the current stage's date, and ``qaportal reminders`` reminds the
party whose stage it is, once when it falls due soon and once when it is overdue.

Which stages take a due date, and whose work each one is, is declared in :data:`STAGES`.
Services take a session and an actor and leave the commit to the caller.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from qaportal.audit.services import Actor, record
from qaportal.auth.models import User
from qaportal.cases import workflow
from qaportal.cases.models import Case, CaseDeadline, CaseState
from qaportal.db import utcnow
from qaportal.notifications.services import enqueue

LAST_YEAR = 9998  # dates are stored as DATE: year 9999 leaves no room for "the day after"


@dataclass(frozen=True)
class Stage:
    state: CaseState
    party: str  # "provider" or "agency": whose work the stage is, who gets the reminders
    label: Any  # lazy: what must be done by the date


STAGES: tuple[Stage, ...] = (
    Stage(CaseState.DRAFT, "provider", _l("The provider submits the self-assessment")),
    Stage(CaseState.SUBMITTED, "agency", _l("The agency completes the screening")),
    Stage(CaseState.IN_REVIEW, "agency", _l("The panel delivers its report")),
    Stage(CaseState.FACTUAL_CHECK, "provider", _l("The provider checks the report’s facts")),
    Stage(CaseState.DECISION_PENDING, "agency", _l("The agency decides")),
    Stage(CaseState.APPEAL, "agency", _l("The appeal is decided")),
    Stage(CaseState.FOLLOW_UP, "provider", _l("The provider answers the conditions")),
)
_BY_STATE = {stage.state: stage for stage in STAGES}


class DeadlineError(Exception):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def stage_of(state: CaseState) -> Stage | None:
    return _BY_STATE.get(state)


def stage_label(state: CaseState) -> str:
    stage = _BY_STATE.get(state)
    return str(stage.label) if stage else workflow.state_label(state)


def deadlines(session: Session, case: Case) -> list[CaseDeadline]:
    """The case's due dates in the order of the stages."""
    order = {stage.state: i for i, stage in enumerate(STAGES)}
    rows = session.execute(select(CaseDeadline).where(CaseDeadline.case_id == case.id)).scalars()
    return sorted(rows, key=lambda d: order.get(d.stage, len(order)))


def current_deadline(session: Session, case: Case) -> CaseDeadline | None:
    return session.execute(
        select(CaseDeadline).where(
            CaseDeadline.case_id == case.id, CaseDeadline.stage == case.state
        )
    ).scalar_one_or_none()


def set_deadline(
    session: Session,
    case: Case,
    state: CaseState,
    due_on: dt.date,
    user: User,
    actor: Actor,
    *,
    today: dt.date | None = None,
) -> CaseDeadline:
    """Set or move the due date of one stage; audited, the provider is told by email."""
    today = today or utcnow().date()
    if state not in _BY_STATE:
        raise DeadlineError(str(_l("This stage takes no due date.")), "stage")
    if case.state in (CaseState.CLOSED, CaseState.WITHDRAWN):
        raise DeadlineError(
            str(
                _l(
                    "Case %(reference)s is %(state)s: it takes no due dates.",
                    reference=case.reference,
                    state=workflow.state_label(case.state),
                )
            )
        )
    if due_on < today:
        raise DeadlineError(str(_l("The due date cannot be in the past.")), "due_on")
    if due_on.year > LAST_YEAR:
        raise DeadlineError(str(_l("Give a date before the year 9999.")), "due_on")
    # Two officers setting a date at once: the second waits here, then updates the row.
    session.execute(select(Case.id).where(Case.id == case.id).with_for_update())
    row = session.execute(
        select(CaseDeadline).where(CaseDeadline.case_id == case.id, CaseDeadline.stage == state)
    ).scalar_one_or_none()
    previous = row.due_on if row is not None else None
    if previous == due_on:
        return row  # type: ignore[return-value]
    if row is None:
        row = CaseDeadline(case_id=case.id, stage=state)
        session.add(row)
    row.due_on, row.set_by_id, row.set_at = due_on, user.id, utcnow()
    # A new date deserves its own reminders.
    row.reminded_due_at = row.reminded_overdue_at = None
    session.flush()
    record(
        session,
        actor,
        "case.deadline_set",
        object_type="case",
        object_id=case.id,
        organisation_id=case.provider_id,
        details={
            "reference": case.reference,
            "agency_id": case.agency_id,
            "stage": state.value,
            "from": previous.isoformat() if previous else None,
            "to": due_on.isoformat(),
        },
    )
    subject = str(
        _l(
            "[qaportal] %(reference)s: due date %(date)s",
            reference=case.reference,
            date=format_date(due_on),
        )
    )
    body = "\n".join(
        [
            str(
                _l(
                    "%(agency)s set a due date for case %(reference)s:",
                    agency=case.agency.display_name,
                    reference=case.reference,
                )
            ),
            str(
                _l(
                    "%(what)s by %(date)s.",
                    what=stage_label(state),
                    date=format_date(due_on),
                )
            ),
            "",
            workflow.case_url(case),
        ]
    )
    for address in workflow.recipients(session, case, "provider"):
        enqueue(session, address, subject, body, organisation_id=case.agency_id)
    return row


# ----- reminders ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderRun:
    due_soon: int
    overdue: int
    messages: int


def send_reminders(
    session: Session, actor: Actor, *, today: dt.date | None = None, days_ahead: int = 7
) -> ReminderRun:
    """Remind the party whose stage it is, once when the date is ``days_ahead`` days away or
    less and once when it has passed; the marks keep a second run from sending again."""
    today = today or utcnow().date()
    horizon = today + dt.timedelta(days=days_ahead)
    rows = session.execute(
        select(CaseDeadline, Case)
        .join(Case, and_(Case.id == CaseDeadline.case_id, Case.state == CaseDeadline.stage))
        .where(
            or_(
                and_(CaseDeadline.due_on < today, CaseDeadline.reminded_overdue_at.is_(None)),
                and_(
                    CaseDeadline.due_on >= today,
                    CaseDeadline.due_on <= horizon,
                    CaseDeadline.reminded_due_at.is_(None),
                ),
            )
        )
        .options(selectinload(Case.provider), selectinload(Case.agency))
        .order_by(CaseDeadline.due_on, CaseDeadline.id)
        .with_for_update(of=CaseDeadline)
    ).all()
    now = utcnow()
    due_soon = overdue = messages = 0
    for deadline, case in rows:
        stage = _BY_STATE.get(deadline.stage)
        if stage is None:
            continue
        late = deadline.due_on < today
        if late:
            overdue += 1
            deadline.reminded_overdue_at = now
            # An overdue stage is past "due soon": that reminder would come too late.
            deadline.reminded_due_at = deadline.reminded_due_at or now
        else:
            due_soon += 1
            deadline.reminded_due_at = now
        messages += _remind(session, case, deadline, stage, late)
    record(
        session,
        actor,
        "case.reminders_sent",
        details={
            "due_soon": due_soon,
            "overdue": overdue,
            "messages": messages,
            "days_ahead": days_ahead,
        },
    )
    return ReminderRun(due_soon, overdue, messages)


def _remind(session: Session, case: Case, deadline: CaseDeadline, stage: Stage, late: bool) -> int:
    date = format_date(deadline.due_on)
    if late:
        subject = _l(
            "[qaportal] %(reference)s: overdue since %(date)s", reference=case.reference, date=date
        )
        first = _l("%(what)s was due on %(date)s and is overdue.", what=stage.label, date=date)
    else:
        subject = _l(
            "[qaportal] %(reference)s: due on %(date)s", reference=case.reference, date=date
        )
        first = _l("%(what)s by %(date)s.", what=stage.label, date=date)
    body = "\n".join(
        [
            str(
                _l(
                    "Case %(reference)s (%(provider)s with %(agency)s):",
                    reference=case.reference,
                    provider=case.provider.display_name,
                    agency=case.agency.display_name,
                )
            ),
            str(first),
            "",
            workflow.case_url(case),
        ]
    )
    addresses = workflow.recipients(session, case, stage.party)
    for address in addresses:
        enqueue(session, address, str(subject), body, organisation_id=case.agency_id)
    return len(addresses)
