"""The read-only API (/api/v1): pagination, filters, ETags, CORS, bad input, and that
nothing unpublished can be read or guessed through it."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
from flask import Flask
from sqlalchemy import select, update

from qaportal.api import rows as api_rows
from qaportal.audit.services import Actor
from qaportal.cases import services as case_services
from qaportal.catalogue import services as catalogue_services
from qaportal.catalogue.models import CatalogueEntry, Specification, SpecificationVersion
from qaportal.db import get_session
from qaportal.decisions.models import (
    Decision,
    DecisionCondition,
    DecisionStatus,
    EqaStatus,
    Outcome,
)
from qaportal.frameworks.models import Framework, FrameworkVersion
from qaportal.register import queries as register_queries
from qaportal.register import services as register_services
from qaportal.register.models import RegisterPublication
from qaportal.reporting.models import GeneratedDocument
from tests import casekit
from tests.catalogue_kit import complete_data, make_spec
from tests.conftest import login

API = "/api/v1"
NOT_FOUND = {
    "error": {
        "code": "not_found",
        "message": "There is no published object with this identifier.",
    }
}


# ----- building a published world ----------------------------------------------------------


@dataclass
class Published:
    decision_ids: list[int]
    case_ids: list[int]
    provider_id: int


def publish_decisions(
    app: Flask,
    n: int,
    *,
    outcome: Outcome = Outcome.POSITIVE,
    publish: bool = True,
    report: bool = False,
    code: str = "api-fw",
) -> Published:
    """``n`` cases of the demo university, each with a current decision (and, with
    ``report``, a stored accreditation-report version), published through the register's
    own service as the agency's officer."""
    with app.app_context():
        db = get_session()
        agency, udv = casekit.org(db, "DAQA"), casekit.org(db, "UDV")
        framework = db.execute(
            select(FrameworkVersion).join(Framework).where(Framework.code == code)
        ).scalar_one_or_none() or casekit.make_framework(db, code, None)
        officer = casekit.user(db, "officer@agency.example.org")
        admin = casekit.user(db, "admin@university.example.org")
        decisions, cases = [], []
        for i in range(n):
            spec = casekit.make_spec(db, udv.id, f"Register course {outcome.name} {i}")
            case = case_services.open_case(
                db,
                udv,
                agency,
                framework_ids=[framework.framework_id],
                specification_ids=[spec.id],
                contact_name="Paula Provider",
                contact_email="contact@university.example.org",
                user=admin,
                actor=Actor(admin.id, admin.email),
            )
            decision = Decision(
                case_id=case.id,
                status=DecisionStatus.CURRENT,
                outcome=outcome,
                eqa_status=EqaStatus.VOLUNTARY,
                rationale=f"Decision {i}: the panel's findings hold.",
                decided_on=dt.date(2026, 1, 1),
                valid_from=dt.date(2026, 1, 1) if outcome != Outcome.NEGATIVE else None,
                valid_until=dt.date(2032, 1, 1) if outcome != Outcome.NEGATIVE else None,
            )
            if outcome == Outcome.CONDITIONAL:
                decision.conditions = [
                    DecisionCondition(text="Publish results", due_on=dt.date(2027, 1, 1))
                ]
            db.add(decision)
            if report:
                db.add(
                    GeneratedDocument(
                        case_id=case.id,
                        kind="accreditation-report",
                        version=1,
                        sha256=f"{case.id:064x}",
                        size=2048,
                        storage_path=f"api-test/{case.id}.pdf",
                        verification_code=f"QAR-{case.id:04d}-0001",
                    )
                )
            db.flush()
            if publish:
                register_services.publish(
                    db, case, decision, user=officer, actor=Actor(officer.id, officer.email)
                )
            decisions.append(decision.id)
            cases.append(case.id)
        db.commit()
        return Published(decisions, cases, udv.id)


def withdraw(app: Flask, decision_id: int) -> None:
    with app.app_context():
        db = get_session()
        officer = casekit.user(db, "officer@agency.example.org")
        publication = db.execute(
            select(RegisterPublication).where(RegisterPublication.decision_id == decision_id)
        ).scalar_one()
        case = db.get(Decision, decision_id).case
        register_services.withdraw(
            db,
            case,
            publication,
            "Published in error.",
            user=officer,
            actor=Actor(officer.id, officer.email),
        )
        db.commit()


