"""The public specification page and a provider's public catalogue page, read through
prebuilt statements and plain rows: a provider's page pages exactly as the catalogue search
does (keyset "Next" links included), the statements stay few, the Annex I part kept per
language and version follows every publication, and the accreditation shown follows the
register, day by day."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from qaportal import create_app
from qaportal.audit.services import Actor
from qaportal.catalogue import public_reads, search
from qaportal.catalogue import services as catalogue
from qaportal.catalogue.cli import generate_catalogue
from qaportal.catalogue.models import CatalogueEntry, Specification
from qaportal.catalogue.services import OutcomeData, SpecificationData
from qaportal.db import get_session
from qaportal.decisions.models import Decision
from qaportal.demo import seed_demo
from qaportal.orgs.models import Organisation
from qaportal.register import queries as register_queries
from tests.catalogue_kit import complete_data, make_spec
from tests.conftest import empty_database
from tests.test_register import _publish, decide_case


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "RATELIMIT_ENABLED": False}


def _generated_provider(app: Flask, specs: int) -> int:
    """A generated provider holding every one of ``specs`` published specifications."""
    with app.app_context():
        db = get_session()
        generate_catalogue(db, 1, specs, seed=5)
        db.commit()
        return db.execute(
            select(Specification.provider_id).order_by(Specification.id.desc()).limit(1)
        ).scalar_one()


def _summary(page: search.SearchPage) -> tuple[Any, ...]:
    return (
        page.number,
        page.total,
        [(e.id, e.public_id, e.title, e.ects, e.hours, e.eqf_level) for e in page.items],
        [str(e.participation_form) for e in page.items],
        page.facets,
        page.accreditation,
        page.next_args,
    )


def test_a_providers_page_pages_like_the_catalogue_search(app, demo):
    provider_id = _generated_provider(app, 45)
    with app.test_request_context():
        db = get_session()
        provider = public_reads.provider(db, provider_id)
        assert provider is not None and provider.accreditation == "not_accredited"
        first = search.search(db, search.SearchQuery(provider_id=provider_id))
        cursors = [None, first.items[-1].id, first.items[5].id, 10**8]
        for number in (0, 1, 2, 3, 4, 99):
            for after in cursors:
                expected = search.search(
                    db, search.SearchQuery(provider_id=provider_id, page=number, after_id=after)
                )
                found = search.provider_page(
                    db, provider, provider.accreditation, page=number, after_id=after
                )
                assert _summary(found) == _summary(expected), (number, after)


def test_next_links_walk_a_providers_whole_catalogue_once(app, demo):
    provider_id = _generated_provider(app, 45)
    with app.app_context():
        expected = [
            title
            for (title,) in get_session().execute(
                select(CatalogueEntry.title)
                .where(CatalogueEntry.provider_id == provider_id)
                .order_by(CatalogueEntry.title, CatalogueEntry.id)
            )
        ]
    client = app.test_client()
    url: str | None = f"/providers/{provider_id}/catalogue"
    titles: list[str] = []
    while url:
        body = client.get(url).get_data(as_text=True)
        assert "45 published micro-credentials" in body
        titles += re.findall(r'<h3><a href="/catalogue/[^"]+">([^<]+)</a></h3>', body)
        found = re.search(r'<a href="([^"]+)" rel="next">', body)
        url = found.group(1).replace("&amp;", "&") if found else None
        assert url is None or "after=" in url
    assert titles == expected and len(titles) == 45


def test_the_pages_statements_stay_few(app, demo, count_queries):
    _spec_id, public_id = make_spec(app, "UDV", complete_data(title="Counted Spec"))
    provider_id = _generated_provider(app, 25)
    client = app.test_client()
    # Tests run without a cache: the Annex I part is rendered (its outcomes read) each time.
    with count_queries() as counter:
        body = client.get(f"/catalogue/{public_id}").get_data(as_text=True)
    assert "Counted Spec" in body and "Identify common phishing attacks" in body
    assert counter.count == 2  # the version with its provider's status; its outcomes
    with count_queries() as counter:
        body = client.get(f"/providers/{provider_id}/catalogue?page=2").get_data(as_text=True)
    assert body.count('<li class="result">') == 5
    assert counter.count == 4  # the provider with its status; the total; the rows; facets


def test_the_kept_annex_part_follows_each_publication(app_config):
    app = create_app({**app_config, "CACHE_TYPE": "SimpleCache"})
    empty_database(app.extensions["qaportal.engine"])
    with app.app_context():
        seed_demo()
    spec_id, public_id = make_spec(app, "UDV", complete_data(title="Kept Spec"))
    client = app.test_client()
    url = f"/catalogue/{public_id}"
    for n in range(2):  # distinct addresses: the page cache never answers, the part is kept
        body = client.get(f"{url}?n={n}", headers={"Accept-Language": "de"}).get_data(as_text=True)
        assert "Identify common phishing attacks" in body and "Lernergebnisse" in body
    english = client.get(f"{url}?n=en").get_data(as_text=True)
    assert "Learning outcomes" in english and "Lernergebnisse" not in english

    with app.app_context():
        db = get_session()
        spec = db.get(Specification, spec_id)
        draft = catalogue.new_version(db, spec, Actor.system("test"))
        data: SpecificationData = complete_data(
            title="Kept Spec, revised", outcomes=[OutcomeData("Write a <b>revised</b> outcome")]
        )
        catalogue.save_draft(
            db, draft, data, Actor.system("test"), expected_lock_version=draft.lock_version
        )
        catalogue.publish(db, draft, Actor.system("test"))
        db.commit()
    body = client.get(f"{url}?n=2").get_data(as_text=True)
    assert "Write a &lt;b&gt;revised&lt;/b&gt; outcome" in body
    assert "Identify common phishing attacks" not in body
    assert "Version 2, published on" in body

    with app.app_context():
        db = get_session()
        catalogue.retire(db, db.get(Specification, spec_id), Actor.system("test"))
        db.commit()
    assert client.get(f"{url}?n=3").status_code == 404
    app.extensions["qaportal.engine"].dispose()


def test_the_accreditation_shown_follows_the_register_day_by_day(app, demo, monkeypatch):
    decided = decide_case(app)
    client = app.test_client()
    detail, provider_page = f"/catalogue/{decided.public_id}", "/providers/"
    provider_page += f"{decided.provider_id}/catalogue"
    assert "Provider not yet accredited" in client.get(detail).get_data(as_text=True)
    _publish(app, demo, decided)
    body = client.get(detail).get_data(as_text=True)
    assert "Provider accredited" in body and "Offered under the accreditation" in body
    assert f'href="/register/decisions/{decided.decision_id}"' in body
    assert ">Accredited</a>" in client.get(provider_page).get_data(as_text=True)

    today = dt.datetime.now(dt.UTC).date()
    with app.app_context():
        db = get_session()
        db.execute(
            update(Decision).where(Decision.id == decided.decision_id).values(valid_until=today)
        )
        db.commit()
    assert "Provider accredited" in client.get(detail).get_data(as_text=True)

    # The next day the decision has expired: the statements bound to today are not reused.
    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    monkeypatch.setattr(public_reads, "utcnow", lambda: tomorrow)
    monkeypatch.setattr(register_queries, "utcnow", lambda: tomorrow)
    body = client.get(detail).get_data(as_text=True)
    assert "Provider not yet accredited" in body and "Offered under" not in body
    assert "Not yet accredited" in client.get(provider_page).get_data(as_text=True)


def test_an_agency_or_an_unknown_id_has_no_public_catalogue(app, demo):
    with app.app_context():
        agency_id = (
            get_session()
            .execute(select(Organisation.id).where(Organisation.acronym == "DAQA"))
            .scalar_one()
        )
    client = app.test_client()
    assert client.get(f"/providers/{agency_id}/catalogue").status_code == 404
    assert client.get("/providers/987654/catalogue").status_code == 404
