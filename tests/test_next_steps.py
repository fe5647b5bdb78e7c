"""Pages that say what to do next: safe defaults, the next criterion, deletable drafts."""

from __future__ import annotations

import io
import json
import re

from sqlalchemy import func, select

from qaportal.audit.models import AuditEvent
from qaportal.catalogue.models import Specification, SpecificationVersion, VersionStatus
from qaportal.db import get_session
from qaportal.orgs.models import Organisation
from tests.casekit import lock_version, make_world, minimal_pdf
from tests.catalogue_kit import complete_data, make_spec, versions
from tests.conftest import login, post_form

UDV_ADMIN = "admin@university.example.org"
UDV_EDITOR = "editor@university.example.org"
AGENCY_ADMIN = "admin@agency.example.org"


def _org_id(app, acronym: str) -> int:
    with app.app_context():
        return (
            get_session()
            .execute(select(Organisation.id).where(Organisation.acronym == acronym))
            .scalar_one()
        )


def _selected_role(page: str) -> list[str]:
    select_html = re.search(r'<select[^>]*name="role".*?</select>', page, re.S)
    assert select_html, "no role select on the page"
    options = re.findall(r"<option([^>]*)>", select_html.group(0))
    return [
        re.search(r'value="([^"]*)"', attrs).group(1)
        for attrs in options
        if re.search(r"\bselected\b", attrs)
    ]


# ----- 1. invitations default to the least powerful role -------------------------------------


def test_provider_invitation_preselects_editor(app, client, demo):
    login(client, UDV_ADMIN, demo.password)
    page = client.get(f"/orgs/{_org_id(app, 'UDV')}/staff").get_data(as_text=True)
    assert _selected_role(page) == ["provider_editor"]


def test_agency_invitation_preselects_officer(app, client, demo):
    login(client, AGENCY_ADMIN, demo.password)
    page = client.get(f"/orgs/{_org_id(app, 'DAQA')}/staff").get_data(as_text=True)
    assert _selected_role(page) == ["agency_officer"]


def test_invitation_with_errors_keeps_the_chosen_role(app, client, demo):
    udv = _org_id(app, "UDV")
    login(client, UDV_ADMIN, demo.password)
    response = post_form(
        client,
        f"/orgs/{udv}/staff/invite",
        {"email": "not-an-address", "role": "provider_admin"},
        token_from=f"/orgs/{udv}/staff",
    )
    page = response.get_data(as_text=True)
    assert "Enter a valid email address." in page
    assert _selected_role(page) == ["provider_admin"]


# ----- 2. the next criterion, and submission only when possible ------------------------------


def _save_criterion(client, world, code, data):
    url = f"/cases/{world.case_id}/criteria/{world.criteria[code]}"
    page = client.get(url).get_data(as_text=True)
    return post_form(client, url, {"lock_version": lock_version(page), **data})


def _submit_button(page: str) -> bool:
    return re.search(r'<input[^>]*name="action"[^>]*value="submit"', page) is not None