def retire(app: Flask, spec_id: int) -> None:
    with app.app_context():
        db = get_session()
        catalogue_services.retire(db, db.get(Specification, spec_id), Actor.system("test"))
        db.commit()


def walk(client: Any, url: str) -> list[dict[str, Any]]:
    """Every item of a list, following ``next`` to the end."""
    items: list[dict[str, Any]] = []
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        items += body["items"]
        url = body["next"]
        pages += 1
        assert pages < 100, "the pagination does not end"
    return items


def error_code(response: Any) -> str:
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["message"]
    return body["error"]["code"]


MINE = {f"University course {i}" for i in range(5)} | {"Welding basics", "Forklift safety"}


@pytest.fixture
def specs(app: Flask, demo: Any) -> list[str]:
    """Seven published specifications of two providers, one draft and one retired."""
    ids = []
    for i in range(5):
        ids.append(make_spec(app, "UDV", complete_data(f"University course {i}"))[1])
    ids.append(
        make_spec(
            app,
            "NVTC",
            complete_data(
                "Welding basics", issuer_regions=["FR"], eqf_level=4, participation_form="onsite"
            ),
        )[1]
    )
    ids.append(make_spec(app, "NVTC", complete_data("Forklift safety", languages=["fr"]))[1])
    make_spec(app, "UDV", complete_data("Secret draft"), publish=False)
    retired_id, _ = make_spec(app, "UDV", complete_data("Retired course"))
    retire(app, retired_id)
    return ids


# ----- specifications ------------------------------------------------------------------------


def published_public_ids(app: Flask) -> list[str]:
    with app.app_context():
        return list(get_session().execute(select(CatalogueEntry.public_id)).scalars())


def test_pagination_walks_every_published_specification_once_in_a_stable_order(
    app: Flask, client: Any, specs: list[str]
) -> None:
    items = walk(client, f"{API}/specifications?limit=3")
    ids = [item["id"] for item in items]
    assert sorted(ids) == sorted(published_public_ids(app))
    assert set(specs) <= set(ids)
    assert len(ids) == len(set(ids))
    assert ids == [item["id"] for item in walk(client, f"{API}/specifications?limit=2")]
    titles = {item["title"] for item in items}
    assert "Secret draft" not in titles and "Retired course" not in titles
    first = client.get(f"{API}/specifications?limit=3")
    assert first.headers["Link"] == f'<{first.get_json()["next"]}>; rel="next"'
    # The list without filters has a statement of its own: the same items as the filtered
    # one's, provider by provider.
    by_provider = [
        item
        for provider_id in sorted({item["provider"]["id"] for item in items})
        for item in walk(client, f"{API}/specifications?provider={provider_id}&limit=2")
    ]
    assert sorted(by_provider, key=lambda item: item["id"]) == sorted(
        items, key=lambda item: item["id"]
    )


def test_a_full_last_page_has_no_next_link(app: Flask, client: Any, specs: list[str]) -> None:
    total = len(published_public_ids(app))
    body = client.get(f"{API}/specifications?limit={total}").get_json()
    assert len(body["items"]) == total and body["next"] is None


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("country=FR", {"Welding basics"}),
        ("eqf=4", {"Welding basics"}),
        ("form=onsite", {"Welding basics"}),
        ("language=fr", {"Forklift safety"}),
        ("q=weld", {"Welding basics"}),
        ("q=forklift&country=DE", {"Forklift safety"}),
        ("provider_type=vet", {"Welding basics", "Forklift safety"}),
        ("accreditation=accredited", set()),
        ("ects_min=2&ects_max=2&q=course+3", {"University course 3"}),
        ("ects_min=3", set()),
    ],
)
def test_specification_filters_are_those_of_the_catalogue_page(
    client: Any, specs: list[str], query: str, titles: set[str]
) -> None:
    found = {item["title"] for item in walk(client, f"{API}/specifications?{query}&limit=2")}
    assert found & MINE == titles
    # The catalogue page, asked the same, lists the same titles.
    page = client.get(f"/catalogue?{query}").get_data(as_text=True)
    for title in MINE:
        assert (title in page) == (title in titles), (query, title)


