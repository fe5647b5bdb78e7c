"""Stage due dates: the agency sets them on the case page, the dashboards put overdue stages
first (in a number of queries that does not grow with the cases), and `qaportal reminders`
reminds the party whose stage it is, once when due soon and once when overdue."""

from __future__ import annotations

import datetime as dt
import html
import re

from sqlalchemy import func, select

from qaportal.audit.models import AuditEvent
from qaportal.audit.services import Actor, event_details
from qaportal.auth.models import User
from qaportal.cases import services as case_services
from qaportal.cases.dashboard import case_tasks
from qaportal.cases.models import Case, CaseDeadline, CaseState
from qaportal.db import get_session, utcnow
from qaportal.frameworks.models import FrameworkVersion
from qaportal.notifications.models import OutboxMessage
from tests.casekit import make_world, org
from tests.conftest import login, post_form, shown_day
from tests.test_workflow import ADMIN, AGENCY_ADMIN, EDITOR, OFFICER

TODAY = utcnow().date()


def _text(response) -> str:
    text = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(text).split())


def _set(client, case_id: int, stage: str, due_on: str):
    return post_form(
        client,
        f"/cases/{case_id}/deadlines",
        {"stage": stage, "due_on": due_on},
        token_from=f"/cases/{case_id}",
    )


def _deadlines(app) -> list[tuple[int, str, dt.date]]:
    with app.app_context():
        rows = get_session().execute(select(CaseDeadline)).scalars()
        return [(d.case_id, d.stage.value, d.due_on) for d in rows]


def _messages(app) -> list[OutboxMessage]:
    with app.app_context():
        db = get_session()
        rows = db.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()
        db.expunge_all()
        return rows


def _put_deadline(app, case_id: int, stage: CaseState, due_on: dt.date, **marks) -> None:
    """A due date as time leaves it (the form refuses past dates when they are set)."""
    with app.app_context():
        db = get_session()
        row = db.execute(
            select(CaseDeadline).where(CaseDeadline.case_id == case_id, CaseDeadline.stage == stage)
        ).scalar_one_or_none()
        if row is None:
            row = CaseDeadline(case_id=case_id, stage=stage)
            db.add(row)
        row.due_on = due_on
        for name, value in marks.items():
            setattr(row, name, value)
        db.commit()


def _more_cases(app, world, n: int) -> list[int]:
    with app.app_context():
        db = get_session()
        admin = db.execute(select(User).where(User.email == ADMIN)).scalar_one()
        agency, provider = org(db, "DAQA"), org(db, "UDV")
        framework_id = db.get(FrameworkVersion, world.version_id).framework_id
        ids = []
        for _ in range(n):
            case = case_services.open_case(
                db,
                provider,
                agency,
                framework_ids=[framework_id],
                specification_ids=world.spec_ids,
                contact_name="Paula Provider",
                contact_email="contact@university.example.org",
                user=admin,
                actor=Actor(admin.id, admin.email),
            )
            ids.append(case.id)
        db.commit()
        return ids


# ----- setting due dates -------------------------------------------------------------------


def test_officer_sets_a_due_date_the_provider_sees_and_is_told(app, client, demo):
    world = make_world(app)
    officer = app.test_client()
    login(officer, OFFICER, demo.password)
    due = TODAY + dt.timedelta(days=30)
    response = _set(officer, world.case_id, "draft", due.isoformat())
    assert response.status_code == 302
    assert _deadlines(app) == [(world.case_id, "draft", due)]
    with app.app_context():
        [event] = (
            get_session()
            .execute(select(AuditEvent).where(AuditEvent.action == "case.deadline_set"))
            .scalars()
            .all()
        )
        assert event_details(event)["to"] == due.isoformat()
        assert event_details(event)["from"] is None
    told = {m.to_address for m in _messages(app)}
    assert {ADMIN, EDITOR, "contact@university.example.org"} <= told
    assert OFFICER not in told

    # The provider sees the current stage's due date on the case page, without the form.
    login(client, EDITOR, demo.password)
    page = _text(client.get(f"/cases/{world.case_id}"))
    assert f"The provider submits the self-assessment: {shown_day(due)}" in page
    assert "Set the due date" not in page

    # Moving it is audited again; setting the same date again changes nothing.
    later = due + dt.timedelta(days=7)
    assert _set(officer, world.case_id, "draft", later.isoformat()).status_code == 302
    assert _set(officer, world.case_id, "draft", later.isoformat()).status_code == 302
    assert _deadlines(app) == [(world.case_id, "draft", later)]
    with app.app_context():
        count = get_session().execute(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "case.deadline_set")
        )
        assert count.scalar_one() == 2


