"""Recording a decision, the decision settings, what the decision pages read, and the guards
and effects of the decision rows of the workflow table (appeals, follow-up and complaints have
their own modules). No Flask request here: views hand over plain data, a session, the user
and an Actor; the caller commits.

A decision is written in the transaction of the "decide" transition: the service stores it
as ``pending``, the transition's guard checks that a complete pending decision exists, and
its effect makes it ``current``. Two officers deciding at once serialise on the case row
(locked first, before anything is written); the second finds the case decided and is told.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from qaportal.audit.services import Actor, record
from qaportal.auth.models import User
from qaportal.cases import workflow
from qaportal.cases.models import Case, CaseFramework, CaseState
from qaportal.db import utcnow
from qaportal.decisions.models import (
    DEFAULT_APPEAL_DAYS,
    DEFAULT_EXPIRY_NOTICE_MONTHS,
    DEFAULT_VALIDITY_YEARS,
    Appeal,
    AppealCommitteeMember,
    ConditionStatus,
    Decision,
    DecisionCondition,
    DecisionSettings,
    DecisionStatus,
    EqaStatus,
    Outcome,
)
from qaportal.frameworks.models import Criterion

LAST_YEAR = 9998  # dates are stored as DATE: year 9999 leaves no room for "the day after"


class DecisionError(Exception):
    """Refused; ``errors`` maps form fields to messages (empty: a message for the page)."""

    def __init__(self, message: str, errors: dict[str, str] | None = None, status: int = 409):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        self.status = 400 if self.errors else status


# ----- settings ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    validity_years: int = DEFAULT_VALIDITY_YEARS
    appeal_days: int = DEFAULT_APPEAL_DAYS
    expiry_notice_months: int = DEFAULT_EXPIRY_NOTICE_MONTHS


def settings_for(session: Session, agency_id: int) -> Settings:
    row = session.get(DecisionSettings, agency_id)
    if row is None:
        return Settings()
    return Settings(row.validity_years, row.appeal_days, row.expiry_notice_months)


def save_settings(session: Session, agency_id: int, values: Settings, actor: Actor) -> None:
    row = session.get(DecisionSettings, agency_id)
    before = settings_for(session, agency_id)
    if row is None:
        row = DecisionSettings(agency_id=agency_id)
        session.add(row)
    row.validity_years = values.validity_years
    row.appeal_days = values.appeal_days
    row.expiry_notice_months = values.expiry_notice_months
    row.updated_at = utcnow()
    session.flush()
    record(
        session,
        actor,
        "decision.settings_changed",
        object_type="organisation",
        object_id=agency_id,
        organisation_id=agency_id,
        details={"from": before.__dict__, "to": values.__dict__},
    )


# ----- reading -----------------------------------------------------------------------------


def current_decision(session: Session, case_id: int) -> Decision | None:
    return session.execute(
        select(Decision)
        .where(Decision.case_id == case_id, Decision.status == DecisionStatus.CURRENT)
        .options(selectinload(Decision.conditions).selectinload(DecisionCondition.criterion))
    ).scalar_one_or_none()


def history(session: Session, case_id: int) -> list[Decision]:
    """Every decision of the case, the newest first (superseded ones included)."""
    return list(
        session.execute(
            select(Decision)
            .where(Decision.case_id == case_id, Decision.status != DecisionStatus.PENDING)
            .options(selectinload(Decision.conditions))
            .order_by(Decision.decided_at.desc(), Decision.id.desc())
        ).scalars()
    )


def case_criteria(session: Session, case: Case) -> list[Criterion]:
    return list(
        session.execute(
            select(Criterion)
            .join(
                CaseFramework,
                CaseFramework.framework_version_id == Criterion.framework_version_id,
            )
            .where(CaseFramework.case_id == case.id)
            .order_by(Criterion.framework_version_id, Criterion.position, Criterion.id)
        ).scalars()
    )


def appeal_closes(session: Session, case: Case, decision: Decision) -> dt.datetime:
    days = settings_for(session, case.agency_id).appeal_days
    return decision.decided_at + dt.timedelta(days=days)


def open_appeal(session: Session, case_id: int) -> Appeal | None:
    return session.execute(
        select(Appeal)
        .where(Appeal.case_id == case_id, Appeal.outcome.is_(None))
        .options(selectinload(Appeal.committee).selectinload(AppealCommitteeMember.user))
    ).scalar_one_or_none()


def appeals(session: Session, case_id: int) -> list[Appeal]:
    return list(
        session.execute(
            select(Appeal)
            .where(Appeal.case_id == case_id)
            .options(selectinload(Appeal.committee).selectinload(AppealCommitteeMember.user))
            .order_by(Appeal.lodged_at, Appeal.id)
        ).scalars()
    )


# ----- recording a decision ----------------------------------------------------------------


@dataclass
class ConditionData:
    text: str = ""
    criterion_id: int | None = None
    due_on: dt.date | None = None

    @property
    def blank(self) -> bool:
        return not self.text.strip() and self.due_on is None and not self.criterion_id


@dataclass
class DecisionData:
    outcome: str | None
    eqa_status: str | None
    rationale: str
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    conditions: list[ConditionData] = field(default_factory=list)


def lock_case(session: Session, case: Case) -> None:
    """Take the case row before anything is written, so that two officers serialise here."""
    state = session.execute(
        select(Case.state).where(Case.id == case.id).with_for_update()
    ).scalar_one()
    if state != case.state:
        session.refresh(case)


def state_refusal(case: Case, what: Any) -> DecisionError:
    return DecisionError(
        str(
            _l(
                "Case %(reference)s is %(state)s: %(what)s Nothing was stored.",
                reference=case.reference,
                state=workflow.state_label(case.state),
                what=what,
            )
        )
    )


def validate(session: Session, case: Case, data: DecisionData, *, today: dt.date) -> dict[str, str]:
    """Field errors of a decision, keyed by form field (``conditions-<i>-<field>``)."""
    errors: dict[str, str] = {}
    outcomes = {o.value for o in Outcome}
    if data.outcome not in outcomes:
        errors["outcome"] = str(_l("Choose the outcome."))
    if data.eqa_status not in {s.value for s in EqaStatus}:
        errors["eqa_status"] = str(_l("Say whether the review is obligatory or voluntary."))
    if not data.rationale.strip():
        errors["rationale"] = str(_l("Give the rationale: the provider reads it."))
    allowed = {c.id for c in case_criteria(session, case)}
    rows = [(i, c) for i, c in enumerate(data.conditions) if not c.blank]
    for i, c in rows:
        if not c.text.strip():
            errors[f"conditions-{i}-text"] = str(_l("Write the condition."))
        if c.due_on is None:
            errors[f"conditions-{i}-due_on"] = str(_l("Give the date the condition is due."))
        elif c.due_on <= today:
            errors[f"conditions-{i}-due_on"] = str(_l("The due date must be in the future."))
        elif c.due_on.year > LAST_YEAR:
            errors[f"conditions-{i}-due_on"] = str(_l("Give a date before the year 9999."))
        if c.criterion_id and c.criterion_id not in allowed:
            errors[f"conditions-{i}-criterion"] = str(_l("Choose one of the case's criteria."))
    if data.outcome == Outcome.CONDITIONAL and not rows:
        errors["conditions"] = str(
            _l("A positive decision with conditions needs at least one condition.")
        )
    if data.outcome in (Outcome.POSITIVE, Outcome.NEGATIVE) and rows:
        errors["conditions"] = str(
            _l("Only a positive decision with conditions has conditions: remove them.")
        )
    if data.outcome != Outcome.NEGATIVE:
        for name, value in (("valid_from", data.valid_from), ("valid_until", data.valid_until)):
            if value is not None and value.year > LAST_YEAR:
                errors[name] = str(_l("Give a date before the year 9999."))
        if (
            data.valid_from
            and data.valid_until
            and "valid_until" not in errors
            and data.valid_until <= data.valid_from
        ):
            errors["valid_until"] = str(_l("The end of validity must follow its start."))
    return errors


def validity(
    session: Session, case: Case, data: DecisionData, today: dt.date
) -> tuple[dt.date | None, dt.date | None]:
    """The accreditation's first and last day (None for a negative decision): also shown on
    the "check your decision" page (qaportal/decisions/preview.py)."""
    if data.outcome == Outcome.NEGATIVE:
        return None, None  # a negative decision accredits nothing
    start = data.valid_from or today
    years = settings_for(session, case.agency_id).validity_years
    return start, data.valid_until or add_years(start, years)


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)


def new_decision(
    session: Session,
    case: Case,
    data: DecisionData,
    user: User,
    today: dt.date,
    *,
    status: DecisionStatus,
    replaces: Decision | None = None,
) -> Decision:
    start, until = validity(session, case, data, today)
    decision = Decision(
        case_id=case.id,
        status=status,
        outcome=Outcome(data.outcome),
        eqa_status=EqaStatus(data.eqa_status),
        rationale=data.rationale.strip(),
        valid_from=start,
        valid_until=until,
        decided_on=today,
        decided_at=utcnow(),
        decided_by_id=user.id,
        replaces_id=replaces.id if replaces else None,
        conditions=[
            DecisionCondition(
                text=c.text.strip(), criterion_id=c.criterion_id or None, due_on=c.due_on
            )
            for c in data.conditions
            if not c.blank
        ],
    )
    session.add(decision)
    session.flush()
    return decision


def decide(
    session: Session,
    case: Case,
    data: DecisionData,
    user: User,
    actor: Actor,
    *,
    today: dt.date | None = None,
) -> Decision:
    """Record the decision and move the case DECISION_PENDING -> DECIDED in one transaction."""
    today = today or utcnow().date()
    lock_case(session, case)
    if case.state != CaseState.DECISION_PENDING:
        raise state_refusal(case, _l("a decision is recorded only once the panel report is final."))
    errors = validate(session, case, data, today=today)
    if errors:
        raise DecisionError(str(_l("Correct the marked fields.")), errors)
    decision = new_decision(session, case, data, user, today, status=DecisionStatus.PENDING)
    workflow.apply_transition(session, case, "decide", user, actor)
    record(
        session,
        actor,
        "decision.recorded",
        object_type="decision",
        object_id=decision.id,
        organisation_id=case.provider_id,
        details=audit_details(case, decision),
    )
    return decision


def audit_details(case: Case, decision: Decision) -> dict[str, Any]:
    return {
        "reference": case.reference,
        "agency_id": case.agency_id,
        "decision_id": decision.id,
        "outcome": decision.outcome.value,
        "status": decision.eqa_status.value,
        "valid_from": decision.valid_from.isoformat() if decision.valid_from else None,
        "valid_until": decision.valid_until.isoformat() if decision.valid_until else None,
        "conditions": len(decision.conditions),
    }


# ----- guards and effects of the workflow table ------------------------------------------


class ProblemKind(enum.StrEnum):
    DECISION = "decision"


@dataclass
class Problem:
    """Shaped like :class:`qaportal.cases.assessment.Problem` for the generic action page."""

    message: str
    kind: ProblemKind = ProblemKind.DECISION
    criterion_id: int | None = None
    specification_id: int | None = None


def _pending(session: Session, case_id: int) -> Decision | None:
    return session.execute(
        select(Decision).where(
            Decision.case_id == case_id, Decision.status == DecisionStatus.PENDING
        )
    ).scalar_one_or_none()


def decision_ready(session: Session, case: Case) -> list[Any]:
    pending = _pending(session, case.id)
    if pending is None or not pending.rationale.strip():
        return [Problem(str(_l("Record the decision with its rationale on the decision page.")))]
    if pending.outcome == Outcome.CONDITIONAL and not pending.conditions:
        return [Problem(str(_l("A positive decision with conditions needs a condition.")))]
    return []


def promote_decision(session: Session, case: Case, user: User, reason: str) -> None:
    decision = _pending(session, case.id)
    assert decision is not None  # the guard checked
    decision.status = DecisionStatus.CURRENT
    session.flush()


def appeal_window_open(session: Session, case: Case) -> bool:
    decision = current_decision(session, case.id)
    return decision is not None and utcnow() <= appeal_closes(session, case, decision)


def within_appeal_window(session: Session, case: Case) -> list[Any]:
    decision = current_decision(session, case.id)
    if decision is None or not appeal_window_open(session, case):
        return [Problem(str(_l("The appeal window has closed.")))]
    if open_appeal(session, case.id) is None:
        return [Problem(str(_l("Write the grounds of the appeal on the decision page.")))]
    return []


def appeal_decided(session: Session, case: Case) -> list[Any]:
    appeal = session.execute(
        select(Appeal)
        .where(Appeal.case_id == case.id)
        .order_by(Appeal.lodged_at.desc(), Appeal.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if appeal is None or appeal.outcome is None:
        return [Problem(str(_l("Record the appeals committee's outcome first.")))]
    return []


def ready_for_follow_up(session: Session, case: Case) -> list[Any]:
    decision = current_decision(session, case.id)
    if decision is None or not decision.conditions:
        return [Problem(str(_l("The decision has no conditions to follow up.")))]
    if appeal_window_open(session, case):
        return [Problem(str(_l("The appeal window is still open.")))]
    return []


def ready_to_close_decided(session: Session, case: Case) -> list[Any]:
    decision = current_decision(session, case.id)
    if decision is None:
        return [Problem(str(_l("The case has no decision.")))]
    if decision.conditions:
        return [Problem(str(_l("The conditions are followed up before the case closes.")))]
    if appeal_window_open(session, case):
        return [Problem(str(_l("The appeal window is still open.")))]
    return []


def all_conditions_met(session: Session, case: Case) -> list[Any]:
    decision = current_decision(session, case.id)
    if decision is None:
        return [Problem(str(_l("The case has no decision.")))]
    return [
        Problem(str(_l("Condition not met yet: %(text)s", text=c.text[:80])))
        for c in decision.conditions
        if c.status != ConditionStatus.MET
    ]
