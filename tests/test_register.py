"""The public register: a case decided through the services, published by an officer after a
preview, read on every public surface (the register list with search and filters, the
provider and decision pages, the report download, the catalogue's filter, badge and
specification page, the verification page, and the API when its routes exist), withdrawn
with a reason, and read again: nothing of it is left, and the report verifies as withdrawn.
An unpublished decision never appears anywhere; the register's queries do not grow with its
rows; bad filters get a clear page."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask, url_for
from sqlalchemy import event, select, text

from qaportal.audit.models import AuditEvent
from qaportal.audit.services import Actor
from qaportal.cases.models import Case, CaseFramework, CaseScope, CaseState
from qaportal.catalogue import services as catalogue_services
from qaportal.catalogue.models import Specification
from qaportal.db import get_session, utcnow
from qaportal.decisions import services as decisions
from qaportal.decisions.models import (
    Decision,
    DecisionCondition,
    DecisionStatus,
    EqaStatus,
    Outcome,
)
from qaportal.orgs.models import Organisation, OrgKind, ProviderType
from qaportal.register import queries
from qaportal.register import services as register
from qaportal.register.models import RegisterPublication
from qaportal.reporting.models import GeneratedDocument
from qaportal.reporting.services import new_code
from qaportal.reporting.store import get_store
from tests.casekit import make_world, user
from tests.conftest import login, post_form

OFFICER = "officer@agency.example.org"
PROVIDER = "admin@university.example.org"
# A word found nowhere else, so that its absence from a page means something.
SUMMARY = "The zebracorn panel found a sound internal quality assurance system."
MARKER = "zebracorn"
CONDITION = "Publish the learner feedback results on the website quarterly."
REPORT_BYTES = b"%PDF-1.7\n% the register test's accreditation report\n%%EOF\n"


@dataclass
class Decided:
    case_id: int
    decision_id: int
    provider_id: int
    agency_id: int
    spec_id: int
    public_id: str
    spec_title: str
    reference: str
    report_id: int
    code: str
    version_id: int


def _actor(who: Any) -> Actor:
    return Actor(who.id, who.email)


def decide_case(app: Flask) -> Decided:
    """The demo university's case with its micro-credential in the public catalogue, decided
    with a condition through the decision services, with an accreditation report generated
    (stored bytes and a row, as the reporting job leaves them) but nothing published."""
    world = make_world(app)
    with app.app_context():
        db = get_session()
        officer, provider_admin = user(db, OFFICER), user(db, PROVIDER)
        spec = db.get(Specification, world.spec_ids[0])
        catalogue_services.publish(db, spec.versions[0], _actor(provider_admin))
        case = db.get(Case, world.case_id)
        case.state = CaseState.DECISION_PENDING
        case.submitted_at = utcnow()
        db.flush()
        decision = decisions.decide(
            db,
            case,
            decisions.DecisionData(
                Outcome.CONDITIONAL.value,
                EqaStatus.VOLUNTARY.value,
                SUMMARY,
                conditions=[
                    decisions.ConditionData(
                        CONDITION, None, utcnow().date() + dt.timedelta(days=90)
                    )
                ],
            ),
            officer,
            _actor(officer),
        )
        db.flush()
        name = f"{case.id}/accreditation-report/v1-{secrets.token_hex(6)}.pdf"
        get_store().add(name, REPORT_BYTES)
        report = GeneratedDocument(
            case_id=case.id,
            kind="accreditation-report",
            version=1,
            locale="en",
            sha256=hashlib.sha256(REPORT_BYTES).hexdigest(),
            size=len(REPORT_BYTES),
            storage_path=name,
            verification_code=new_code(),
            created_by_id=officer.id,
        )
        db.add(report)
        db.commit()
        assert decision.status == DecisionStatus.CURRENT
        return Decided(
            case_id=case.id,
            decision_id=decision.id,
            provider_id=case.provider_id,
            agency_id=case.agency_id,
            spec_id=spec.id,
            public_id=spec.public_id,
            spec_title=spec.versions[0].title,
            reference=case.reference,
            report_id=report.id,
            code=report.verification_code or "",
            version_id=world.version_id,
        )


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "RATELIMIT_ENABLED": False}


@pytest.fixture
def decided(app: Flask, demo: Any) -> Decided:
    return decide_case(app)


def _text(response: Any) -> str:
    text = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(text).split())


def _officer(app: Flask, demo: Any) -> Any:
    client = app.test_client()
    login(client, OFFICER, demo.password)
    return client


def _publish(app: Flask, demo: Any, d: Decided) -> None:
    officer = _officer(app, demo)
    url = f"/cases/{d.case_id}/register/publish"
    response = post_form(officer, url, {}, token_from=url)
    assert response.status_code == 302, _text(response)[:2000]


# ----- every public surface ----------------------------------------------------------------

# Blueprints whose every GET route is public or refuses strangers; and the public routes of
# other blueprints. The API engineer's blueprint ("api") is walked as soon as it registers.
PUBLIC_BLUEPRINTS = {"register", "register_exports", "api", "catalogue_io"}
PUBLIC_ENDPOINTS = {
    "catalogue.public_index",
    "catalogue.public_detail",
    "catalogue.provider_public",
    "reporting.verify",
    "reporting.verify_code",
}


def public_urls(app: Flask, d: Decided) -> list[str]:
    """Every public GET address with the decided case's ids filled in, plus the searches and
    filters that could find it. Extend PUBLIC_BLUEPRINTS / this list for a new surface."""
    values = {
        "decision_id": d.decision_id,
        "provider_id": d.provider_id,
        "org_id": d.provider_id,
        "public_id": d.public_id,
        "code": d.code,
        "agency_id": d.agency_id,
    }
    urls = {
        f"/register?q={MARKER[:-1]}",  # a prefix: the page echoes the query
        "/register?validity=valid",
        "/register?decision=positive+with+conditions+or+restrictions",
        "/catalogue?accreditation=accredited",
        f"/api/v1/decisions?q={MARKER[:-1]}",
        f"/api/v1/providers?q={MARKER[:-1]}",
    }
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            blueprint = rule.endpoint.split(".")[0]
            if "GET" not in (rule.methods or ()):
                continue
            if blueprint not in PUBLIC_BLUEPRINTS and rule.endpoint not in PUBLIC_ENDPOINTS:
                continue
            if not set(rule.arguments) <= set(values):
                continue
            urls.add(url_for(rule.endpoint, **{a: values[a] for a in rule.arguments}))
    return sorted(urls)


def walk_public_surfaces(app: Flask, d: Decided) -> dict[str, tuple[int, str]]:
    """url -> (status, body) for an anonymous visitor; never a 5xx."""
    client = app.test_client()
    seen = {}
    for url in public_urls(app, d):
        response = client.get(url)
        assert response.status_code < 500, f"{url}: {response.status_code}"
        seen[url] = (response.status_code, response.get_data().decode("utf-8", "replace"))
    return seen


def _assert_nothing_public(app: Flask, d: Decided, *, withdrawn: bool) -> None:
    verify = f"/verify/{d.code}"
    surfaces = walk_public_surfaces(app, d)
    assert f"/register/decisions/{d.decision_id}" in surfaces
    assert f"/api/v1/decisions/{d.decision_id}" in surfaces or "api" not in app.blueprints
    for url, (status, body) in surfaces.items():
        if url == verify:
            continue
        for secret in (MARKER, CONDITION, d.reference):
            assert secret not in body, f"{url} shows {secret!r}"
        # A link to the decision (a 404 page's language switcher echoes its own address).
        link = re.search(rf"/decisions/{d.decision_id}(?=[\"'/])", body)
        assert status == 404 or link is None, f"{url} links to the decision"
        assert "Provider accredited" not in body, url
        assert "Offered under the accreditation" not in body, url
        path = url.split("?")[0] + "/"
        if f"/decisions/{d.decision_id}/" in path or (
            f"/providers/{d.provider_id}/" in path and "/catalogue" not in path
        ):
            assert status == 404, f"{url}: {status}"
    status, body = surfaces[verify]
    if withdrawn:
        assert status == 200 and "Withdrawn on" in _text_of(body)
    else:
        assert status == 404 and d.reference not in body


def _text_of(body: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


# ----- the tests ---------------------------------------------------------------------------


def test_an_unpublished_decision_appears_nowhere(app: Flask, decided: Decided) -> None:
    _assert_nothing_public(app, decided, withdrawn=False)
    client = app.test_client()
    unknown = client.get("/register/decisions/999999")
    unpublished = client.get(f"/register/decisions/{decided.decision_id}")
    assert unknown.status_code == unpublished.status_code == 404
    assert _text(unknown) == _text(unpublished)
    with app.app_context():
        db = get_session()
        assert queries.published_decision(db, decided.decision_id) is None
        assert queries.published_decisions(db, queries.RegisterFilters()) == []
        assert queries.current_accreditation_for_specs(db, [decided.spec_id]) == {}


def test_publish_preview_shows_exactly_what_becomes_public(
    app: Flask, demo: Any, decided: Decided
) -> None:
    officer = _officer(app, demo)
    decision_page = _text(officer.get(f"/cases/{decided.case_id}/decision"))
    assert "This decision is not in the public register." in decision_page
    preview = officer.get(f"/cases/{decided.case_id}/register/publish")
    assert preview.status_code == 200
    text = _text(preview)
    for shown in (SUMMARY, CONDITION, decided.reference, "Accreditation report, version 1"):
        assert shown in text
    with app.app_context():
        assert get_session().execute(select(RegisterPublication)).first() is None

    provider = app.test_client()
    login(provider, PROVIDER, demo.password)
    assert provider.get(f"/cases/{decided.case_id}/register/publish").status_code == 403
    refused = post_form(
        provider,
        f"/cases/{decided.case_id}/register/publish",
        {},
        token_from=f"/cases/{decided.case_id}/decision",
    )
    assert refused.status_code == 403

    _publish(app, demo, decided)
    public = _text(app.test_client().get(f"/register/decisions/{decided.decision_id}"))
    # The same facts as the preview, and the public page of the preview's decision.
    for shown in (SUMMARY, CONDITION, decided.reference, "Accreditation report, version 1"):
        assert shown in public
    with app.app_context():
        db = get_session()
        actions = db.execute(select(AuditEvent.action)).scalars().all()
        assert "register.published" in actions and "report.published" in actions
        assert db.get(GeneratedDocument, decided.report_id).published_at is not None
    again = officer.get(f"/cases/{decided.case_id}/register/publish")
    assert again.status_code == 409 and "already in the register" in _text(again)
    assert "Published in the public register on" in _text(
        officer.get(f"/cases/{decided.case_id}/decision")
    )


def test_publish_then_withdraw_on_every_public_surface(
    app: Flask, demo: Any, decided: Decided
) -> None:
    _publish(app, demo, decided)
    client = app.test_client()
    d = decided

    listing = _text(client.get("/register"))
    assert "University of Demoville" in listing and "Positive with conditions" in listing
    for query in (MARKER, "data analysis", "demoville"):
        page = client.get("/register", query_string={"q": query})
        assert f"/register/decisions/{d.decision_id}" in page.get_data(as_text=True), query
    for miss in ({"q": "nosuchword"}, {"decision": "negative"}, {"validity": "expired"}):
        page = client.get("/register", query_string=miss)
        assert page.status_code == 200
        assert f"/register/decisions/{d.decision_id}" not in page.get_data(as_text=True), miss
    with app.app_context():
        country = get_session().get(Organisation, d.provider_id).country
    hits = {
        "country": country,
        "decision": Outcome.CONDITIONAL.value,
        "framework": "test-fw",
        "validity": "valid",
    }
    page = client.get("/register", query_string=hits)
    assert f"/register/decisions/{d.decision_id}" in page.get_data(as_text=True)

    provider_page = _text(client.get(f"/register/providers/{d.provider_id}"))
    assert CONDITION in provider_page and "to be answered" in provider_page
    assert "Accredited" in provider_page and "Report, version 1 (PDF)" in provider_page

    decision_page = client.get(f"/register/decisions/{d.decision_id}")
    assert SUMMARY in _text(decision_page) and d.code in _text(decision_page)
    download = client.get(f"/register/decisions/{d.decision_id}/report")
    assert download.status_code == 200 and download.data == REPORT_BYTES
    assert download.headers["Content-Disposition"].startswith("attachment")

    catalogue = client.get("/catalogue", query_string={"accreditation": "accredited"})
    assert d.spec_title in _text(catalogue) and "Provider accredited" in _text(catalogue)
    not_yet = client.get("/catalogue", query_string={"accreditation": "not_accredited"})
    assert d.spec_title not in _text(not_yet)
    spec_page = client.get(f"/catalogue/{d.public_id}").get_data(as_text=True)
    assert f'href="/register/decisions/{d.decision_id}"' in spec_page
    assert "Genuine: this is the current published version" in _text(
        client.get(f"/verify/{d.code}")
    )

    # The same walk as after withdrawal finds it where it should be (the API included).
    surfaces = walk_public_surfaces(app, d)
    for url in (f"/register/decisions/{d.decision_id}", f"/api/v1/decisions/{d.decision_id}"):
        if url in surfaces:
            assert surfaces[url][0] == 200 and MARKER in surfaces[url][1], url
    assert (
        f'href="/register/decisions/{d.decision_id}"' in surfaces[f"/register?q={MARKER[:-1]}"][1]
    )

    # The officer withdraws: a reason is required, and the form keeps what was typed.
    officer = _officer(app, demo)
    url = f"/cases/{d.case_id}/register/withdraw"
    empty = post_form(officer, url, {"reason": "  "}, token_from=url)
    assert empty.status_code == 422 and "Say why" in _text(empty)
    done = post_form(officer, url, {"reason": "Published by mistake"}, token_from=url)
    assert done.status_code == 302
    with app.app_context():
        db = get_session()
        events = {
            e.action: json.loads(e.details)
            for e in db.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()
        }
        assert events["register.withdrawn"]["reason"] == "Published by mistake"
        assert "report.withdrawn" in events
        assert db.get(GeneratedDocument, d.report_id).withdrawn_at is not None

    _assert_nothing_public(app, d, withdrawn=True)
    assert "Withdrawn from the register on" in _text(officer.get(f"/cases/{d.case_id}/decision"))


def test_a_decision_revised_on_appeal_leaves_the_register_until_the_new_one_is_published(
    app: Flask, demo: Any, decided: Decided
) -> None:
    _publish(app, demo, decided)
    with app.app_context():
        db = get_session()
        old = db.get(Decision, decided.decision_id)
        old.status = DecisionStatus.SUPERSEDED
        new = Decision(
            case_id=decided.case_id,
            status=DecisionStatus.CURRENT,
            outcome=Outcome.POSITIVE,
            eqa_status=EqaStatus.VOLUNTARY,
            rationale="Revised on appeal: the condition is lifted.",
            decided_on=utcnow().date(),
            replaces_id=old.id,
        )
        db.add(new)
        db.commit()
        new_id = new.id
        assert queries.published_decision(db, decided.decision_id) is None
    client = app.test_client()
    assert client.get(f"/register/decisions/{decided.decision_id}").status_code == 404
    _publish(app, demo, decided)
    page = _text(client.get(f"/register/decisions/{new_id}"))
    assert "Revised on appeal" in page and "Positive" in page
    provider = _text(client.get(f"/register/providers/{decided.provider_id}"))
    assert CONDITION not in provider


def test_bad_filters_get_a_clear_page(app: Flask, decided: Decided) -> None:
    client = app.test_client()
    for args in (
        {"country": "ZZ"},
        {"provider_type": "pirate"},
        {"decision": "maybe"},
        {"framework": "no-such-framework"},
        {"validity": "forever"},
        {"validity": "expiring", "months": "abc"},
        {"months": "-3"},
        {"q": "x" * 500},
    ):
        response = client.get("/register", query_string=args)
        assert response.status_code == 400, args
        assert "Check the filters" in _text(response), args
    assert client.get("/register?after=abc").status_code == 200
    assert client.get("/register/providers/0").status_code == 404


def _seed(app: Flask, d: Decided, n: int, start: int = 0) -> None:
    """``n`` providers, each with a published, conditional decision on the world's framework
    and specification (rows written directly: the count of them is what matters here)."""
    today = utcnow().date()
    with app.app_context():
        db = get_session()
        for i in range(start, start + n):
            org = Organisation(
                kind=OrgKind.PROVIDER,
                legal_name=f"Bulk provider {i}",
                country="DE",
                provider_type=ProviderType.HEI,
            )
            db.add(org)
            db.flush()
            case = Case(
                reference=f"BULK-{i:04d}",
                provider_id=org.id,
                agency_id=d.agency_id,
                state=CaseState.DECIDED,
                contact_name="Bulk",
                contact_email="bulk@example.org",
            )
            case.frameworks.append(CaseFramework(framework_version_id=d.version_id))
            case.scope.append(CaseScope(specification_id=d.spec_id))
            db.add(case)
            db.flush()
            decision = Decision(
                case_id=case.id,
                status=DecisionStatus.CURRENT,
                outcome=Outcome.CONDITIONAL,
                eqa_status=EqaStatus.VOLUNTARY,
                rationale=f"Bulk decision {i}",
                decided_on=today,
                valid_from=today,
                valid_until=today + dt.timedelta(days=900),
                conditions=[DecisionCondition(text=f"Condition {i}", due_on=today)],
            )
            db.add(decision)
            db.flush()
            db.add(
                RegisterPublication(
                    decision_id=decision.id,
                    summary=decision.rationale,
                    search_text=f"bulk provider {i}\nbulk decision {i}",
                )
            )
        db.commit()


def test_register_queries_do_not_grow_with_rows(
    app: Flask, decided: Decided, count_queries: Any
) -> None:
    client = app.test_client()
    urls = ["/register", "/register?q=bulk&validity=valid", "/catalogue?accreditation=accredited"]

    def counts() -> list[int]:
        result = []
        for url in urls:
            with count_queries() as counter:
                response = client.get(url)
            assert response.status_code == 200
            result.append(counter.count)
        return result

    _seed(app, decided, 3)
    few = counts()
    assert "Bulk provider 2" in _text(client.get("/register"))
    _seed(app, decided, 27, start=3)
    many = counts()
    assert few == many, f"3 decisions: {few} statements, 30: {many}"
    # 30 providers: the first page shows 25 and links the next by keyset.
    first = client.get("/register").get_data(as_text=True)
    match = re.search(r'href="/register\?[^"]*after=(\d+)[^"]*" rel="next"', first)
    assert match, "no next page"
    second = _text(client.get(f"/register?after={match.group(1)}"))
    assert "Bulk provider 29" in second and "Bulk provider 0 " not in second + " "


def test_published_providers_pages_by_keyset(app: Flask, decided: Decided) -> None:
    _seed(app, decided, 7)
    with app.app_context():
        db = get_session()
        filters = queries.RegisterFilters(q="bulk")
        first = queries.published_providers(db, filters, limit=4)
        rest = queries.published_providers(db, filters, after_id=first[-1].id, limit=4)
        names = [p.name for p in first + rest]
        assert names == [f"Bulk provider {i}" for i in range(7)]
        assert all(p.accredited and p.current is not None for p in first + rest)
        found = queries.current_accreditation_for_specs(db, [decided.spec_id])
        assert found[decided.spec_id].outcome == Outcome.CONDITIONAL.value
        assert register.publish_refusal(db, None)


# Each query, and whether it finds the two bulk decisions: its words are searched (all of
# them must occur), and a query without a word lists everything.
HOSTILE = [
    ('"', True),
    ('bulk"', True),
    ("NEAR(bulk provider", False),
    ("bulk*", True),
    ("-bulk", True),
    ('"bulk" AND NOT OR', False),
    ("bulk'; DROP TABLE register_publications; --", False),
    ("%", True),
    ("bulk_%", True),
    ("\\", True),
    ("(((", True),
    ("^bulk", True),
    ("bulk:*", True),
]


@pytest.mark.parametrize(("q", "finds"), HOSTILE)
def test_hostile_search_input_finds_or_finds_nothing_but_never_fails(
    app: Flask, decided: Decided, q: str, finds: bool
) -> None:
    """Quotes, FTS and tsquery operators, LIKE wildcards and SQL: the words in them are
    searched, the rest is not syntax to anyone."""
    _seed(app, decided, 2)
    client = app.test_client()
    page = client.get("/register", query_string={"q": q})
    assert page.status_code == 200, page.status_code
    for path in ("decisions", "providers", "reports"):
        answer = client.get(f"/api/v1/{path}", query_string={"q": q})
        assert answer.status_code == 200, (path, answer.get_json())
        assert isinstance(answer.get_json()["items"], list)
    found = {
        d["summary"] for d in client.get("/api/v1/decisions", query_string={"q": q}).json["items"]
    }
    bulk = {"Bulk decision 0", "Bulk decision 1"}
    assert (bulk <= found) == finds, found
    assert ("Bulk provider 1" in _text(page)) == finds


def test_statements_of_the_same_filter_shape_bind_each_query_s_own_values(
    app: Flask, decided: Decided
) -> None:
    """The register builds a statement once per shape of filters and binds the values:
    two searches of the same shape must not answer each other's question."""
    _seed(app, decided, 3)
    with app.app_context():
        db = get_session()

        def summaries(**filters: Any) -> list[str]:
            found = queries.published_decisions(db, queries.RegisterFilters(**filters))
            return [d.summary for d in found if d.summary.startswith("Bulk")]

        assert summaries(q="bulk decision 1") == ["Bulk decision 1"]
        assert summaries(q="bulk decision 2") == ["Bulk decision 2"]
        assert summaries(country="DE") == [f"Bulk decision {i}" for i in range(3)]
        assert summaries(country="FR") == []
        assert summaries(q="bulk", validity="valid") == [f"Bulk decision {i}" for i in range(3)]
        assert summaries(q="bulk", validity="expired") == []
        first = queries.published_decisions(db, queries.RegisterFilters(q="bulk"), limit=1)
        after = queries.published_decisions(
            db, queries.RegisterFilters(q="bulk"), after_id=first[0].id, limit=5
        )
        assert [d.summary for d in first + after] == [f"Bulk decision {i}" for i in range(3)]


