"""Learner and peer feedback in the printed documents: the feedback results of
:mod:`qaportal.feedback.results` and the charts of :mod:`qaportal.feedback.charts`, the same
figures the results page and the feedback summary show, as plain data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from qaportal.cases.models import Case, CaseScope
from qaportal.db import utcnow
from qaportal.feedback.models import (
    DEFAULT_MIN_RESPONSES,
    Campaign,
    CampaignSpecification,
    FeedbackKind,
)
from qaportal.feedback.results import CampaignResults


@dataclass(frozen=True)
class FeedbackBlock:
    """One campaign's results: ``results`` and ``charts`` are what the shared partial
    ``feedback/_results_body.html`` expects."""

    anchor: str
    kind: str
    kind_label: str
    title: str
    opens_on: dt.date
    closes_on: dt.date
    specifications: list[str]
    results: CampaignResults
    charts: list[Markup]


def kind_label(kind: FeedbackKind) -> str:
    return _("Learner feedback") if kind == FeedbackKind.LEARNER else _("Peer feedback")


def _threshold(session: Session, campaign: Campaign) -> int:
    from qaportal.feedback.services import campaign_threshold

    default = DEFAULT_MIN_RESPONSES
    if has_app_context():
        default = int(current_app.config.get("FEEDBACK_MIN_RESPONSES", default))
    return campaign_threshold(session, campaign, default)


def feedback_block(session: Session, campaign: Campaign) -> FeedbackBlock:
    from qaportal.feedback import charts, results

    found = results.campaign_results(session, campaign, _threshold(session, campaign))
    return FeedbackBlock(
        f"feedback-{campaign.id}",
        campaign.kind.value,
        kind_label(campaign.kind),
        campaign.title,
        found.summary.opens_on,
        found.summary.closes_on,
        list(found.summary.specifications),
        found,
        charts.result_charts(found) if found.shown else [],
    )


def case_feedback(session: Session, case: Case) -> list[FeedbackBlock]:
    """The newest closed learner and peer campaign over the case's micro-credentials: the
    feedback the provider's internal QA had in hand (Annex II, principle 1)."""
    in_scope = select(CaseScope.specification_id).where(CaseScope.case_id == case.id)
    campaigns = (
        session.execute(
            select(Campaign)
            .join(CampaignSpecification, CampaignSpecification.campaign_id == Campaign.id)
            .where(
                Campaign.provider_id == case.provider_id,
                Campaign.closes_at <= utcnow(),
                CampaignSpecification.specification_id.in_(in_scope),
            )
            .options(
                joinedload(Campaign.provider),
                joinedload(Campaign.questionnaire_version),
                selectinload(Campaign.specifications),
            )
            .order_by(Campaign.closes_at.desc(), Campaign.id.desc())
        )
        .unique()
        .scalars()
    )
    newest: dict[FeedbackKind, Campaign] = {}
    for campaign in campaigns:
        newest.setdefault(campaign.kind, campaign)
    return [
        feedback_block(session, newest[kind])
        for kind in (FeedbackKind.LEARNER, FeedbackKind.PEER)
        if kind in newest
    ]


def summary_context(
    session: Session, campaign: Campaign, found: CampaignResults, locale: str = "en"
) -> dict[str, Any]:
    """The context of ``reports/feedback-summary``: one campaign's results, plain data."""
    with force_locale(locale):
        return _summary_context(session, campaign, found)


def _summary_context(
    session: Session, campaign: Campaign, found: CampaignResults
) -> dict[str, Any]:
    from qaportal.feedback import charts

    provider = campaign.provider
    agency = provider.managing_agency
    block = FeedbackBlock(
        f"feedback-{campaign.id}",
        campaign.kind.value,
        kind_label(campaign.kind),
        campaign.title,
        found.summary.opens_on,
        found.summary.closes_on,
        list(found.summary.specifications),
        found,
        charts.result_charts(found) if found.shown else [],
    )
    agency_name = agency.display_name if agency is not None else provider.display_name
    return {
        "agency": {"name": agency_name, "logo_url": None, "country": ""},
        "provider_name": provider.display_name,
        "feedback": block,
        "results": found,
        "charts": block.charts,
        "running_header": f"{provider.display_name} — {campaign.title}",
        "draft": False,
        "generated_at": utcnow(),
        "verification": None,
        "document_title": _("Feedback summary: %(title)s", title=campaign.title),
    }
