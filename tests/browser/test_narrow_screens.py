"""Every main page fits a 375 px wide phone screen: the page itself never scrolls sideways
(long words wrap, tables scroll inside their own box, the header's navigation wraps), and
the feedback charts keep to the screen's width."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from qaportal.cases.models import Case
from qaportal.db import get_session
from qaportal.orgs.models import Organisation
from tests.browser.helpers import OFFENDERS
from tests.browser.helpers import blocking_violations as _blocking_violations
from tests.browser.helpers import sign_in as _sign_in

WIDTH = 375


def _fits(page: Any, url: str) -> list[str]:
    """What is wrong with ``url`` on a 375 px screen (nothing when it fits)."""
    response = page.goto(url)
    if response is None or response.status != 200:
        return [f"{url}: HTTP {response.status if response else '?'}"]
    width = page.evaluate("document.documentElement.scrollWidth")
    if width <= WIDTH:
        return []
    return [f"{url}: page is {width}px wide; {page.evaluate(OFFENDERS, WIDTH)}"]


@pytest.fixture
def seeded(app: Any) -> Any:
    from qaportal.demo import seed_all

    with app.app_context():
        summary = seed_all(stages=False)
        session = get_session()
        case = session.scalars(select(Case).order_by(Case.id)).first()
        agency = session.scalars(
            select(Organisation).where(Organisation.id == case.agency_id)
        ).one()
        summary.urls = {  # type: ignore[attr-defined]
            "case": f"/cases/{case.id}",
            "audit": f"/agencies/{agency.id}/audit",
            "results": f"/feedback/campaigns/{summary.campaign_id}/results",
        }
    return summary


@pytest.fixture
def phone(page: Any) -> Any:
    page.set_viewport_size({"width": WIDTH, "height": 800})
    return page


def test_public_pages_fit_a_phone(phone: Any, seeded: Any):
    problems = _fits(phone, "/") + _fits(phone, "/login") + _fits(phone, "/register")
    problems += _fits(phone, "/catalogue")
    phone.locator("h3 a").first.click()
    problems += _fits(phone, phone.url)
    assert problems == []


@pytest.mark.parametrize(
    ("email", "pages"),
    [
        ("officer@agency.example.org", ["/dashboard", "/cases", "case", "/register"]),
        ("admin@agency.example.org", ["/dashboard", "audit"]),
        ("admin@university.example.org", ["/dashboard", "/cases", "case", "results"]),
        ("reviewer1@reviewers.example.org", ["/dashboard", "/account"]),
    ],
)
def test_each_roles_main_pages_fit_a_phone(phone: Any, seeded: Any, email: str, pages: list):
    _sign_in(phone, email, seeded.password)
    problems: list[str] = []
    for name in pages:
        problems += _fits(phone, seeded.urls.get(name, name))
    assert problems == []


def test_feedback_charts_keep_to_the_screen(phone: Any, seeded: Any):
    _sign_in(phone, "admin@university.example.org", seeded.password)
    phone.goto(seeded.urls["results"])
    charts = phone.locator("figure.chart svg, figure.chart img")
    assert charts.count() > 0
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH
        assert box["width"] >= 250  # still wide enough to read, not shrunk to a stamp


def test_the_check_catches_a_page_that_is_too_wide(phone: Any):
    phone.goto("/login")
    # Set through the CSSOM: the portal's CSP refuses style attributes in markup.
    phone.evaluate(
        """() => {
          const p = document.createElement('p');
          p.textContent = 'x'.repeat(200);
          p.style.overflowWrap = 'normal';
          document.querySelector('main').append(p);
        }"""
    )
    assert phone.evaluate("document.documentElement.scrollWidth") > WIDTH


def _rgb(css: str) -> tuple[int, int, int]:
    numbers = [int(float(n)) for n in css[css.index("(") + 1 : css.index(")")].split(",")[:3]]
    return numbers[0], numbers[1], numbers[2]


def _contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    def luminance(rgb: tuple[int, int, int]) -> float:
        c = [x / 255 for x in rgb]
        c = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    high, low = sorted([luminance(a), luminance(b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


FOCUS_PARTS = """(el) => {
  const s = getComputedStyle(el);
  let bg = 'rgb(255, 255, 255)';
  for (let p = el.parentElement; p; p = p.parentElement) {
    const c = getComputedStyle(p).backgroundColor;
    if (c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') { bg = c; break; }
  }
  return {background: s.backgroundColor, shadow: s.boxShadow, outline: s.outlineColor,
          outlineStyle: s.outlineStyle, surround: bg};
}"""


@pytest.mark.parametrize(
    ("target", "where"),
    [
        (".site-header .brand", "a link on the header's dark blue"),
        ("main button[type=submit]", "a button on the white page"),
        ("main input[name=email]", "a text field on the white page"),
        (".site-footer select", "the language choice in the footer"),
    ],
)
def test_the_focus_style_contrasts_with_its_background(page: Any, target: str, where: str):
    """Some part of the focus indicator (the yellow fill, the dark edge) stands out by at
    least 3:1 from the background around the focused element. Reached with the keyboard,
    as :focus-visible is for keyboard users."""
    page.goto("/login")
    wanted = page.locator(target)
    for _ in range(20):
        page.keyboard.press("Tab")
        if wanted.evaluate("(el) => el === document.activeElement"):
            break
    else:
        pytest.fail(f"Tab never reached {target}")
    parts = wanted.evaluate(FOCUS_PARTS)
    surround = _rgb(parts["surround"])
    colours = [] if "rgba(0, 0, 0, 0)" in parts["background"] else [_rgb(parts["background"])]
    colours += [_rgb(c + ")") for c in parts["shadow"].split(")")[:-1] if "rgb" in c]
    if parts["outlineStyle"] != "none" and "rgba" not in parts["outline"]:
        colours.append(_rgb(parts["outline"]))
    best = max((_contrast(c, surround) for c in colours), default=0.0)
    assert best >= 3, (where, parts)


def test_the_contrast_check_can_fail():
    # The portal's former focus colour alone, an amber outline, on white: too faint.
    assert _contrast((0xFF, 0xBF, 0x47), (255, 255, 255)) < 3
    assert _contrast((0x0B, 0x0C, 0x0C), (255, 255, 255)) > 19


def test_the_components_pass_axe_on_a_phone(phone: Any, seeded: Any):
    """The error summary, banners, tags, summary lists and scrolling tables bring no serious
    or critical axe-core violation (e.g. a scroll box the keyboard cannot reach)."""
    phone.goto("/login")
    phone.get_by_role("button", name="Sign in").click()  # empty: the error summary shows
    problems = [f"/login: {v}" for v in _blocking_violations(phone)]
    _sign_in(phone, "officer@agency.example.org", seeded.password)  # a success banner
    problems += [f"/dashboard: {v}" for v in _blocking_violations(phone)]
    for url in ["/cases", seeded.urls["case"], "/register"]:
        phone.goto(url)
        problems += [f"{url}: {v}" for v in _blocking_violations(phone)]
    assert problems == []