def test_bad_due_dates_are_refused_and_nothing_is_stored(app, client, demo):
    world = make_world(app)
    officer = app.test_client()
    login(officer, OFFICER, demo.password)
    yesterday = (TODAY - dt.timedelta(days=1)).isoformat()
    cases = [
        ("draft", yesterday, "The due date cannot be in the past."),
        ("draft", "9999-12-31", "Enter a date before the year 9999."),
        ("draft", "31/12/2026", "Not a valid date value."),
        ("draft", "", "Enter a date."),
        ("closed", "2030-01-01", "Not a valid choice."),
    ]
    for stage, value, message in cases:
        response = _set(officer, world.case_id, stage, value)
        assert response.status_code == 400, (stage, value)
        page = _text(response)
        assert message in page, (stage, value, page[:3000])
        if value:  # what the officer typed stays in the form
            assert f'value="{value}"' in response.get_data(as_text=True), value
    assert _deadlines(app) == []
    assert _messages(app) == []

    # The provider may not set due dates; another provider does not see the case at all.
    admin = app.test_client()
    login(admin, ADMIN, demo.password)
    assert _set(admin, world.case_id, "draft", "2030-01-01").status_code == 403
    other = app.test_client()
    login(other, "admin@vet.example.org", demo.password)
    response = post_form(
        other, f"/cases/{world.case_id}/deadlines", {"stage": "draft", "due_on": "2030-01-01"}
    )
    assert response.status_code == 404
    assert _deadlines(app) == []


# ----- dashboards --------------------------------------------------------------------------


TASK_RE = re.compile(r'<li[^>]*><a href="/cases/[^"]*">([^<]+)</a>')


def _dashboard(app, email: str, password: str) -> tuple[list[str], str]:
    """The case tasks of the user's dashboard in their order, and the page."""
    client = app.test_client()
    login(client, email, password)
    page = client.get("/dashboard").get_data(as_text=True)
    return [html.unescape(t) for t in TASK_RE.findall(page)], page


def test_dashboards_put_overdue_stages_first(app, client, demo):
    world = make_world(app)
    [late, soon] = _more_cases(app, world, 2)
    with app.app_context():
        refs = {c.id: c.reference for c in get_session().execute(select(Case)).scalars()}
    _put_deadline(app, late, CaseState.DRAFT, TODAY - dt.timedelta(days=2))
    _put_deadline(app, soon, CaseState.DRAFT, TODAY + dt.timedelta(days=5))
    # A due date of a stage the case is not in does not count.
    _put_deadline(app, world.case_id, CaseState.SUBMITTED, TODAY - dt.timedelta(days=9))

    labels, page = _dashboard(app, EDITOR, demo.password)
    assert labels[0] == f"Overdue: Continue the self-assessment of {refs[late]}"
    assert len(labels) == 3
    assert [label for label in labels if label.startswith("Overdue")] == labels[:1]
    assert page.count('class="overdue"') == 1
    assert "It was due on" in page and "Due on" in page

    # The case list shows each case's current due date, the overdue one marked.
    login(client, EDITOR, demo.password)
    listing = client.get("/cases").get_data(as_text=True)
    late_date = shown_day(TODAY - dt.timedelta(days=2))
    assert f'<td class="overdue">{late_date} · overdue</td>' in listing
    assert shown_day(TODAY + dt.timedelta(days=5)) in listing

    labels, page = _dashboard(app, AGENCY_ADMIN, demo.password)
    assert labels[0].startswith("Overdue: ") and refs[late] in labels[0]
    assert all(not label.startswith("Overdue") for label in labels[1:])