def test_search_reads_the_full_text_index_by_word_prefix(app: Flask, decided: Decided) -> None:
    """Words match as prefixes of whole words, through the index of migration 0018: with
    the SQLite index emptied the same search finds nothing, and PostgreSQL's planner can
    answer the search's expression from its GIN index."""
    _seed(app, decided, 2)
    with app.app_context():
        db = get_session()

        def summaries(q: str) -> list[str]:
            found = queries.published_decisions(db, queries.RegisterFilters(q=q))
            return sorted(d.summary for d in found if d.summary.startswith("Bulk"))

        assert summaries("bul decis") == ["Bulk decision 0", "Bulk decision 1"]
        assert summaries("ulk") == []  # inside a word is not a word prefix
        if db.get_bind().dialect.name == "sqlite":
            db.execute(text("INSERT INTO register_fts(register_fts) VALUES ('delete-all')"))
            assert summaries("bulk") == []
            db.execute(text("INSERT INTO register_fts(register_fts) VALUES ('rebuild')"))
            assert summaries("bulk") == ["Bulk decision 0", "Bulk decision 1"]
        else:
            db.execute(text("SET LOCAL enable_seqscan = off"))
            plan = db.execute(
                text(
                    "EXPLAIN SELECT id FROM register_publications WHERE "
                    "to_tsvector('simple', search_text) @@ to_tsquery('simple', 'bulk:*')"
                )
            ).scalars()
            assert "ix_register_publications_search" in "\n".join(plan)
        db.rollback()


