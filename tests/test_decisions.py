"""Decisions over the test client: recording one with and without conditions, bad input kept
and refused, deciding out of turn, appeals in and after their window, the appeals committee,
uphold and revise, the follow-up of conditions, closing, and two officers deciding at once.

The case is put into DECISION_PENDING directly in the database: the panel report that leads
there is another part of the workflow, tested on its own."""

from __future__ import annotations

import datetime as dt
import html
import re
import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from qaportal.audit.models import AuditEvent
from qaportal.auth.models import User
from qaportal.cases.models import Case, CaseState
from qaportal.db import get_session, utcnow
from qaportal.decisions.models import (
    Appeal,
    ConditionStatus,
    Decision,
    DecisionCondition,
    DecisionSettings,
    DecisionStatus,
    Outcome,
)
from qaportal.notifications.models import OutboxMessage
from qaportal.reviews.models import MemberStatus, PanelMember, PanelRole
from tests.casekit import make_world
from tests.conftest import csrf_token, login, post_form

OFFICER = "officer@agency.example.org"
AGENCY_ADMIN = "admin@agency.example.org"
PROVIDER = "admin@university.example.org"
EDITOR = "editor@university.example.org"
OTHER_PROVIDER = "admin@vet.example.org"
RITA = "reviewer1@reviewers.example.org"
RUBEN = "reviewer2@reviewers.example.org"


def _text(response: Any) -> str:
    text = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(text).split())


@pytest.fixture
def world(app: Any, demo: Any) -> Any:
    world = make_world(app)
    with app.app_context():
        db = get_session()
        case = db.get(Case, world.case_id)
        case.state = CaseState.DECISION_PENDING
        case.submitted_at = utcnow()
        db.commit()
    return world


def _client(app: Any, email: str, password: str) -> Any:
    client = app.test_client()
    login(client, email, password)
    return client


def _future(days: int = 90) -> str:
    return (utcnow().date() + dt.timedelta(days=days)).isoformat()


def _decision(outcome: str = Outcome.POSITIVE, **extra: str) -> dict[str, str]:
    data = {
        "outcome": outcome,
        "eqa_status": "voluntary",
        "rationale": "The panel found every criterion fully met.",
    }
    data.update(extra)
    return data


def _decide(client: Any, world: Any, data: dict[str, str]) -> Any:
    """Post the decision as confirmed on the check page (tests/test_confirmations.py covers
    the check step itself)."""
    url = f"/cases/{world.case_id}/decision"
    return post_form(client, url, {**data, "confirm": "1"}, token_from=url)


def _state(app: Any, world: Any) -> CaseState:
    with app.app_context():
        return get_session().get(Case, world.case_id).state


def _count(app: Any, model: Any, *where: Any) -> int:
    with app.app_context():
        stmt = select(func.count()).select_from(model)
        for w in where:
            stmt = stmt.where(w)
        return get_session().execute(stmt).scalar_one()


def _age_decision(app: Any, world: Any, days: int) -> None:
    with app.app_context():
        db = get_session()
        for d in db.execute(select(Decision).where(Decision.case_id == world.case_id)).scalars():
            d.decided_at = d.decided_at - dt.timedelta(days=days)
        db.commit()


# ----- recording the decision --------------------------------------------------------------


def test_positive_decision_without_conditions(app, world, demo):
    officer = _client(app, OFFICER, demo.password)
    page = officer.get(f"/cases/{world.case_id}/decision")
    assert page.status_code == 200 and "Record the decision" in _text(page)
    response = _decide(officer, world, _decision())
    assert response.status_code == 302, _text(response)[:2000]
    assert _state(app, world) == CaseState.DECIDED
    with app.app_context():
        db = get_session()
        decision = db.execute(select(Decision)).scalar_one()
        assert decision.status == DecisionStatus.CURRENT
        assert decision.outcome == Outcome.POSITIVE
        assert decision.eqa_status.value == "voluntary"
        today = utcnow().date()
        # Default validity: the decision date plus six years.
        assert decision.valid_from == today
        assert decision.valid_until == today.replace(year=today.year + 6)
        actions = set(db.execute(select(AuditEvent.action)).scalars())
        assert {"case.decide", "decision.recorded"} <= actions
        mail = db.execute(select(OutboxMessage.to_address)).scalars().all()
        assert PROVIDER in mail
    provider = _client(app, PROVIDER, demo.password)
    text = _text(provider.get(f"/cases/{world.case_id}/decision"))
    assert "Positive" in text and "The panel found every criterion fully met." in text
    assert "The appeal window is open until" in text


