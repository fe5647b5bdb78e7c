"""The public catalogue's filter fieldset with a filter chosen: built from the kept blank
fieldset (catalogue.views._with_values) it must be byte for byte what WTForms renders, for
every option of every select, unknown and repeated values, typed numbers, and any string
the visitor may send; a field with errors is still rendered through WTForms."""

from __future__ import annotations

import html
import random
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask

from qaportal.catalogue import views
from qaportal.catalogue.cli import generate_catalogue
from qaportal.db import get_session

LANGS = ("en", "de", "fr")
SELECTS = ("country", "eqf", "form", "language", "provider_type", "accreditation")
TEXTS = ("ects_min", "ects_max")
VALID_NUMBERS = ["2", "2.5", " 3 ", "0", "180", "1e1", "+4", "1_0", "٥", "0007", "5."]
INVALID_NUMBERS = ["abc", "-1", "181", "<b>1", "1&2", '"5"', "nan", "inf", "1234567890123"]
ODD = ['"><script>alert(1)</script>', "a&b", "l'été", "Zürich ü €", "&amp;", "x\u2028y", "%22"]


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "RATELIMIT_ENABLED": False, "CACHE_TYPE": "SimpleCache"}


@pytest.fixture
def catalogue(app: Flask, demo: Any) -> Flask:
    with app.app_context():
        generate_catalogue(get_session(), 12, 120, 7)
        get_session().commit()
    return app


