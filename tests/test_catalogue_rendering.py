"""The public catalogue's prepared rendering: the filter fieldset kept under the public
version never shows a stale count nor another visitor's values, and the result rows the
view prepares read as the template filters would write them, per language."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from qaportal.catalogue.models import CatalogueEntry
from qaportal.db import get_session
from tests.catalogue_kit import complete_data, make_spec


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "RATELIMIT_ENABLED": False, "CACHE_TYPE": None}  # the default store


def _option(body: str, value: str) -> str | None:
    found = re.search(rf'<option[^>]*value="{value}"[^>]*>([^<]*)</option>', body)
    return found.group(1) if found else None


def _count(body: str, code: str) -> int:
    label = _option(body, code)
    return 0 if label is None else int(label.rsplit("(", 1)[1].rstrip(")"))


def test_the_kept_filter_fieldset_follows_each_publication(app, demo):
    client = app.test_client()
    # Distinct addresses: the page cache must not answer, only the kept fieldset may.
    before = client.get("/catalogue?n=0").get_data(as_text=True)
    make_spec(app, "UDV", complete_data(title="First Kept Spec", issuer_regions=["MT"]))
    first = client.get("/catalogue?n=1").get_data(as_text=True)
    assert _count(first, "MT") == _count(before, "MT") + 1
    assert _option(first, "MT").startswith("Malta (")
    make_spec(app, "UDV", complete_data(title="Second Kept Spec", issuer_regions=["MT", "LU"]))
    second = client.get("/catalogue?n=2").get_data(as_text=True)
    assert _count(second, "MT") == _count(before, "MT") + 2
    assert _count(second, "LU") == _count(before, "LU") + 1
    german = client.get("/catalogue?n=3", headers={"Accept-Language": "de"}).get_data(as_text=True)
    # Each language keeps its own fieldset (the option names are pycountry's English).
    assert "Land des Ausstellers" in german and _count(german, "LU") == _count(second, "LU")
    english = client.get("/catalogue?n=4").get_data(as_text=True)
    assert "Country of the issuer" in english and "Land des Ausstellers" not in english


def test_the_kept_fieldset_never_carries_a_visitors_values(app, demo):
    make_spec(app, "UDV", complete_data(title="Echo Spec", issuer_regions=["FI"]))
    client = app.test_client()
    chosen = client.get("/catalogue?country=FI&ects_min=%3Cb%3E1&q=%3Ci%3Eecho").get_data(
        as_text=True
    )
    assert re.search(
        r'<option[^>]*selected[^>]*value="FI"|<option[^>]*value="FI"[^>]*selected', chosen
    )
    assert 'value="&lt;b&gt;1"' in chosen and "<b>1" not in chosen
    assert 'value="&lt;i&gt;echo"' in chosen
    plain = client.get("/catalogue?n=5").get_data(as_text=True)
    assert "selected" not in plain.split('id="country"')[1].split("</select>")[0]
    assert "&lt;b&gt;1" not in plain and "echo" not in plain
    searched = client.get("/catalogue?q=echo").get_data(as_text=True)
    assert 'value="echo"' in searched and "&lt;b&gt;" not in searched


def test_a_result_row_reads_the_same_in_each_language(app, demo):
    make_spec(
        app,
        "UDV",
        complete_data(title="Row Text Spec", issuer_regions=["DE", "FI"], languages=["de", "en"]),
    )
    with app.app_context():
        public_id = (
            get_session()
            .execute(
                select(CatalogueEntry.public_id).where(CatalogueEntry.title == "Row Text Spec")
            )
            .scalar_one()
        )
    client = app.test_client()
    for lang, words in (
        ("en", ["Germany, Finland", "EQF 5", "2 ECTS", "Online", "German, English"]),
        ("de", ["Deutschland, Finnland", "EQF 5", "2 ECTS", "Online", "Deutsch, Englisch"]),
    ):
        body = client.get("/catalogue?q=row", headers={"Accept-Language": lang}).get_data(
            as_text=True
        )
        row = body.split(f'href="/catalogue/{public_id}">Row Text Spec</a>')[1].split("</li>")[0]
        text = " ".join(row.split())
        for word in words:
            assert word in text, (lang, word, text)
        assert text.count(" · ") >= 6