def test_decision_with_conditions_and_agency_validity(app, world, demo):
    with app.app_context():
        db = get_session()
        db.add(DecisionSettings(agency_id=world.agency_id, validity_years=4))
        db.commit()
    officer = _client(app, OFFICER, demo.password)
    crit = world.criteria["C1"]
    data = _decision(
        Outcome.CONDITIONAL,
        **{
            "conditions-0-text": "Publish the learner feedback results.",
            "conditions-0-criterion": str(crit),
            "conditions-0-due_on": _future(),
            "conditions-1-text": "Name a QA officer.",
            "conditions-1-criterion": "0",
            "conditions-1-due_on": _future(120),
        },
    )
    response = _decide(officer, world, data)
    assert response.status_code == 302, _text(response)[:2000]
    with app.app_context():
        db = get_session()
        decision = db.execute(select(Decision)).scalar_one()
        assert decision.outcome == Outcome.CONDITIONAL
        assert [c.text for c in decision.conditions] == [
            "Publish the learner feedback results.",
            "Name a QA officer.",
        ]
        assert decision.conditions[0].criterion_id == crit
        assert decision.valid_until.year == utcnow().date().year + 4


def test_negative_decision_has_no_validity(app, world, demo):
    officer = _client(app, OFFICER, demo.password)
    response = _decide(
        officer, world, _decision(Outcome.NEGATIVE, valid_until=_future(400), rationale="No.")
    )
    assert response.status_code == 302
    with app.app_context():
        decision = get_session().execute(select(Decision)).scalar_one()
        assert decision.valid_from is None and decision.valid_until is None


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (_decision(rationale="  "), "rationale", "Give the rationale"),
        (
            _decision(Outcome.CONDITIONAL),
            "conditions",
            "needs at least one condition",
        ),
        (
            _decision(Outcome.CONDITIONAL, **{"conditions-0-text": "Publish the results."}),
            "conditions-0-due_on",
            "Give the date the condition is due",
        ),
        (
            _decision(
                Outcome.CONDITIONAL,
                **{
                    "conditions-0-text": "Publish the results.",
                    "conditions-0-due_on": "9999-12-31",
                },
            ),
            "conditions-0-due_on",
            "before the year 9999",
        ),
        (
            _decision(
                Outcome.CONDITIONAL,
                **{
                    "conditions-0-text": "Publish the results.",
                    "conditions-0-due_on": "2001-01-01",
                },
            ),
            "conditions-0-due_on",
            "must be in the future",
        ),
        (
            _decision(
                **{"conditions-0-text": "A stray condition.", "conditions-0-due_on": _future()}
            ),
            "conditions",
            "Only a positive decision with conditions",
        ),
    ],
)
def test_bad_decisions_are_refused_with_the_input_kept(app, world, demo, data, field, message):
    officer = _client(app, OFFICER, demo.password)
    response = _decide(officer, world, data)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert message in html.unescape(body)
    if field.startswith("conditions-"):
        assert f'id="{field}-errors"' in body  # the error sits at its field
    # What was typed comes back.
    for key, value in data.items():
        if key.endswith(("text", "due_on")) or key == "rationale":
            assert not value.strip() or html.escape(value) in body, key
    assert _state(app, world) == CaseState.DECISION_PENDING
    assert _count(app, Decision) == 0
    assert _count(app, AuditEvent, AuditEvent.action == "case.decide") == 0


def test_add_row_keeps_the_input(app, world, demo):
    officer = _client(app, OFFICER, demo.password)
    data = _decision(
        Outcome.CONDITIONAL,
        **{"conditions-0-text": "Keep me.", "conditions-0-due_on": _future(), "add_row": "1"},
    )
    response = _decide(officer, world, data)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Keep me." in body and "The panel found every criterion fully met." in body
    assert 'name="conditions-3-text"' in body  # a fourth row
    assert _count(app, Decision) == 0


def test_provider_and_strangers_cannot_decide(app, world, demo):
    provider = _client(app, PROVIDER, demo.password)
    assert _decide(provider, world, _decision()).status_code == 403
    stranger = _client(app, OTHER_PROVIDER, demo.password)
    assert stranger.get(f"/cases/{world.case_id}/decision").status_code == 404
    assert _decide(stranger, world, _decision()).status_code == 404
    # Nor through the case's generic action route.
    url = f"/cases/{world.case_id}/transition"
    response = post_form(provider, url, {"action": "decide"}, token_from=f"/cases/{world.case_id}")
    assert response.status_code == 403
    assert _state(app, world) == CaseState.DECISION_PENDING
    assert _count(app, Decision) == 0


