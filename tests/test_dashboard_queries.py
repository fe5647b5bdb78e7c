"""Each role's dashboard loads with a number of SQL statements that does not grow with the
number of cases (no N+1): counted with 3 cases and with 30, spread over providers, states,
panels and due dates. ``seed_cases`` is also the seeder of tests/benchmarks/bench_dashboards.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import insert, select

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
    many, page = _statements(app, client, count_queries)
    assert "MANY-000" in page
    assert many <= few, f"{persona}: {few} statements with 3 cases, {many} with 30"
