"""Hostile requests at the edges (issue 8): redirect targets, sessions that outlive a new
sign-in or a password change, numbers and dates that do not fit the database, control
characters in text, and the feedback anonymity threshold.

Every test speaks HTTP through the test client. Run the module with
QAPORTAL_TEST_DATABASE_URL set to check the same on PostgreSQL, which refuses NUL in text and
integers above 2^31 - 1 where SQLite would store them.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from qaportal.audit.models import AuditEvent
from qaportal.auth.models import UserSession
from qaportal.cases.models import Answer
from qaportal.catalogue.models import Specification
from qaportal.db import get_session
from qaportal.feedback import services as feedback_services
from qaportal.feedback.models import FeedbackResponse
from qaportal.web.forms import PortalForm, PortalSubform
from tests.casekit import make_world
from tests.catalogue_kit import AGENCY_ADMIN, UDV_ADMIN, UDV_EDITOR, complete_form, org_id
from tests.conftest import csrf_token, login, post_form
from tests.feedback_support import make_campaign, make_codes, make_specification, open_survey

CONTROL_MESSAGE = "Remove the invisible control characters"


def _actions(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(
            get_session().execute(select(AuditEvent).where(AuditEvent.action == action)).scalars()
        )


def _as_a_browser_reads(location: str, page: str = "http://localhost/login") -> Any:
    """Where a browser goes with this Location: it drops tabs and newlines and reads
    backslashes as slashes before resolving against the page's address."""
    cleaned = location.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    return urlsplit(urljoin(page, cleaned.strip()))


# ----- 1. redirect targets ---------------------------------------------------------------------

HOSTILE_TARGETS = [
    "/\t/evil.example",
    "/\n/evil.example",
    "\\\\evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "//evil.example",
    "///evil.example",
    " //evil.example",
    "https://evil.example",
    "HTTPS://evil.example/dashboard",
    "http:/evil.example",
    "javascript:alert(1)",
    "java\tscript:alert(1)",
    "/\r\nSet-Cookie: stolen=1",
    "/dashboard\x00",
    "\x01//evil.example",
]


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_sign_in_never_redirects_off_site(client: FlaskClient, demo: Any, target: str) -> None:
    url = "/login?next=" + quote(target, safe="")
    response = post_form(client, url, {"email": AGENCY_ADMIN, "password": demo.password})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert not any(c in location for c in "\r\n\t\x00"), location
    where = _as_a_browser_reads(location)
    assert where.scheme == "http" and where.netloc == "localhost", location
    assert where.path == "/dashboard"
    assert not any("stolen" in c for c in response.headers.get_all("Set-Cookie"))


def test_percent_encoded_tab_in_the_raw_query_is_refused(client: FlaskClient, demo: Any) -> None:
    # Sent exactly as an attacker's link would carry it: "/%09/evil.example".
    response = post_form(
        client,
        "/login?next=/%09/evil.example",
        {"email": AGENCY_ADMIN, "password": demo.password},
        token_from="/login",
    )
    assert response.status_code == 302
    assert _as_a_browser_reads(response.headers["Location"]).netloc == "localhost"
    assert response.headers["Location"].endswith("/dashboard")


def test_sign_in_keeps_a_local_next(client: FlaskClient, demo: Any) -> None:
    url = "/login?next=" + quote("/catalogue?q=data science", safe="")
    response = post_form(client, url, {"email": AGENCY_ADMIN, "password": demo.password})
    assert response.status_code == 302
    assert response.headers["Location"] == "/catalogue?q=data%20science"


