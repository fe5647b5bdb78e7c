"""Destructive or irreversible actions ask first, on a page that says what will happen.

For each action: the page that led to it links to a confirmation page (no one-click form);
that page names the object and says what will happen, and its GET changes nothing; a POST
without the confirmation form (no CSRF token) is refused with 400 and changes nothing; the
confirmed POST acts and is audited. Recording a decision goes through a "check your
decision" page: the first POST stores nothing, "Change" gives the form back as typed.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from qaportal.audit.models import AuditEvent
from qaportal.auth.models import Membership, User
from qaportal.cases.models import Case, CaseState
from qaportal.catalogue.models import Specification, VersionStatus
from qaportal.db import get_session, utcnow
from qaportal.decisions.models import Decision, Outcome
from qaportal.feedback.models import Campaign
from tests.casekit import make_world
from tests.catalogue_kit import complete_data, make_spec, org_id, versions
from tests.conftest import login, post_form, shown_day
from tests.feedback_support import answer_directly, likert, make_campaign, make_codes
from tests.feedback_support import make_specification as survey_specification
from tests.test_decisions import _future
from tests.test_workflow import _complete

UDV_ADMIN = "admin@university.example.org"
UDV_EDITOR = "editor@university.example.org"
AGENCY_ADMIN = "admin@agency.example.org"
OFFICER = "officer@agency.example.org"
OTHER_PROVIDER = "admin@vet.example.org"

HIDDEN_RE = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def _text(response: Any) -> str:
    text = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(text).split())


def _count(app: Any, model: Any, *where: Any) -> int:
    with app.app_context():
        stmt = select(func.count()).select_from(model)
        for condition in where:
            stmt = stmt.where(condition)
        return get_session().execute(stmt).scalar_one()


def _events(app: Any, action: str) -> int:
    return _count(app, AuditEvent, AuditEvent.action == action)


def _client(app: Any, email: str, password: str) -> Any:
    client = app.test_client()
    login(client, email, password)
    return client


def _hidden(page: str) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for name, value in HIDDEN_RE.findall(page):
        fields.setdefault(name, []).append(html.unescape(value))
    return fields


def _no_form_posts_to(page: str, url: str) -> bool:
    return f'action="{url}"' not in page


# ----- close a feedback campaign -----------------------------------------------------------


def test_closing_a_campaign_asks_first(app, client, demo):
    spec = survey_specification(app, "Data literacy")
    campaign_id = make_campaign(app, [spec], title="Spring cohort")
    make_codes(app, campaign_id, 3)
    answer_directly(app, campaign_id, [likert(outcomes_clear=4)])
    show = f"/feedback/campaigns/{campaign_id}"
    close = f"{show}/close"
    login(client, UDV_EDITOR, demo.password)

    page = client.get(show).get_data(as_text=True)
    assert f'href="{close}"' in page and _no_form_posts_to(page, close)

    response = client.get(close)
    assert response.status_code == 200
    text = _text(response)
    assert "Close the campaign “Spring cohort” now?" in text
    assert "Links and codes not yet used stop working at once: 3." in text
    assert "Answers received: 1." in text
    assert "cannot be opened again" in text

    def closed() -> bool:
        with app.app_context():
            return get_session().get(Campaign, campaign_id).closed_early_at is not None

    assert not closed()  # the GET changed nothing
    assert client.post(close, data={}).status_code == 400
    assert not closed() and _events(app, "feedback.campaign_closed") == 0

    response = post_form(client, close, {}, token_from=close)
    assert response.status_code == 302
    assert "its links and codes no longer work" in _text(client.get(response.location))
    assert closed() and _events(app, "feedback.campaign_closed") == 1
    # Nothing is left to confirm: the page sends back with a note.
    again = client.get(close, follow_redirects=True)
    assert "This campaign is already closed." in _text(again)


def test_agency_staff_cannot_reach_a_campaigns_confirmation(app, client, demo):
    campaign_id = make_campaign(app, [survey_specification(app, "Data literacy")])
    login(client, AGENCY_ADMIN, demo.password)
    assert client.get(f"/feedback/campaigns/{campaign_id}/close").status_code == 404


# ----- remove or deactivate a person -------------------------------------------------------


def _editor_membership(app) -> int:
    with app.app_context():
        return (
            get_session()
            .execute(
                select(Membership.id)
                .join(User, User.id == Membership.user_id)
                .where(User.email == UDV_EDITOR)
            )
            .scalar_one()
        )


def test_removing_a_person_asks_first(app, client, demo):
    udv, membership = org_id(app, "UDV"), _editor_membership(app)
    remove = f"/orgs/{udv}/members/{membership}/remove"
    login(client, UDV_ADMIN, demo.password)
    page = client.get(f"/orgs/{udv}/staff").get_data(as_text=True)
    assert f'href="{remove}"' in page and _no_form_posts_to(page, remove)

    response = client.get(remove)
    assert response.status_code == 200
    text = _text(response)
    assert "Remove Emil Editor from University of Demoville (UDV)?" in text
    assert "Provider editor" in text and UDV_EDITOR in text
    assert "loses the role" in text and "can be invited again" in text
    before = _count(app, Membership)
    assert client.post(remove, data={}).status_code == 400
    assert _count(app, Membership) == before and _events(app, "membership.removed") == 0

    response = post_form(client, remove, {}, token_from=remove)
    assert response.status_code == 302
    assert _count(app, Membership) == before - 1
    assert _count(app, Membership, Membership.id == membership) == 0
    assert _events(app, "membership.removed") == 1


def test_deactivating_a_person_asks_first(app, client, demo):
    udv, membership = org_id(app, "UDV"), _editor_membership(app)
    deactivate = f"/orgs/{udv}/members/{membership}/deactivate"
    login(client, UDV_ADMIN, demo.password)
    page = client.get(f"/orgs/{udv}/staff").get_data(as_text=True)
    assert f'href="{deactivate}"' in page and _no_form_posts_to(page, deactivate)

    def active() -> bool:
        with app.app_context():
            db = get_session()
            return db.execute(select(User.active).where(User.email == UDV_EDITOR)).scalar_one()

    text = _text(client.get(deactivate))
    assert "Deactivate the account of Emil Editor?" in text
    assert "signed out at once" in text and "reactivate them later" in text
    assert active()
    assert client.post(deactivate, data={}).status_code == 400
    assert active() and _events(app, "user.deactivated") == 0

    assert post_form(client, deactivate, {}, token_from=deactivate).status_code == 302
    assert not active() and _events(app, "user.deactivated") == 1


def test_an_editor_cannot_reach_the_staff_confirmations(app, client, demo):
    udv, membership = org_id(app, "UDV"), _editor_membership(app)
    login(client, UDV_EDITOR, demo.password)
    for action in ("remove", "deactivate"):
        assert client.get(f"/orgs/{udv}/members/{membership}/{action}").status_code == 403


# ----- publish and retire a specification -------------------------------------------------


def test_publishing_asks_first(app, client, demo):
    udv = org_id(app, "UDV")
    spec_id, _ = make_spec(app, "UDV", complete_data(title="Fresh Course"), publish=False)
    show = f"/orgs/{udv}/catalogue/{spec_id}"
    publish = f"{show}/publish"
    login(client, UDV_EDITOR, demo.password)
    page = client.get(show).get_data(as_text=True)
    assert f'href="{publish}"' in page and _no_form_posts_to(page, publish)

    response = client.get(publish)
    assert response.status_code == 200
    text = _text(response)
    assert "Publish version 1 of “Fresh Course”?" in text
    assert "appears in the public catalogue" in text and "cannot change" in text
    assert versions(app, spec_id) == [(1, VersionStatus.DRAFT, "Fresh Course")]
    tokenless = {k: v for k, v in _hidden(response.get_data(as_text=True)).items()}
    del tokenless["csrf_token"]
    assert client.post(publish, data=tokenless).status_code == 400
    assert versions(app, spec_id) == [(1, VersionStatus.DRAFT, "Fresh Course")]

    carried = _hidden(response.get_data(as_text=True))
    assert carried["lock_version"]  # a draft changed meanwhile is not published blindly
    response = client.post(publish, data=carried)
    assert response.status_code == 302
    assert versions(app, spec_id) == [(1, VersionStatus.PUBLISHED, "Fresh Course")]
    assert (
        _count(
            app,
            AuditEvent,
            AuditEvent.action == "specification.published",
            AuditEvent.object_id == str(spec_id),
        )
        == 1
    )


def test_publishing_an_incomplete_draft_offers_no_confirmation(app, client, demo):
    udv = org_id(app, "UDV")
    spec_id, _ = make_spec(app, "UDV", complete_data(title="Half Done", outcomes=[]), publish=False)
    login(client, UDV_EDITOR, demo.password)
    response = client.get(f"/orgs/{udv}/catalogue/{spec_id}/publish", follow_redirects=True)
    assert "Publishing is possible once nothing is missing." in _text(response)
    assert versions(app, spec_id) == [(1, VersionStatus.DRAFT, "Half Done")]


def test_retiring_asks_first(app, client, demo):
    udv = org_id(app, "UDV")
    spec_id, _ = make_spec(app, "UDV", complete_data(title="Old Course"), publish=True)
    show = f"/orgs/{udv}/catalogue/{spec_id}"
    retire = f"{show}/retire"
    login(client, UDV_ADMIN, demo.password)
    page = client.get(show).get_data(as_text=True)
    assert f'href="{retire}"' in page and _no_form_posts_to(page, retire)

    text = _text(client.get(retire))
    assert "Retire “Old Course”?" in text
    assert "Version 1 leaves the public catalogue" in text and "cannot be undone" in text

    def retired() -> bool:
        with app.app_context():
            return get_session().get(Specification, spec_id).retired_at is not None

    assert not retired()
    assert client.post(retire, data={}).status_code == 400
    assert not retired() and _events(app, "specification.retired") == 0
    assert post_form(client, retire, {}, token_from=retire).status_code == 302
    assert retired() and _events(app, "specification.retired") == 1
    assert versions(app, spec_id) == [(1, VersionStatus.RETIRED, "Old Course")]


def test_an_editor_cannot_reach_the_retire_confirmation(app, client, demo):
    udv = org_id(app, "UDV")
    spec_id, _ = make_spec(app, "UDV", complete_data(title="Old Course"), publish=True)
    login(client, UDV_EDITOR, demo.password)
    assert client.get(f"/orgs/{udv}/catalogue/{spec_id}/retire").status_code == 403
    assert client.get(f"/orgs/{udv}/catalogue/{spec_id}/publish").status_code == 302


# ----- case transitions --------------------------------------------------------------------


def _case_state(app, case_id: int) -> CaseState:
    with app.app_context():
        return get_session().get(Case, case_id).state


def test_withdrawing_a_case_asks_first(app, client, demo):
    world = make_world(app)
    case_url = f"/cases/{world.case_id}"
    confirm = f"{case_url}/transition?action=withdraw"
    login(client, UDV_ADMIN, demo.password)
    page = client.get(case_url).get_data(as_text=True)
    assert f'href="{html.escape(confirm)}"' in page
    assert 'value="withdraw"' not in page  # no one-click form for it

    response = client.get(confirm)
    assert response.status_code == 200
    text = _text(response)
    assert "Withdraw the application" in text and "University of Demoville" in text
    assert "becomes “withdrawn”" in text and "cannot be reopened" in text
    assert _case_state(app, world.case_id) == CaseState.DRAFT
    transition = f"{case_url}/transition"
    assert client.post(transition, data={"action": "withdraw"}).status_code == 400
    assert _case_state(app, world.case_id) == CaseState.DRAFT

    carried = {k: v[0] for k, v in _hidden(response.get_data(as_text=True)).items()}
    assert carried["action"] == "withdraw"
    assert client.post(transition, data=carried).status_code == 302
    assert _case_state(app, world.case_id) == CaseState.WITHDRAWN
    assert _events(app, "case.withdraw") == 1


def test_a_confirmation_without_a_takeable_action_leads_back_to_the_case(app, client, demo):
    world = make_world(app)
    case_url = f"/cases/{world.case_id}"
    login(client, UDV_EDITOR, demo.password)  # editors may not withdraw
    for query in ("", "?action=withdraw", "?action=nonsense"):
        response = client.get(f"{case_url}/transition{query}")
        assert response.status_code == 302 and response.location.endswith(case_url)
    assert _case_state(app, world.case_id) == CaseState.DRAFT
    stranger = _client(app, OTHER_PROVIDER, demo.password)
    assert stranger.get(f"{case_url}/transition?action=withdraw").status_code == 404


def test_the_submit_page_says_what_submitting_does(app, client, demo):
    world = make_world(app)
    case_url = f"/cases/{world.case_id}"
    login(client, UDV_EDITOR, demo.password)
    _complete(client, world)
    page = client.get(case_url).get_data(as_text=True)
    assert f'href="{case_url}/submit"' in page and 'value="submit"' not in page
    # The generic confirmation URL of "submit" is the completeness check.
    response = client.get(f"{case_url}/transition?action=submit")
    assert response.status_code == 302 and response.location.endswith(f"{case_url}/submit")

    text = _text(client.get(f"{case_url}/submit"))
    assert "What will happen when you submit" in text
    assert "is notified by email" in text
    assert "frozen" in text and "withdraw the application" in text
    assert _case_state(app, world.case_id) == CaseState.DRAFT
    assert _events(app, "case.submit") == 0


# ----- check your decision -----------------------------------------------------------------


@pytest.fixture
def pending(app, demo) -> tuple[int, str]:
    """A case awaiting its decision (the panel's report is another part of the workflow):
    its id and reference."""
    world = make_world(app)
    with app.app_context():
        db = get_session()
        case = db.get(Case, world.case_id)
        case.state = CaseState.DECISION_PENDING
        case.submitted_at = utcnow()
        db.commit()
        return case.id, case.reference


CONDITION = "Publish the assessment regulations."
RATIONALE = "The panel found the programme sound, with one gap."


def _first_post(client, case_id: int) -> Any:
    url = f"/cases/{case_id}/decision"
    return post_form(
        client,
        url,
        {
            "outcome": Outcome.CONDITIONAL,
            "eqa_status": "voluntary",
            "rationale": RATIONALE,
            "valid_until": "2031-06-30",
            "conditions-0-text": CONDITION,
            "conditions-0-due_on": _future(120),
        },
        token_from=url,
    )


def test_a_decision_is_checked_before_it_is_stored(app, demo, pending):
    case_id, reference = pending
    url = f"/cases/{case_id}/decision"
    officer = _client(app, OFFICER, demo.password)

    check = _first_post(officer, case_id)
    assert check.status_code == 200
    text = _text(check)
    assert f"Check the decision on case {reference}" in text
    due = dt.date.fromisoformat(_future(120))
    assert CONDITION in text and RATIONALE in text and shown_day(due) in text
    assert "until Jun 30, 2031" in text
    assert "may appeal within 30 days" in text
    assert "is notified by email" in text and "public register as a separate step" in text
    assert _count(app, Decision) == 0
    assert _case_state(app, case_id) == CaseState.DECISION_PENDING

    carried = _hidden(check.get_data(as_text=True))
    assert carried["rationale"] == [RATIONALE] and carried["conditions-0-text"] == [CONDITION]

    # "Change": the form again, with everything as typed; still nothing stored.
    changed = officer.post(url, data={**carried, "change": "1"})
    assert changed.status_code == 200
    body = changed.get_data(as_text=True)
    assert html.escape(RATIONALE) in body and html.escape(CONDITION) in body
    assert f'value="{_future(120)}"' in body and 'value="2031-06-30"' in body
    [radio] = re.findall(r'<input[^>]*value="positive with conditions[^"]*"[^>]*>', body)
    assert "checked" in radio
    assert _count(app, Decision) == 0

    # The confirmation refused without its token, then accepted.
    assert officer.post(url, data={**carried, "confirm": "1", "csrf_token": ""}).status_code == 400
    assert _count(app, Decision) == 0
    stored = officer.post(url, data={**carried, "confirm": "1"})
    assert stored.status_code == 302
    assert _count(app, Decision) == 1
    assert _case_state(app, case_id) == CaseState.DECIDED
    assert _events(app, "decision.recorded") == 1


def test_a_bad_decision_never_reaches_the_check_page(app, demo, pending):
    url = f"/cases/{pending[0]}/decision"
    officer = _client(app, OFFICER, demo.password)
    response = post_form(
        officer, url, {"outcome": Outcome.CONDITIONAL, "eqa_status": "voluntary"}, token_from=url
    )
    assert response.status_code == 400
    text = _text(response)
    assert "Give the rationale" in text and "Check the decision" not in text
    assert _count(app, Decision) == 0


def test_the_provider_cannot_reach_the_check_page(app, demo, pending):
    provider = _client(app, UDV_ADMIN, demo.password)
    assert _first_post(provider, pending[0]).status_code == 403
    assert _count(app, Decision) == 0


def test_closing_a_decided_case_asks_first(app, demo, pending):
    case_id, reference = pending
    url = f"/cases/{case_id}/decision"
    officer = _client(app, OFFICER, demo.password)
    decision = {"outcome": Outcome.POSITIVE, "eqa_status": "voluntary", "rationale": RATIONALE}
    assert post_form(officer, url, {**decision, "confirm": "1"}, token_from=url).status_code == 302
    with app.app_context():
        db = get_session()
        for d in db.execute(select(Decision).where(Decision.case_id == case_id)).scalars():
            d.decided_at = d.decided_at - dt.timedelta(days=31)  # the appeal window is over
        db.commit()
    close = f"{url}/close"
    page = officer.get(url).get_data(as_text=True)
    assert f'href="{close}"' in page and _no_form_posts_to(page, close)

    text = _text(officer.get(close))
    assert f"Close the case: case {reference}?" in text
    assert "becomes “closed”" in text and "nothing more can be recorded" in text
    assert _case_state(app, case_id) == CaseState.DECIDED
    assert officer.post(close, data={}).status_code == 400
    assert _case_state(app, case_id) == CaseState.DECIDED
    assert post_form(officer, close, {}, token_from=close).status_code == 302
    assert _case_state(app, case_id) == CaseState.CLOSED
    assert _events(app, "case.close") == 1
    provider = _client(app, UDV_ADMIN, demo.password)
    assert provider.get(close).status_code == 403
