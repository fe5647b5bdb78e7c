"""A campaign's summary as evidence of a case's self-assessment.

The summary (the results page's figures and charts, as a PDF rendered with WeasyPrint) is
stored through the evidence services of :mod:`qaportal.evidence.services`, so it is checked,
stored once per content and linked like any upload. It is linked to the case's criteria
tagged with the internal-QA element the campaign speaks to (``learner_feedback`` or
``peer_feedback``, Annex II principle 1); the agency's staff (and, later, its reviewers) see
it in the case with the rest of the evidence.
"""

from __future__ import annotations

import io

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from qaportal.audit.services import Actor, record
from qaportal.auth.models import User
from qaportal.cases.models import Case, CaseFramework, CaseState
from qaportal.evidence.models import Evidence
from qaportal.evidence.storage import Storage
from qaportal.feedback.models import Campaign, FeedbackKind
from qaportal.feedback.services import FeedbackError
from qaportal.frameworks.models import Criterion

QA_ELEMENT = {FeedbackKind.LEARNER: "learner_feedback", FeedbackKind.PEER: "peer_feedback"}


def attachable_cases(session: Session, provider_id: int) -> list[Case]:
    """The provider's cases whose self-assessment is still being written."""
    return list(
        session.execute(
            select(Case)
            .where(Case.provider_id == provider_id, Case.state == CaseState.DRAFT)
            .options(joinedload(Case.agency))
            .order_by(Case.created_at.desc(), Case.id.desc())
        ).scalars()
    )


def feedback_criteria(session: Session, case: Case, kind: FeedbackKind) -> list[Criterion]:
    """The case's criteria tagged with the campaign kind's internal-QA element."""
    element = QA_ELEMENT[kind]
    criteria = session.execute(
        select(Criterion)
        .join(CaseFramework, CaseFramework.framework_version_id == Criterion.framework_version_id)
        .where(CaseFramework.case_id == case.id)
        .order_by(Criterion.framework_version_id, Criterion.position)
    ).scalars()
    return [c for c in criteria if element in (c.qa_elements or [])]


def render_pdf(html: str, base_url: str | None = None) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=base_url).write_pdf()


def attach_summary(
    session: Session,
    storage: Storage,
    campaign: Campaign,
    case: Case,
    pdf: bytes,
    *,
    user: User | None,
    actor: Actor,
) -> Evidence:
    """Store the rendered summary as evidence of ``case`` for the feedback criteria."""
    from qaportal.cases.assessment import CaseLocked
    from qaportal.evidence.inspection import Rejected
    from qaportal.evidence.services import add_evidence, receive

    if case.provider_id != campaign.provider_id:
        raise FeedbackError(str(_l("Choose a case of your own organisation.")), "case")
    criteria = feedback_criteria(session, case, campaign.kind)
    if not criteria:
        raise FeedbackError(
            str(
                _l(
                    "The case's frameworks have no criterion about %(what)s to attach the "
                    "summary to.",
                    what=_l("learner feedback")
                    if campaign.kind == FeedbackKind.LEARNER
                    else _l("peer feedback"),
                )
            ),
            "case",
        )
    name = f"feedback-summary-campaign-{campaign.id}.pdf"
    try:
        received = receive(storage, io.BytesIO(pdf), name)
        evidence = add_evidence(
            session,
            storage,
            case,
            received,
            title=str(_l("Feedback summary: %(title)s", title=campaign.title)),
            criterion_ids=[c.id for c in criteria],
            user=user,
            actor=actor,
        )
    except Rejected as exc:
        raise FeedbackError(str(exc), "case") from exc
    except CaseLocked as exc:
        raise FeedbackError(
            str(_l("The case's self-assessment has been submitted and can no longer change.")),
            "case",
        ) from exc
    record(
        session,
        actor,
        "feedback.summary_attached",
        object_type="feedback_campaign",
        object_id=campaign.id,
        organisation_id=campaign.provider_id,
        details={
            "case": case.reference,
            "evidence": evidence.id,
            "criteria": [c.code for c in criteria],
        },
    )
    return evidence