def test_odd_local_next_stays_local(app: Flask, demo: Any) -> None:
    for target in ("/[evil", "/%5C%5Cevil.example", "/caf\u00e9"):
        client = app.test_client()
        url = "/login?next=" + quote(target, safe="")
        response = post_form(client, url, {"email": AGENCY_ADMIN, "password": demo.password})
        assert response.status_code == 302, target
        assert _as_a_browser_reads(response.headers["Location"]).netloc == "localhost", target


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_language_switcher_never_redirects_off_site(client: FlaskClient, target: str) -> None:
    token = csrf_token(client, "/login")
    response = client.post(
        "/language", data={"csrf_token": token, "language": "de", "next": target}
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert not any(c in location for c in "\r\n\t\x00"), location
    where = _as_a_browser_reads(location, "http://localhost/language")
    assert where.netloc == "localhost" and where.path == "/", location


def test_language_switcher_returns_to_the_page(client: FlaskClient) -> None:
    token = csrf_token(client, "/login")
    response = client.post(
        "/language", data={"csrf_token": token, "language": "de", "next": "/catalogue?page=2"}
    )
    assert response.headers["Location"] == "/catalogue?page=2"


# ----- 2. signing in again ends the old session ------------------------------------------------


def _session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("qaportal_session")
    assert cookie is not None
    return cookie.value


def _with_cookie(app: Flask, value: str) -> FlaskClient:
    thief = app.test_client()
    thief.set_cookie("qaportal_session", value)
    return thief


def test_signing_in_again_ends_the_old_session(app: Flask, demo: Any) -> None:
    browser = app.test_client()
    login(browser, UDV_ADMIN, demo.password)
    old_cookie = _session_cookie(browser)
    assert _with_cookie(app, old_cookie).get("/dashboard").status_code == 200

    login(browser, UDV_ADMIN, demo.password)  # again, from the same browser

    assert browser.get("/dashboard").status_code == 200
    replayed = _with_cookie(app, old_cookie).get("/dashboard")
    assert replayed.status_code == 302 and "/login" in replayed.headers["Location"]
    with app.app_context():
        rows = get_session().execute(select(UserSession).order_by(UserSession.id)).scalars().all()
        assert [r.ended_reason for r in rows] == ["signed_in_again", None]
    (event,) = _actions(app, "auth.session_ended")
    assert '"signed_in_again"' in (event.details or "")


def test_another_account_signing_in_ends_the_first_accounts_session(app: Flask, demo: Any) -> None:
    browser = app.test_client()
    login(browser, UDV_ADMIN, demo.password)
    old_cookie = _session_cookie(browser)
    login(browser, UDV_EDITOR, demo.password)
    assert _with_cookie(app, old_cookie).get("/dashboard").status_code == 302


# ----- 3. password change: limited, and it ends the other sessions -----------------------------

NEW_PASSWORD = "a brand new long passphrase"


def _change(client: FlaskClient, current: str, new: str = NEW_PASSWORD) -> Any:
    return post_form(
        client,
        "/account/password",
        {"current_password": current, "new_password": new, "confirm_password": new},
    )


def test_wrong_current_passwords_are_limited_like_sign_in(app: Flask, demo: Any) -> None:
    client = app.test_client()
    login(client, UDV_EDITOR, demo.password)
    for _ in range(10):
        response = _change(client, "guess-guess-guess")
        assert response.status_code == 200
        assert "The current password is not correct." in response.get_data(as_text=True)
    response = _change(client, demo.password)  # even the right one, now
    assert response.status_code == 429
    assert "too many failed attempts" in response.get_data(as_text=True).lower()
    assert len(_actions(app, "auth.password_change_failed")) == 10
    (limited,) = _actions(app, "auth.password_change_rate_limited")
    assert limited.object_type == "user"
    assert login(app.test_client(), UDV_EDITOR, demo.password)  # unchanged
    # The limit is the account's, not the browser's: a second session is limited too.
    other = app.test_client()
    login(other, UDV_EDITOR, demo.password)
    assert _change(other, demo.password).status_code == 429


def test_password_change_ends_the_other_sessions(app: Flask, demo: Any) -> None:
    here, elsewhere = app.test_client(), app.test_client()
    login(here, UDV_EDITOR, demo.password)
    login(elsewhere, UDV_EDITOR, demo.password)
    response = _change(here, demo.password)
    assert response.status_code == 302
    assert here.get("/account").status_code == 200  # the session that changed it stays
    gone = elsewhere.get("/dashboard")
    assert gone.status_code == 302 and "/login" in gone.headers["Location"]
    with app.app_context():
        reasons = sorted(
            str(r) for r in get_session().execute(select(UserSession.ended_reason)).scalars()
        )
    assert reasons == ["None", "password_changed"]
    (ended,) = _actions(app, "auth.sessions_ended")
    assert '"password_changed"' in (ended.details or "") and '"count": 1' in (ended.details or "")


# ----- 4. numbers and dates that do not fit ----------------------------------------------------

OVERSIZED = [2**31, 2**63, 99999999999999999999]
INT_QUERY_ARGS = ("page", "version", "a", "b", "agency", "criterion", "campaign", "case")


def _get_routes(app: Flask) -> list[Any]:
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if "GET" in (rule.methods or ()) and rule.endpoint != "static"
        ),
        key=lambda rule: rule.rule,
    )