def test_a_search_on_sqlite_never_probes_publications_once_per_match(
    app: Flask, decided: Decided
) -> None:
    """SQLite would otherwise look each full-text match up in the (decision, id) index for
    every decision, so a word found in every publication took seconds at 5,000 decisions
    (tests/benchmarks/bench_register.py): the plan of each statement of a search page checks
    the decisions against the list of matches instead."""
    _seed(app, decided, 2)
    engine = app.extensions["qaportal.engine"]
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's planner only")
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_a: Any) -> None:
        if "register_fts" in statement:
            statements.append((statement, params))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        assert app.test_client().get("/register?q=bulk").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert statements
    with engine.connect() as conn:
        for statement, params in statements:
            plan = [
                row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
            ]
            probes = [
                step for step in plan if "register_publications" in step and "rowid=?" in step
            ]
            assert probes == [], plan


def test_a_nul_byte_in_the_search_is_a_clear_refusal_not_an_error(
    app: Flask, decided: Decided
) -> None:
    client = app.test_client()
    page = client.get("/register", query_string={"q": "bulk\x00"})
    assert page.status_code == 400 and "Check the filters" in _text(page)
    answer = client.get("/api/v1/decisions", query_string={"q": "bulk\x00"})
    assert answer.status_code in (200, 400), answer.status_code
    assert answer.is_json
