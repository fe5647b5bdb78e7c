"""Screening a submitted case: the officer's checklist, accepting only when every item is
met, returning with comments the provider then sees until it submits again."""

from __future__ import annotations

import html
import re

from sqlalchemy import func, select

from qaportal.audit.models import AuditEvent
from qaportal.audit.services import event_details
from qaportal.cases import screening
from qaportal.cases.models import Case, CaseReturn, CaseState, ScreeningItem
from qaportal.db import get_session
from qaportal.notifications.models import OutboxMessage
from tests.casekit import make_world
from tests.conftest import login, post_form
from tests.test_workflow import ADMIN, EDITOR, OFFICER, _answer, _complete, _state, _transition


def _text(response) -> str:
    """The page's text as a reader gets it: no tags, entities resolved, spaces collapsed."""
    text = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(text).split()).replace(" :", ":")


def _checklist(**overrides: str) -> dict[str, str]:
    data = {f"met_{item.code}": "yes" for item in screening.CHECKLIST}
    data.update(overrides)
    return data


def _submitted(app, client, demo):
    world = make_world(app)
    login(client, EDITOR, demo.password)
    _complete(client, world)
    assert _transition(client, world, "submit").status_code == 302
    officer = app.test_client()
    login(officer, OFFICER, demo.password)
    return world, officer


def _count(app, model) -> int:
    with app.app_context():
        return get_session().execute(select(func.count()).select_from(model)).scalar_one()


def _events(app, action: str) -> list[dict]:
    with app.app_context():
        rows = get_session().execute(select(AuditEvent).where(AuditEvent.action == action))
        return [event_details(e) for e in rows.scalars()]


def test_accepting_needs_every_checklist_item_met(app, client, demo):
    world, officer = _submitted(app, client, demo)
    url = f"/cases/{world.case_id}/screening"
    page = html.unescape(officer.get(url).get_data(as_text=True))
    for item in screening.CHECKLIST:
        assert str(item.label) in page
    assert "Accept after screening" in page and "Return to the provider" in page
    # The case page leads there.
    assert url in officer.get(f"/cases/{world.case_id}").get_data(as_text=True)

    # Nothing checked yet: refused, every item listed as not checked.
    response = _transition(officer, world, "screen")
    assert response.status_code == 409
    body = _text(response)
    assert "6 checklist items are not met" in body
    assert "Not checked yet: The language of the file is acceptable" in body

    # One item not met, with the officer's note: stored and audited.
    note = "Peer feedback is missing: no employer survey."
    response = post_form(officer, url, _checklist(met_feedback="no", note_feedback=note))
    assert response.status_code == 302
    with app.app_context():
        rows = {
            r.item: r
            for r in get_session().execute(select(ScreeningItem)).scalars()
            if r.case_id == world.case_id
        }
        assert set(rows) == set(screening.CODES)
        assert rows["feedback"].met is False and rows["feedback"].note == note
        assert rows["eligible"].met is True and rows["eligible"].checked_by_id is not None
    [saved] = _events(app, "case.screening_saved")
    assert saved["unmet"] == ["feedback"]

    response = _transition(officer, world, "screen")
    assert response.status_code == 409
    body = _text(response)
    assert "1 checklist item is not met" in body
    assert "Feedback evidence is present (learners and peers): " + note in body
    assert _state(app, world) == CaseState.SUBMITTED
    assert _events(app, "case.screen") == []

    # All met: accepted, audited, the provider told.
    assert post_form(officer, url, _checklist(note_feedback="Survey added.")).status_code == 302
    messages_before = _count(app, OutboxMessage)
    response = _transition(officer, world, "screen")
    assert response.status_code == 302
    assert _state(app, world) == CaseState.IN_REVIEW
    assert len(_events(app, "case.screen")) == 1
    assert _count(app, OutboxMessage) > messages_before
    # Saved twice with a change each time; the checklist is now read-only.
    assert len(_events(app, "case.screening_saved")) == 2
    page = officer.get(url).get_data(as_text=True)
    assert 'name="met_eligible"' not in page and "Survey added." in page