def test_provider_filter_and_detail(app: Flask, client: Any, specs: list[str]) -> None:
    nvtc = casekit_org_id(app, "NVTC")
    found = walk(client, f"{API}/specifications?provider={nvtc}")
    assert {item["title"] for item in found} & MINE == {"Welding basics", "Forklift safety"}
    assert {item["provider"]["id"] for item in found} == {nvtc}
    welding = next(item for item in found if item["title"] == "Welding basics")
    detail = client.get(welding["url"])
    assert detail.status_code == 200
    body = detail.get_json()
    assert body["id"] == welding["id"] and body["provider"]["id"] == nvtc
    assert body["countries"] == ["FR"] and body["eqf_level"] == 4
    assert body["learning_outcomes"][0]["statement"].startswith("Identify common phishing")
    assert body["html_url"].endswith(f"/catalogue/{body['id']}")


def casekit_org_id(app: Flask, acronym: str) -> int:
    with app.app_context():
        return casekit.org(get_session(), acronym).id


def test_query_count_does_not_grow_with_rows(
    app: Flask, client: Any, demo: Any, count_queries: Any
) -> None:
    def counted(url: str) -> int:
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    for i in range(3):
        make_spec(app, "UDV", complete_data(f"Course {i}"))
    publish_decisions(app, 3)
    few = {path: counted(f"{API}/{path}") for path in ("specifications", "decisions", "providers")}
    for i in range(3, 30):
        make_spec(app, "UDV", complete_data(f"Course {i}"))
    publish_decisions(app, 27, code="api-fw-2")
    many = {path: counted(f"{API}/{path}") for path in ("specifications", "decisions", "providers")}
    assert few == many
    assert len(client.get(f"{API}/decisions").get_json()["items"]) == 30


# ----- caching and CORS ----------------------------------------------------------------------