def _build(rule: Any, number: int) -> str:
    values: dict[str, Any] = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        kind = type(converter).__name__
        if "Int" in kind:
            values[name] = number
        elif kind == "AnyConverter":  # a fixed set of words: the first one
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = "1"
    _, url = rule.build(values, append_unknown=False)
    return url


def _has_int_argument(rule: Any) -> bool:
    return any("Int" in type(rule._converters[n]).__name__ for n in rule.arguments)


def _walk(app: Flask, client: FlaskClient) -> list[str]:
    failures = []
    for rule in _get_routes(app):
        for number in OVERSIZED:
            query = "&".join(f"{name}={number}" for name in INT_QUERY_ARGS)
            url = _build(rule, number) + "?" + query
            response = client.get(url)
            if response.status_code >= 500:
                failures.append(f"{url} -> {response.status_code}")
            elif _has_int_argument(rule) and response.status_code != 404:
                failures.append(f"{url} -> {response.status_code}, expected 404")
    return failures


@pytest.mark.parametrize("email", [AGENCY_ADMIN, UDV_ADMIN], ids=["agency-admin", "provider"])
def test_oversized_ids_in_every_route_are_not_found(app: Flask, demo: Any, email: str) -> None:
    client = app.test_client()
    login(client, email, demo.password)
    assert len(_get_routes(app)) > 30
    failures = _walk(app, client)
    assert not failures, "\n".join(failures)


def test_oversized_ids_anonymous(app: Flask, demo: Any) -> None:
    response = app.test_client().get("/providers/99999999999999999999/catalogue")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_oversized_page_numbers_show_a_page(app: Flask, client: FlaskClient, demo: Any) -> None:
    for number in OVERSIZED:
        assert client.get(f"/catalogue?page={number}").status_code == 200
    login(client, AGENCY_ADMIN, demo.password)
    with app.app_context():
        from qaportal.orgs.models import Organisation, OrgKind

        agency_id = (
            get_session()
            .execute(select(Organisation.id).where(Organisation.kind == OrgKind.AGENCY))
            .scalar_one()
        )
    for path in ("audit", "providers", "reviewers", "outbox"):
        for number in OVERSIZED:
            response = client.get(f"/agencies/{agency_id}/{path}?page={number}")
            assert response.status_code == 200, (path, number)


def test_last_representable_date_is_a_field_error(app: Flask, demo: Any) -> None:
    client = app.test_client()
    login(client, AGENCY_ADMIN, demo.password)
    with app.app_context():
        from qaportal.orgs.models import Organisation, OrgKind

        agency_id = (
            get_session()
            .execute(select(Organisation.id).where(Organisation.kind == OrgKind.AGENCY))
            .scalar_one()
        )
    response = client.get(f"/agencies/{agency_id}/audit?date_from=2020-01-01&date_to=9999-12-31")
    assert response.status_code in (200, 422)
    assert "Enter a date before the year 9999." in response.get_data(as_text=True)


def test_campaign_closing_on_the_last_date_is_a_field_error(app: Flask, demo: Any) -> None:
    spec_id = make_specification(app, "Data literacy")
    client = app.test_client()
    login(client, UDV_ADMIN, demo.password)
    udv = org_id(app, "UDV")
    response = post_form(
        client,
        f"/orgs/{udv}/feedback/new",
        {
            "title": "Edge",
            "kind": "learner",
            "opens_on": "2026-01-01",
            "closes_on": "9999-12-31",
            "specifications": str(spec_id),
        },
    )
    assert response.status_code < 500
    assert "Enter a date before the year 9999." in response.get_data(as_text=True)


# ----- 5. control characters in text ------------------------------------------------------------


def test_every_form_class_has_the_portal_base(app: Flask) -> None:
    """New forms cannot forget the guards: every form class derives from the portal's."""
    from flask_wtf import FlaskForm
    from wtforms import Form

    def subclasses(cls: type) -> set[type]:
        found = set(cls.__subclasses__())
        for sub in list(found):
            found |= subclasses(sub)
        return found

    strays = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in subclasses(Form)
        if cls.__module__.startswith("qaportal")
        and not issubclass(cls, PortalForm | PortalSubform)
        and cls not in (PortalForm, PortalSubform)
    ]
    assert FlaskForm in subclasses(Form)
    assert not strays, strays


