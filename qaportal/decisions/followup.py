"""The follow-up of conditions (the provider answers, the officer assesses) and the notices
of accreditations nearing their end sent by ``qaportal reminders``. The caller commits."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from qaportal.audit.services import Actor, record
from qaportal.auth.models import User
from qaportal.cases import workflow
from qaportal.cases.models import Case, CaseState
from qaportal.db import utcnow
from qaportal.decisions.documents import add_document
from qaportal.decisions.models import (
    DEFAULT_EXPIRY_NOTICE_MONTHS,
    ConditionStatus,
    Decision,
    DecisionCondition,
    DecisionSettings,
    DecisionStatus,
    Outcome,
)
from qaportal.decisions.services import (
    DecisionError,
    current_decision,
    lock_case,
    state_refusal,
)
from qaportal.evidence.models import Evidence
from qaportal.evidence.services import ReceivedFile
from qaportal.evidence.storage import Storage
from qaportal.notifications.services import enqueue

# ----- follow-up ---------------------------------------------------------------------------


def condition_of(session: Session, case: Case, condition_id: int) -> DecisionCondition | None:
    decision = current_decision(session, case.id)
    if decision is None:
        return None
    return next((c for c in decision.conditions if c.id == condition_id), None)


def answer_condition(
    session: Session,
    case: Case,
    condition: DecisionCondition,
    text: str,
    evidence_id: int | None,
    user: User,
    actor: Actor,
    *,
    document: ReceivedFile | None = None,
    storage: Storage | None = None,
) -> None:
    """Record the provider's answer, with existing evidence of the case (``evidence_id``) or
    a new file (``document``, already checked by the evidence domain, stored only once
    everything else holds). On refusal nothing is stored; the caller discards ``document``."""
    lock_case(session, case)
    if case.state != CaseState.FOLLOW_UP:
        raise state_refusal(case, _l("conditions are answered during the follow-up."))
    if condition.status == ConditionStatus.MET:
        raise DecisionError(str(_l("This condition has been marked met already.")))
    if not text.strip():
        raise DecisionError("", {"answer": str(_l("Say how the condition is met."))})
    if evidence_id and document is not None:
        raise DecisionError(
            "",
            {"document": str(_l("Choose existing evidence or send a new file, not both."))},
        )
    if evidence_id:
        evidence = session.get(Evidence, evidence_id)
        if evidence is None or evidence.case_id != case.id:
            raise DecisionError("", {"evidence": str(_l("Choose evidence of this case."))})
    if document is not None:
        assert storage is not None
        title = _l("Answer to a condition: %(name)s", name=document.name)
        evidence_id = add_document(session, storage, case, document, user, title).id
    condition.answer = text.strip()
    condition.answer_evidence_id = evidence_id or None
    condition.answered_at = utcnow()
    condition.answered_by_id = user.id
    condition.status = ConditionStatus.ANSWERED
    session.flush()
    record(
        session,
        actor,
        "condition.answered",
        object_type="condition",
        object_id=condition.id,
        organisation_id=case.provider_id,
        details={
            "reference": case.reference,
            "agency_id": case.agency_id,
            "evidence_id": evidence_id or None,
            "new_file": document is not None,
        },
    )


def assess_condition(
    session: Session,
    case: Case,
    condition: DecisionCondition,
    met: bool,
    comment: str,
    user: User,
    actor: Actor,
) -> None:
    lock_case(session, case)
    if case.state != CaseState.FOLLOW_UP:
        raise state_refusal(case, _l("conditions are assessed during the follow-up."))
    if condition.status == ConditionStatus.OPEN:
        raise DecisionError(str(_l("The provider has not answered this condition yet.")))
    if not met and not comment.strip():
        raise DecisionError("", {"comment": str(_l("Say what is missing."))})
    condition.status = ConditionStatus.MET if met else ConditionStatus.NOT_MET
    condition.assessment = comment.strip()
    condition.assessed_at = utcnow()
    condition.assessed_by_id = user.id
    session.flush()
    record(
        session,
        actor,
        "condition.assessed",
        object_type="condition",
        object_id=condition.id,
        organisation_id=case.provider_id,
        details={"reference": case.reference, "agency_id": case.agency_id, "met": met},
    )


# ----- expiry notices (``qaportal reminders``) ---------------------------------------------


def send_expiry_notices(session: Session, actor: Actor, *, today: dt.date | None = None) -> int:
    """Tell the provider and the agency, once per decision, that an accreditation expires
    within the agency's notice period and re-accreditation is due. Returns the count."""
    from flask_babel import format_date

    today = today or utcnow().date()
    rows = session.execute(
        select(Decision, Case, DecisionSettings.expiry_notice_months)
        .join(Case, Case.id == Decision.case_id)
        .outerjoin(DecisionSettings, DecisionSettings.agency_id == Case.agency_id)
        .where(
            Decision.status == DecisionStatus.CURRENT,
            Decision.outcome != Outcome.NEGATIVE,
            Decision.expiry_notified_at.is_(None),
            Decision.valid_until.between(today, today + dt.timedelta(days=60 * 31)),
        )
        .options(selectinload(Case.provider), selectinload(Case.agency))
        .order_by(Decision.valid_until, Decision.id)
        .with_for_update(of=Decision)
    ).all()
    sent = 0
    now = utcnow()
    for decision, case, months in rows:
        notice = dt.timedelta(days=round((months or DEFAULT_EXPIRY_NOTICE_MONTHS) * 30.44))
        assert decision.valid_until is not None
        if decision.valid_until > today + notice:
            continue
        decision.expiry_notified_at = now
        sent += 1
        subject = str(
            _l(
                "[qaportal] %(reference)s: accreditation expires on %(date)s",
                reference=case.reference,
                date=format_date(decision.valid_until),
            )
        )
        body = "\n".join(
            [
                str(
                    _l(
                        "The accreditation of %(provider)s (case %(reference)s) expires on "
                        "%(date)s: re-accreditation is due.",
                        provider=case.provider.display_name,
                        reference=case.reference,
                        date=format_date(decision.valid_until),
                    )
                ),
                "",
                workflow.case_url(case),
            ]
        )
        for who in ("provider", "agency"):
            for address in workflow.recipients(session, case, who):
                enqueue(session, address, subject, body, organisation_id=case.agency_id)
    if sent:
        record(session, actor, "decision.expiry_notices_sent", details={"decisions": sent})
    return sent