def test_etag_and_if_none_match(app: Flask, client: Any, specs: list[str]) -> None:
    url = f"{API}/specifications?limit=3"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag), "a strong entity tag"
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    assert client.get(url).headers["ETag"] == etag, "the same body, the same tag"
    for header in (etag, f'"other", {etag}', f"W/{etag}", "*"):
        again = client.get(url, headers={"If-None-Match": header})
        assert again.status_code == 304, header
        assert again.data == b"" and again.headers["ETag"] == etag
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    # A change of what a page shows changes its tag; the first page, unchanged, keeps it.
    before = client.get(f"{API}/specifications?limit=200").headers["ETag"]
    make_spec(app, "NVTC", complete_data("Aardvark care"))
    after = client.get(f"{API}/specifications?limit=200", headers={"If-None-Match": before})
    assert after.status_code == 200 and after.headers["ETag"] != before
    assert "Aardvark care" in {item["title"] for item in after.get_json()["items"]}
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_cors_for_public_reads_without_credentials(client: Any, specs: list[str]) -> None:
    response = client.get(f"{API}/specifications", headers={"Origin": "https://example.org"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Credentials" not in response.headers
    # The app's security headers stay.
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" in response.headers
    preflight = client.options(
        f"{API}/specifications",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    head = client.head(f"{API}/specifications")
    assert head.status_code == 200 and head.headers["Access-Control-Allow-Origin"] == "*"
    error = client.get(f"{API}/specifications?nope=1")
    assert error.headers["Access-Control-Allow-Origin"] == "*"
    assert error.headers["Cache-Control"] == "no-store"


def test_the_api_reads_no_session_and_leaves_the_web_session_alone(
    app: Flask, client: Any, demo: Any, specs: list[str]
) -> None:
    anonymous = app.test_client().get(f"{API}/specifications?limit=5")
    login(client, "admin@agency.example.org", demo.password)
    with client.session_transaction() as session:
        session["lang"] = "fr"
    signed_in = client.get(f"{API}/specifications?limit=5", headers={"Accept-Language": "en"})
    # The same bytes for a signed-in visitor: nothing of the session reaches the answer,
    # and the answer neither sets a cookie nor varies on one.
    assert signed_in.status_code == 200
    assert signed_in.data == anonymous.data
    assert signed_in.headers["ETag"] == anonymous.headers["ETag"]
    assert "Set-Cookie" not in signed_in.headers
    assert "cookie" not in signed_in.headers.get("Vary", "").lower()
    assert signed_in.headers["X-Frame-Options"] == "DENY"
    # Error messages follow the request's languages, not the session's choice.
    error = client.get(f"{API}/decisions/999999", headers={"Accept-Language": "en"})
    assert error.get_json() == NOT_FOUND
    # The app's HTML error page (its forms carry a CSRF token) still renders there.
    refused = client.post(f"{API}/specifications")
    assert refused.status_code == 405
    assert "Set-Cookie" not in refused.headers
    # The web session survived the API calls: still signed in.
    assert client.get("/dashboard").status_code == 200


def test_the_api_changes_nothing_so_only_gets_are_routed(app: Flask) -> None:
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")]
    assert rules
    for rule in rules:
        assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule


# ----- bad input -----------------------------------------------------------------------------


def _cursor(client: Any, url: str) -> str:
    return parse_qs(urlsplit(client.get(url).get_json()["next"]).query)["cursor"][0]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("colour=red", "unknown_parameter"),
        ("page=2", "unknown_parameter"),
        ("limit=0", "invalid_parameter"),
        ("limit=201", "invalid_parameter"),
        ("limit=99999999999999999999999", "invalid_parameter"),
        ("limit=ten", "invalid_parameter"),
        ("limit=5&limit=6", "repeated_parameter"),
        ("eqf=9", "invalid_parameter"),
        ("country=Germany", "invalid_parameter"),
        ("form=by-post", "invalid_parameter"),
        ("ects_min=nan", "invalid_parameter"),
        ("ects_max=inf", "invalid_parameter"),
        ("provider=0", "invalid_parameter"),
        ("provider=9999999999999", "invalid_parameter"),
        ("accreditation=maybe", "invalid_parameter"),
        ("q=" + "x" * 201, "invalid_parameter"),
        ("cursor=garbage", "invalid_cursor"),
        ("cursor=" + "%00%ff" * 10, "invalid_cursor"),
    ],
)
def test_bad_specification_queries_are_clear_400s(
    client: Any, specs: list[str], query: str, code: str
) -> None:
    response = client.get(f"{API}/specifications?{query}")
    assert response.status_code == 400, response.data
    assert response.mimetype == "application/json"
    assert error_code(response) == code


@pytest.mark.parametrize("path", ["decisions", "providers", "reports"])
@pytest.mark.parametrize(
    "query",
    ["colour=red", "decision=maybe", "validity=soon", "months=61", "framework=a%20b", "limit=500"],
)
def test_bad_register_queries_are_clear_400s(client: Any, demo: Any, path: str, query: str):
    response = client.get(f"{API}/{path}?{query}")
    assert response.status_code == 400
    assert error_code(response) in {"unknown_parameter", "invalid_parameter"}


def test_cursors_cannot_be_forged_nor_moved(client: Any, specs: list[str]) -> None:
    cursor = _cursor(client, f"{API}/specifications?limit=2")
    assert client.get(f"{API}/specifications?limit=2&cursor={cursor}").status_code == 200
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    for url in (
        f"{API}/specifications?cursor={tampered}",
        # another list's or other filters' cursor
        f"{API}/decisions?cursor={cursor}",
        f"{API}/specifications?cursor={cursor}&country=DE",
    ):
        response = client.get(url)
        assert response.status_code == 400, url
        assert error_code(response) == "invalid_cursor"
    # The limit may change between pages: it is not a filter.
    assert client.get(f"{API}/specifications?limit=5&cursor={cursor}").status_code == 200


@pytest.mark.parametrize("header", ["garbage", '"open', "W/", '"a" "b"', "*, *", '"a",,'])
def test_if_none_match_garbage_is_a_400(client: Any, specs: list[str], header: str) -> None:
    response = client.get(f"{API}/specifications", headers={"If-None-Match": header})
    assert response.status_code == 400
    assert error_code(response) == "invalid_header"


def test_unknown_unpublished_and_impossible_ids_are_the_same_404(
    app: Flask, client: Any, specs: list[str]
) -> None:
    with app.app_context():
        db = get_session()
        draft = db.execute(
            select(Specification)
            .join(Specification.versions)
            .where(SpecificationVersion.title == "Secret draft")
        ).scalar_one()
        retired = db.execute(
            select(Specification)
            .join(Specification.versions)
            .where(SpecificationVersion.title == "Retired course")
        ).scalar_one()
        hidden = [draft.public_id, retired.public_id]
    unpublished = publish_decisions(app, 1, publish=False)
    urls = [
        *(f"{API}/specifications/{public_id}" for public_id in hidden),
        f"{API}/specifications/00000000-0000-0000-0000-000000000000",
        f"{API}/specifications/{'x' * 300}",
        f"{API}/decisions/{unpublished.decision_ids[0]}",
        f"{API}/providers/{unpublished.provider_id}",
        f"{API}/decisions/424242",
        f"{API}/decisions/99999999999999999999",
        f"{API}/decisions/abc",
        f"{API}/providers/-1",
        f"{API}/reports/1",
        f"{API}/nothing/here",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.get_json() == NOT_FOUND, url
    assert client.get(f"{API}/specifications/{specs[0]}?x=1").status_code == 400


# ----- the register --------------------------------------------------------------------------


def test_published_decisions_providers_and_reports(app: Flask, client: Any, demo: Any) -> None:
    published = publish_decisions(app, 2, outcome=Outcome.CONDITIONAL)
    publish_decisions(app, 1, publish=False)
    decisions = walk(client, f"{API}/decisions?limit=1")
    assert [d["id"] for d in decisions] == published.decision_ids
    first = decisions[0]
    assert first["outcome"] == "positive with conditions or restrictions"
    assert first["status"] == "voluntary" and first["validity"] == "valid"
    assert first["conditions"][0]["text"] == "Publish results"
    assert first["report"] is None
    assert client.get(first["url"]).get_json() == first
    assert first["html_url"].endswith(f"/register/decisions/{first['id']}")

    providers = walk(client, f"{API}/providers")
    assert [p["id"] for p in providers] == [published.provider_id]
    assert providers[0]["accredited"] is True
    assert {d["id"] for d in providers[0]["decisions"]} == set(published.decision_ids)
    assert client.get(providers[0]["url"]).get_json() == providers[0]
    # Reports come only with a published report version; these decisions have none.
    assert walk(client, f"{API}/reports") == []

    # Each micro-credential in a decision's scope says under which decision it is offered.
    with app.app_context():
        db = get_session()
        spec = db.get(Specification, first["specification_ids"][0])
        catalogue_services.publish(db, spec.versions[-1], Actor.system("test"))
        db.commit()
        public_id = spec.public_id
    spec_answer = client.get(f"{API}/specifications/{public_id}").get_json()
    assert spec_answer["accredited_under"] == first["url"]
    assert spec_answer["accreditation"] == "accredited"
    listed = {item["id"]: item["accreditation"] for item in walk(client, f"{API}/specifications")}
    assert listed[public_id] == "accredited"
    assert set(listed.values()) == {"accredited", "not_accredited"}

    assert walk(client, f"{API}/decisions?decision=negative") == []
    assert len(walk(client, f"{API}/decisions?validity=valid&country=de&provider_type=hei")) == 2
    assert walk(client, f"{API}/decisions?validity=expired") == []
    assert len(walk(client, f"{API}/decisions?framework=api-fw&q=register")) == 2


def test_the_accreditation_filter_follows_the_register_day_by_day(
    app: Flask, client: Any, demo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = publish_decisions(app, 1)
    decision = client.get(f"{API}/decisions/{published.decision_ids[0]}").get_json()
    with app.app_context():
        db = get_session()
        spec = db.get(Specification, decision["specification_ids"][0])
        catalogue_services.publish(db, spec.versions[-1], Actor.system("test"))
        today = dt.datetime.now(dt.UTC).date()
        db.execute(
            update(Decision)
            .where(Decision.id == published.decision_ids[0])
            .values(valid_until=today)
        )
        db.commit()
        public_id = spec.public_id

    def accredited() -> set[str]:
        return {i["id"] for i in walk(client, f"{API}/specifications?accreditation=accredited")}

    def status() -> str:
        listed = walk(client, f"{API}/specifications?provider={published.provider_id}&limit=2")
        return next(item["accreditation"] for item in listed if item["id"] == public_id)

    assert public_id in accredited() and status() == "accredited"
    # The next day the decision has expired: the lists' kept statements are not reused.
    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    monkeypatch.setattr(api_rows, "utcnow", lambda: tomorrow)
    monkeypatch.setattr(register_queries, "utcnow", lambda: tomorrow)
    assert public_id not in accredited() and status() == "not_accredited"


def test_withdrawn_decisions_leave_every_list(app: Flask, client: Any, demo: Any) -> None:
    published = publish_decisions(app, 2)
    gone, kept = published.decision_ids
    withdraw(app, gone)
    assert [d["id"] for d in walk(client, f"{API}/decisions")] == [kept]
    assert client.get(f"{API}/decisions/{gone}").get_json() == NOT_FOUND
    provider = client.get(f"{API}/providers/{published.provider_id}").get_json()
    assert [d["id"] for d in provider["decisions"]] == [kept]
    withdraw(app, kept)
    assert client.get(f"{API}/providers/{published.provider_id}").get_json() == NOT_FOUND
    assert walk(client, f"{API}/providers") == []


def test_reports_of_published_decisions_only(app: Flask, client: Any, demo: Any) -> None:
    with_reports = publish_decisions(app, 3, report=True)
    publish_decisions(app, 1, report=True, publish=False, code="api-fw-2")
    publish_decisions(app, 2, code="api-fw-3")
    reports = walk(client, f"{API}/reports?limit=2")
    assert [r["decision_id"] for r in reports] == with_reports.decision_ids
    first = reports[0]
    assert first["version"] == 1 and first["size"] == 2048 and len(first["sha256"]) == 64
    assert first["download_url"].endswith(f"/register/decisions/{first['decision_id']}/report")
    assert first["verification_url"].endswith(f"/verify/QAR-{with_reports.case_ids[0]:04d}-0001")
    decision = client.get(f"{API}/decisions/{first['decision_id']}").get_json()
    assert decision["report"] == first
    withdraw(app, with_reports.decision_ids[0])
    assert [r["decision_id"] for r in walk(client, f"{API}/reports")] == (
        with_reports.decision_ids[1:]
    )


# ----- the OpenAPI document ------------------------------------------------------------------


def test_openapi_document_covers_every_route_and_validates_the_answers(
    app: Flask, client: Any, specs: list[str]
) -> None:
    publish_decisions(app, 1)
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    routed = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", r.rule.removeprefix(API))
        for r in app.url_map.iter_rules()
        if r.endpoint.startswith("api.")
        and r.endpoint not in ("api.unknown", "api.openapi_document")
    }
    assert set(document["paths"]) == routed
    components = document["components"]["schemas"]

    def check(url: str, status: int) -> None:
        answer = client.get(url)
        operation = _operation_for(document, url)
        schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
        assert answer.status_code == status
        jsonschema.validate(
            answer.get_json(),
            {**schema, "components": {"schemas": components}},
            cls=jsonschema.Draft202012Validator,
        )

    for url in ("/specifications", "/decisions", "/providers", "/reports"):
        check(API + url, 200)
        check(API + url + "?limit=0", 400)
    spec = client.get(f"{API}/specifications").get_json()["items"][0]
    check(spec["url"], 200)
    check(f"{API}/decisions/424242", 404)
    etag = response.headers["ETag"]
    assert client.get(f"{API}/openapi.json", headers={"If-None-Match": etag}).status_code == 304


def _operation_for(document: dict[str, Any], url: str) -> dict[str, Any]:
    path = urlsplit(url).path.removeprefix(API)
    for template, item in document["paths"].items():
        if re.fullmatch(re.sub(r"\{\w+\}", "[^/]+", template), path):
            return item["get"]
    raise AssertionError(f"no operation for {url}")


def test_links_built_once_per_endpoint_are_those_url_for_builds(app: Flask) -> None:
    """The API's links come from a route built once per answer with the id put in: the
    same addresses as url_for, absolute, and url_for itself for a value it would quote."""
    from flask import url_for

    from qaportal.web.worklist import Formats

    with app.test_request_context("/api/v1/decisions"):
        urls = Formats()
        cases = [
            ("api.decision", "decision_id", 7),
            ("api.decision", "decision_id", 918273645501),
            ("api.specification", "public_id", "0f1e2d3c-ab_C"),
            ("api.specification", "public_id", "a b/ü?x=1"),
            ("reporting.verify_code", "code", "QAR-0001-0002"),
        ]
        for endpoint, name, value in cases * 2:
            expected = url_for(endpoint, _external=True, **{name: value})
            assert urls.url(endpoint, name, value, external=True) == expected
            assert expected.startswith("http")
        # The dashboards' relative links are unchanged.
        assert urls.url("api.decision", "decision_id", 8) == "/api/v1/decisions/8"
