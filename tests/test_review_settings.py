"""An agency's review settings: the page (saved, audited, refused with field errors that keep
what was typed), and what follows them: the provider's objection window, the factual-check
due date, and the conflict-of-interest guidance on the declaration page."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from qaportal.audit.models import AuditEvent
from qaportal.audit.services import Actor
from qaportal.auth.models import User
from qaportal.cases.models import Case, CaseDeadline, CaseState
from qaportal.config import load_config
from qaportal.db import get_session, utcnow
from qaportal.reviews import settings as review_settings
from qaportal.reviews.models import MemberStatus, PanelMember, PanelObjection, PanelRole
from qaportal.reviews.models import ReviewSettings as ReviewSettingsRow
from tests.casekit import make_world
from tests.conftest import login, post_form
from tests.test_findings import LENA, RITA, _complete_consolidation, _seat

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

AGENCY_ADMIN = "admin@agency.example.org"
OFFICER = "officer@agency.example.org"
PROVIDER = "admin@university.example.org"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    # The defaults an installation set (QAPORTAL_PANEL_OBJECTION_DAYS, ...): 4 and 9 days,
    # so that a test can tell them from the portal's own (10 and 14).
    return {**app_config, "PANEL_OBJECTION_DAYS": 4, "FACTUAL_CHECK_DAYS": 9}


def _value(page: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
    return match.group(1) if match else None


def _client(app: Any, email: str, pw: str) -> Any:
    client = app.test_client()
    login(client, email, pw)
    return client


def _save(app: Any, agency_id: int, **values: Any) -> None:
    with app.app_context():
        db = get_session()
        defaults = review_settings.defaults()
        merged = {**defaults.__dict__, **values}
        review_settings.save_settings(
            db, agency_id, review_settings.Settings(**merged), Actor.system("test")
        )
        db.commit()


def test_settings_page_saves_validates_and_audits(app, demo):
    world = make_world(app)
    url = f"/agencies/{world.agency_id}/review-settings"
    admin = _client(app, AGENCY_ADMIN, demo.password)
    page = admin.get(url).get_data(as_text=True)
    # Before anything is saved the configured defaults (app_config below) are shown, in the
    # form too.
    assert "4 days to object, 9 days for the factual check" in page
    assert _value(page, "objection_days") == "4" and _value(page, "factual_check_days") == "9"

    typed = "Declare any consultancy for the provider.\nDeclare any teaching there."
    response = post_form(
        admin, url, {"objection_days": "0", "factual_check_days": "", "coi_guidance": typed}
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    objection_field = body.split('id="objection_days-errors"')[1].split("</ul>")[0]
    assert "between 1 and 90" in objection_field
    assert 'id="factual_check_days-errors"' in body
    # What the admin typed is kept: the guidance and the refused number.
    assert "Declare any consultancy for the provider." in body
    assert _value(body, "objection_days") == "0"
    with app.app_context():
        assert get_session().get(ReviewSettingsRow, world.agency_id) is None

    # An officer may not change them; a provider does not see the page at all.
    officer = _client(app, OFFICER, demo.password)
    data = {"objection_days": "5", "factual_check_days": "21", "coi_guidance": ""}
    assert post_form(officer, url, data, token_from="/dashboard").status_code == 403
    provider = _client(app, PROVIDER, demo.password)
    assert provider.get(url).status_code == 404

    response = post_form(admin, url, {**data, "coi_guidance": typed})
    assert response.status_code == 302
    page = admin.get(url).get_data(as_text=True)
    assert "Review settings saved." in page
    assert _value(page, "objection_days") == "5" and _value(page, "factual_check_days") == "21"
    with app.app_context():
        db = get_session()
        row = db.get(ReviewSettingsRow, world.agency_id)
        assert (row.objection_days, row.factual_check_days) == (5, 21)
        assert row.coi_guidance == typed
        event = db.execute(
            select(AuditEvent).where(AuditEvent.action == "review.settings_changed")
        ).scalar_one()
        details = json.loads(event.details)
        assert details["from"]["objection_days"] == 4 and details["to"]["factual_check_days"] == 21
    # The agency admin's dashboard links to the page beside the decision settings.
    dashboard = admin.get("/dashboard").get_data(as_text=True)
    assert f'href="{url}"' in dashboard


def _announced_member(app: Any, world: Any, days_ago: int) -> int:
    with app.app_context():
        db = get_session()
        case = db.get(Case, world.case_id)
        case.state = CaseState.IN_REVIEW
        case.submitted_at = utcnow()
        rita = db.execute(select(User).where(User.email == RITA)).scalar_one()
        member = PanelMember(
            case_id=case.id,
            user_id=rita.id,
            role=PanelRole.CHAIR,
            status=MemberStatus.ACTIVE,
            responded_at=utcnow(),
            announced_at=utcnow() - dt.timedelta(days=days_ago),
        )
        db.add(member)
        db.commit()
        return member.id


def _object(provider: Any, case_id: int, member_id: int) -> Any:
    return post_form(
        provider,
        f"/cases/{case_id}/panel/members/{member_id}/object",
        {"reason": "She advised our competitor"},
        token_from=f"/cases/{case_id}/panel/members",
    )


def _objections(app: Any) -> int:
    with app.app_context():
        return len(get_session().execute(select(PanelObjection)).all())


def test_objection_window_follows_the_agencys_setting(app, demo):
    world = make_world(app)
    member_id = _announced_member(app, world, days_ago=5)
    provider = _client(app, PROVIDER, demo.password)

    # The agency shortened the window to three days: five days on, too late.
    _save(app, world.agency_id, objection_days=3)
    page = provider.get(f"/cases/{world.case_id}/panel/members").get_data(as_text=True)
    assert "Object to" not in page
    response = _object(provider, world.case_id, member_id)
    assert response.status_code == 409
    assert "The time to object" in response.get_data(as_text=True)
    assert _objections(app) == 0

    # Lengthened to seven: the same objection is taken.
    _save(app, world.agency_id, objection_days=7)
    assert _object(provider, world.case_id, member_id).status_code == 302
    assert _objections(app) == 1


def test_an_agency_without_settings_uses_the_configured_defaults(app, demo):
    world = make_world(app)
    member_id = _announced_member(app, world, days_ago=5)
    provider = _client(app, PROVIDER, demo.password)
    assert _object(provider, world.case_id, member_id).status_code == 409
    with app.app_context():
        assert review_settings.settings_for(get_session(), world.agency_id) == (
            review_settings.Settings(4, 9)
        )


def _factual_due(app: Any, case_id: int) -> dt.date:
    with app.app_context():
        return (
            get_session()
            .execute(
                select(CaseDeadline.due_on).where(
                    CaseDeadline.case_id == case_id, CaseDeadline.stage == CaseState.FACTUAL_CHECK
                )
            )
            .scalar_one()
        )


@pytest.mark.parametrize("own_days", [None, 21])
def test_factual_check_deadline_follows_the_agencys_setting(app, demo, own_days):
    s = _seat(app, demo)
    with app.app_context():
        agency_id = get_session().get(Case, s["case"]).agency_id
    if own_days is not None:
        _save(app, agency_id, factual_check_days=own_days)
    rita = _client(app, RITA, s["pw"])
    _complete_consolidation(app, rita, s)
    response = post_form(
        rita,
        f"/reviews/cases/{s['case']}/send",
        {},
        token_from=f"/reviews/cases/{s['case']}/consolidation",
    )
    assert response.status_code == 302
    # Nine days: the configured default of this module's app (app_config).
    expected = own_days if own_days is not None else 9
    assert (_factual_due(app, s["case"]) - utcnow().date()).days == expected


def test_declaration_page_shows_the_agencys_guidance(app, demo):
    s = _seat(app, demo)
    lena = _client(app, LENA, s["pw"])
    with app.app_context():
        db = get_session()
        member_id, agency_id = db.execute(
            select(PanelMember.id, Case.agency_id)
            .join(Case, Case.id == PanelMember.case_id)
            .join(User, User.id == PanelMember.user_id)
            .where(User.email == LENA)
        ).one()
    page = lena.get(f"/reviews/invitations/{member_id}").get_data(as_text=True)
    assert "If unsure, declare it" in page  # the portal's general guidance

    _save(
        app,
        agency_id,
        coi_guidance="Declare <b>any</b> paid work for the provider.\n\nAsk the officer if unsure.",
    )
    page = lena.get(f"/reviews/invitations/{member_id}").get_data(as_text=True)
    section = page.split('id="coi-h"')[1].split("</section>")[0]
    assert "<li>Declare &lt;b&gt;any&lt;/b&gt; paid work for the provider.</li>" in section
    assert "<li>Ask the officer if unsure.</li>" in section
    assert "If unsure, declare it" not in section
    assert section.count("<li>") == 2


def test_defaults_come_from_the_environment(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("QAPORTAL_PANEL_OBJECTION_DAYS", "6")
    monkeypatch.setenv("QAPORTAL_FACTUAL_CHECK_DAYS", "30")
    config = load_config(tmp_path, {})
    assert (config["PANEL_OBJECTION_DAYS"], config["FACTUAL_CHECK_DAYS"]) == (6, 30)
    monkeypatch.delenv("QAPORTAL_FACTUAL_CHECK_DAYS")
    assert load_config(tmp_path, {})["FACTUAL_CHECK_DAYS"] == 14