def test_deciding_in_the_wrong_state_is_refused_clearly(app, world, demo):
    with app.app_context():
        db = get_session()
        db.get(Case, world.case_id).state = CaseState.IN_REVIEW
        db.commit()
    officer = _client(app, OFFICER, demo.password)
    response = _decide(officer, world, _decision())
    assert response.status_code == 409
    assert "only once the panel report is final" in _text(response)
    assert _count(app, Decision) == 0
    # A bare "decide" through the generic route moves nothing without a decision record.
    with app.app_context():
        db = get_session()
        db.get(Case, world.case_id).state = CaseState.DECISION_PENDING
        db.commit()
    url = f"/cases/{world.case_id}/transition"
    response = post_form(officer, url, {"action": "decide"}, token_from=f"/cases/{world.case_id}")
    assert response.status_code == 409
    assert _state(app, world) == CaseState.DECISION_PENDING


def test_case_page_links_to_the_decision_page(app, world, demo):
    officer = _client(app, OFFICER, demo.password)
    body = officer.get(f"/cases/{world.case_id}").get_data(as_text=True)
    assert f'href="/cases/{world.case_id}/decision"' in body


# ----- appeals -----------------------------------------------------------------------------


def _decided(app, world, demo, outcome=Outcome.POSITIVE, **extra):
    officer = _client(app, OFFICER, demo.password)
    assert _decide(officer, world, _decision(outcome, **extra)).status_code == 302
    return officer


def _appeal(client, world, grounds="The panel misread our evidence."):
    url = f"/cases/{world.case_id}/decision"
    return post_form(client, f"{url}/appeal", {"grounds": grounds}, token_from=url)


def test_appeal_within_the_window(app, world, demo):
    _decided(app, world, demo, Outcome.NEGATIVE)
    provider = _client(app, PROVIDER, demo.password)
    response = _appeal(provider, world, "  ")
    assert response.status_code == 400 and "Give the grounds" in _text(response)
    assert _count(app, Appeal) == 0
    editor = _client(app, EDITOR, demo.password)
    assert _appeal(editor, world).status_code == 403  # the provider's admin appeals
    response = _appeal(provider, world)
    assert response.status_code == 302
    assert _state(app, world) == CaseState.APPEAL
    assert _count(app, AuditEvent, AuditEvent.action == "case.appeal") == 1


def test_appeal_after_the_window_is_refused(app, world, demo):
    _decided(app, world, demo, Outcome.NEGATIVE)
    _age_decision(app, world, 31)
    provider = _client(app, PROVIDER, demo.password)
    response = _appeal(provider, world)
    assert response.status_code == 409
    assert "The appeal window closed on" in _text(response)
    assert _count(app, Appeal) == 0
    assert _state(app, world) == CaseState.DECIDED


def _panel_seat(app, world, email):
    with app.app_context():
        db = get_session()
        user = db.execute(select(User).where(User.email == email)).scalar_one()
        db.add(
            PanelMember(
                case_id=world.case_id,
                user_id=user.id,
                role=PanelRole.CHAIR,
                status=MemberStatus.ACTIVE,
                responded_at=utcnow(),
            )
        )
        db.commit()
        return user.id


def _user_id(app, email):
    with app.app_context():
        return get_session().execute(select(User.id).where(User.email == email)).scalar_one()


def _appealed(app, world, demo, outcome=Outcome.NEGATIVE):
    officer = _decided(app, world, demo, outcome)
    provider = _client(app, PROVIDER, demo.password)
    assert _appeal(provider, world).status_code == 302
    return officer


def _committee(officer, world, ids):
    url = f"/cases/{world.case_id}/decision"
    return post_form(officer, f"{url}/committee", {"members": ids}, token_from=url)


def test_committee_member_who_sat_on_the_panel_is_refused(app, world, demo):
    rita = _panel_seat(app, world, RITA)
    officer = _appealed(app, world, demo)
    response = _committee(officer, world, [rita])
    assert response.status_code == 400
    assert "Rita Reviewer sat on the case's panel" in _text(response)
    with app.app_context():
        assert get_session().execute(select(Appeal)).scalar_one().committee == []
    ruben = _user_id(app, RUBEN)
    assert _committee(officer, world, [ruben]).status_code == 302


