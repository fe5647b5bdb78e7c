"""Deep catalogue pages by keyset, and the facet counts and totals kept under the public
version: a "Next" link carries the last entry's id, so page 40 costs what page 2 does; the
counts and the total are computed once per publication, not on every page view."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from sqlalchemy import event, select

from qaportal.audit.services import Actor
from qaportal.catalogue import services as catalogue
from qaportal.catalogue.cli import generate_catalogue
from qaportal.catalogue.models import Specification
from qaportal.db import get_session
from tests.catalogue_kit import complete_data, make_spec

RESULT_TITLE = re.compile(r'<h3><a href="/catalogue/[^"]+">([^<]+)</a></h3>')
NEXT_LINK = re.compile(r'<a href="([^"]+)" rel="next">')


def _titles(body: str) -> list[str]:
    return [html.unescape(t) for t in RESULT_TITLE.findall(body)]


class Statements:
    """The SQL text of every statement run inside the block."""

    def __init__(self, engine: Any) -> None:
        self.engine, self.sql, self.params = engine, [], []

    def _seen(self, _conn: Any, _cursor: Any, statement: str, params: Any, *_args: Any) -> None:
        self.sql.append(statement)
        self.params.append(params)

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


@pytest.fixture
def big_catalogue(app: Any, demo: Any) -> int:
    with app.app_context():
        db = get_session()
        generate_catalogue(db, providers=4, specs=75, seed=3)
        db.commit()
    return 81  # with the demo's six


def test_next_links_walk_the_whole_catalogue_by_keyset(app, client, big_catalogue):
    by_offset: list[str] = []
    for number in range(1, 6):
        by_offset += _titles(client.get(f"/catalogue?page={number}").get_data(as_text=True))
    assert len(by_offset) == big_catalogue  # some titles repeat: the id breaks the tie

    walked: list[str] = []
    url: str | None = "/catalogue"
    engine = app.extensions["qaportal.engine"]
    while url:
        with Statements(engine) as seen:
            body = client.get(url).get_data(as_text=True)
        walked += _titles(body)
        if "after=" in url:
            rows = [
                (sql, params)
                for sql, params in zip(seen.sql, seen.params, strict=True)
                if "catalogue_entries.title >=" in sql
            ]
            assert rows, "a page reached by a Next link is read by keyset"
            for sql, params in rows:  # SQLite's dialect writes "OFFSET ?" with 0
                assert "OFFSET" not in sql.upper() or list(params)[-1] == 0, (sql, params)
        found = NEXT_LINK.search(body)
        url = html.unescape(found.group(1)) if found else None
        if url:
            assert "after=" in url
    assert walked == by_offset


def test_the_next_link_keeps_the_filters_and_a_bad_cursor_falls_back(client, big_catalogue):
    body = client.get("/catalogue?form=online").get_data(as_text=True)
    found = NEXT_LINK.search(body)
    if found:  # enough online entries for a second page
        assert "form=online" in html.unescape(found.group(1))
    first_page_two = _titles(client.get("/catalogue?page=2").get_data(as_text=True))
    for cursor in ("999999999", "abc", "-1", "１２"):
        response = client.get(f"/catalogue?page=2&after={cursor}")
        assert response.status_code == 200
        assert _titles(response.get_data(as_text=True)) == first_page_two, cursor


def test_a_ranked_search_pages_by_number(client, big_catalogue):
    body = client.get("/catalogue?q=data").get_data(as_text=True)
    found = NEXT_LINK.search(body)
    if found:
        assert "after=" not in found.group(1)


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "CACHE_TYPE": "SimpleCache"}


def test_counts_and_total_are_computed_once_per_publication(app, client, demo, count_queries):
    # Each address below differs, so the page cache never answers: only the figures' cache.
    client.get("/catalogue?language=en")
    engine = app.extensions["qaportal.engine"]
    with Statements(engine) as seen:
        body = client.get("/catalogue?language=en&eqf=").get_data(as_text=True)
    assert "micro-credentials found" in body
    grouped = [s for s in seen.sql if "GROUP BY" in s.upper()]
    counted = [s for s in seen.sql if "count(" in s.lower()]
    assert not grouped, "facet counts come from the cache"
    assert not counted, "the total comes from the cache"

    before = re.search(r"(\d+) micro-credentials found", body).group(1)
    spec_id, _public = make_spec(app, "UDV", complete_data(title="Counted After Publishing"))
    after = client.get("/catalogue?language=en&eqf=&x=1").get_data(as_text=True)
    assert "Counted After Publishing" in after
    assert int(re.search(r"(\d+) micro-credentials found", after).group(1)) == int(before) + 1

    with app.app_context():
        db = get_session()
        catalogue.retire(db, db.get(Specification, spec_id), Actor.system("test"))
        db.commit()
        assert db.scalars(select(Specification).where(Specification.id == spec_id)).one()
    retired = client.get("/catalogue?language=en&eqf=&x=2").get_data(as_text=True)
    assert int(re.search(r"(\d+) micro-credentials found", retired).group(1)) == int(before)