def test_checklist_errors_are_shown_per_item_and_keep_the_input(app, client, demo):
    world, officer = _submitted(app, client, demo)
    url = f"/cases/{world.case_id}/screening"
    data = _checklist(met_scope="no", note_scope="", note_eligible="Recognised in DE.")
    del data["met_language"]
    response = post_form(officer, url, data)
    assert response.status_code == 400
    body = _text(response)
    assert "Say whether this is met." in body
    assert "Recognised in DE." in body  # what the officer typed is still there
    assert _count(app, ScreeningItem) == 0

    # A "not met" without a note: the note is required.
    response = post_form(officer, url, _checklist(met_scope="no"))
    assert response.status_code == 400
    body = _text(response)
    assert "the note is required when not met" in body
    assert _count(app, ScreeningItem) == 0
    assert _events(app, "case.screening_saved") == []


def test_return_with_comments_reopens_the_self_assessment_with_a_banner(app, client, demo):
    world, officer = _submitted(app, client, demo)
    screening_url = f"/cases/{world.case_id}/screening"
    assert post_form(officer, screening_url, _checklist()).status_code == 302
    # An empty reason is refused, nothing changes.
    response = _transition(officer, world, "return", reason="   ")
    assert response.status_code == 400
    assert _state(app, world) == CaseState.SUBMITTED
    assert _count(app, CaseReturn) == 0

    comment = "Please add the learner survey results of 2025."
    assert _transition(officer, world, "return", reason=comment).status_code == 302
    assert _state(app, world) == CaseState.DRAFT
    with app.app_context():
        [row] = get_session().execute(select(CaseReturn)).scalars().all()
        assert row.comment == comment and row.resolved_at is None

    # The provider sees the comments on the case page and the self-assessment pages.
    for path in ("", "/self-assessment", f"/criteria/{world.criteria['C1']}"):
        page = client.get(f"/cases/{world.case_id}{path}").get_data(as_text=True)
        assert "Returned by the agency" in page, path
        assert comment in page, path
    # ... and can edit again, then resubmits: the banner is gone.
    _answer(
        client, world, "C2", {"q_narrative": "Survey", "q_rating": "fully", "q_completion": "91"}
    )
    assert _transition(client, world, "submit").status_code == 302
    page = client.get(f"/cases/{world.case_id}").get_data(as_text=True)
    assert comment not in page
    with app.app_context():
        assert get_session().execute(select(CaseReturn)).scalar_one().resolved_at is not None

    # The checklist of the first submission does not accept the second one: checked again.
    response = _transition(officer, world, "screen")
    assert response.status_code == 409
    assert "Not checked since the case was resubmitted: The scope matches" in _text(response)
    assert _state(app, world) == CaseState.SUBMITTED
    assert post_form(officer, screening_url, _checklist()).status_code == 302
    assert _transition(officer, world, "screen").status_code == 302
    assert _state(app, world) == CaseState.IN_REVIEW


def test_the_provider_cannot_screen(app, client, demo):
    world, _officer = _submitted(app, client, demo)
    admin = app.test_client()
    login(admin, ADMIN, demo.password)
    url = f"/cases/{world.case_id}/screening"
    assert admin.get(url).status_code == 403
    assert (
        post_form(admin, url, _checklist(), token_from=f"/cases/{world.case_id}").status_code == 403
    )
    assert _transition(admin, world, "screen").status_code == 403
    # Another provider's staff do not learn the case exists.
    other = app.test_client()
    login(other, "admin@vet.example.org", demo.password)
    assert other.get(url).status_code == 404
    assert _count(app, ScreeningItem) == 0
    assert _state(app, world) == CaseState.SUBMITTED


def test_screening_a_case_in_the_wrong_state_is_refused(app, client, demo):
    world = make_world(app)  # a draft
    officer = app.test_client()
    login(officer, OFFICER, demo.password)
    url = f"/cases/{world.case_id}/screening"
    page = officer.get(url).get_data(as_text=True)
    assert "Only a submitted case is screened" in page and 'name="met_scope"' not in page
    response = post_form(officer, url, _checklist(), token_from=f"/cases/{world.case_id}")
    assert response.status_code == 409
    assert "only a submitted case is screened. Nothing was stored." in response.get_data(
        as_text=True
    )
    assert _count(app, ScreeningItem) == 0
    # The transition is refused too, with the state named.
    response = _transition(officer, world, "screen")
    assert response.status_code == 409
    assert "is not possible while the case is draft" in html.unescape(
        response.get_data(as_text=True)
    )
    with app.app_context():
        assert get_session().get(Case, world.case_id).state == CaseState.DRAFT