def _outcome(officer, world, data):
    url = f"/cases/{world.case_id}/decision"
    return post_form(officer, f"{url}/appeal-outcome", data, token_from=url)


def test_uphold_keeps_the_decision(app, world, demo):
    officer = _appealed(app, world, demo)
    # Without a committee, nothing is decided.
    response = _outcome(officer, world, {"appeal_outcome": "upheld", "reasoning": "Sound."})
    assert response.status_code == 400 and "Name the appeals committee first" in _text(response)
    assert _committee(officer, world, [_user_id(app, RUBEN)]).status_code == 302
    response = _outcome(officer, world, {"appeal_outcome": "upheld", "reasoning": "Sound."})
    assert response.status_code == 302, _text(response)[:1500]
    assert _state(app, world) == CaseState.DECIDED
    with app.app_context():
        db = get_session()
        decisions = db.execute(select(Decision)).scalars().all()
        assert [d.status for d in decisions] == [DecisionStatus.CURRENT]
        assert db.execute(select(Appeal)).scalar_one().outcome.value == "upheld"
    # The decision stands and has had its appeal: no second one.
    response = _appeal(_client(app, PROVIDER, demo.password), world)
    assert response.status_code == 409 and "appealed already" in _text(response)
    assert _count(app, Appeal) == 1


def test_revise_supersedes_the_old_decision(app, world, demo):
    officer = _appealed(app, world, demo)
    assert _committee(officer, world, [_user_id(app, AGENCY_ADMIN)]).status_code == 302
    data = {
        "appeal_outcome": "revised",
        "reasoning": "The evidence was misread.",
        **_decision(Outcome.POSITIVE, rationale="Revised: positive."),
    }
    response = _outcome(officer, world, data)
    assert response.status_code == 302, _text(response)[:1500]
    with app.app_context():
        db = get_session()
        rows = db.execute(select(Decision).order_by(Decision.id)).scalars().all()
        assert [(d.outcome, d.status) for d in rows] == [
            (Outcome.NEGATIVE, DecisionStatus.SUPERSEDED),
            (Outcome.POSITIVE, DecisionStatus.CURRENT),
        ]
        assert rows[1].replaces_id == rows[0].id
    text = _text(_client(app, PROVIDER, demo.password).get(f"/cases/{world.case_id}/decision"))
    assert "Revised: positive." in text and "Superseded" in text and "revised" in text


# ----- follow-up and closing ---------------------------------------------------------------


def _act(client, world, action):
    url = f"/cases/{world.case_id}/decision"
    return post_form(client, f"{url}/{action}", {}, token_from=url)


def test_follow_up_answer_mark_met_and_close(app, world, demo):
    officer = _decided(
        app,
        world,
        demo,
        Outcome.CONDITIONAL,
        **{"conditions-0-text": "Publish the results.", "conditions-0-due_on": _future()},
    )
    # Not before the appeal window has passed.
    response = _act(officer, world, "start_follow_up")
    assert response.status_code == 409 and "appeal window is still open" in _text(response)
    _age_decision(app, world, 31)
    assert _act(officer, world, "start_follow_up").status_code == 302
    assert _state(app, world) == CaseState.FOLLOW_UP
    with app.app_context():
        cid = get_session().execute(select(DecisionCondition.id)).scalar_one()
    # Closing needs every condition met.
    assert _act(officer, world, "close").status_code == 409
    editor = _client(app, EDITOR, demo.password)
    url = f"/cases/{world.case_id}/decision"
    response = post_form(editor, f"{url}/conditions/{cid}/answer", {"answer": " "}, token_from=url)
    assert response.status_code == 400 and "Say how the condition is met" in _text(response)
    response = post_form(
        editor,
        f"{url}/conditions/{cid}/answer",
        {"answer": "Published on our website.", "evidence": "0"},
        token_from=url,
    )
    assert response.status_code == 302
    # The provider cannot assess its own answer.
    response = post_form(editor, f"{url}/conditions/{cid}/assess", {"met": "yes"}, token_from=url)
    assert response.status_code == 403
    response = post_form(
        officer,
        f"{url}/conditions/{cid}/assess",
        {"met": "yes", "comment": "Seen."},
        token_from=url,
    )
    assert response.status_code == 302
    with app.app_context():
        assert get_session().get(DecisionCondition, cid).status == ConditionStatus.MET
    assert _act(officer, world, "close").status_code == 302
    assert _state(app, world) == CaseState.CLOSED


