"""axe-core in Chromium on the public catalogue: no critical or serious violation.

axe.min.js comes from the ``axe-playwright-python`` package of the test extras, so nothing is
downloaded while the tests run.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import blocking_violations as _blocking_violations


@pytest.mark.parametrize(
    "url",
    [
        "/catalogue",
        "/catalogue?q=data&eqf=6",
        # filter errors: the fields then carry aria-invalid and aria-describedby
        "/catalogue?ects_min=lots&ects_max=-3",
    ],
)
def test_public_catalogue_has_no_serious_axe_violations(page: Any, demo: Any, url: str):
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Micro-credential catalogue")
    assert _blocking_violations(page) == []


def test_axe_finds_what_it_should(page: Any):
    """The check can fail: a field without a label is a critical violation for axe."""
    page.goto("/catalogue")
    page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend', '<input type=text>')"
    )
    assert any(v.startswith("label (critical)") for v in _blocking_violations(page))


def test_a_public_catalogue_entry_has_no_serious_axe_violations(page: Any, demo: Any):
    page.goto("/catalogue")
    page.locator("h3 a").first.click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Micro-credential catalogue")
    assert _blocking_violations(page) == []
