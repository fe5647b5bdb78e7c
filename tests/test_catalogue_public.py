"""The public catalogue: no login, published versions only, full-text search, filters,
pagination, detail pages, and a constant number of SQL queries per page."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from qaportal.audit.services import Actor
from qaportal.catalogue import services
from qaportal.catalogue.cli import generate_catalogue
from qaportal.catalogue.models import CatalogueEntry, Specification
from qaportal.catalogue.services import OutcomeData
from qaportal.db import get_session
from tests.catalogue_kit import complete_data, make_spec, org_id

DEMO_PUBLISHED = {
    "Data Literacy for Public Administration",
    "Sustainable Supply Chain Management",
    "Research Data Management Essentials",
    "Heat Pump Installation and Maintenance",
    "Welding Safety Certificate (MIG/MAG)",
    "Digital Skills for Care Workers",
}
DEMO_DRAFTS = {"Machine Learning for Engineers", "Electric Vehicle Battery Handling"}


def _titles(body: str) -> set[str]:
    return {
        re.sub(r"&#39;", "'", t)
        for t in re.findall(r'<h3><a href="/catalogue/[^"]+">([^<]+)</a></h3>', body)
    }


def test_catalogue_is_public_and_shows_only_published(client, demo):
    response = client.get("/catalogue")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert _titles(body) == DEMO_PUBLISHED
    assert "6 micro-credentials found" in body
    for draft in DEMO_DRAFTS:
        assert draft not in body
    assert "Provider not yet accredited" in body


def test_a_draft_has_no_public_page(app, client, demo):
    spec_id, public_id = make_spec(app, "UDV", complete_data(title="Secret Draft"), publish=False)
    assert client.get(f"/catalogue/{public_id}").status_code == 404
    assert client.get("/catalogue/not-a-real-id").status_code == 404
    assert "Secret Draft" not in client.get("/catalogue?q=secret").get_data(as_text=True)
    # A new draft of a published specification stays private; the public page keeps v1.
    spec_id, public_id = make_spec(app, "UDV", complete_data(title="Public Version One"))
    with app.app_context():
        db = get_session()
        spec = services.load_specification(db, spec_id)
        draft = services.new_version(db, spec, Actor.system("t"))
        data = services.SpecificationData.from_version(draft)
        data.title = "Unpublished Version Two"
        services.save_draft(db, draft, data, Actor.system("t"))
        db.commit()
    page = client.get(f"/catalogue/{public_id}").get_data(as_text=True)
    assert "Public Version One" in page and "Unpublished Version Two" not in page
    assert "Unpublished" not in client.get("/catalogue?q=unpublished").get_data(as_text=True)


def test_detail_page_shows_the_annex_i_elements(client, demo, app):
    with app.app_context():
        public_id = (
            get_session()
            .execute(
                select(CatalogueEntry.public_id).where(
                    CatalogueEntry.title == "Heat Pump Installation and Maintenance"
                )
            )
            .scalar_one()
        )
    body = client.get(f"/catalogue/{public_id}").get_data(as_text=True)
    assert "Nordic Vocational Training Centre" in body
    assert "Commission and adjust a heat pump system" in body
    assert "EQF level 4" in body
    assert "160 hours" in body
    assert "Work-based" in body
    assert "Uusimaa (FI-18)" in body or "FI-18" in body
    assert "recorded on each issued credential, not part of the specification" in body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=heat+pump", {"Heat Pump Installation and Maintenance"}),
        ("q=spreadsheets", {"Data Literacy for Public Administration"}),  # an outcome word
        ("q=weld", {"Welding Safety Certificate (MIG/MAG)"}),  # prefix
        ("q=SUPPLY+chain", {"Sustainable Supply Chain Management"}),
        ("q=nonexistentword", set()),
        ("q=%22%29+OR+*", set()),  # FTS syntax is not passed through
        ("country=FI", {t for t in DEMO_PUBLISHED if t.startswith(("Heat", "Weld", "Digital"))}),
        ("eqf=4", {"Heat Pump Installation and Maintenance"}),
        (
            "ects_min=3",
            {"Data Literacy for Public Administration", "Sustainable Supply Chain Management"},
        ),
        (
            "ects_min=2&ects_max=2",
            {"Research Data Management Essentials", "Digital Skills for Care Workers"},
        ),
        (
            "form=blended",
            {"Sustainable Supply Chain Management", "Digital Skills for Care Workers"},
        ),
        ("language=sv", {"Heat Pump Installation and Maintenance"}),
        (
            "provider_type=vet",
            {t for t in DEMO_PUBLISHED if t.startswith(("Heat", "Weld", "Digital"))},
        ),
        ("accreditation=accredited", set()),
        ("accreditation=not_accredited", DEMO_PUBLISHED),
        (
            "q=data&country=DE",
            {
                "Data Literacy for Public Administration",
                "Research Data Management Essentials",
                "Sustainable Supply Chain Management",  # "life-cycle data" in an outcome
            },
        ),
    ],
)
def test_search_and_filters(client, demo, query, expected):
    response = client.get(f"/catalogue?{query}")
    assert response.status_code == 200
    assert _titles(response.get_data(as_text=True)) == expected


def test_filters_are_kept_in_the_form(client, demo):
    body = client.get(
        "/catalogue?q=data&country=DE&eqf=6&ects_min=1&ects_max=10&form=online&language=en"
        "&provider_type=hei&accreditation=not_accredited"
    ).get_data(as_text=True)
    assert 'value="data"' in body
    assert '<option selected value="DE">' in body or 'value="DE" selected' in body
    for name, value in (
        ("eqf", "6"),
        ("form", "online"),
        ("language", "en"),
        ("provider_type", "hei"),
    ):
        select_html = re.search(
            rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', body, re.S
        ).group(1)
        assert re.search(
            rf'<option selected value="{value}"|<option value="{value}" selected', select_html
        )
    assert 'value="1"' in body and 'value="10"' in body
    assert "<legend>Filters</legend>" in body
    assert '<label for="country">' in body


def test_bad_filter_values_get_a_message_not_an_error(client, demo):
    response = client.get("/catalogue?ects_min=lots&eqf=99&form=teleport")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Enter a number, e.g. 5." in body
    assert _titles(body) == DEMO_PUBLISHED


def test_pagination(app, client, demo):
    with app.app_context():
        db = get_session()
        generate_catalogue(db, providers=3, specs=45, seed=11)
        db.commit()
    first = client.get("/catalogue").get_data(as_text=True)
    assert "51 micro-credentials found" in first
    assert "Page 1 of 3" in first
    assert len(_titles(first)) <= 20
    third = client.get("/catalogue?page=3").get_data(as_text=True)
    assert "Page 3 of 3" in third
    assert len(re.findall(r'<li class="result">', third)) == 11
    beyond = client.get("/catalogue?page=99").get_data(as_text=True)
    assert "Page 3 of 3" in beyond
    # Filters travel with the page links.
    filtered = client.get("/catalogue?form=online&page=1").get_data(as_text=True)
    if "Page 1 of" in filtered and 'rel="next"' in filtered:
        assert re.search(r'href="/catalogue\?[^"]*form=online[^"]*" rel="next"', filtered)


def test_provider_public_page(app, client, demo):
    nvtc = org_id(app, "NVTC")
    body = client.get(f"/providers/{nvtc}/catalogue").get_data(as_text=True)
    assert _titles(body) == {t for t in DEMO_PUBLISHED if t.startswith(("Heat", "Weld", "Digital"))}
    assert "Electric Vehicle Battery Handling" not in body
    with app.app_context():
        agency_id = get_session().execute(select(Specification.provider_id).limit(1)).scalar_one()
    assert agency_id
    assert client.get("/providers/999999/catalogue").status_code == 404


def test_agency_is_not_a_provider_catalogue(app, client, demo):
    from qaportal.orgs.models import Organisation, OrgKind

    with app.app_context():
        agency = (
            get_session()
            .execute(select(Organisation.id).where(Organisation.kind == OrgKind.AGENCY))
            .scalar_one()
        )
    assert client.get(f"/providers/{agency}/catalogue").status_code == 404


# ----- queries per page --------------------------------------------------------------------


def _queries(count_queries, client, url: str) -> int:
    client.get(url)  # warm-up: first-request work is not the page's
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count


def test_list_page_query_count_does_not_grow_with_rows(app, client, demo, count_queries):
    few = _queries(count_queries, client, "/catalogue?country=FI")  # 3 rows
    with app.app_context():
        db = get_session()
        generate_catalogue(db, providers=10, specs=60, seed=5)
        db.commit()
    many = _queries(count_queries, client, "/catalogue")  # 20 rows
    searched = _queries(count_queries, client, "/catalogue?q=data&page=2")
    assert few == many == searched, (few, many, searched)
    assert many <= 6


def test_detail_page_query_count_does_not_grow_with_outcomes(app, client, demo, count_queries):
    _, small = make_spec(app, "UDV", complete_data(title="Two Outcomes"))
    outcomes = [
        OutcomeData(f"Explain concept number {i} of the course to a colleague") for i in range(15)
    ]
    _, large = make_spec(
        app,
        "UDV",
        complete_data(title="Fifteen Outcomes", outcomes=outcomes, ects=Decimal("5"), hours=140),
    )
    a = _queries(count_queries, client, f"/catalogue/{small}")
    b = _queries(count_queries, client, f"/catalogue/{large}")
    assert a == b <= 4


def test_provider_list_page_query_count_is_constant(app, client, demo, count_queries):
    from tests.catalogue_kit import UDV_EDITOR
    from tests.conftest import login

    udv = org_id(app, "UDV")
    login(client, UDV_EDITOR, demo.password)
    before = _queries(count_queries, client, f"/orgs/{udv}/catalogue")
    for i in range(6):
        make_spec(app, "UDV", complete_data(title=f"Extra {i}"), publish=i % 2 == 0)
    after = _queries(count_queries, client, f"/orgs/{udv}/catalogue")
    assert before == after