def test_save_and_next_walks_the_unfinished_criteria_then_the_submit_page(app, client, demo):
    world = make_world(app)
    login(client, UDV_ADMIN, demo.password)
    c1 = f"/cases/{world.case_id}/criteria/{world.criteria['C1']}"
    page = client.get(c1).get_data(as_text=True)
    assert "Save and go to the next criterion" in page
    # Before anything is saved, the page already points at the next gap.
    assert f'href="/cases/{world.case_id}/criteria/{world.criteria["C2"]}"' in page

    full = {"q_narrative": "Our policy", "q_rating": "fully", "then": "next"}
    response = _save_criterion(client, world, "C1", full)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/criteria/{world.criteria['C2']}")

    response = _save_criterion(client, world, "C2", {**full, "q_completion": "90"})
    assert response.headers["Location"].endswith(f"/criteria/{world.criteria['C3']}")

    # C3 still lacks its evidence, but it is the last gap: the next step is the check.
    response = _save_criterion(client, world, "C3", full)
    assert response.headers["Location"].endswith(f"/cases/{world.case_id}/submit")

    # A plain save stays on the criterion.
    plain = {"q_narrative": "Our policy", "q_rating": "fully"}
    response = _save_criterion(client, world, "C1", plain)
    assert response.headers["Location"].endswith(f"/criteria/{world.criteria['C1']}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'href="/cases/{world.case_id}/criteria/{world.criteria["C3"]}"' in page


def test_submit_page_lists_what_is_missing_and_offers_no_button_until_complete(app, client, demo):
    world = make_world(app)
    login(client, UDV_ADMIN, demo.password)
    page = client.get(f"/cases/{world.case_id}/submit").get_data(as_text=True)
    assert not _submit_button(page)
    for code in ("C1", "C2", "C3"):
        assert f'href="/cases/{world.case_id}/criteria/{world.criteria[code]}' in page
    assert f'href="/cases/{world.case_id}/criteria/{world.criteria["C3"]}#evidence"' in page

    full = {"q_narrative": "Done", "q_rating": "fully"}
    _save_criterion(client, world, "C1", full)
    _save_criterion(client, world, "C2", {**full, "q_completion": "90"})
    _save_criterion(client, world, "C3", full)
    page = client.get(f"/cases/{world.case_id}/submit").get_data(as_text=True)
    assert not _submit_button(page)
    assert f'href="/cases/{world.case_id}/criteria/{world.criteria["C1"]}"' not in page

    response = post_form(
        client,
        f"/cases/{world.case_id}/evidence",
        {"file": (io.BytesIO(minimal_pdf()), "site.pdf"), "criteria": [world.criteria["C3"]]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    page = client.get(f"/cases/{world.case_id}/submit").get_data(as_text=True)
    assert "Nothing is missing" in page
    assert _submit_button(page)


# ----- 3. no empty drafts; never-published drafts can be deleted -----------------------------


def _count(app, model) -> int:
    with app.app_context():
        return get_session().execute(select(func.count()).select_from(model)).scalar_one()


def _draft_events(app) -> list[AuditEvent]:
    with app.app_context():
        return list(
            get_session()
            .execute(select(AuditEvent).where(AuditEvent.action == "catalogue.draft_deleted"))
            .scalars()
        )


def test_save_and_publish_on_an_empty_form_stores_nothing(app, client, demo):
    udv = _org_id(app, "UDV")
    login(client, UDV_EDITOR, demo.password)
    before = (_count(app, Specification), _count(app, SpecificationVersion))
    response = post_form(
        client,
        f"/orgs/{udv}/catalogue/new",
        {"save_publish": "Save and publish", "title": "  ", "outcomes-0-statement": ""},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing was saved or published" in page
    # The error summary links to the fields that need filling in.
    assert 'href="#title"' in page and 'href="#outcomes"' in page
    assert (_count(app, Specification), _count(app, SpecificationVersion)) == before


def test_a_never_published_draft_is_deleted_after_confirmation(app, client, demo):
    udv = _org_id(app, "UDV")
    spec_id, _ = make_spec(app, "UDV", complete_data(title="Short-lived Draft"), publish=False)
    show = f"/orgs/{udv}/catalogue/{spec_id}"
    delete = f"{show}/delete"
    login(client, UDV_EDITOR, demo.password)
    assert f'href="{delete}"' in client.get(show).get_data(as_text=True)

    before = _count(app, Specification)
    page = client.get(delete).get_data(as_text=True)
    assert "Delete the draft “Short-lived Draft”?" in page
    assert "cannot be undone" in page
    assert _count(app, Specification) == before  # the GET changes nothing

    # A POST without the confirmation form (no CSRF token) is refused and changes nothing.
    assert client.post(delete, data={}).status_code == 400
    assert _count(app, Specification) == before

    response = post_form(client, delete, {}, token_from=delete)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/orgs/{udv}/catalogue")
    catalogue = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The draft “Short-lived Draft” is deleted." in catalogue
    assert "Short-lived Draft</a>" not in catalogue
    assert _count(app, Specification) == before - 1
    assert client.get(show).status_code == 404
    [event] = _draft_events(app)
    assert event.object_id == str(spec_id) or event.object_id == spec_id
    assert json.loads(event.details)["title"] == "Short-lived Draft"


def test_published_specifications_cannot_be_deleted(app, client, demo):
    udv = _org_id(app, "UDV")
    spec_id, _ = make_spec(app, "UDV", complete_data(title="Public Course"), publish=True)
    show = f"/orgs/{udv}/catalogue/{spec_id}"
    login(client, UDV_ADMIN, demo.password)
    assert f'href="{show}/delete"' not in client.get(show).get_data(as_text=True)
    response = post_form(client, f"{show}/delete", {}, token_from=show)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "retire them instead" in page
    assert versions(app, spec_id) == [(1, VersionStatus.PUBLISHED, "Public Course")]
    assert _draft_events(app) == []


def test_agency_staff_cannot_delete_a_providers_draft(app, client, demo):
    udv = _org_id(app, "UDV")
    spec_id, _ = make_spec(app, "UDV", complete_data(title="Guarded Draft"), publish=False)
    show = f"/orgs/{udv}/catalogue/{spec_id}"
    login(client, AGENCY_ADMIN, demo.password)
    assert f'href="{show}/delete"' not in client.get(show).get_data(as_text=True)
    assert client.get(f"{show}/delete").status_code == 403
    response = post_form(client, f"{show}/delete", {}, token_from=show)
    assert response.status_code == 403
    assert versions(app, spec_id) == [(1, VersionStatus.DRAFT, "Guarded Draft")]


def test_a_draft_in_a_case_scope_is_not_deleted(app, client, demo):
    world = make_world(app)  # its scope names a never-published draft
    [spec_id] = world.spec_ids
    show = f"/orgs/{world.provider_id}/catalogue/{spec_id}"
    login(client, UDV_ADMIN, demo.password)
    response = post_form(client, f"{show}/delete", {}, token_from=f"{show}/delete")
    assert response.status_code == 302
    assert "remove it there first" in client.get(show).get_data(as_text=True)
    assert versions(app, spec_id) == [(1, VersionStatus.DRAFT, "Data analysis for beginners")]
    assert _draft_events(app) == []