@pytest.fixture
def full_renders(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts the fieldsets rendered through WTForms."""
    calls: list[int] = []
    real = views._render_filters

    def counted(form: Any) -> Any:
        calls.append(1)
        return real(form)

    monkeypatch.setattr(views, "_render_filters", counted)
    yield calls


def _options(blank: str, name: str) -> list[str]:
    element = blank.split(f'<select id="{name}" ')[1].split("</select>")[0]
    return [html.unescape(v) for v in re.findall(r'<option value="([^"]*)">', element)]


def _both(app: Flask, pairs: list[tuple[str, str]], lang: str) -> tuple[str | None, str, str]:
    """(fast fieldset or None if not eligible, what the view shows, WTForms' rendering)."""
    headers = {"Accept-Language": lang}
    with app.test_request_context(f"/catalogue?{urlencode(pairs)}", headers=headers):
        form, _query = views._filter_form()
        clean = not any(form[name].errors for name in views.FILTER_FIELDS)
        fast = views._with_values(str(views._blank_filters_html()), form) if clean else None
        shown = views._filters_html(form)
        full = views._render_filters(views._filter_form()[0])
    return (None if fast is None else str(fast)), str(shown), str(full)


def _blank(app: Flask, lang: str) -> str:
    with app.test_request_context("/catalogue", headers={"Accept-Language": lang}):
        return str(views._blank_filters_html())


@pytest.mark.parametrize("lang", LANGS)
def test_every_option_alone_and_every_number_read_as_wtforms_writes_them(catalogue, lang):
    blank = _blank(catalogue, lang)
    cases: list[list[tuple[str, str]]] = []
    for name in SELECTS:
        options = _options(blank, name)
        assert len(options) >= (5 if name != "accreditation" else 3), (name, options)
        cases += [[(name, value)] for value in options]
        cases.append([(name, "unknown-value")])
    cases += [[(name, n)] for name in TEXTS for n in [*VALID_NUMBERS, "", "   "]]
    for pairs in cases:
        fast, shown, full = _both(catalogue, pairs, lang)
        assert fast is not None, pairs
        assert fast == full == shown, pairs
        name, value = pairs[0]
        if name in SELECTS and value != "unknown-value":
            assert f'<option selected value="{html.escape(value, quote=False)}">' in full
        if name in TEXTS and value:
            assert f'value="{value}"' in full
    # the words of the fieldset are the language's own
    assert {"en": "Country of the issuer", "de": "Land des Ausstellers"}.get(lang, "") in blank


@pytest.mark.parametrize("lang", LANGS)
def test_fields_with_errors_are_rendered_through_wtforms(catalogue, lang, full_renders):
    _blank(catalogue, lang)  # kept: from here on only a field with errors renders the form
    for pairs in (
        *([("ects_min", n)] for n in INVALID_NUMBERS),
        [("ects_max", "\x01")],
        [("country", "D\x01E")],
        [("eqf", "6"), ("ects_max", "abc")],
    ):
        before = len(full_renders)
        fast, shown, full = _both(catalogue, pairs, lang)
        assert fast is None, pairs
        assert shown == full, pairs
        assert 'aria-invalid="true"' in full and "has-error" in full
        assert len(full_renders) == before + 2  # the view's own rendering, then the check's


@pytest.mark.parametrize("lang", LANGS)
def test_random_combinations_searches_and_repeated_parameters(catalogue, lang, full_renders):
    blank = _blank(catalogue, lang)
    rng = random.Random(f"filters-{lang}")
    values = {name: [*_options(blank, name), "", "ZZ", *ODD] for name in SELECTS}
    numbers = VALID_NUMBERS + INVALID_NUMBERS + ODD + [""]
    taken = fallen_back = 0
    for _ in range(150):
        pairs: list[tuple[str, str]] = []
        for name in rng.sample(SELECTS + TEXTS, rng.randint(1, 8)):
            pool = numbers if name in TEXTS else values[name]
            pairs += [(name, rng.choice(pool)) for _ in range(rng.choice((1, 1, 1, 2, 3)))]
        if rng.random() < 0.5:
            pairs.append(("q", rng.choice([*ODD, "data & <i>", "x" * 250, "日本語 «»"])))
        if rng.random() < 0.2:
            pairs.append(("page", str(rng.randint(1, 3))))
        rng.shuffle(pairs)
        before = len(full_renders)
        fast, shown, full = _both(catalogue, pairs, lang)
        assert shown == full, pairs
        if fast is None:
            fallen_back += 1
            assert "has-error" in full, pairs  # only errors leave the fast path
        else:
            taken += 1
            assert fast == full, pairs
            assert len(full_renders) == before + 1, pairs  # the view did not render the form
    assert taken > 50 and fallen_back > 10, (taken, fallen_back)


def test_any_string_is_escaped_as_wtforms_escapes_it(catalogue):
    """Values set directly on the fields (no validation, so no errors): whatever a value
    holds, the fast path writes it as WTForms does."""
    rng = random.Random(14)
    alphabet = ["<", ">", "&", '"', "'", "=", " ", "a", "1", ".", "é", "€", "\u2028", "/", ";"]
    for lang in LANGS:
        blank = _blank(catalogue, lang)
        known = {name: _options(blank, name) for name in SELECTS}
        for i in range(80):
            with catalogue.test_request_context("/", headers={"Accept-Language": lang}):
                form = views.CatalogueFilterForm()
                for name in SELECTS + TEXTS:
                    if name in SELECTS and i % 3 == 0:
                        form[name].data = rng.choice(known[name])
                    else:
                        form[name].data = "".join(rng.choices(alphabet, k=rng.randint(0, 12)))
                fast = views._with_values(blank, form)
                full = views._render_filters(form)
            assert fast is not None and str(fast) == str(full), i


def test_a_blank_fieldset_not_as_expected_falls_back(catalogue):
    blank = _blank(catalogue, "en")
    with catalogue.test_request_context("/catalogue?ects_min=2&country=DE"):
        form, _query = views._filter_form()
        assert views._with_values(blank, form) is not None
        assert views._with_values(blank.replace(' value=""', ""), form) is None
        assert views._with_values(blank.replace('<select id="country" ', "<select "), form) is None


def test_the_page_shows_the_same_fieldset(catalogue):
    """Through the client (page cache and all): the fieldset on the page is WTForms' own."""
    client = catalogue.test_client()
    for lang in LANGS:
        for query in (
            "country=DE&eqf=6",
            "language=fr&form=online&ects_min=2&ects_max=10.5",
            "country=DE&country=FR&accreditation=accredited",
            "q=%22%3Cscript%3E%26&provider_type=hei",
            "country=ZZ&eqf=6&eqf=5",
            "ects_min=%20%20&ects_max=%20",  # blank bounds: no bound (was a 500)
        ):
            body = client.get(f"/catalogue?{query}", headers={"Accept-Language": lang})
            assert body.status_code == 200, (lang, query)
            with catalogue.test_request_context(
                f"/catalogue?{query}", headers={"Accept-Language": lang}
            ):
                full = str(views._render_filters(views._filter_form()[0]))
            assert full in body.get_data(as_text=True), (lang, query)
