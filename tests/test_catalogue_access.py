"""Who may use which catalogue URL: every rule of the ``catalogue`` blueprint is checked for
an anonymous visitor, staff of another provider (404 everywhere), agency staff (read-only)
and the provider's own staff."""

from __future__ import annotations

import pytest

from tests.catalogue_kit import (
    AGENCY_ADMIN,
    AGENCY_OFFICER,
    NVTC_ADMIN,
    NVTC_EDITOR,
    REVIEWER,
    UDV_ADMIN,
    UDV_EDITOR,
    complete_data,
    make_spec,
    org_id,
)
from tests.conftest import csrf_token, login

PUBLIC = {
    "catalogue.public_index",
    "catalogue.public_detail",
    "catalogue.provider_public",
    "catalogue.elm_credential_template",
}
READ = {"catalogue.index", "catalogue.show", "catalogue.history"}
EDIT = {
    "catalogue.create",
    "catalogue.edit",
    "catalogue.publish",
    "catalogue.new_version",
    "catalogue.delete_draft",
}
RETIRE = {"catalogue.retire"}

# Expected status per role for the provider-staff URLs of UDV's catalogue.
# GET pages: 200 when allowed; POSTs answer with a redirect (302) when allowed.
EXPECTED = {
    "udv_admin": {"read": 200, "edit": "ok", "retire": "ok"},
    "udv_editor": {"read": 200, "edit": "ok", "retire": 403},
    "agency_admin": {"read": 200, "edit": 403, "retire": 403},
    "agency_officer": {"read": 200, "edit": 403, "retire": 403},
    "reviewer": {"read": 404, "edit": 404, "retire": 404},  # no case gives them this provider
    "nvtc_admin": {"read": 404, "edit": 404, "retire": 404},
    "nvtc_editor": {"read": 404, "edit": 404, "retire": 404},
}
LOGINS = {
    "udv_admin": UDV_ADMIN,
    "udv_editor": UDV_EDITOR,
    "agency_admin": AGENCY_ADMIN,
    "agency_officer": AGENCY_OFFICER,
    "reviewer": REVIEWER,
    "nvtc_admin": NVTC_ADMIN,
    "nvtc_editor": NVTC_EDITOR,
}


def _rules(app):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("catalogue.")]
    # Deleting the matrix's draft comes last, so every other URL still finds it.
    return sorted(rules, key=lambda r: r.endpoint == "catalogue.delete_draft")


def test_every_catalogue_route_is_in_this_matrix(app):
    endpoints = {r.endpoint for r in _rules(app)}
    assert endpoints == PUBLIC | READ | EDIT | RETIRE


def _urls(app, udv: int, spec_id: int, public_id: str) -> list[tuple[str, str, str]]:
    """(method, url, kind) for every rule; kind is public/read/edit/retire."""
    values = {"org_id": udv, "spec_id": spec_id, "public_id": public_id}
    result = []
    for rule in _rules(app):
        url = rule.build(values, append_unknown=False)[1]
        kind = (
            "public"
            if rule.endpoint in PUBLIC
            else "read"
            if rule.endpoint in READ
            else "retire"
            if rule.endpoint in RETIRE
            else "edit"
        )
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            result.append((method, url, kind))
    return result


@pytest.mark.parametrize("who", [None, *EXPECTED])
def test_access_matrix(app, demo, who):
    udv = org_id(app, "UDV")
    spec_id, public_id = make_spec(app, "UDV", complete_data(title="Matrix Draft"), publish=False)
    client = app.test_client()
    if who:
        login(client, LOGINS[who], demo.password)
    token = csrf_token(client, "/")  # the public catalogue is cacheable: it holds no token
    for method, url, kind in _urls(app, udv, spec_id, public_id):
        if kind == "public":
            # the draft's public URL (/catalogue/<public_id>) does not exist, for anyone
            expected = 404 if url.startswith("/catalogue/") else 200
        elif who is None:
            expected = 302  # to the sign-in page
        else:
            rule = EXPECTED[who][kind]
            if rule == "ok":
                expected = 200 if method == "GET" else 302
                if url.endswith(("/retire", "/publish")):
                    # GET: the confirmation page; POST: done, back to the specification
                    expected = 200 if method == "GET" else 302
            else:
                expected = rule
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": token})
        if (
            kind == "edit"
            and who is not None
            and EXPECTED[who]["edit"] == "ok"
            and (method == "POST" or url.endswith("/delete"))
        ):
            # The delete page confirms (200) while the draft is unpublished; an admin has
            # published it by then, so it sends them back to the specification (302).
            # An empty edit form re-renders with messages (200); without its lock version the
            # draft edit is treated as a conflict (409) rather than overwriting blindly.
            assert response.status_code in (200, 302, 409), (who, method, url, response.status_code)
            continue
        assert response.status_code == expected, (who, method, url, response.status_code)
        if who is None and kind != "public":
            assert "/login" in response.headers["Location"]


def test_other_provider_staff_cannot_reach_a_specification_by_mixing_urls(app, client, demo):
    """A specification id under the wrong provider's URL is a 404 too, even for its own staff."""
    nvtc = org_id(app, "NVTC")
    spec_id, _ = make_spec(app, "UDV", complete_data(title="Mixed URL"))
    login(client, UDV_ADMIN, demo.password)
    assert client.get(f"/orgs/{nvtc}/catalogue/{spec_id}").status_code == 404
    login(client, NVTC_ADMIN, demo.password)
    assert client.get(f"/orgs/{nvtc}/catalogue/{spec_id}").status_code == 404
    token = csrf_token(client, "/catalogue")
    response = client.post(f"/orgs/{nvtc}/catalogue/{spec_id}/retire", data={"csrf_token": token})
    assert response.status_code == 404


def test_state_changes_need_a_csrf_token(app, client, demo):
    udv = org_id(app, "UDV")
    spec_id, _ = make_spec(app, "UDV", complete_data(title="CSRF Check"))
    login(client, UDV_ADMIN, demo.password)
    response = client.post(f"/orgs/{udv}/catalogue/{spec_id}/retire", data={})
    assert response.status_code == 400
    assert client.get(f"/catalogue/{make_spec(app, 'UDV')[1]}").status_code == 200