def test_positive_without_conditions_closes_after_the_window(app, world, demo):
    officer = _decided(app, world, demo)
    assert _act(officer, world, "close").status_code == 409
    assert _act(officer, world, "start_follow_up").status_code == 409
    _age_decision(app, world, 31)
    assert _act(officer, world, "close").status_code == 302
    assert _state(app, world) == CaseState.CLOSED


# ----- dashboards and settings ----------------------------------------------------------------


def test_dashboards_show_decision_tasks(app, world, demo):
    officer = _client(app, OFFICER, demo.password)
    assert "Record the decision on" in _text(officer.get("/dashboard"))
    _decided(app, world, demo)
    text = _text(_client(app, PROVIDER, demo.password).get("/dashboard"))
    assert "appeal window is open until" in text
    with app.app_context():
        db = get_session()
        decision = db.execute(select(Decision)).scalar_one()
        decision.valid_until = utcnow().date() + dt.timedelta(days=100)
        db.commit()
    assert "re-accreditation due" in _text(_client(app, PROVIDER, demo.password).get("/dashboard"))
    text = _text(officer.get("/dashboard"))
    assert "re-accreditation due" in text and "Decisions this year: 1" in text


def test_settings_for_the_agency_admin_only(app, world, demo):
    url = f"/agencies/{world.agency_id}/decision-settings"
    officer = _client(app, OFFICER, demo.password)
    assert officer.get(url).status_code == 403
    admin = _client(app, AGENCY_ADMIN, demo.password)
    assert admin.get(url).status_code == 200
    assert f'href="{url}"' in admin.get("/dashboard").get_data(as_text=True)
    data = {"validity_years": "5", "appeal_days": "14", "expiry_notice_months": "6"}
    response = post_form(admin, url, data)
    assert response.status_code == 302
    with app.app_context():
        row = get_session().get(DecisionSettings, world.agency_id)
        assert (row.validity_years, row.appeal_days, row.expiry_notice_months) == (5, 14, 6)
    response = post_form(admin, url, {**data, "appeal_days": "0"})
    assert response.status_code == 200 and "appeal_days" in response.get_data(as_text=True)


# ----- two officers at once ----------------------------------------------------------------


def test_two_officers_deciding_at_once_make_one_decision(app, world, demo):
    clients = [_client(app, OFFICER, demo.password), _client(app, AGENCY_ADMIN, demo.password)]
    url = f"/cases/{world.case_id}/decision"
    tokens = [csrf_token(c, url) for c in clients]
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]

    def run(i: int) -> None:
        barrier.wait(timeout=30)
        data = {"csrf_token": tokens[i], "confirm": "1", **_decision(rationale=f"Officer {i}.")}
        results[i] = clients[i].post(url, data=data)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    codes = sorted(r.status_code for r in results)
    assert codes == [302, 409], codes
    loser = next(r for r in results if r.status_code == 409)
    assert "is decided" in _text(loser)
    assert _count(app, Decision) == 1
    assert _count(app, AuditEvent, AuditEvent.action == "case.decide") == 1
    assert _state(app, world) == CaseState.DECIDED


# ----- complaints --------------------------------------------------------------------------


def test_complaint_at_any_stage_answered_by_the_agency(app, world, demo):
    from qaportal.decisions.models import Complaint, ComplaintStatus

    url = f"/cases/{world.case_id}/complaints"
    editor = _client(app, EDITOR, demo.password)
    response = post_form(editor, url, {"text": "  "})
    assert response.status_code == 400 and "Describe what you complain about" in _text(response)
    response = post_form(editor, url, {"text": "Nobody answers our emails."})
    assert response.status_code == 302
    officer = _client(app, OFFICER, demo.password)
    # The agency answers; it does not lodge complaints.
    assert post_form(officer, url, {"text": "Hm."}).status_code == 403
    assert "Nobody answers our emails." in _text(officer.get(url))
    with app.app_context():
        cid = get_session().execute(select(Complaint.id)).scalar_one()
    response = post_form(
        officer, f"{url}/{cid}/respond", {"response": "Sorry: fixed."}, token_from=url
    )
    assert response.status_code == 302
    with app.app_context():
        db = get_session()
        complaint = db.get(Complaint, cid)
        assert (
            complaint.status == ComplaintStatus.ANSWERED and complaint.response == "Sorry: fixed."
        )
        actions = set(db.execute(select(AuditEvent.action)).scalars())
        assert {"complaint.lodged", "complaint.answered"} <= actions
    assert "Sorry: fixed." in _text(editor.get(url))
    assert _state(app, world) == CaseState.DECISION_PENDING  # not a transition
    stranger = _client(app, OTHER_PROVIDER, demo.password)
    assert stranger.get(url).status_code == 404


