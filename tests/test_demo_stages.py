"""`qaportal demo` seeds cases at every stage of a review, through the services: each case is
where its story says, the audit chain holds, and every printed login lands on a dashboard
with something to do."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from qaportal.audit.models import AuditEvent
from qaportal.audit.services import verify_chain
from qaportal.auth.models import User
from qaportal.cases.models import Case, CaseDeadline, CaseState
from qaportal.db import get_session, utcnow
from qaportal.decisions.models import ConditionStatus, Decision, DecisionStatus, Outcome
from qaportal.orgs.models import Organisation
from qaportal.reviews.models import FactualComment, MemberStatus, PanelMember, PanelRole
from tests.conftest import login

STAGES = {
    # title -> (provider, state)
    "Review of the micro-credential provision": ("UDV", CaseState.DRAFT),
    "Micro-credentials in continuing education": ("UDV", CaseState.SUBMITTED),
    "Micro-credentials of the School of Engineering": ("UDV", CaseState.IN_REVIEW),
    "Micro-credentials of the Faculty of Business and Economics": (
        "UDV",
        CaseState.FACTUAL_CHECK,
    ),
    "Micro-credentials in data and digital skills": ("UDV", CaseState.FOLLOW_UP),
    "Micro-credentials in building services engineering": ("NVTC", CaseState.IN_REVIEW),
}


@pytest.fixture
def seeded(app: Any) -> Any:
    from qaportal.demo import seed_all

    with app.app_context():
        return seed_all()


def _cases(app: Any) -> dict[str, tuple[Case, str]]:
    with app.app_context():
        db = get_session()
        rows = db.execute(select(Case, Organisation.acronym).join(Case.provider)).all()
        out: dict[str, tuple[Case, str]] = {}
        for case, acronym in rows:
            db.expunge(case)
            out[case.title] = (case, acronym)
        return out


def _stages(app: Any, seeded: Any) -> None:
    cases = _cases(app)
    assert {title: (acronym, c.state) for title, (c, acronym) in cases.items()} == STAGES
    draft = cases["Review of the micro-credential provision"][0]
    assert seeded.case_reference == draft.reference
    assert draft.reference.endswith("-0001")
    assert seeded.stage_references == sorted(
        c.reference for c, _a in cases.values() if c.state != CaseState.DRAFT
    )


def _trail(app: Any) -> None:
    with app.app_context():
        db = get_session()
        report = verify_chain(db)
        assert report.ok, report
        actions = set(db.execute(select(AuditEvent.action)).scalars())
    # Each step went through its service: the workflow, the panel, the findings, the
    # report, the decision and the follow-up all wrote their own events.
    assert {
        "case.submit",
        "case.screening_saved",
        "case.screen",
        "panel.invite",
        "panel.accept",
        "panel.announce",
        "review.judgement",
        "review.site_visit",
        "review.consolidated",
        "review.outcome",
        "case.send_draft_report",
        "review.factual_comments",
        "review.factual_response",
        "case.finalise_report",
        "case.decide",
        "decision.recorded",
        "case.start_follow_up",
        "condition.answered",
    } <= actions


def _panels_conditions_deadlines(app: Any) -> None:
    cases = {title: c for title, (c, _a) in _cases(app).items()}
    today = utcnow().date()
    with app.app_context():
        db = get_session()

        def panel(title: str) -> dict[str, tuple[PanelRole, MemberStatus]]:
            members = db.execute(
                select(PanelMember).where(PanelMember.case_id == cases[title].id)
            ).scalars()
            return {m.user.email: (m.role, m.status) for m in members}

        # In review: the chair has declared, the student member still has to.
        assert panel("Micro-credentials of the School of Engineering") == {
            "reviewer1@reviewers.example.org": (PanelRole.CHAIR, MemberStatus.ACTIVE),
            "reviewer2@reviewers.example.org": (PanelRole.STUDENT, MemberStatus.INVITED),
        }
        assert panel("Micro-credentials in building services engineering") == {
            "reviewer1@reviewers.example.org": (PanelRole.CHAIR, MemberStatus.ACTIVE),
            "reviewer2@reviewers.example.org": (PanelRole.STUDENT, MemberStatus.ACTIVE),
        }
        # At factual check: the provider has not commented yet and has a date to do so by.
        factual = cases["Micro-credentials of the Faculty of Business and Economics"]
        due = db.execute(
            select(CaseDeadline.due_on).where(
                CaseDeadline.case_id == factual.id,
                CaseDeadline.stage == CaseState.FACTUAL_CHECK,
            )
        ).scalar_one()
        assert due > today
        assert not db.execute(
            select(func.count(FactualComment.id)).where(FactualComment.case_id == factual.id)
        ).scalar_one()
        # In follow-up: a decision with conditions, its appeal window over; one condition
        # answered, one overdue, one still ahead.
        follow = cases["Micro-credentials in data and digital skills"]
        decision = db.execute(
            select(Decision).where(
                Decision.case_id == follow.id, Decision.status == DecisionStatus.CURRENT
            )
        ).scalar_one()
        assert decision.outcome == Outcome.CONDITIONAL
        assert decision.decided_at < utcnow() - dt.timedelta(days=30)
        conditions = sorted(decision.conditions, key=lambda c: c.due_on)
        assert [c.status for c in conditions].count(ConditionStatus.ANSWERED) == 1
        open_dates = [c.due_on for c in conditions if c.status == ConditionStatus.OPEN]
        assert min(open_dates) < today < max(open_dates)


def _published_with_reports_requested(app: Any) -> None:
    """The follow-up case's decision is in the public register, published by the officer,
    with its accreditation report rendered and published at seeding; the decision letter
    waits on the queue (the tests' immediate queue is not handed it: rendering is the demo's
    workers' job, after start-up)."""
    from qaportal.jobs.models import BackgroundJob, JobState
    from qaportal.register import queries
    from qaportal.reporting import services as reporting
    from qaportal.reporting.models import GeneratedDocument

    follow = _cases(app)["Micro-credentials in data and digital skills"][0]
    with app.app_context():
        db = get_session()
        shown = queries.published_decisions(db, queries.RegisterFilters())
        assert [(d.case_reference, d.outcome) for d in shown] == [
            (follow.reference, Outcome.CONDITIONAL.value)
        ]
        assert shown[0].provider_id == follow.provider_id
        assert len(shown[0].conditions) == 3
        published = db.execute(
            select(AuditEvent).where(AuditEvent.action == "register.published")
        ).scalar_one()
        assert published.actor_label == "officer@agency.example.org"
        jobs = db.execute(
            select(BackgroundJob).where(BackgroundJob.kind == reporting.JOB_KIND)
        ).scalars()
        assert sorted((j.payload["case"], j.payload["kind"], j.state) for j in jobs) == [
            (follow.id, "accreditation-report", JobState.DONE),
            (follow.id, "decision-letter", JobState.QUEUED),
        ]
        report = db.execute(
            select(GeneratedDocument).where(GeneratedDocument.case_id == follow.id)
        ).scalar_one()
        assert (report.kind, report.version) == ("accreditation-report", 1)
        assert report.published_at is not None
        assert db.get(User, report.published_by_id).email == "officer@agency.example.org"
        listed = queries.published_decisions(db, queries.RegisterFilters())[0]
        assert listed.report is not None


def _seeding_again_adds_nothing(app: Any, seeded: Any) -> None:
    from qaportal.demo import seed_all
    from qaportal.jobs.models import BackgroundJob
    from qaportal.register.models import RegisterPublication

    models = (Case, AuditEvent, PanelMember, Decision, RegisterPublication, BackgroundJob)
    with app.app_context():
        db = get_session()
        before = {
            model.__name__: db.execute(select(func.count()).select_from(model)).scalar_one()
            for model in models
        }
        again = seed_all()
        after = {
            model.__name__: db.execute(select(func.count()).select_from(model)).scalar_one()
            for model in models
        }
    assert after == before
    assert again.stage_references == seeded.stage_references


TODO_RE = re.compile(r"<h3>To do</h3>\s*<ul class=\"tasks\">(.*?)</ul>", re.S)


def _todo(app: Any, email: str, password: str) -> list[str]:
    """The items of the dashboard's To do lists, as text."""
    client = app.test_client()
    login(client, email, password)
    response = client.get("/dashboard")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    items = []
    for block in TODO_RE.findall(page):
        for item in re.findall(r"<li[^>]*>(.*?)</li>", block, re.S):
            items.append(" ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split()))
    return items


def _ref(app: Any, title: str) -> str:
    return _cases(app)[title][0].reference


# What each printed login must find among its tasks: the case's own line, or the line that
# counts such cases (one example each; there may be more).
EXPECTED = {
    "admin@agency.example.org": (
        "Micro-credentials in continuing education",
        r"Screen {ref} |cases? awaiting screening",
    ),
    "officer@agency.example.org": (
        "Micro-credentials in data and digital skills",
        r"Assess 1 answered condition\(s\) of {ref}|answered conditions to assess",
    ),
    "reviewer1@reviewers.example.org": (
        "Micro-credentials of the School of Engineering",
        r"Judge 24 criteria left on {ref}|Judgements due",
    ),
    "reviewer2@reviewers.example.org": (
        "Micro-credentials of the School of Engineering",
        r"Answer the invitation to the panel of {ref}|Declarations to make",
    ),
    "admin@university.example.org": (
        "Micro-credentials of the Faculty of Business and Economics",
        r"Check the draft panel report of {ref} for factual errors|reports? to check for factual",
    ),
    "editor@university.example.org": (
        "Micro-credentials in data and digital skills",
        r"Answer 2 condition\(s\) of {ref}|Conditions to answer",
    ),
    "admin@vet.example.org": (
        "Micro-credentials in building services engineering",
        r"The review panel of {ref} has been announced|review panels? announced",
    ),
    "editor@vet.example.org": (
        "Micro-credentials in building services engineering",
        r"The review panel of {ref} has been announced|review panels? announced",
    ),
}


def _something_to_do(app: Any, seeded: Any) -> None:
    printed = {login.email for login in seeded.accounts}
    assert printed == set(EXPECTED)
    for email in sorted(printed):
        todo = _todo(app, email, seeded.password)
        assert todo, f"{email}: nothing to do"
        title, pattern = EXPECTED[email]
        wanted = re.compile(pattern.format(ref=re.escape(_ref(app, title))))
        assert any(wanted.search(item) for item in todo), (email, todo)


def _overdue_highlighted(app: Any, seeded: Any) -> None:
    ref = _ref(app, "Micro-credentials in data and digital skills")
    client = app.test_client()
    login(client, "admin@university.example.org", seeded.password)
    page = client.get("/dashboard").get_data(as_text=True)
    todo = TODO_RE.search(page)
    assert todo, page
    # Either the case's own line or the line counting such cases is marked overdue.
    assert re.search(rf'<li class="overdue"><a href="[^"]+">[^<]*{ref}', todo.group(1)) or (
        re.search(r"Conditions to answer.*?1 overdue", todo.group(1))
    ), todo.group(1)


def _links_open(app: Any, seeded: Any, email: str) -> None:
    client = app.test_client()
    login(client, email, seeded.password)
    page = client.get("/dashboard").get_data(as_text=True)
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    targets = {
        html.unescape(href).split("#")[0]
        for href in re.findall(r'<a href="(/[^"]*)"', main)
        if not href.startswith("/logout")
    }
    assert targets
    for href in sorted(targets):
        assert client.get(href).status_code == 200, href


# Two tests, each on one seeded demo: seeding it is the slow part.


def test_the_demo_cases_stand_at_their_stages_through_the_services(app, seeded):
    _stages(app, seeded)
    _trail(app)
    _panels_conditions_deadlines(app)
    _published_with_reports_requested(app)
    _seeding_again_adds_nothing(app, seeded)


def test_every_printed_login_has_something_to_do(app, seeded):
    _something_to_do(app, seeded)
    _overdue_highlighted(app, seeded)
    for email in sorted(EXPECTED):
        _links_open(app, seeded, email)
