"""Helpers shared by the feedback tests (not a test module)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from qaportal.audit.services import Actor
from qaportal.catalogue.models import Specification, SpecificationVersion
from qaportal.db import get_session, utcnow
from qaportal.feedback import services
from qaportal.feedback.models import (
    Campaign,
    FeedbackInvitation,
    FeedbackKind,
    FeedbackResponse,
)
from qaportal.orgs.models import Organisation

UDV_ADMIN = "admin@university.example.org"
UDV_EDITOR = "editor@university.example.org"
NVTC_ADMIN = "admin@vet.example.org"
AGENCY_ADMIN = "admin@agency.example.org"
AGENCY_OFFICER = "officer@agency.example.org"
REVIEWER = "reviewer1@reviewers.example.org"

UDV = "University of Demoville"
# A printed code, its groups joined by "-<wbr>" (the slip wraps it between groups only).
CODE_RE = re.compile(r'class="slip-code">((?:[0-9A-Z]+-(?:<wbr>)?)*[0-9A-Z]+)<')
LINK_RE = re.compile(r"/f/([A-Z2-7]{32})")


def provider(name: str = "University of Demoville") -> Organisation:
    return (
        get_session()
        .execute(select(Organisation).where(Organisation.legal_name == name))
        .scalar_one()
    )


def make_specification(app: Flask, title: str, provider_name: str = UDV) -> int:
    """A specification with one draft version (enough to survey it)."""
    with app.app_context():
        db = get_session()
        spec = Specification(provider_id=provider(provider_name).id)
        spec.versions.append(SpecificationVersion(number=1, title=title))
        db.add(spec)
        db.commit()
        return spec.id


def make_campaign(
    app: Flask,
    spec_ids: Iterable[int],
    *,
    kind: FeedbackKind = FeedbackKind.LEARNER,
    title: str = "Spring cohort",
    opens_on: dt.date | None = None,
    closes_on: dt.date | None = None,
    provider_name: str = "University of Demoville",
) -> int:
    with app.app_context():
        db = get_session()
        today = utcnow().date()
        campaign = services.create_campaign(
            db,
            provider(provider_name),
            kind=kind,
            title=title,
            opens_on=opens_on or today,
            closes_on=closes_on or today + dt.timedelta(days=30),
            specification_ids=list(spec_ids),
            actor=Actor.system("test"),
        )
        db.commit()
        return campaign.id


def make_codes(app: Flask, campaign_id: int, count: int) -> list[str]:
    """Clear tokens of ``count`` fresh printed codes."""
    with app.app_context():
        db = get_session()
        campaign = services.load_campaign(db, campaign_id)
        assert campaign is not None
        printed = services.generate_codes(db, campaign, count, Actor.system("test"), "http://x")
        db.commit()
        return [p.url.rsplit("/", 1)[1] for p in printed]


def answer_directly(app: Flask, campaign_id: int, answers: list[services.Answers]) -> None:
    """Store responses through the service (fast): one fresh code per response."""
    tokens = make_codes(app, campaign_id, len(answers))
    with app.app_context():
        db = get_session()
        for token, given in zip(tokens, answers, strict=True):
            invitation = services.redeem(db, token)
            services.submit_response(db, invitation, given)
            db.commit()


def likert(**values: int) -> services.Answers:
    return services.Answers(likert=dict(values))


def count_responses(app: Flask, campaign_id: int) -> int:
    with app.app_context():
        return (
            get_session()
            .execute(
                select(func.count())
                .select_from(FeedbackResponse)
                .where(FeedbackResponse.campaign_id == campaign_id)
            )
            .scalar_one()
        )


def used_invitations(app: Flask, campaign_id: int) -> int:
    with app.app_context():
        return (
            get_session()
            .execute(
                select(func.count())
                .select_from(FeedbackInvitation)
                .where(
                    FeedbackInvitation.campaign_id == campaign_id, FeedbackInvitation.used.is_(True)
                )
            )
            .scalar_one()
        )


def open_survey(client: FlaskClient, token: str) -> Any:
    """Follow a link like a browser: the token is exchanged, then the survey page loads."""
    response = client.get(f"/f/{token}")
    assert response.status_code == 303, response.status_code
    assert response.headers["Location"].endswith("/f")
    return client.get("/f")


def csrf_of(page: Any) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return match.group(1)


def set_closes_at(app: Flask, campaign_id: int, when: dt.datetime) -> None:
    with app.app_context():
        db = get_session()
        campaign = db.get(Campaign, campaign_id)
        campaign.closes_at = when
        db.commit()
