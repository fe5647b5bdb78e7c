"""Every demo login lands on a dashboard that either offers something to do (a link to the
task) or says in words what will appear there and when, with the next step as a link."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import select

from qaportal.cases.models import Case, CaseState
from qaportal.db import get_session, utcnow
from qaportal.feedback.models import Campaign
from qaportal.orgs.models import Organisation
from tests.conftest import login

AGENCY_WAITING = "When a provider submits a self-assessment, its case appears here to be screened"
REVIEWER_WAITING = "When an agency assigns you to a review panel, the case will appear here"
ADMIN_WAITING = "A self-assessment to write appears here once you apply for accreditation"
EDITOR_WAITING = "once your provider&#39;s administrator applies for accreditation"


class _Main(HTMLParser):
    """The text and the links of the page's <main>, as a reader of the page gets them."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._label: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "main":
            self.depth += 1
        elif tag == "a" and self.depth:
            self._href, self._label = dict(attrs).get("href"), []

    def handle_endtag(self, tag: str) -> None:
        if tag == "main":
            self.depth -= 1
        elif tag == "a" and self._href is not None:
            self.links.append((" ".join("".join(self._label).split()), self._href))
            self._href = None

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._label.append(data)


def _links(html: str) -> dict[str, str]:
    parser = _Main()
    parser.feed(html)
    return dict(parser.links)


@pytest.fixture
def world(app: Any) -> dict[str, Any]:
    """The demo before any case has left the draft (its later stages give every login work:
    tests/test_demo_stages.py), so that the words of empty dashboards can be read too."""
    from qaportal.demo import seed_all

    with app.app_context():
        summary = seed_all(stages=False)
        db = get_session()
        case = db.execute(select(Case).where(Case.reference == summary.case_reference)).scalar_one()
        assert db.execute(select(Case.id)).scalars().all() == [case.id]
        campaign = db.execute(select(Campaign)).scalar_one()
        vet = db.execute(select(Organisation).where(Organisation.acronym == "NVTC")).scalar_one()
        return {
            "password": summary.password,
            "case": case.id,
            "reference": case.reference,
            "campaign": campaign.id,
            "vet": vet.id,
        }


def _dashboard(app: Any, email: str, password: str) -> str:
    client = app.test_client()
    login(client, email, password)
    response = client.get("/dashboard")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _submit(app: Any, case_id: int) -> None:
    """Puts the demo case where a provider's submission leaves it (the submission itself,
    with its completeness guard, is tested in test_workflow)."""
    with app.app_context():
        db = get_session()
        case = db.get(Case, case_id)
        case.state = CaseState.SUBMITTED
        case.submitted_at = utcnow()
        db.commit()


@pytest.mark.parametrize("email", ["admin@agency.example.org", "officer@agency.example.org"])
def test_agency_staff_see_the_draft_under_way_and_what_comes_next(app, world, email):
    page = _dashboard(app, email, world["password"])
    links = _links(page)
    assert AGENCY_WAITING in page
    draft = f"{world['reference']}: University of Demoville is writing its self-assessment"
    assert links[draft] == f"/cases/{world['case']}"
    assert links["See all accreditation cases"] == "/cases"

    _submit(app, world["case"])
    page = _dashboard(app, email, world["password"])
    links = _links(page)
    assert links[f"Screen {world['reference']} from University of Demoville"] == (
        f"/cases/{world['case']}"
    )
    assert AGENCY_WAITING not in page


def test_reviewer_is_told_what_will_appear_and_when(app, world):
    page = _dashboard(app, "reviewer1@reviewers.example.org", world["password"])
    assert REVIEWER_WAITING in page
    assert "the provider&#39;s self-assessment, its evidence and a form for your findings" in page
    assert _links(page)["Check your account details"] == "/account"


@pytest.mark.parametrize("email", ["admin@university.example.org", "editor@university.example.org"])
def test_university_staff_continue_the_self_assessment_and_follow_the_campaign(app, world, email):
    page = _dashboard(app, email, world["password"])
    links = _links(page)
    assert links[f"Continue the self-assessment of {world['reference']}"] == (
        f"/cases/{world['case']}/self-assessment"
    )
    assert links["Feedback campaign “Demo learner feedback, autumn cohort”"] == (
        f"/feedback/campaigns/{world['campaign']}"
    )
    assert "12 responses so far" in page
    assert ADMIN_WAITING not in page and EDITOR_WAITING not in page

    _submit(app, world["case"])
    page = _dashboard(app, email, world["password"])
    links = _links(page)
    assert f"Continue the self-assessment of {world['reference']}" not in links
    assert links[f"{world['reference']}: submitted"] == f"/cases/{world['case']}"
    assert "Demo Agency for Quality Assurance screens it next." in page


def test_provider_admin_without_a_case_is_pointed_at_applying(app, world):
    page = _dashboard(app, "admin@vet.example.org", world["password"])
    assert ADMIN_WAITING in page
    assert _links(page)["Apply for accreditation"] == f"/providers/{world['vet']}/cases/new"


def test_provider_editor_without_a_case_is_pointed_at_a_feedback_campaign(app, world):
    page = _dashboard(app, "editor@vet.example.org", world["password"])
    assert EDITOR_WAITING in page
    assert _links(page)["Open a learner or peer feedback campaign"] == (
        f"/orgs/{world['vet']}/feedback/new"
    )


@pytest.mark.parametrize(
    "email",
    [
        "admin@agency.example.org",
        "officer@agency.example.org",
        "reviewer1@reviewers.example.org",
        "admin@university.example.org",
        "editor@university.example.org",
        "admin@vet.example.org",
        "editor@vet.example.org",
    ],
)
def test_every_dashboard_link_opens_for_its_user(app, world, email):
    client = app.test_client()
    login(client, email, world["password"])
    page = client.get("/dashboard").get_data(as_text=True)
    targets = [href for href in _links(page).values() if re.match(r"^/(?!logout)", href)]
    assert targets
    for href in targets:
        assert client.get(href).status_code == 200, href


def test_dashboard_says_it_in_french(app, world):
    client = app.test_client()
    login(client, "reviewer1@reviewers.example.org", world["password"])
    page = client.get("/dashboard", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert REVIEWER_WAITING not in page
