"""How a case moves: the declared transition table, submission with its completeness check,
read-only after submission, and crafted requests that try to skip a stage."""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import func, select

from qaportal.audit.models import AuditEvent
from qaportal.audit.services import event_details, verify_chain
from qaportal.auth.models import Role
from qaportal.cases import screening, workflow
from qaportal.cases.models import Answer, Case, CaseState
from qaportal.db import get_session
from qaportal.evidence.models import Evidence, StoredFile
from qaportal.notifications.models import OutboxMessage
from tests.casekit import lock_version, make_world, minimal_pdf
from tests.conftest import login, post_form

EDITOR = "editor@university.example.org"
ADMIN = "admin@university.example.org"
OFFICER = "officer@agency.example.org"
AGENCY_ADMIN = "admin@agency.example.org"


def _transition(client, world, action, **extra):
    return post_form(
        client,
        f"/cases/{world.case_id}/transition",
        {"action": action, **extra},
        token_from=f"/cases/{world.case_id}",
    )


def _state(app, world) -> CaseState:
    with app.app_context():
        return get_session().get(Case, world.case_id).state


def _answer(client, world, code, data):
    url = f"/cases/{world.case_id}/criteria/{world.criteria[code]}"
    page = client.get(url).get_data(as_text=True)
    response = post_form(client, url, {"lock_version": lock_version(page), **data})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def _complete(client, world):
    _answer(client, world, "C1", {"q_narrative": "Policy text", "q_rating": "fully"})
    _answer(
        client, world, "C2", {"q_narrative": "Rates", "q_rating": "fully", "q_completion": "90"}
    )
    _answer(client, world, "C3", {"q_narrative": "Website", "q_rating": "fully"})
    response = post_form(
        client,
        f"/cases/{world.case_id}/evidence",
        {"file": (io.BytesIO(minimal_pdf()), "site.pdf"), "criteria": [world.criteria["C3"]]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302


def test_the_table_is_declared_once_and_sane():
    keys = [(t.source, t.action) for t in workflow.TRANSITIONS]
    assert len(keys) == len(set(keys)), "one row per (state, action)"
    for t in workflow.TRANSITIONS:
        assert t.roles, t
        assert t.source != t.target
    submit = workflow.find_transition(CaseState.DRAFT, "submit")
    assert submit.target == CaseState.SUBMITTED and submit.guard is not None
    assert submit.roles == {Role.PROVIDER_ADMIN, Role.PROVIDER_EDITOR}
    assert workflow.find_transition(CaseState.SUBMITTED, "return").needs_reason
    assert workflow.find_transition(CaseState.SUBMITTED, "screen").roles == {
        Role.AGENCY_ADMIN,
        Role.AGENCY_OFFICER,
    }
    # From a draft nothing leads past "submitted".
    assert {t.target for t in workflow.TRANSITIONS if t.source == CaseState.DRAFT} <= {
        CaseState.SUBMITTED,
        CaseState.WITHDRAWN,
    }


def test_submit_is_blocked_with_a_list_of_what_is_missing(app, client, demo):
    world = make_world(app, complete_spec=False)
    login(client, EDITOR, demo.password)
    _answer(client, world, "C2", {"q_narrative": "Some text"})

    page = client.get(f"/cases/{world.case_id}/submit").get_data(as_text=True)
    assert "C1 Policy for quality assurance: not answered." in page
    assert "C2 Completion: missing a self-rating, the figure “Completion rate”." in page
    assert "C3 Public information: required evidence is absent." in page
    assert "lacks Annex I elements" in page
    assert f'href="/cases/{world.case_id}/criteria/{world.criteria["C1"]}"' in page
    assert f'href="/cases/{world.case_id}/criteria/{world.criteria["C3"]}#evidence"' in page

    response = _transition(client, world, "submit")
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "cannot be submitted yet" in body and "not answered" in body
    assert _state(app, world) == CaseState.DRAFT
    with app.app_context():
        assert get_session().execute(select(func.count(OutboxMessage.id))).scalar_one() == 0


def test_complete_self_assessment_is_submitted_and_becomes_read_only(app, client, demo):
    world = make_world(app)
    login(client, EDITOR, demo.password)
    _complete(client, world)
    page = client.get(f"/cases/{world.case_id}/submit").get_data(as_text=True)
    assert "Nothing is missing" in page

    response = _transition(client, world, "submit")
    assert response.status_code == 302
    with app.app_context():
        db = get_session()
        case = db.get(Case, world.case_id)
        assert case.state == CaseState.SUBMITTED
        assert case.submitted_at is not None
        event = db.execute(
            select(AuditEvent).where(AuditEvent.action == "case.submit")
        ).scalar_one()
        assert event_details(event)["from"] == "draft"
        assert event_details(event)["to"] == "submitted"
        recipients = set(db.execute(select(OutboxMessage.to_address)).scalars())
        assert recipients == {OFFICER, AGENCY_ADMIN}
        message = db.execute(select(OutboxMessage)).scalars().first()
        assert case.reference in message.subject
        assert f"/cases/{case.id}" in message.body_text
        assert verify_chain(db).ok
        answers_before = [
            (a.id, a.narrative, a.lock_version) for a in db.execute(select(Answer)).scalars()
        ]
        files_before = db.execute(select(func.count(StoredFile.id))).scalar_one()

    # The provider no longer gets a form, and a crafted POST is refused; nothing changes.
    url = f"/cases/{world.case_id}/criteria/{world.criteria['C1']}"
    assert 'name="q_narrative"' not in client.get(url).get_data(as_text=True)
    response = post_form(
        client, url, {"lock_version": "1", "q_narrative": "Sneaky change"}, token_from=url
    )
    assert response.status_code == 409
    assert "read-only" in response.get_data(as_text=True)
    response = post_form(
        client,
        f"/cases/{world.case_id}/evidence",
        {"file": (io.BytesIO(minimal_pdf("late")), "late.pdf"), "criteria": [world.criteria["C1"]]},
        content_type="multipart/form-data",
        token_from=f"/cases/{world.case_id}",
    )
    assert response.status_code == 409
    with app.app_context():
        db = get_session()
        answers_after = [
            (a.id, a.narrative, a.lock_version) for a in db.execute(select(Answer)).scalars()
        ]
        assert answers_after == answers_before
        assert db.execute(select(func.count(StoredFile.id))).scalar_one() == files_before
        assert db.execute(select(func.count(Evidence.id))).scalar_one() == 1
    incoming = Path(app.config["UPLOAD_FOLDER"]) / "evidence" / ".incoming"
    assert not incoming.exists() or list(incoming.iterdir()) == []


def test_crafted_transitions_cannot_skip_a_stage(app, client, demo):
    world = make_world(app)
    login(client, ADMIN, demo.password)
    for action in ("decide", "publish", "screen", "return", "close", "nonsense"):
        response = _transition(client, world, action)
        assert response.status_code == 409, action
        assert _state(app, world) == CaseState.DRAFT
    officer = app.test_client()
    login(officer, OFFICER, demo.password)
    # The agency cannot submit for the provider either.
    response = _transition(officer, world, "submit")
    assert response.status_code == 403
    assert _state(app, world) == CaseState.DRAFT
    with app.app_context():
        actions = get_session().execute(select(AuditEvent.action)).scalars().all()
        assert not [a for a in actions if a.startswith("case.") and a != "case.opened"]


def test_agency_screens_or_returns_with_a_reason(app, client, demo):
    world = make_world(app)
    login(client, EDITOR, demo.password)
    _complete(client, world)
    # Only the provider's actions are offered to the provider.
    page = client.get(f"/cases/{world.case_id}").get_data(as_text=True)
    assert "Submit the self-assessment" in page and "Accept after screening" not in page
    assert _transition(client, world, "submit").status_code == 302

    officer = app.test_client()
    login(officer, OFFICER, demo.password)
    page = officer.get(f"/cases/{world.case_id}").get_data(as_text=True)
    assert "Accept after screening" in page and "Return to the provider" in page
    assert "Submit the self-assessment" not in page
    # The provider may not screen its own case.
    assert _transition(client, world, "screen").status_code == 403

    response = _transition(officer, world, "return")
    assert response.status_code == 400
    assert "Give a reason" in response.get_data(as_text=True)
    assert _state(app, world) == CaseState.SUBMITTED

    response = _transition(officer, world, "return", reason="Please add the 2024 figures.")
    assert response.status_code == 302
    assert _state(app, world) == CaseState.DRAFT
    with app.app_context():
        db = get_session()
        event = db.execute(
            select(AuditEvent).where(AuditEvent.action == "case.return")
        ).scalar_one()
        assert event_details(event)["reason"] == "Please add the 2024 figures."
        to_provider = set(
            db.execute(
                select(OutboxMessage.to_address).where(
                    OutboxMessage.body_text.contains("Please add the 2024 figures.")
                )
            ).scalars()
        )
        assert {ADMIN, EDITOR, "contact@university.example.org"} <= to_provider
        assert db.get(Case, world.case_id).submitted_at is None
    assert "Please add the 2024 figures." in client.get(f"/cases/{world.case_id}").get_data(
        as_text=True
    )
    # Editable again; submit again, then the officer screens it.
    _answer(client, world, "C1", {"q_narrative": "Policy text, revised", "q_rating": "fully"})
    assert _transition(client, world, "submit").status_code == 302
    # Accepting needs the screening checklist met (tests/test_screening.py has the details).
    assert _transition(officer, world, "screen").status_code == 409
    checklist = {f"met_{item.code}": "yes" for item in screening.CHECKLIST}
    url = f"/cases/{world.case_id}/screening"
    assert post_form(officer, url, checklist).status_code == 302
    assert _transition(officer, world, "screen").status_code == 302
    assert _state(app, world) == CaseState.IN_REVIEW
    # No action from in_review is declared yet: nothing is offered.
    page = officer.get(f"/cases/{world.case_id}").get_data(as_text=True)
    assert "Accept after screening" not in page


def test_withdraw_is_for_the_provider_admin(app, client, demo):
    world = make_world(app)
    login(client, EDITOR, demo.password)
    assert _transition(client, world, "withdraw").status_code == 403
    admin = app.test_client()
    login(admin, ADMIN, demo.password)
    assert _transition(admin, world, "withdraw").status_code == 302
    assert _state(app, world) == CaseState.WITHDRAWN
