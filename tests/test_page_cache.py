"""Public pages are cached (server side, keyed by the public version; and by browsers and
proxies, through ETag and Cache-Control) without ever serving one visitor's page to another
or an unpublished object to the public: publishing and withdrawing show at once, a signed-in
user neither reads nor fills the cache, the language and the query string are part of the
key, and no cached page carries a CSRF token."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from qaportal.audit.services import Actor
from qaportal.catalogue import services as catalogue
from qaportal.catalogue.models import Specification
from qaportal.db import get_session
from qaportal.web import cache as page_cache
from tests.catalogue_kit import complete_data, make_spec
from tests.conftest import login, post_form
from tests.test_register import MARKER, OFFICER, Decided, _publish, decide_case

PROVIDER_ADMIN = "admin@university.example.org"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "RATELIMIT_ENABLED": False, "CACHE_TYPE": None}  # the default store


def _get(client: Any, url: str, **headers: str) -> Any:
    return client.get(url, headers=headers)


def _retire(app: Flask, spec_id: int) -> None:
    with app.app_context():
        db = get_session()
        catalogue.retire(db, db.get(Specification, spec_id), Actor.system("test"))
        db.commit()


def test_a_warm_public_page_costs_no_sql(app, demo, count_queries):
    make_spec(app, "UDV", complete_data(title="Warm Cache Spec"))
    client = app.test_client()
    cold = client.get("/catalogue")
    assert cold.status_code == 200 and "Warm Cache Spec" in cold.get_data(as_text=True)
    with count_queries() as counter:
        warm = client.get("/catalogue")
    assert warm.get_data() == cold.get_data()
    assert counter.count == 0, f"{counter.count} statements for a cached page"


def test_publishing_and_retiring_show_at_once_on_the_cached_list_and_detail(app, demo):
    client = app.test_client()
    assert "Fresh Cache Spec" not in client.get("/catalogue").get_data(as_text=True)
    spec_id, public_id = make_spec(app, "UDV", complete_data(title="Fresh Cache Spec"))
    assert "Fresh Cache Spec" in client.get("/catalogue").get_data(as_text=True)
    detail = client.get(f"/catalogue/{public_id}")
    assert detail.status_code == 200 and "Fresh Cache Spec" in detail.get_data(as_text=True)
    client.get(f"/catalogue/{public_id}")  # now cached
    _retire(app, spec_id)
    assert "Fresh Cache Spec" not in client.get("/catalogue").get_data(as_text=True)
    assert client.get(f"/catalogue/{public_id}").status_code == 404
    providers = client.get(f"/providers/{_udv(app)}/catalogue").get_data(as_text=True)
    assert "Fresh Cache Spec" not in providers


def test_generated_scale_data_shows_at_once_in_the_kept_totals(app, demo):
    """``qaportal catalogue generate`` publishes in bulk; the totals kept under the public
    version followed it only when something else bumped the version (the demo showed "6
    micro-credentials found" above a list of 20 and no pager)."""
    from qaportal.catalogue.cli import generate_catalogue

    client = app.test_client()
    before = int(_FOUND.search(client.get("/catalogue?x=1").get_data(as_text=True))[1])
    with app.app_context():
        db = get_session()
        generate_catalogue(db, providers=3, specs=45, seed=11)
        db.commit()
    after = client.get("/catalogue?x=2").get_data(as_text=True)
    assert int(_FOUND.search(after)[1]) == before + 45
    assert 'class="pagination"' in after


_FOUND = re.compile(r"(\d+) micro-credentials? found")


def _udv(app: Flask) -> int:
    from qaportal.orgs.models import Organisation

    with app.app_context():
        return (
            get_session()
            .execute(select(Organisation.id).where(Organisation.acronym == "UDV"))
            .scalar_one()
        )


def test_register_publication_and_withdrawal_show_at_once(app, demo):
    d: Decided = decide_case(app)
    client = app.test_client()
    surfaces = [
        "/register",
        f"/register?q={MARKER[:-1]}",
        f"/register/providers/{d.provider_id}",
        f"/register/decisions/{d.decision_id}",
    ]
    before = {url: client.get(url) for url in surfaces}  # fills the cache where it may
    assert before[f"/register/decisions/{d.decision_id}"].status_code == 404
    _publish(app, demo, d)
    published = {url: client.get(url) for url in surfaces}
    assert published[f"/register/decisions/{d.decision_id}"].status_code == 200
    assert MARKER in published[f"/register/decisions/{d.decision_id}"].get_data(as_text=True)
    assert f"/register/decisions/{d.decision_id}" in published["/register"].get_data(as_text=True)
    for url in surfaces:  # cached now: the second read is the cache's
        assert client.get(url).get_data() == published[url].get_data()
    officer = app.test_client()
    login(officer, OFFICER, demo.password)
    url = f"/cases/{d.case_id}/register/withdraw"
    assert (
        post_form(officer, url, {"reason": "Published by mistake"}, token_from=url).status_code
        == 302
    )
    for page in surfaces:
        response = client.get(page)
        body = response.get_data(as_text=True)
        assert MARKER not in body, page
        assert f"/register/decisions/{d.decision_id}" not in re.sub(
            r'name="next" value="[^"]*"', "", body
        ), page
    assert client.get(f"/register/decisions/{d.decision_id}").status_code == 404
    assert client.get(f"/register/providers/{d.provider_id}").status_code == 404


def test_a_signed_in_user_never_reads_nor_fills_the_cache(app, demo, count_queries):
    make_spec(app, "UDV", complete_data(title="Personal Cache Spec"))
    anonymous = app.test_client()
    anonymous.get("/catalogue")  # cached for the anonymous
    member = app.test_client()
    login(member, PROVIDER_ADMIN, demo.password)
    with count_queries() as counter:
        response = member.get("/catalogue")
    page = response.get_data(as_text=True)
    assert counter.count > 0  # rendered for them, not read from the cache
    assert "Sign out" in page and "public" not in response.headers["Cache-Control"]
    assert response.headers["Cache-Control"] == "no-store"
    # Their pages fill nothing either: an address first opened by a member is rendered
    # afresh for the next anonymous visitor.
    member.get("/catalogue?q=personal")
    fresh = anonymous.get("/catalogue?q=personal").get_data(as_text=True)
    assert "Sign out" not in fresh and "Personal Cache Spec" in fresh
    assert "Sign out" not in anonymous.get("/catalogue").get_data(as_text=True)


def test_etag_and_cache_control_answer_304(app, demo):
    make_spec(app, "UDV", complete_data(title="Etag Spec"))
    client = app.test_client()
    first = client.get("/catalogue")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    assert "must-revalidate" in first.headers["Cache-Control"]
    assert {"Accept-Language", "Cookie"} <= {v.strip() for v in first.headers["Vary"].split(",")}
    again = _get(client, "/catalogue", **{"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    # Publishing changes the page, so the old tag no longer matches.
    make_spec(app, "UDV", complete_data(title="Etag Spec Two"))
    changed = _get(client, "/catalogue", **{"If-None-Match": etag})
    assert changed.status_code == 200 and "Etag Spec Two" in changed.get_data(as_text=True)
    assert changed.headers["ETag"] != etag


def test_the_language_and_the_query_string_are_part_of_the_key(app, demo):
    make_spec(app, "UDV", complete_data(title="Language Cache Spec"))
    french = app.test_client()
    page = _get(french, "/catalogue", **{"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="fr">' in page
    english = app.test_client()
    page = _get(english, "/catalogue", **{"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="en">' in page
    # The switcher of a cached page (a GET, no token) sets the visitor's own language only.
    switched = app.test_client()
    switched.get("/language?language=de&next=/catalogue")
    assert '<html lang="de">' in switched.get("/catalogue").get_data(as_text=True)
    assert '<html lang="en">' in english.get("/catalogue").get_data(as_text=True)
    searched = english.get("/catalogue?q=nothing-matches-this").get_data(as_text=True)
    assert "Language Cache Spec" not in searched
    assert "Language Cache Spec" in english.get("/catalogue").get_data(as_text=True)


def test_cached_pages_carry_no_csrf_token_and_set_no_cookie(app, demo):
    _spec_id, public_id = make_spec(app, "UDV", complete_data(title="Token Spec"))
    client = app.test_client()
    for url in ("/catalogue", f"/catalogue/{public_id}", "/register"):
        for _ in range(2):  # rendered, then from the cache
            response = client.get(url)
            assert response.status_code == 200, url
            assert "csrf_token" not in response.get_data(as_text=True), url
            assert "Set-Cookie" not in response.headers, url
            assert response.headers["Cache-Control"].startswith("public"), url


def test_the_version_changes_only_when_the_transaction_commits(app):
    with app.test_request_context():
        db = get_session()
        start = page_cache.public_version()
        page_cache.public_content_changed(db)
        db.rollback()
        assert page_cache.public_version() == start
        page_cache.public_content_changed(db)
        assert page_cache.public_version() == start  # not before the commit
        db.commit()
        assert page_cache.public_version() != start


def test_api_lists_are_kept_until_a_publication_a_withdrawal_or_the_next_day(
    app, demo, count_queries, monkeypatch
):
    import datetime as dt

    from qaportal.api import http as api_http

    make_spec(app, "UDV", complete_data(title="Api Cache Spec One"))
    make_spec(app, "UDV", complete_data(title="Api Cache Spec Two"))
    d: Decided = decide_case(app)
    client = app.test_client()
    lists = ["/api/v1/decisions", "/api/v1/providers", "/api/v1/reports?limit=5"]
    assert all(client.get(url).get_json()["items"] == [] for url in lists)  # kept, empty

    _publish(app, demo, d)
    first = {url: client.get(url) for url in lists}
    assert [item["id"] for item in first["/api/v1/decisions"].get_json()["items"]] == [
        d.decision_id
    ]
    page = client.get("/api/v1/specifications?limit=1")
    assert page.headers["Link"].endswith('; rel="next"')
    with count_queries() as counter:
        again = client.get("/api/v1/specifications?limit=1")
        for url in lists:
            assert client.get(url).get_data() == first[url].get_data()
    assert counter.count == 0, f"{counter.count} statements for kept answers"
    assert again.get_data() == page.get_data()
    for header in ("ETag", "Link", "Cache-Control", "Access-Control-Allow-Origin"):
        assert again.headers[header] == page.headers[header], header

    etag = first["/api/v1/decisions"].headers["ETag"]
    assert _get(client, "/api/v1/decisions", **{"If-None-Match": etag}).status_code == 304
    garbage = _get(client, "/api/v1/decisions", **{"If-None-Match": "garbage"})
    assert garbage.status_code == 400 and garbage.get_json()["error"]["code"] == "invalid_header"

    officer = app.test_client()
    login(officer, OFFICER, demo.password)
    url = f"/cases/{d.case_id}/register/withdraw"
    assert post_form(officer, url, {"reason": "By mistake"}, token_from=url).status_code == 302
    assert all(client.get(url).get_json()["items"] == [] for url in lists)

    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    monkeypatch.setattr(api_http, "utcnow", lambda: tomorrow)
    with count_queries() as counter:
        client.get("/api/v1/specifications?limit=1")
    assert counter.count > 0, "yesterday's answer served the next day"

    # An answer larger than the bound is served but never kept.
    monkeypatch.setattr(api_http, "MAX_KEPT_BYTES", len(page.get_data()) - 1)
    client.get("/api/v1/specifications?limit=1&q=")
    with count_queries() as counter:
        client.get("/api/v1/specifications?limit=1&q=")
    assert counter.count > 0, "an answer over the bound was kept"
