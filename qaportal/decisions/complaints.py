"""Complaints about the process: lodged by the provider at any stage of an open case,
answered by the agency; not a transition. The caller commits."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from qaportal.audit.services import Actor, record
from qaportal.auth.models import User
from qaportal.cases import workflow
from qaportal.cases.models import Case, CaseState
from qaportal.db import utcnow
from qaportal.decisions.models import (
    Complaint,
    ComplaintStatus,
)
from qaportal.decisions.services import (
    DecisionError,
    state_refusal,
)
from qaportal.notifications.services import enqueue

# ----- complaints --------------------------------------------------------------------------

_CLOSED_STATES = frozenset({CaseState.CLOSED, CaseState.WITHDRAWN})


def complaints(session: Session, case_id: int) -> list[Complaint]:
    return list(
        session.execute(
            select(Complaint)
            .where(Complaint.case_id == case_id)
            .order_by(Complaint.lodged_at, Complaint.id)
        ).scalars()
    )


def lodge_complaint(session: Session, case: Case, text: str, user: User, actor: Actor) -> Complaint:
    """A complaint about the process, at any stage of an open case; the agency is told."""
    if case.state in _CLOSED_STATES:
        raise state_refusal(case, _l("complaints are lodged while a case is open."))
    if not text.strip():
        raise DecisionError("", {"text": str(_l("Describe what you complain about."))})
    complaint = Complaint(case_id=case.id, text=text.strip(), lodged_by_id=user.id)
    session.add(complaint)
    session.flush()
    record(
        session,
        actor,
        "complaint.lodged",
        object_type="complaint",
        object_id=complaint.id,
        organisation_id=case.provider_id,
        details={"reference": case.reference, "agency_id": case.agency_id},
    )
    subject = str(_l("[qaportal] %(reference)s: a complaint", reference=case.reference))
    body = "\n".join(
        [
            str(
                _l(
                    "%(provider)s lodged a complaint about the process of case %(reference)s.",
                    provider=case.provider.display_name,
                    reference=case.reference,
                )
            ),
            "",
            workflow.case_url(case),
        ]
    )
    for address in workflow.recipients(session, case, "agency"):
        enqueue(session, address, subject, body, organisation_id=case.agency_id)
    return complaint


def respond_complaint(
    session: Session, case: Case, complaint: Complaint, response: str, user: User, actor: Actor
) -> None:
    if complaint.status != ComplaintStatus.OPEN:
        raise DecisionError(str(_l("This complaint has been answered already.")))
    if not response.strip():
        raise DecisionError("", {"response": str(_l("Write the agency's response."))})
    complaint.response = response.strip()
    complaint.status = ComplaintStatus.ANSWERED
    complaint.responded_at = utcnow()
    complaint.responded_by_id = user.id
    session.flush()
    record(
        session,
        actor,
        "complaint.answered",
        object_type="complaint",
        object_id=complaint.id,
        organisation_id=case.provider_id,
        details={"reference": case.reference, "agency_id": case.agency_id},
    )
    subject = str(_l("[qaportal] %(reference)s: your complaint", reference=case.reference))
    body = "\n".join(
        [
            str(_l("The agency answered your complaint:")),
            complaint.response,
            "",
            workflow.case_url(case),
        ]
    )
    for address in workflow.recipients(session, case, "provider"):
        enqueue(session, address, subject, body, organisation_id=case.agency_id)
