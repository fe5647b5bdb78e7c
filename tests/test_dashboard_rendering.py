"""The dashboard's shortcuts print what the long way printed: the work lists' constants
written into their SQL find the same rows, the status tags and headings made once per
language are what the template would print, translations and dates kept across requests
follow each request's language, and addresses built from one pattern are url_for's."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import render_template_string, url_for
from flask_babel import format_date, lazy_gettext
from sqlalchemy import bindparam, select
from sqlalchemy import case as sql_case
from sqlalchemy.dialects import postgresql, sqlite

from qaportal.cases.models import Case, CaseState
from qaportal.db import get_session
from qaportal.web.dashboard import STATUSES, WORDS, fixed_html
from qaportal.web.worklist import Formats, Texts, _written_in
from tests.test_dashboard_queries import seed_cases

LANGUAGES = ("en", "de", "fr")


def _work() -> Any:
    """A work list's shape: an IN list and an equality of states, numbers in a CASE, and
    the request's value as a named parameter."""
    return (
        select(
            Case.id,
            Case.state,
            sql_case((Case.state == CaseState.IN_REVIEW, 1), else_=0).label("reviewing"),
        )
        .where(
            Case.agency_id == bindparam("agency_id"),
            Case.state.in_([CaseState.SUBMITTED, CaseState.IN_REVIEW]),
            Case.state != CaseState.CLOSED,
        )
        .order_by(Case.id)
    )


def test_constants_written_into_the_sql_find_the_same_rows(app: Any, demo: Any) -> None:
    with app.app_context():
        db = get_session()
        seed_cases(db, 30, prefix="RND")
        agency = db.execute(select(Case.agency_id).limit(1)).scalar_one()
        statement = _work()
        written = _written_in(statement)
        before = db.execute(statement, {"agency_id": agency}).all()
        after = db.execute(written, {"agency_id": agency}).all()
    assert before == after
    assert {state for _id, state, _r in after} == {CaseState.SUBMITTED, CaseState.IN_REVIEW}
    assert all(r == (state == CaseState.IN_REVIEW) for _id, state, r in after)
    for dialect in (sqlite.dialect(), postgresql.psycopg.dialect()):
        compiled = written.compile(dialect=dialect)
        assert set(compiled.params) == {"agency_id"}, dialect.name
        assert "POSTCOMPILE" not in compiled.string
        assert "IN ('submitted', 'in_review')" in compiled.string
        assert "!= 'closed'" in compiled.string


@pytest.mark.parametrize("language", LANGUAGES)
def test_fixed_html_is_what_the_template_prints(app: Any, language: str) -> None:
    with app.test_request_context("/", headers={"Accept-Language": language}):
        fixed = fixed_html()
        for key, (word, tone) in STATUSES.items():
            expected = render_template_string(
                '{% from "macros.html" import tag %}{{ tag(word, tone) }}',
                word=str(word),
                tone=tone,
            )
            assert str(fixed.tags[key]) == expected
        for key, word in WORDS.items():
            # The template's own _() on the English text, as the dashboard once printed it.
            expected = render_template_string("{{ _(text) }}", text=word._args[0])
            assert str(fixed.words[key]) == expected
        assert fixed_html() is fixed  # made once per language
    if language != "en":
        with app.test_request_context("/", headers={"Accept-Language": "en"}):
            assert str(fixed_html().words["to_do"]) == "To do"
        assert str(fixed.words["to_do"]) != "To do"


def test_translations_and_dates_kept_across_requests_follow_the_language(app: Any) -> None:
    text = lazy_gettext("Overdue")
    day = dt.date(2026, 3, 9)
    seen: dict[str, tuple[str, str]] = {}
    for language in ("en", "fr", "de", "en", "fr", "de"):
        with app.test_request_context("/", headers={"Accept-Language": language}):
            got = (Texts()(text), Formats().date(day))
            # What a fresh lookup in this request's language gives.
            assert got == (str(text), format_date(day))
            assert seen.setdefault(language, got) == got
    assert len({words for words, _day in seen.values()}) == 3
    assert len({day for _words, day in seen.values()}) == 3


def test_addresses_from_one_pattern_are_url_for(app: Any) -> None:
    with app.test_request_context("/"):
        formats = Formats()
        for state in CaseState:
            assert formats.url("cases.index", "state", state.value) == url_for(
                "cases.index", state=state.value
            )
            assert formats.url("cases.index", "state", state.value, overdue=1) == url_for(
                "cases.index", state=state.value, overdue=1
            )
        # A value a converter or the query string would quote takes url_for itself.
        odd = "a b&c=d/é"
        assert formats.url("cases.index", "state", odd, overdue=1) == url_for(
            "cases.index", state=odd, overdue=1
        )
        assert formats.url("cases.show", "case_id", 42) == url_for("cases.show", case_id=42)
