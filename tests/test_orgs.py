"""Organisation profiles, staff management and the agency's providers, through the web."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from qaportal.audit.models import AuditEvent
from qaportal.auth.models import Membership, OneTimeToken, Role, TokenPurpose, User
from qaportal.db import get_session
from qaportal.notifications.models import OutboxMessage
from qaportal.orgs.models import Organisation, OrgKind, ProviderType
from tests.conftest import login, post_form

UDV_ADMIN = "admin@university.example.org"
UDV_EDITOR = "editor@university.example.org"
NVTC_ADMIN = "admin@vet.example.org"
AGENCY_ADMIN = "admin@agency.example.org"
OFFICER = "officer@agency.example.org"


def org_id(app, acronym: str) -> int:
    with app.app_context():
        return (
            get_session()
            .execute(select(Organisation.id).where(Organisation.acronym == acronym))
            .scalar_one()
        )


def membership_id(app, email: str, acronym: str) -> int:
    with app.app_context():
        return (
            get_session()
            .execute(
                select(Membership.id)
                .join(User, Membership.user_id == User.id)
                .join(Organisation, Membership.organisation_id == Organisation.id)
                .where(User.email == email, Organisation.acronym == acronym)
            )
            .scalar_one()
        )


def events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(
            get_session()
            .execute(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
            .scalars()
        )


def load_org(app, oid: int) -> Organisation:
    with app.app_context():
        return get_session().get(Organisation, oid)


def udv_profile(**changes: Any) -> dict[str, Any]:
    data = {
        "legal_name": "University of Demoville",
        "acronym": "UDV",
        "country": "DE",
        "region": "DE-BY",
        "provider_type": "hei",
        "website": "https://university.example.org",
        "deqar_id": "",
        "erasmus_code": "D DEMOVIL01",
        "legal_id": "",
    }
    data.update(changes)
    return data


# ----- profile -----------------------------------------------------------------------------


def test_profile_page_shows_names_not_codes(app, client, demo):
    login(client, UDV_ADMIN, demo.password)
    page = client.get(f"/orgs/{org_id(app, 'UDV')}").get_data(as_text=True)
    assert "University of Demoville" in page
    assert "Germany" in page and "Bayern" in page
    assert "Higher education institution" in page
    assert "D DEMOVIL01" in page
    assert "Demo Agency for Quality Assurance" in page  # the managing agency


def test_provider_admin_edits_own_profile_and_it_is_audited(app, client, demo):
    udv = org_id(app, "UDV")
    login(client, UDV_ADMIN, demo.password)
    form = client.get(f"/orgs/{udv}/edit").get_data(as_text=True)
    assert 'value="University of Demoville"' in form
    assert '<option selected value="hei">' in form or 'value="hei" selected' in form
    response = post_form(
        client,
        f"/orgs/{udv}/edit",
        udv_profile(
            legal_name="University of Demoville (renamed)",
            region="de-be",
            provider_type="adult_learning",
            website="https://www.udv.example.org/",
            deqar_id="DEQARINST0042",
        ),
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/orgs/{udv}")
    org = load_org(app, udv)
    assert org.legal_name == "University of Demoville (renamed)"
    assert org.region == "DE-BE"
    assert org.provider_type == ProviderType.ADULT_LEARNING
    assert org.deqar_id == "DEQARINST0042"
    (event,) = events(app, "organisation.updated")
    details = json.loads(event.details)
    assert details["legal_name"] == ["University of Demoville", "University of Demoville (renamed)"]
    assert details["region"] == ["DE-BY", "DE-BE"]
    assert details["provider_type"] == ["hei", "adult_learning"]
    assert event.object_id == str(udv) and event.organisation_id == udv
    assert event.actor_label == UDV_ADMIN
    assert "erasmus_code" not in details  # unchanged fields are not reported


@pytest.mark.parametrize(
    ("changes", "message", "kept"),
    [
        ({"country": "XX", "region": ""}, "Choose a country from the list.", None),
        ({"region": "FI-18"}, "This region is not in the chosen country.", 'value="FI-18"'),
        ({"region": "DE-ZZ"}, "Enter an ISO 3166-2 region code", 'value="DE-ZZ"'),
        (
            {"website": "javascript:alert(1)"},
            "Enter a web address starting with https://",
            'value="javascript:alert(1)"',
        ),
        ({"website": "ftp://files.example.org"}, "Enter a web address", None),
        ({"legal_name": "L" * 301}, "Field cannot be longer than 300 characters.", "L" * 301),
        ({"legal_name": ""}, "This field is required.", None),
        ({"provider_type": "spaceship"}, "Choose the type of provider from the list.", None),
        ({"acronym": "A" * 41}, "Field cannot be longer than 40 characters.", "A" * 41),
    ],
)
def test_bad_profile_input_gets_field_errors_and_saves_nothing(
    app, client, demo, changes, message, kept
):
    udv = org_id(app, "UDV")
    login(client, UDV_ADMIN, demo.password)
    data = udv_profile(erasmus_code="TYPED 01", **changes)
    response = post_form(client, f"/orgs/{udv}/edit", data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert 'class="error-summary"' in page and 'aria-invalid="true"' in page
    assert 'value="TYPED 01"' in page  # what else was typed is kept
    if kept:
        assert kept in page
    org = load_org(app, udv)
    assert org.erasmus_code == "D DEMOVIL01" and org.legal_name == "University of Demoville"
    assert events(app, "organisation.updated") == []


def test_agency_admin_edits_agency_profile_without_provider_type(app, client, demo):
    agency = org_id(app, "DAQA")
    login(client, AGENCY_ADMIN, demo.password)
    form = client.get(f"/orgs/{agency}/edit").get_data(as_text=True)
    assert 'name="provider_type"' not in form
    response = post_form(
        client,
        f"/orgs/{agency}/edit",
        {
            "legal_name": "Demo Agency for Quality Assurance",
            "acronym": "DAQA",
            "country": "AT",
            "region": "AT-9",
            "website": "https://agency.example.org",
        },
    )
    assert response.status_code == 302
    assert load_org(app, agency).region == "AT-9"


def test_managing_agency_admin_may_edit_a_provider_but_officer_may_not(app, client, demo):
    udv = org_id(app, "UDV")
    login(client, OFFICER, demo.password)
    assert client.get(f"/orgs/{udv}").status_code == 200
    assert client.get(f"/orgs/{udv}/edit").status_code == 403
    assert client.get(f"/orgs/{udv}/staff").status_code == 403
    other = login_client(app, AGENCY_ADMIN, demo.password)
    assert other.get(f"/orgs/{udv}/edit").status_code == 200


def login_client(app, email: str, password: str):
    c = app.test_client()
    login(c, email, password)
    return c


def test_staff_of_another_provider_get_404(app, client, demo):
    udv = org_id(app, "UDV")
    login(client, NVTC_ADMIN, demo.password)
    for url in (f"/orgs/{udv}", f"/orgs/{udv}/edit", f"/orgs/{udv}/staff"):
        assert client.get(url).status_code == 404, url
    nvtc = org_id(app, "NVTC")
    token_page = f"/orgs/{nvtc}/staff"
    assert (
        post_form(
            client, f"/orgs/{udv}/edit", udv_profile(legal_name="Hijacked"), token_from=token_page
        ).status_code
        == 404
    )
    editor = membership_id(app, UDV_EDITOR, "UDV")
    assert (
        post_form(
            client, f"/orgs/{udv}/members/{editor}/deactivate", {}, token_from=token_page
        ).status_code
        == 404
    )
    # The membership id of another organisation under one's own organisation: 404 as well.
    assert (
        post_form(
            client, f"/orgs/{nvtc}/members/{editor}/deactivate", {}, token_from=token_page
        ).status_code
        == 404
    )
    assert load_org(app, udv).legal_name == "University of Demoville"
    with app.app_context():
        assert get_session().execute(select(User.active).where(User.email == UDV_EDITOR)).scalar()


def test_provider_editor_may_see_but_not_manage_staff(app, client, demo):
    udv = org_id(app, "UDV")
    login(client, UDV_EDITOR, demo.password)
    assert client.get(f"/orgs/{udv}").status_code == 200
    assert client.get(f"/orgs/{udv}/staff").status_code == 403
    assert client.get(f"/orgs/{udv}/edit").status_code == 403
    response = post_form(
        client,
        f"/orgs/{udv}/staff/invite",
        {"email": "x@example.org", "role": "provider_editor"},
        token_from=f"/orgs/{udv}",
    )
    assert response.status_code == 403
    admin = membership_id(app, UDV_ADMIN, "UDV")
    response = post_form(
        client, f"/orgs/{udv}/members/{admin}/deactivate", {}, token_from=f"/orgs/{udv}"
    )
    assert response.status_code == 403


# ----- staff -------------------------------------------------------------------------------


def test_staff_page_lists_members_roles_status_and_grantable_roles(app, client, demo):
    udv = org_id(app, "UDV")
    login(client, UDV_ADMIN, demo.password)
    page = client.get(f"/orgs/{udv}/staff").get_data(as_text=True)
    assert "Paula Provider" in page and "Emil Editor" in page
    assert "Provider administrator" in page and "Provider editor" in page
    assert "Active" in page
    assert 'value="provider_admin"' in page and 'value="provider_editor"' in page
    assert 'value="agency_admin"' not in page and 'value="reviewer"' not in page
    assert '<th scope="col">' in page and "<caption>" in page


def test_agency_staff_invite_offers_agency_roles(app, client, demo):
    agency = org_id(app, "DAQA")
    login(client, AGENCY_ADMIN, demo.password)
    page = client.get(f"/orgs/{agency}/staff").get_data(as_text=True)
    assert 'value="agency_admin"' in page and 'value="agency_officer"' in page
    assert 'value="provider_admin"' not in page


def test_provider_admin_invites_editor_and_can_revoke(app, client, demo):
    udv = org_id(app, "UDV")
    login(client, UDV_ADMIN, demo.password)
    response = post_form(
        client,
        f"/orgs/{udv}/staff/invite",
        {"email": " New.Editor@University.example.org ", "role": "provider_editor"},
        token_from=f"/orgs/{udv}/staff",
    )
    assert response.status_code == 302
    with app.app_context():
        db = get_session()
        token = db.execute(select(OneTimeToken)).scalar_one()
        assert token.email == "new.editor@university.example.org"
        assert token.role == Role.PROVIDER_EDITOR and token.organisation_id == udv
        assert token.purpose == TokenPurpose.INVITATION
        mail = db.execute(select(OutboxMessage)).scalar_one()
        assert mail.to_address == "new.editor@university.example.org"
        assert "/invitations/" in mail.body_text
    page = client.get(f"/orgs/{udv}/staff").get_data(as_text=True)
    assert "new.editor@university.example.org" in page and "Pending invitations" in page
    response = post_form(
        client, f"/orgs/{udv}/invitations/{token.id}/revoke", {}, token_from=f"/orgs/{udv}/staff"
    )
    assert response.status_code == 302
    with app.app_context():
        assert get_session().get(OneTimeToken, token.id).revoked_at is not None
    page = client.get(f"/orgs/{udv}/staff").get_data(as_text=True)
    assert "No pending invitations." in page
    assert len(events(app, "invitation.sent")) == 1
    assert len(events(app, "invitation.revoked")) == 1


def test_invitation_of_another_organisation_cannot_be_revoked(app, client, demo):
    udv, nvtc = org_id(app, "UDV"), org_id(app, "NVTC")
    nvtc_admin = login_client(app, NVTC_ADMIN, demo.password)
    post_form(
        nvtc_admin,
        f"/orgs/{nvtc}/staff/invite",
        {"email": "someone@vet.example.org", "role": "provider_editor"},
        token_from=f"/orgs/{nvtc}/staff",
    )
    with app.app_context():
        token_id = get_session().execute(select(OneTimeToken.id)).scalar_one()
    login(client, UDV_ADMIN, demo.password)
    response = post_form(
        client, f"/orgs/{udv}/invitations/{token_id}/revoke", {}, token_from=f"/orgs/{udv}/staff"
    )
    assert response.status_code == 404
    with app.app_context():
        assert get_session().get(OneTimeToken, token_id).revoked_at is None


@pytest.mark.parametrize(
    ("email", "role", "message"),
    [
        ("not-an-email", "provider_editor", "Enter a valid email address."),
        ("", "provider_editor", "This field is required."),
        ("x@example.org", "agency_admin", "You cannot give this role."),
        ("x@example.org", "reviewer", "You cannot give this role."),
    ],
)
def test_bad_invitation_gets_field_error(app, client, demo, email, role, message):
    udv = org_id(app, "UDV")
    login(client, UDV_ADMIN, demo.password)
    response = post_form(
        client,
        f"/orgs/{udv}/staff/invite",
        {"email": email, "role": role},
        token_from=f"/orgs/{udv}/staff",
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    if email:
        assert f'value="{email}"' in page
    with app.app_context():
        assert get_session().execute(select(OneTimeToken)).first() is None
        assert get_session().execute(select(OutboxMessage)).first() is None


def test_inviting_someone_who_already_has_the_role_is_refused(app, client, demo):
    udv = org_id(app, "UDV")
    login(client, UDV_ADMIN, demo.password)
    response = post_form(
        client,
        f"/orgs/{udv}/staff/invite",
        {"email": UDV_EDITOR, "role": "provider_editor"},
        token_from=f"/orgs/{udv}/staff",
    )
    assert response.status_code == 200
    assert "already has this role here" in response.get_data(as_text=True)


def test_deactivation_ends_the_users_session_at_once(app, client, demo):
    udv = org_id(app, "UDV")
    editor_client = login_client(app, UDV_EDITOR, demo.password)
    assert editor_client.get("/dashboard").status_code == 200
    login(client, UDV_ADMIN, demo.password)
    editor = membership_id(app, UDV_EDITOR, "UDV")
    response = post_form(
        client, f"/orgs/{udv}/members/{editor}/deactivate", {}, token_from=f"/orgs/{udv}/staff"
    )
    assert response.status_code == 302
    # The editor's very next request is signed out.
    response = editor_client.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    page = client.get(f"/orgs/{udv}/staff").get_data(as_text=True)
    assert "Deactivated" in page and "Reactivate" in page
    assert events(app, "user.deactivated")
    assert events(app, "auth.sessions_ended")
    # and cannot sign in again until reactivated
    r = post_form(app.test_client(), "/login", {"email": UDV_EDITOR, "password": demo.password})
    assert r.status_code == 200
    post_form(
        client, f"/orgs/{udv}/members/{editor}/reactivate", {}, token_from=f"/orgs/{udv}/staff"
    )
    assert events(app, "user.activated")
    login_client(app, UDV_EDITOR, demo.password)


def test_nobody_can_deactivate_or_remove_themselves(app, client, demo):
    udv = org_id(app, "UDV")
    login(client, UDV_ADMIN, demo.password)
    me = membership_id(app, UDV_ADMIN, "UDV")
    response = post_form(
        client,
        f"/orgs/{udv}/members/{me}/deactivate",
        {},
        token_from=f"/orgs/{udv}/staff",
        follow_redirects=True,
    )
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    response = post_form(
        client,
        f"/orgs/{udv}/members/{me}/remove",
        {},
        token_from=f"/orgs/{udv}/staff",
        follow_redirects=True,
    )
    assert "You cannot remove yourself." in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 200
    with app.app_context():
        assert get_session().get(Membership, me) is not None
    assert events(app, "user.deactivated") == [] and events(app, "membership.removed") == []


def test_last_admin_of_an_organisation_cannot_be_deactivated_or_removed(app, client, demo):
    udv = org_id(app, "UDV")
    login(client, AGENCY_ADMIN, demo.password)  # manages UDV through the managing agency
    admin = membership_id(app, UDV_ADMIN, "UDV")
    response = post_form(
        client,
        f"/orgs/{udv}/members/{admin}/deactivate",
        {},
        token_from=f"/orgs/{udv}/staff",
        follow_redirects=True,
    )
    assert "You cannot deactivate the last administrator" in response.get_data(as_text=True)
    response = post_form(
        client,
        f"/orgs/{udv}/members/{admin}/remove",
        {},
        token_from=f"/orgs/{udv}/staff",
        follow_redirects=True,
    )
    assert "You cannot remove the last administrator" in response.get_data(as_text=True)
    with app.app_context():
        assert get_session().get(Membership, admin) is not None
        assert get_session().execute(select(User.active).where(User.email == UDV_ADMIN)).scalar()


def test_admin_removes_a_membership(app, client, demo):
    udv = org_id(app, "UDV")
    login(client, UDV_ADMIN, demo.password)
    editor = membership_id(app, UDV_EDITOR, "UDV")
    response = post_form(
        client, f"/orgs/{udv}/members/{editor}/remove", {}, token_from=f"/orgs/{udv}/staff"
    )
    assert response.status_code == 302
    with app.app_context():
        assert get_session().get(Membership, editor) is None
    (event,) = events(app, "membership.removed")
    assert json.loads(event.details)["email"] == UDV_EDITOR and event.organisation_id == udv


def test_account_in_another_organisation_cannot_be_deactivated_from_here(app, client, demo):
    """Deactivation is global; a provider admin may not switch off someone another org needs."""
    udv, nvtc = org_id(app, "UDV"), org_id(app, "NVTC")
    with app.app_context():
        db = get_session()
        editor = db.execute(select(User).where(User.email == UDV_EDITOR)).scalar_one()
        db.add(Membership(user_id=editor.id, organisation_id=nvtc, role=Role.PROVIDER_EDITOR))
        db.commit()
    login(client, UDV_ADMIN, demo.password)
    m = membership_id(app, UDV_EDITOR, "UDV")
    response = post_form(
        client, f"/orgs/{udv}/members/{m}/deactivate", {}, token_from=f"/orgs/{udv}/staff"
    )
    assert response.status_code == 403
    with app.app_context():
        assert get_session().execute(select(User.active).where(User.email == UDV_EDITOR)).scalar()


# ----- the agency's providers --------------------------------------------------------------


def test_agency_admin_creates_provider_and_invites_its_admin(app, client, demo):
    agency = org_id(app, "DAQA")
    login(client, AGENCY_ADMIN, demo.password)
    assert client.get(f"/agencies/{agency}/providers/new").status_code == 200
    response = post_form(
        client,
        f"/agencies/{agency}/providers/new",
        {
            "legal_name": "Lisbon Skills Academy",
            "acronym": "LSA",
            "country": "PT",
            "region": "PT-11",
            "provider_type": "adult_learning",
            "website": "https://skills.example.pt",
            "legal_id": "PT501234567",
            "admin_email": "Director@Skills.example.pt",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        db = get_session()
        org = db.execute(select(Organisation).where(Organisation.acronym == "LSA")).scalar_one()
        assert org.kind == OrgKind.PROVIDER and org.managing_agency_id == agency
        assert org.provider_type == ProviderType.ADULT_LEARNING and org.region == "PT-11"
        assert response.headers["Location"].endswith(f"/orgs/{org.id}")
        mail = db.execute(select(OutboxMessage)).scalar_one()
        assert mail.to_address == "director@skills.example.pt"
        assert "Lisbon Skills Academy" in mail.subject
        token = db.execute(select(OneTimeToken)).scalar_one()
        assert token.role == Role.PROVIDER_ADMIN and token.organisation_id == org.id
    assert [e.object_id for e in events(app, "provider.created")][-1] == str(org.id)
    assert events(app, "invitation.sent")
    page = client.get(f"/agencies/{agency}/providers").get_data(as_text=True)
    assert (
        "Lisbon Skills Academy" in page and "Portugal" in page and "Adult learning provider" in page
    )


def test_new_provider_bad_input(app, client, demo):
    agency = org_id(app, "DAQA")
    login(client, AGENCY_ADMIN, demo.password)
    response = post_form(
        client,
        f"/agencies/{agency}/providers/new",
        {
            "legal_name": "Typed Name",
            "country": "PT",
            "region": "ES-M",
            "provider_type": "",
            "admin_email": "nope",
        },
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "This region is not in the chosen country." in page
    assert "Choose the type of provider." in page
    assert "Enter a valid email address." in page
    assert 'value="Typed Name"' in page
    with app.app_context():
        assert (
            get_session()
            .execute(select(Organisation).where(Organisation.legal_name == "Typed Name"))
            .first()
            is None
        )


def test_provider_list_search_and_access(app, client, demo):
    agency = org_id(app, "DAQA")
    login(client, AGENCY_ADMIN, demo.password)
    page = client.get(f"/agencies/{agency}/providers").get_data(as_text=True)
    assert "University of Demoville" in page and "Nordic Vocational Training Centre" in page
    assert "Finland" in page and "VET provider" in page
    page = client.get(f"/agencies/{agency}/providers?q=nordic").get_data(as_text=True)
    assert "Nordic Vocational Training Centre" in page and "University of Demoville" not in page
    page = client.get(f"/agencies/{agency}/providers?q=%25").get_data(as_text=True)
    assert "No providers found." in page  # % is searched for literally
    officer = login_client(app, OFFICER, demo.password)
    assert officer.get(f"/agencies/{agency}/providers").status_code == 403
    udv_admin = login_client(app, UDV_ADMIN, demo.password)
    assert udv_admin.get(f"/agencies/{agency}/providers").status_code == 404
    assert udv_admin.get(f"/agencies/{agency}/providers/new").status_code == 404


def _add_providers(app, agency: int, count: int, start: int = 0) -> None:
    with app.app_context():
        db = get_session()
        for i in range(start, start + count):
            db.add(
                Organisation(
                    kind=OrgKind.PROVIDER,
                    legal_name=f"Provider {i:03d}",
                    country="FR",
                    region="FR-IDF",
                    provider_type=ProviderType.OTHER,
                    managing_agency_id=agency,
                )
            )
        db.commit()


def test_provider_list_query_count_does_not_grow_with_rows(app, client, demo, count_queries):
    agency = org_id(app, "DAQA")
    login(client, AGENCY_ADMIN, demo.password)
    client.get(f"/agencies/{agency}/providers")  # warm up
    with count_queries() as few:
        client.get(f"/agencies/{agency}/providers")
    _add_providers(app, agency, 22)
    with count_queries() as many:
        page = client.get(f"/agencies/{agency}/providers").get_data(as_text=True)
    assert "Provider 021" in page
    assert many.count == few.count


def test_provider_list_is_paginated(app, client, demo):
    agency = org_id(app, "DAQA")
    _add_providers(app, agency, 30)
    login(client, AGENCY_ADMIN, demo.password)
    first = client.get(f"/agencies/{agency}/providers").get_data(as_text=True)
    assert "Page 1 of 2" in first and "32 providers" in first
    second = client.get(f"/agencies/{agency}/providers?page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second and "University of Demoville" in second
    assert client.get(f"/agencies/{agency}/providers?page=abc").status_code == 200


def test_staff_page_query_count_does_not_grow_with_rows(app, client, demo, count_queries):
    udv = org_id(app, "UDV")
    login(client, UDV_ADMIN, demo.password)
    client.get(f"/orgs/{udv}/staff")
    with count_queries() as few:
        client.get(f"/orgs/{udv}/staff")
    for i in range(5):
        post_form(
            client,
            f"/orgs/{udv}/staff/invite",
            {"email": f"p{i}@example.org", "role": "provider_editor"},
            token_from=f"/orgs/{udv}",
        )
    with app.app_context():
        db = get_session()
        for i in range(8):
            user = User(email=f"member{i}@example.org", display_name=f"Member {i}")
            db.add(user)
            db.flush()
            db.add(Membership(user_id=user.id, organisation_id=udv, role=Role.PROVIDER_EDITOR))
        db.commit()
    with count_queries() as many:
        page = client.get(f"/orgs/{udv}/staff").get_data(as_text=True)
    assert "Member 7" in page and "p4@example.org" in page
    assert many.count == few.count


def test_dashboard_shows_counts(app, client, demo):
    login(client, AGENCY_ADMIN, demo.password)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Provider organisations (2)" in page
    assert "Reviewer pool (2 of 2 available)" in page
    provider_admin = login_client(app, UDV_ADMIN, demo.password)
    page = provider_admin.get("/dashboard").get_data(as_text=True)
    assert "Staff and invitations (2 members, 0 pending)" in page
