"""Demo feedback: a learner campaign of the demo university with enough answers to show."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from qaportal.audit.services import Actor
from qaportal.db import utcnow
from qaportal.feedback import questionnaire as qn
from qaportal.feedback import services
from qaportal.feedback.models import Campaign, FeedbackKind
from qaportal.orgs.models import Organisation

DEMO_TITLE = "Demo learner feedback, autumn cohort"
DEMO_RESPONSES = 12
COMMENTS = [
    "The weekly case studies made the outcomes concrete.",
    "More time for the final project would help.",
    "Clear assessment criteria; I knew what was expected.",
    "The platform was hard to use on a phone.",
    "Tutors answered quickly in the forum.",
]


def seed_demo_feedback(session: Session, provider_name: str) -> int | None:
    """A learner campaign for the provider's first micro-credential, with responses.

    Idempotent: a second run finds the campaign and changes nothing. Returns its id, or
    None when the provider has no micro-credential in its catalogue. The caller commits.
    """
    provider = session.execute(
        select(Organisation).where(Organisation.legal_name == provider_name)
    ).scalar_one_or_none()
    if provider is None:
        return None
    existing = session.execute(
        select(Campaign.id).where(Campaign.provider_id == provider.id, Campaign.title == DEMO_TITLE)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    choices = services.provider_specifications(session, provider.id)
    if not choices:
        return None
    actor = Actor.system("demo")
    today = utcnow().date()
    campaign = services.create_campaign(
        session,
        provider,
        kind=FeedbackKind.LEARNER,
        title=DEMO_TITLE,
        opens_on=today - dt.timedelta(days=20),
        closes_on=today + dt.timedelta(days=10),
        specification_ids=[choices[0].id],
        actor=actor,
    )
    questionnaire = qn.for_version(campaign.questionnaire_version)
    rng = random.Random(2022)  # the same demo answers every time
    codes = services.generate_codes(
        session, campaign, DEMO_RESPONSES + 8, actor, "http://localhost"
    )
    for index, code in enumerate(codes[:DEMO_RESPONSES]):
        answers = services.Answers()
        for item in questionnaire.items:
            if item.is_likert:
                answers.likert[item.code] = rng.choice([2, 3, 4, 4, 4, 5, 5])
            elif item.type == qn.SINGLE:
                answers.choices[item.code] = [rng.choice(item.options).code]
            elif item.type == qn.MULTIPLE:
                answers.choices[item.code] = [o.code for o in rng.sample(item.options, 2)]
        if index < len(COMMENTS):
            answers.texts["comments_best" if index % 2 == 0 else "comments_improve"] = COMMENTS[
                index
            ]
        invitation = services.redeem(session, code.url.rsplit("/", 1)[1])
        services.submit_response(session, invitation, answers)
    return campaign.id
