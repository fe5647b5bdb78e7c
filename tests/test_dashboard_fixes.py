"""The dashboards say only what is true of each case: a panel announcement while the case is
in review and its objection window (the agency's own) is open, a reviewer's assignment while
there is reviewing to do; their lines read as sentences; the organisation links count only
what the role manages; the case list comes in pages that keep its filters."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

from sqlalchemy import event, select, update

from qaportal.cases.models import Case, CaseState
from qaportal.db import get_session, utcnow
from qaportal.orgs.models import Organisation
from tests.conftest import login, shown_day
from tests.test_dashboard_queries import SPREAD, seed_cases

PROVIDER = "admin@university.example.org"
REVIEWER = "reviewer2@reviewers.example.org"
OFFICER = "officer@agency.example.org"


def _ref(prefix: str, state: CaseState) -> str:
    """The reference seed_cases gives the first case in ``state`` (SPREAD's order)."""
    return f"{prefix}-{SPREAD.index(state):05d}"


def _page(app: Any, email: str, password: str, url: str = "/dashboard") -> str:
    client = app.test_client()
    login(client, email, password)
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _seed_for_udv(app: Any, prefix: str) -> None:
    """One case in each state of SPREAD, all of the university (UDV), reviewer 2 on the
    panels past submission, each member announced now."""
    with app.app_context():
        db = get_session()
        ids = seed_cases(db, len(SPREAD), prefix=prefix)
        udv = db.execute(select(Organisation.id).where(Organisation.acronym == "UDV")).scalar_one()
        db.execute(update(Case).where(Case.id.in_(ids)).values(provider_id=udv))
        db.commit()


def _announce(app: Any, prefix: str, days_ago: int) -> None:
    from qaportal.reviews.models import PanelMember

    with app.app_context():
        db = get_session()
        cases = select(Case.id).where(Case.reference.startswith(f"{prefix}-"))
        db.execute(
            update(PanelMember)
            .where(PanelMember.case_id.in_(cases))
            .values(announced_at=utcnow() - dt.timedelta(days=days_ago))
        )
        db.commit()


def _agency_objection_days(app: Any, days: int) -> None:
    from qaportal.reviews.models import ReviewSettings

    with app.app_context():
        db = get_session()
        agency = db.execute(
            select(Organisation.id).where(Organisation.acronym == "DAQA")
        ).scalar_one()
        db.add(ReviewSettings(agency_id=agency, objection_days=days, factual_check_days=14))
        db.commit()


ANNOUNCED = re.compile(r"The review panel of (\S+) has been announced")


def test_a_panel_announcement_shows_only_for_cases_in_review(app, demo):
    _seed_for_udv(app, "ANN")
    page = _page(app, PROVIDER, demo.password)
    # Factual check, decision, appeal, follow-up: the panel has reported, no objection left.
    assert set(ANNOUNCED.findall(page)) == {_ref("ANN", CaseState.IN_REVIEW)}, _text(page)
    assert "review panels announced" not in page


def test_the_objection_window_is_the_agencys_own(app, demo, count_queries):
    _seed_for_udv(app, "WIN")
    in_review = _ref("WIN", CaseState.IN_REVIEW)
    client = app.test_client()
    login(client, PROVIDER, demo.password)
    client.get("/dashboard")
    with count_queries() as counter:
        client.get("/dashboard")
    statements = counter.count

    # Announced 15 days ago: past the portal's default of 10 days, inside the agency's 20.
    _announce(app, "WIN", days_ago=15)
    assert in_review not in ANNOUNCED.findall(_page(app, PROVIDER, demo.password))
    _agency_objection_days(app, 20)
    with count_queries() as counter:
        page = client.get("/dashboard").get_data(as_text=True)
    assert ANNOUNCED.findall(page) == [in_review]
    closes = shown_day(utcnow() + dt.timedelta(days=5))
    assert f"You may object to a member, with a reason, until {closes}" in page
    assert counter.count == statements  # the agency's setting costs no statement of its own


def test_a_shorter_agency_window_closes_before_the_default(app, demo):
    _seed_for_udv(app, "SHT")
    _announce(app, "SHT", days_ago=5)
    assert ANNOUNCED.findall(_page(app, PROVIDER, demo.password)) == [
        _ref("SHT", CaseState.IN_REVIEW)
    ]
    _agency_objection_days(app, 3)
    assert ANNOUNCED.findall(_page(app, PROVIDER, demo.password)) == []


def test_a_reviewer_is_assigned_work_only_while_the_case_is_in_review(app, demo):
    from qaportal.reviews.models import MemberStatus, PanelMember

    with app.app_context():
        seed_cases(get_session(), len(SPREAD), prefix="REV")
    page = _page(app, REVIEWER, demo.password)
    reviewed = set(re.findall(r"Review (REV-\d+)", page))
    assert reviewed == {_ref("REV", CaseState.IN_REVIEW)}, _text(page)
    assert "Your assignments: 1 panel<" in page

    # An invitation left unanswered when the case moved on to follow-up asks nothing either.
    follow_up = _ref("REV", CaseState.FOLLOW_UP)
    with app.app_context():
        db = get_session()
        case_id = select(Case.id).where(Case.reference == follow_up).scalar_subquery()
        db.execute(
            update(PanelMember)
            .where(PanelMember.case_id == case_id)
            .values(status=MemberStatus.INVITED)
        )
        db.commit()
    page = _page(app, REVIEWER, demo.password)
    assert follow_up not in page, _text(page)


def _answered_condition(app: Any) -> str:
    """A case in follow-up with a condition the provider has answered; its reference."""
    from qaportal.decisions.models import (
        ConditionStatus,
        Decision,
        DecisionCondition,
        DecisionStatus,
        EqaStatus,
        Outcome,
    )

    with app.app_context():
        db = get_session()
        seed_cases(db, len(SPREAD), prefix="CND")
        reference = _ref("CND", CaseState.FOLLOW_UP)
        case = db.execute(select(Case).where(Case.reference == reference)).scalar_one()
        today = utcnow().date()
        decision = Decision(
            case_id=case.id,
            status=DecisionStatus.CURRENT,
            outcome=Outcome.CONDITIONAL,
            eqa_status=EqaStatus.VOLUNTARY,
            rationale="Conditions apply.",
            decided_on=today - dt.timedelta(days=60),
            decided_at=utcnow() - dt.timedelta(days=60),
            valid_until=today + dt.timedelta(days=2000),
        )
        decision.conditions = [
            DecisionCondition(
                text="Publish the assessment rules.",
                due_on=today + dt.timedelta(days=20),
                status=ConditionStatus.ANSWERED,
                answered_at=utcnow(),
            )
        ]
        db.add(decision)
        db.commit()
        return reference


def test_task_lines_read_as_sentences(app, demo):
    reference = _answered_condition(app)
    _seed_for_udv(app, "SEN")
    for email in (OFFICER, PROVIDER, REVIEWER):
        page = _page(app, email, demo.password)
        hints = [_text(hint) for hint in re.findall(r'<span class="hint">(.*?)</span>', page)]
        assert hints, email
        for hint in hints:
            # Each detail is one or more sentences: a due date never runs on from a name.
            assert hint.endswith("."), (email, hint)
            assert not re.search(r"[^.:!?] (Due on|It was due on) ", hint), (email, hint)
    page = _page(app, OFFICER, demo.password)
    line = re.search(
        rf"Assess 1 answered condition of {reference}</a><br>"
        r'<span class="hint">([^<]*)</span>',
        page,
    )
    assert line, _text(page)
    assert re.fullmatch(r"[^.]+ has answered\. (It was due|Due) on [^.]+\.", line.group(1))


def test_a_provider_dashboard_counts_only_what_its_role_manages(app, demo):
    client = app.test_client()
    login(client, PROVIDER, demo.password)
    client.get("/dashboard")
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    engine = app.extensions["qaportal.engine"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        page = client.get("/dashboard").get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert re.search(r"Staff and invitations \(\d+ members, \d+ pending\)", page)
    statements = " ".join(seen).lower()
    # A provider has no reviewer pool nor providers to manage: nothing counts them.
    assert "reviewer_profiles" not in statements
    assert "organisations.managing_agency_id =" not in statements


def test_the_case_list_comes_in_pages_that_keep_its_filters(app, demo):
    # 900 cases: 90 submitted, 30 of them overdue (every third due date is past).
    with app.app_context():
        seed_cases(get_session(), 900, prefix="PAG")
    client = app.test_client()
    login(client, OFFICER, demo.password)
    first = client.get("/cases?state=submitted&overdue=1").get_data(as_text=True)
    assert first.count('<th scope="row">') == 25
    total = int(re.search(r"<caption>(\d+) cases</caption>", first).group(1))
    assert total > 25
    assert "Page 1 of 2" in first
    following = html.unescape(re.search(r'<a href="([^"]+)" rel="next">', first).group(1))
    assert "state=submitted" in following and "overdue=1" in following and "page=2" in following
    second = client.get(following).get_data(as_text=True)
    assert second.count('<th scope="row">') == total - 25
    assert second.count('<td class="overdue">') == total - 25
    rows = re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', first + second)
    assert len(set(rows)) == total
    # Unfiltered, the page links carry no filter.
    plain = client.get("/cases").get_data(as_text=True)
    nxt = html.unescape(re.search(r'<a href="([^"]+)" rel="next">', plain).group(1))
    assert nxt == "/cases?page=2"


def test_the_reporting_pages_refuse_with_the_portals_page():
    from qaportal.reporting import views
    from qaportal.web import errors

    assert views.refused is errors.refused
    assert not hasattr(views, "_refused")
