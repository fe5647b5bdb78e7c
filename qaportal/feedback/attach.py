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
import logging
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

logger = logging.getLogger(__name__)

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


# ----- off the request: the summary as a queued job ------------------------------------------

SUMMARY_REPORT = "feedback-summary"


def queue_summary(campaign: Campaign, case: Case, *, actor: Actor, locale: str) -> str:
    """Queue the rendering and attaching of ``campaign``'s summary to ``case``; the job id."""
    from qaportal import tasks

    job_id = tasks.new_job(kind="feedback-summary", campaign=campaign.id, case=case.reference)
    tasks.enqueue(
        "attach_feedback_summary",
        job_id,
        campaign.id,
        case.id,
        {"user_id": actor.user_id, "label": actor.label, "ip_address": actor.ip_address},
        locale,
    )
    return job_id


def summary_job(campaign: Campaign, job_id: str) -> dict[str, Any] | None:
    """The status of a summary job of ``campaign`` (None: no such job for this campaign)."""
    from qaportal import tasks

    job = tasks.job_status(job_id)
    if not job or job.get("kind") != "feedback-summary" or job.get("campaign") != campaign.id:
        return None
    return job


def attach_summary_job(
    job_id: str, campaign_id: int, case_id: int, actor: dict[str, Any], locale: str
) -> None:
    """The queued task: render the summary from ``reports/`` and attach it, in a session of
    its own; the outcome goes to the job's status."""
    from flask import current_app, g
    from flask_babel import force_locale

    from qaportal import tasks
    from qaportal.db import get_session
    from qaportal.evidence.storage import get_storage
    from qaportal.feedback import charts, results
    from qaportal.feedback.models import DEFAULT_MIN_RESPONSES
    from qaportal.feedback.services import campaign_threshold, load_campaign
    from qaportal.reporting.pdf import render_pdf

    g.qaportal_job = job_id  # Flask-Babel's force_locale needs a non-empty g
    with force_locale(locale):
        db = get_session()
        try:
            campaign = load_campaign(db, campaign_id)
            case = db.get(Case, case_id)
            if campaign is None or case is None:
                raise FeedbackError(str(_l("The campaign or the case no longer exists.")), "case")
            default = int(current_app.config.get("FEEDBACK_MIN_RESPONSES", DEFAULT_MIN_RESPONSES))
            threshold = campaign_threshold(db, campaign, default)
            found = results.campaign_results(db, campaign, threshold)
            if not found.shown:
                raise FeedbackError(str(_l("There are not enough responses yet.")), "case")
            pdf = render_pdf(
                SUMMARY_REPORT,
                {"campaign": campaign, "results": found, "charts": charts.result_charts(found)},
                locale,
            )
            user = db.get(User, actor["user_id"]) if actor.get("user_id") else None
            evidence = attach_summary(
                db, get_storage(), campaign, case, pdf, user=user, actor=Actor(**actor)
            )
            db.commit()
        except FeedbackError as exc:
            db.rollback()
            tasks.set_job_status(job_id, state="failed", error=exc.message)
            return
        except Exception:
            db.rollback()
            logger.exception("feedback summary job %s failed", job_id)
            tasks.set_job_status(
                job_id,
                state="failed",
                error=str(_l("The summary could not be prepared. Please try again later.")),
            )
            return
        tasks.set_job_status(job_id, state="done", evidence=evidence.id, case_id=case.id)