def test_appeal_document_checked_by_content(app, world, demo):
    import io

    from qaportal.evidence.models import Evidence
    from tests.casekit import minimal_pdf

    _decided(app, world, demo, Outcome.NEGATIVE)
    provider = _client(app, PROVIDER, demo.password)
    url = f"/cases/{world.case_id}/decision"
    fake = {"grounds": "See the file.", "document": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "x.pdf")}
    response = post_form(
        provider, f"{url}/appeal", fake, token_from=url, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert _count(app, Appeal) == 0 and _count(app, Evidence) == 0
    assert _state(app, world) == CaseState.DECIDED
    good = {"grounds": "See the file.", "document": (io.BytesIO(minimal_pdf()), "grounds.pdf")}
    response = post_form(
        provider, f"{url}/appeal", good, token_from=url, content_type="multipart/form-data"
    )
    assert response.status_code == 302, _text(response)[:1500]
    with app.app_context():
        appeal = get_session().execute(select(Appeal)).scalar_one()
        assert appeal.evidence_id is not None
    body = provider.get(url).get_data(as_text=True)
    assert f"/evidence/{appeal.evidence_id}/download" in body


def test_reminders_announce_expiring_accreditations_once(app, world, demo):
    _decided(app, world, demo)
    with app.app_context():
        db = get_session()
        decision = db.execute(select(Decision)).scalar_one()
        decision.valid_until = utcnow().date() + dt.timedelta(days=200)
        db.commit()

    def run() -> str:
        result = app.test_cli_runner().invoke(args=["reminders"])
        assert result.exit_code == 0, result.output
        return result.output

    assert "1 expiring accreditation(s) announced" in run()
    assert "0 expiring accreditation(s) announced" in run()
    with app.app_context():
        subjects = (
            get_session()
            .execute(
                select(OutboxMessage.to_address).where(
                    OutboxMessage.subject.like("%accreditation expires on%")
                )
            )
            .scalars()
            .all()
        )
    assert PROVIDER in subjects and OFFICER in subjects


def _more_cases(app, world, n: int) -> None:
    with app.app_context():
        db = get_session()
        for i in range(n):
            case = Case(
                reference=f"EXTRA-{world.case_id}-{i}-{n}",
                provider_id=world.provider_id,
                agency_id=world.agency_id,
                state=[CaseState.DECISION_PENDING, CaseState.FOLLOW_UP, CaseState.DECIDED][i % 3],
                contact_name="C",
                contact_email="c@university.example.org",
            )
            db.add(case)
            db.flush()
            if case.state != CaseState.DECISION_PENDING:
                db.add(
                    Decision(
                        case_id=case.id,
                        status=DecisionStatus.CURRENT,
                        outcome=Outcome.CONDITIONAL,
                        eqa_status="voluntary",
                        rationale="R",
                        decided_on=utcnow().date(),
                        valid_from=utcnow().date(),
                        valid_until=utcnow().date() + dt.timedelta(days=100),
                        conditions=[
                            DecisionCondition(text="T", due_on=utcnow().date(), status=status)
                            for status in (ConditionStatus.OPEN, ConditionStatus.ANSWERED)
                        ],
                    )
                )
        db.commit()


def test_dashboard_queries_do_not_grow_with_cases(app, world, demo, count_queries):
    officer = _client(app, OFFICER, demo.password)
    provider = _client(app, PROVIDER, demo.password)

    def counts() -> tuple[int, int]:
        result = []
        for client in (officer, provider):
            with count_queries() as counter:
                assert client.get("/dashboard").status_code == 200
            result.append(counter.count)
        return result[0], result[1]

    _more_cases(app, world, 3)
    few = counts()
    _more_cases(app, world, 12)
    many = counts()
    assert many == few
    text = _text(officer.get("/dashboard"))
    assert "Assess 1 answered condition of" in text and "Handle" not in text
    assert "Answer 1 condition of" in _text(provider.get("/dashboard"))
