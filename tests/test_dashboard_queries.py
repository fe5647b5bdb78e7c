"""Each role's dashboard is a short list: its work counted by stage or kind, with the most
urgent few tasks, and it loads with a number of SQL statements that does not grow with the
number of cases (no N+1): counted with 3 cases and with 30, spread over providers, states,
panels and due dates; the counts shown are the database's and the most overdue case leads.
``seed_cases`` is also the seeder of tests/benchmarks/bench_dashboards.py."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from qaportal.auth.models import User
from qaportal.cases.models import Case, CaseDeadline, CaseState
from qaportal.db import get_session, utcnow
from qaportal.orgs.models import Organisation
from tests.conftest import login

DASHBOARD_USERS = {
    "agency_officer": "officer@agency.example.org",
    "provider_admin": "admin@university.example.org",
    "reviewer": "reviewer2@reviewers.example.org",
}
# Where cases stand on a busy agency's desk; past submission, reviewer 2 sits on the panel.
SPREAD = (
    CaseState.DRAFT,
    CaseState.SUBMITTED,
    CaseState.IN_REVIEW,
    CaseState.FACTUAL_CHECK,
    CaseState.DECISION_PENDING,
    CaseState.DECIDED,
    CaseState.APPEAL,
    CaseState.FOLLOW_UP,
    CaseState.CLOSED,
    CaseState.WITHDRAWN,
)
PANEL_STATES = set(SPREAD[2:9])


def seed_cases(session: Any, count: int, *, prefix: str = "DASH") -> list[int]:
    """``count`` cases of the demo agency over every demo provider and the states of SPREAD,
    inserted in bulk, with reviewer 2 on the panel past submission and a due date (every
    third one overdue) for each open stage. Commits; returns the case ids."""
    from qaportal.reviews.models import MemberStatus, PanelMember, PanelRole

    agency = session.execute(
        select(Organisation).where(Organisation.acronym == "DAQA")
    ).scalar_one()
    providers = (
        session.execute(
            select(Organisation.id)
            .where(Organisation.id != agency.id, Organisation.acronym != "DAQA")
            .order_by(Organisation.id)
        )
        .scalars()
        .all()
    )
    reviewer = session.execute(
        select(User).where(User.email == DASHBOARD_USERS["reviewer"])
    ).scalar_one()
    now = utcnow()
    today = now.date()
    rows = []
    for i in range(count):
        state = SPREAD[i % len(SPREAD)]
        rows.append(
            {
                "reference": f"{prefix}-{i:05d}",
                "provider_id": providers[i % len(providers)],
                "agency_id": agency.id,
                "state": state,
                "title": f"Review {i}",
                "contact_name": "Contact",
                "contact_email": f"contact{i}@example.org",
                "created_at": now,
                "submitted_at": None if state == CaseState.DRAFT else now,
                "lock_version": 1,
            }
        )
    session.execute(insert(Case), rows)
    cases = session.execute(
        select(Case.id, Case.state)
        .where(Case.reference.startswith(f"{prefix}-"))
        .order_by(Case.reference)
    ).all()
    members = [
        {
            "case_id": case_id,
            "user_id": reviewer.id,
            "role": PanelRole.CHAIR if n % 2 else PanelRole.MEMBER,
            "status": MemberStatus.ACTIVE,
            "invited_at": now,
            "responded_at": now,
            "announced_at": now,
        }
        for n, (case_id, state) in enumerate(cases)
        if state in PANEL_STATES
    ]
    if members:
        session.execute(insert(PanelMember), members)
    deadlines = [
        {
            "case_id": case_id,
            "stage": state,
            "due_on": today + dt.timedelta(days=-5 if n % 3 == 0 else 20),
            "set_at": now,
        }
        for n, (case_id, state) in enumerate(cases)
        if state not in {CaseState.CLOSED, CaseState.WITHDRAWN, CaseState.DECIDED}
    ]
    session.execute(insert(CaseDeadline), deadlines)
    session.commit()
    return [case_id for case_id, _state in cases]


def _statements(app: Any, client: Any, count_queries: Any) -> tuple[int, str]:
    client.get("/dashboard")  # warm: first-request work (translations, caches) is not the page
    with count_queries() as counter:
        response = client.get("/dashboard")
    assert response.status_code == 200
    return counter.count, response.get_data(as_text=True)


def _most_urgent(persona: str, prefix: str) -> tuple[int, str]:
    """Makes one seeded case of the persona's the most overdue of all (due 30 days ago in
    its current stage); returns its id and reference."""
    from qaportal.reviews.models import MemberStatus, PanelMember

    db = get_session()
    query = (
        select(Case)
        .where(Case.reference.startswith(f"{prefix}-"), Case.state == CaseState.IN_REVIEW)
        .order_by(Case.reference)
    )
    if persona == "provider_admin":
        query = query.join(Organisation, Organisation.id == Case.provider_id).where(
            Organisation.acronym == "UDV"
        )
    if persona == "reviewer":
        reviewer = select(User.id).where(User.email == DASHBOARD_USERS["reviewer"])
        query = query.join(PanelMember, PanelMember.case_id == Case.id).where(
            PanelMember.user_id.in_(reviewer), PanelMember.status == MemberStatus.ACTIVE
        )
    case = db.execute(query).scalars().first()
    deadline = db.execute(
        select(CaseDeadline).where(
            CaseDeadline.case_id == case.id, CaseDeadline.stage == case.state
        )
    ).scalar_one()
    deadline.due_on = utcnow().date() - dt.timedelta(days=30)
    db.commit()
    return case.id, case.reference


def _counted(persona: str) -> tuple[str, int]:
    """The label of one of the persona's groups as the database counts it, and how many of
    its items are overdue."""
    from qaportal.reviews.models import MemberStatus, PanelMember

    db = get_session()
    today = utcnow().date()
    late = CaseDeadline.due_on < today
    stage = (CaseDeadline.case_id == Case.id) & (CaseDeadline.stage == Case.state)
    if persona == "reviewer":
        reviewer = select(User.id).where(User.email == DASHBOARD_USERS["reviewer"])
        seats = (
            select(func.count(), func.count(CaseDeadline.id).filter(late))
            .select_from(PanelMember)
            .join(Case, Case.id == PanelMember.case_id)
            .outerjoin(CaseDeadline, stage)
            .where(
                PanelMember.user_id.in_(reviewer),
                PanelMember.status == MemberStatus.ACTIVE,
                # A seat is work while its case is in review (findings are recorded then).
                Case.state == CaseState.IN_REVIEW,
            )
        )
        n, n_late = db.execute(seats).one()
        return f"Your assignments: {n} panel{'s' if n != 1 else ''}", n_late
    if persona == "provider_admin":
        org, state = "UDV", CaseState.DRAFT
        column = Case.provider_id
    else:
        org, state = "DAQA", CaseState.SUBMITTED
        column = Case.agency_id
    n, n_late = db.execute(
        select(func.count(), func.count(CaseDeadline.id).filter(late))
        .select_from(Case)
        .join(Organisation, Organisation.id == column)
        .outerjoin(CaseDeadline, stage)
        .where(Organisation.acronym == org, Case.state == state)
    ).one()
    if persona == "provider_admin":
        return f"{n} self-assessment{'s' if n != 1 else ''} to write", n_late
    return f"{n} case{'s' if n != 1 else ''} awaiting screening", n_late


def _group_line(label: str, late: int) -> str:
    """A group's line: its count, and its overdue count highlighted (for the cases' stages,
    a link to the case list filtered to them)."""
    badge = (
        rf' <(strong|a) class="badge badge-bad"[^>]*>{late} overdue</(strong|a)>' if late else ""
    )
    return re.escape(f"{label}</a>") + badge + "</li>"


def _first_overdue_item(page: str) -> str:
    match = re.search(r'<li class="overdue">(.*?)</li>', page, re.S)
    assert match, "no overdue task on the page"
    return match.group(1)


@pytest.mark.parametrize("persona", sorted(DASHBOARD_USERS))
def test_dashboard_queries_do_not_grow_with_the_number_of_cases(app, demo, count_queries, persona):
    client = app.test_client()
    login(client, DASHBOARD_USERS[persona], demo.password)
    with app.app_context():
        seed_cases(get_session(), 3, prefix="FEW")
    few, page = _statements(app, client, count_queries)
    assert "FEW-0000" in page  # the dashboard shows the seeded cases: a real measurement
    with app.app_context():
        seed_cases(get_session(), 27, prefix="MANY")
        case_id, reference = _most_urgent(persona, "MANY")
        label, late = _counted(persona)
    many, page = _statements(app, client, count_queries)
    assert many <= few, f"{persona}: {few} statements with 3 cases, {many} with 30"
    # The most overdue case leads the page, highlighted, with its due date.
    first = _first_overdue_item(page)
    assert reference in first and f"/{case_id}" in first, first
    # The work is counted by the database, not listed: the counts are right, the overdue
    # ones highlighted, and the page lists a few tasks rather than every case.
    assert late > 0
    assert re.search(_group_line(label, late), page), label
    assert page.count("<li") < 60


def test_each_stage_links_to_the_cases_it_counts(app, demo):
    """A stage's count and its overdue count are those of the case list it links to."""
    client = app.test_client()
    login(client, DASHBOARD_USERS["agency_officer"], demo.password)
    with app.app_context():
        seed_cases(get_session(), 30, prefix="LIST")
    page = client.get("/dashboard").get_data(as_text=True)
    stages = re.findall(
        r'<li class="task-group"><a href="(/cases\?state=\w+)">([^<]+)</a>'
        r'(?: <a class="badge badge-bad" href="([^"]+)">(\d+) overdue</a>)?',
        page,
    )
    assert len(stages) >= 8  # the open stages of SPREAD
    assert any(overdue for *_rest, overdue in stages)
    for url, label, overdue_url, overdue in stages:
        count = int(re.search(r"\d+", label).group())
        listing = client.get(html.unescape(url)).get_data(as_text=True)
        assert listing.count('<th scope="row">') == count, label
        if overdue:
            listing = client.get(html.unescape(overdue_url)).get_data(as_text=True)
            assert listing.count('<th scope="row">') == int(overdue), label
            assert listing.count('<td class="overdue">') == int(overdue), label