def _spec_count(app: Flask) -> int:
    with app.app_context():
        return get_session().execute(select(func.count(Specification.id))).scalar_one()


@pytest.mark.parametrize("bad", ["\x00", "\x07"], ids=["NUL", "BEL"])
@pytest.mark.parametrize(
    "field", ["title", "further_information", "outcomes-0-statement", "awarding_bodies-0-name"]
)
def test_specification_text_refuses_control_characters(
    app: Flask, client: FlaskClient, demo: Any, field: str, bad: str
) -> None:
    login(client, UDV_ADMIN, demo.password)
    udv = org_id(app, "UDV")
    before = _spec_count(app)
    form = complete_form()
    form[field] = f"Before{bad}after"
    response = post_form(client, f"/orgs/{udv}/catalogue/new", form)
    assert response.status_code in (200, 400, 422)
    assert CONTROL_MESSAGE in response.get_data(as_text=True)
    assert _spec_count(app) == before


def test_multi_line_text_keeps_tabs_and_newlines(
    app: Flask, client: FlaskClient, demo: Any
) -> None:
    login(client, UDV_ADMIN, demo.password)
    udv = org_id(app, "UDV")
    before = _spec_count(app)
    form = complete_form(further_information="Line one\r\n\tLine two")
    response = post_form(client, f"/orgs/{udv}/catalogue/new", form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert _spec_count(app) == before + 1
    # A tab in a single-line field is refused: it belongs to multi-line text only.
    form = complete_form(title="Tab\tin a title")
    response = post_form(client, f"/orgs/{udv}/catalogue/new", form)
    assert CONTROL_MESSAGE in response.get_data(as_text=True)


@pytest.mark.parametrize("bad", ["\x00", "\x07"], ids=["NUL", "BEL"])
def test_self_assessment_narrative_refuses_control_characters(
    app: Flask, client: FlaskClient, demo: Any, bad: str
) -> None:
    world = make_world(app)
    login(client, UDV_EDITOR, demo.password)
    url = f"/cases/{world.case_id}/criteria/{world.criteria['C1']}"
    response = post_form(client, url, {"lock_version": "0", "q_narrative": f"Our policy{bad}"})
    assert response.status_code in (400, 422)
    body = response.get_data(as_text=True)
    assert CONTROL_MESSAGE in body
    assert "Our policy" in body  # what was typed is kept for correction
    with app.app_context():
        assert get_session().execute(select(func.count(Answer.id))).scalar_one() == 0


@pytest.mark.parametrize("bad", ["\x00", "\x07"], ids=["NUL", "BEL"])
def test_survey_free_text_refuses_control_characters(app: Flask, demo: Any, bad: str) -> None:
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    (token,) = make_codes(app, campaign_id, 1)
    client = app.test_client()
    page = open_survey(client, token)
    data = {
        "csrf_token": csrf_token_of(page),
        "q_outcomes_clear": "4",
        "q_comments_best": f"The projects{bad}",
    }
    response = client.post("/f", data=data)
    assert response.status_code in (400, 422)
    assert CONTROL_MESSAGE in response.get_data(as_text=True)
    with app.app_context():
        assert get_session().execute(select(func.count(FeedbackResponse.id))).scalar_one() == 0


def csrf_token_of(page: Any) -> str:
    from tests.feedback_support import csrf_of

    return csrf_of(page)


@pytest.mark.parametrize("bad", ["\x00", "\x07"], ids=["NUL", "BEL"])
def test_csv_import_cell_refuses_control_characters(
    app: Flask, client: FlaskClient, demo: Any, bad: str
) -> None:
    from tests.test_catalogue_csv import make_csv, row, upload

    login(client, UDV_ADMIN, demo.password)
    udv = org_id(app, "UDV")
    before = _spec_count(app)
    response = upload(client, udv, make_csv([row(title=f"Cloud{bad}security")]))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    if bad == "\x00":  # a NUL byte: not a text file at all, refused as a whole
        assert "This is not a CSV text file." in body
    else:
        assert "<code>title</code>" in body and CONTROL_MESSAGE in body
    assert "Confirm the import" not in body
    assert _spec_count(app) == before


def test_search_boxes_with_nul_answer_a_page(app: Flask, client: FlaskClient, demo: Any) -> None:
    for url in ("/catalogue?q=%00", "/catalogue?q=data%00&country=%00&language=%07"):
        response = client.get(url)
        assert response.status_code == 200, url
    assert client.get("/catalogue/%00").status_code == 404
    assert client.get("/catalogue/abc%00def/ob3.json").status_code == 404
    login(client, AGENCY_ADMIN, demo.password)
    with app.app_context():
        from qaportal.orgs.models import Organisation, OrgKind

        agency_id = (
            get_session()
            .execute(select(Organisation.id).where(Organisation.kind == OrgKind.AGENCY))
            .scalar_one()
        )
    for url in (
        f"/agencies/{agency_id}/providers?q=%00",
        f"/agencies/{agency_id}/reviewers?q=%00&expertise=%00",
        f"/agencies/{agency_id}/audit?action=%00&actor=%00&object_type=%00&object_id=%00",
        f"/agencies/{agency_id}/outbox?status=%00",
    ):
        assert client.get(url).status_code < 500, url


def test_nul_in_a_path_segment_matches_no_route(client: FlaskClient) -> None:
    assert client.get("/invitations/abc%00").status_code == 404
    assert client.get("/f/ABC%00").status_code == 404


def test_account_forms_refuse_nul(app: Flask, demo: Any) -> None:
    client = app.test_client()
    response = post_form(
        client, "/login", {"email": "admin\x00@agency.example.org", "password": "x"}
    )
    assert response.status_code == 200
    assert CONTROL_MESSAGE in response.get_data(as_text=True)
    response = post_form(client, "/password-reset", {"email": "a\x00@example.org"})
    assert response.status_code < 500
    assert CONTROL_MESSAGE in response.get_data(as_text=True)


def test_csv_upload_itself_is_binary_and_not_checked_as_text(
    app: Flask, client: FlaskClient, demo: Any
) -> None:
    """The file field carries bytes; only its cells are text (checked above)."""
    login(client, UDV_ADMIN, demo.password)
    udv = org_id(app, "UDV")
    response = post_form(
        client,
        f"/orgs/{udv}/catalogue/import",
        {"file": (io.BytesIO(b"\x00\x01\x02"), "catalogue.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code < 500


# ----- 6. the anonymity threshold can only be raised ------------------------------------------


def test_threshold_cannot_go_below_five(app: Flask, demo: Any) -> None:
    client = app.test_client()
    login(client, AGENCY_ADMIN, demo.password)
    with app.app_context():
        from tests.feedback_support import provider

        agency_id = provider().managing_agency_id
    url = f"/agencies/{agency_id}/feedback-settings"
    for value in ("3", "4", "0", "-5", "99999999999999999999"):
        response = post_form(client, url, {"min_responses": value})
        assert response.status_code == 422, value
        body = response.get_data(as_text=True)
        assert "can be raised, but not below 5" in body, value
        assert f'value="{value}"' in body  # what was typed is shown for correction
    assert _actions(app, "feedback.threshold_changed") == []
    assert post_form(client, url, {"min_responses": "8"}).status_code == 302
    with app.app_context():
        db = get_session()
        assert feedback_services.threshold_for(db, agency_id, 5) == 8
        from qaportal.audit.services import Actor
        from qaportal.orgs.models import Organisation

        agency = db.get(Organisation, agency_id)
        with pytest.raises(feedback_services.FeedbackError):
            feedback_services.set_threshold(db, agency, 3, Actor.system("test"))
        db.rollback()
        assert feedback_services.threshold_for(db, agency_id, 5) == 8


@pytest.mark.parametrize("number", [str(n) for n in OVERSIZED] + ["-99999999999999999999"])
def test_oversized_numbers_in_forms_are_refused(
    app: Flask, client: FlaskClient, demo: Any, number: str
) -> None:
    login(client, UDV_ADMIN, demo.password)
    udv = org_id(app, "UDV")
    before = _spec_count(app)
    for field in ("hours", "eqf_level", "ects", "lock_version"):
        response = post_form(client, f"/orgs/{udv}/catalogue/new", complete_form(**{field: number}))
        assert response.status_code < 500, (field, response.status_code)
        if field != "lock_version":  # a new specification has no lock to compare
            assert _spec_count(app) == before, field
    world = make_world(app)
    login(client, UDV_EDITOR, demo.password)
    url = f"/cases/{world.case_id}/criteria/{world.criteria['C2']}"
    for data in (
        {"lock_version": number, "q_narrative": "x"},
        {"lock_version": "0", "q_narrative": "x", "q_completion": number},
    ):
        assert post_form(client, url, data).status_code < 500, data
