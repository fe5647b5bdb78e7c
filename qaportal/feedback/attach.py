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
from typing import Any

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
from qaportal.jobs import JobFailed
from qaportal.jobs.models import BackgroundJob

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


def check_attachable(session: Session, campaign: Campaign, case: Case) -> list[Criterion]:
    """The criteria the summary would be linked to; FeedbackError when it cannot be."""
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
    return criteria


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

    criteria = check_attachable(session, campaign, case)
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


# ----- off the request: the summary as a background job --------------------------------------

SUMMARY_REPORT = "feedback-summary"
# Registered with attach_summary_job by qaportal.feedback.register at start-up.
JOB_KIND = "feedback-summary"


def queue_summary(
    session: Session, campaign: Campaign, case: Case, *, actor: Actor, locale: str
) -> BackgroundJob:
    """Record the job of rendering ``campaign``'s summary and attaching it to ``case``, in the
    caller's transaction; dispatch it (``qaportal.tasks.dispatch``) once that commits."""
    from qaportal.jobs.services import create_job

    return create_job(
        session,
        JOB_KIND,
        {
            "campaign": campaign.id,
            "case": case.id,
            "case_reference": case.reference,
            "locale": locale,
            "actor": {
                "user_id": actor.user_id,
                "label": actor.label,
                "ip_address": actor.ip_address,
            },
        },
        actor=actor,
        organisation_id=campaign.provider_id,
    )


def summary_job(session: Session, campaign: Campaign, job_id: str) -> BackgroundJob | None:
    """A summary job of ``campaign`` (None: no such job for this campaign)."""
    from qaportal.jobs.services import find_job

    job = find_job(session, job_id)
    if job is None or job.kind != JOB_KIND or job.payload.get("campaign") != campaign.id:
        return None
    return job


def summary_job_case(session: Session, job: BackgroundJob) -> Case | None:
    return session.get(Case, job.payload.get("case"))


def attach_summary_job(session: Session, job: BackgroundJob) -> dict[str, Any]:
    """The job's work: render the summary from ``reports/`` and attach it, in ``session``
    (the runner commits it together with the job's outcome)."""
    from flask import current_app

    from qaportal.evidence.storage import get_storage
    from qaportal.feedback import results
    from qaportal.feedback.models import DEFAULT_MIN_RESPONSES
    from qaportal.feedback.services import campaign_threshold, load_campaign
    from qaportal.reporting.documents.feedback import summary_context
    from qaportal.reporting.pdf import render_pdf

    payload = job.payload
    try:
        campaign = load_campaign(session, payload["campaign"])
        case = session.get(Case, payload["case"])
        if campaign is None or case is None:
            raise FeedbackError(str(_l("The campaign or the case no longer exists.")), "case")
        default = int(current_app.config.get("FEEDBACK_MIN_RESPONSES", DEFAULT_MIN_RESPONSES))
        threshold = campaign_threshold(session, campaign, default)
        found = results.campaign_results(session, campaign, threshold)
        if not found.shown:
            raise FeedbackError(str(_l("There are not enough responses yet.")), "case")
        pdf = render_pdf(
            SUMMARY_REPORT,
            summary_context(session, campaign, found, str(payload.get("locale") or "en")),
            str(payload.get("locale") or "en"),
        )
        actor = payload.get("actor") or {}
        user = session.get(User, actor["user_id"]) if actor.get("user_id") else None
        evidence = attach_summary(
            session, get_storage(), campaign, case, pdf, user=user, actor=Actor(**actor)
        )
    except FeedbackError as exc:
        raise JobFailed(exc.message) from exc
    return {"evidence": evidence.id, "case_id": case.id}
