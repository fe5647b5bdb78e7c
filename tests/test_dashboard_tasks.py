"""Each role's dashboard on a new agency and provider: with nothing to do, words saying what
will appear there and when; with work, each task with its deadline and a status tag."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from flask_babel import format_date

from qaportal.auth.models import Membership, Role, User
from qaportal.auth.passwords import hash_password
from qaportal.cases.models import Case, CaseDeadline, CaseState
from qaportal.db import get_session, utcnow
from qaportal.orgs.models import Organisation, OrgKind, ProviderType
from tests.conftest import login

PASSWORD = "a long password for the new staff"
SCREENING = "When a provider submits a self-assessment, its case appears here to be screened"
EMPTY_STATES = {
    Role.AGENCY_ADMIN: (
        SCREENING,
        "Later stages appear here as they reach your agency, each with its deadline",
    ),
    Role.AGENCY_OFFICER: (
        SCREENING,
        "Later stages appear here as they reach you, each with its deadline",
    ),
    Role.REVIEWER: (
        "When an agency assigns you to a review panel, the case will appear here",
        "Each review shows the date your findings are due.",
    ),
    Role.PROVIDER_ADMIN: (
        "A self-assessment to write appears here once you apply for accreditation",
        "open feedback campaigns appear here with their responses.",
        "Each task shows the date it is due, and each campaign the day it closes.",
    ),
    Role.PROVIDER_EDITOR: (
        "A self-assessment to write appears here once your provider's administrator applies "
        "for accreditation",
        "Each task shows the date it is due, and each campaign the day it closes.",
    ),
}


def _email(role: Role) -> str:
    return f"{role.value}@fresh.example.org"


@pytest.fixture
def fresh(app: Any) -> dict[str, int]:
    """A new agency and a provider it manages, one user per role, no case, no campaign."""
    with app.app_context():
        db = get_session()
        agency = Organisation(kind=OrgKind.AGENCY, legal_name="Fresh Agency", acronym="FRA")
        db.add(agency)
        db.flush()
        provider = Organisation(
            kind=OrgKind.PROVIDER,
            legal_name="Fresh Academy",
            acronym="FAC",
            provider_type=next(iter(ProviderType)),
            managing_agency_id=agency.id,
        )
        db.add(provider)
        db.flush()
        for role in Role:
            member = User(
                email=_email(role),
                display_name=role.value.replace("_", " ").title(),
                password_hash=hash_password(PASSWORD),
            )
            org = provider if role.org_kind == OrgKind.PROVIDER else agency
            member.memberships.append(Membership(organisation_id=org.id, role=role))
            db.add(member)
        db.commit()
        return {"agency": agency.id, "provider": provider.id}


def _page(app: Any, role: Role) -> str:
    client = app.test_client()
    login(client, _email(role), PASSWORD)
    response = client.get("/dashboard", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def _empty_states(page: str) -> list[str]:
    return [
        " ".join(text.split())
        for text in re.findall(r'<p class="empty-state">(.*?)</p>', page, re.S)
    ]


def _task_lines(page: str) -> list[str]:
    """The single tasks (not the counted groups): each ends with its status tag."""
    return re.findall(
        r'<li(?: class="overdue")?>(<a href="[^"]*">(?:(?!</li>).)*?<strong class="tag[^>]*>'
        r"[^<]*</strong>)</li>",
        page,
        re.S,
    )


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_an_empty_dashboard_says_what_will_appear_and_when(app, fresh, role):
    page = _page(app, role)
    (empty,) = _empty_states(page)
    for words in EMPTY_STATES[role]:
        assert words in empty, (role, empty)
    assert _task_lines(page) == []


def test_an_account_without_organisation_is_told_how_work_will_reach_it(app, fresh):
    with app.app_context():
        db = get_session()
        db.add(User(email="alone@fresh.example.org", display_name="Alone",
                    password_hash=hash_password(PASSWORD)))  # fmt: skip
        db.commit()
    client = app.test_client()
    login(client, "alone@fresh.example.org", PASSWORD)
    page = html.unescape(client.get("/dashboard").get_data(as_text=True))
    (empty,) = _empty_states(page)
    assert "Ask an administrator to invite you." in empty
    assert "the work of that agency or provider appears here with its deadlines" in empty


def _submitted_case(app: Any, fresh: dict[str, int], reference: str, due: dt.date) -> None:
    with app.app_context():
        db = get_session()
        now = utcnow()
        case = Case(
            reference=reference,
            provider_id=fresh["provider"],
            agency_id=fresh["agency"],
            state=CaseState.SUBMITTED,
            title="Accreditation",
            contact_name="Contact",
            contact_email="contact@fresh.example.org",
            created_at=now,
            submitted_at=now,
            lock_version=1,
        )
        db.add(case)
        db.flush()
        db.add(CaseDeadline(case_id=case.id, stage=CaseState.SUBMITTED, due_on=due, set_at=now))
        db.commit()


def _line(page: str, reference: str) -> str:
    (line,) = [line for line in _task_lines(page) if reference in line]
    return " ".join(re.sub(r"<[^>]+>", " ", line).split())


def test_tasks_show_their_deadline_and_a_status_tag(app, fresh):
    today = utcnow().date()
    soon, late = today + dt.timedelta(days=12), today - dt.timedelta(days=3)
    _submitted_case(app, fresh, "FRA-0001", soon)
    _submitted_case(app, fresh, "FRA-0002", late)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        soon_text, late_text = format_date(soon), format_date(late)

    officer = _page(app, Role.AGENCY_OFFICER)
    assert _empty_states(officer) == []
    assert _line(officer, "FRA-0001") == (
        f"Screen FRA-0001 from Fresh Academy Submitted on {format_today(app)}. "
        f"Due on {soon_text}. To do"
    )
    assert _line(officer, "FRA-0002").startswith("Overdue: Screen FRA-0002")
    assert _line(officer, "FRA-0002").endswith(f"It was due on {late_text}. Overdue")
    assert re.search(
        r'<li class="overdue"><a [^>]*>[^<]*FRA-0002(?:(?!</li>).)*'
        r'<strong class="tag tag--red">Overdue</strong></li>',
        officer,
        re.S,
    )
    assert '<strong class="tag tag--blue">To do</strong></li>' in officer

    # the provider waits for the agency: the same deadline, told as a state
    provider = _page(app, Role.PROVIDER_ADMIN)
    line = _line(provider, "FRA-0001")
    assert line.startswith("FRA-0001: submitted")
    assert line.endswith(f"Due on {soon_text}. Waiting for others")
    assert '<strong class="tag tag--grey">Waiting for others</strong>' in provider


def format_today(app: Any) -> str:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        return format_date(utcnow().date())