def test_dashboard_task_source_queries_do_not_grow_with_cases(app, demo, count_queries):
    world = make_world(app)

    def count() -> int:
        with app.test_request_context():
            db = get_session()
            for email in (EDITOR, OFFICER):
                user = db.execute(select(User).where(User.email == email)).scalar_one()
                membership = user.memberships[0]
                _ = membership.organisation.kind
                with count_queries() as counter:
                    tasks = case_tasks(db, user, membership)
                assert tasks
                counts.append(counter.count)
        return counts

    ids = _more_cases(app, world, 1)  # 2 cases
    for case_id in ids:
        _put_deadline(app, case_id, CaseState.DRAFT, TODAY - dt.timedelta(days=1))
    counts: list[int] = []
    small = count()
    ids = _more_cases(app, world, 18)  # 20 cases
    for case_id in ids:
        _put_deadline(app, case_id, CaseState.DRAFT, TODAY + dt.timedelta(days=1))
    counts = []
    large = count()
    assert small == large, (small, large)
    assert max(large) <= 2


# ----- reminders ---------------------------------------------------------------------------


def _remind(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["reminders", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_reminders_go_once_each_to_the_party_whose_stage_it_is(app, demo):
    world = make_world(app)
    [submitted] = _more_cases(app, world, 1)
    with app.app_context():
        db = get_session()
        case = db.get(Case, submitted)
        case.state, case.submitted_at = CaseState.SUBMITTED, utcnow()
        db.commit()
    _put_deadline(app, world.case_id, CaseState.DRAFT, TODAY + dt.timedelta(days=3))
    _put_deadline(app, submitted, CaseState.SUBMITTED, TODAY - dt.timedelta(days=1))
    # Too far ahead for the default week, and a stage the case has left: no reminder.
    [far] = _more_cases(app, world, 1)
    _put_deadline(app, far, CaseState.DRAFT, TODAY + dt.timedelta(days=20))
    _put_deadline(app, far, CaseState.SUBMITTED, TODAY - dt.timedelta(days=1))

    output = _remind(app)
    assert "1 due soon, 1 overdue" in output
    sent = _messages(app)
    due_soon = [m for m in sent if "due on" in m.subject]
    overdue = [m for m in sent if "overdue since" in m.subject]
    # The draft is the provider's work, the screening the agency's.
    assert {m.to_address for m in due_soon} == {ADMIN, EDITOR, "contact@university.example.org"}
    assert {m.to_address for m in overdue} == {OFFICER, AGENCY_ADMIN}
    assert len(sent) == len(due_soon) + len(overdue)
    assert "The provider submits the self-assessment by" in due_soon[0].body_text

    # A second run sends nothing.
    assert "0 due soon, 0 overdue, 0 message(s)" in _remind(app)
    assert len(_messages(app)) == len(sent)

    # Time passes: the due-soon draft is now overdue and gets its overdue reminder, once.
    _put_deadline(app, world.case_id, CaseState.DRAFT, TODAY - dt.timedelta(days=1))
    assert "0 due soon, 1 overdue" in _remind(app)
    new = _messages(app)[len(sent) :]
    assert {m.to_address for m in new} == {ADMIN, EDITOR, "contact@university.example.org"}
    assert all("overdue since" in m.subject for m in new)
    assert "0 due soon, 0 overdue" in _remind(app)

    # A wider window reaches the far date.
    assert "1 due soon, 0 overdue" in _remind(app, "--days", "30")

    with app.app_context():
        runs = [
            event_details(e)
            for e in get_session()
            .execute(
                select(AuditEvent)
                .where(AuditEvent.action == "case.reminders_sent")
                .order_by(AuditEvent.id)
            )
            .scalars()
        ]
    assert [(r["due_soon"], r["overdue"]) for r in runs] == [
        (1, 1),
        (0, 0),
        (0, 1),
        (0, 0),
        (1, 0),
    ]
    assert runs[0]["messages"] == len(sent)
