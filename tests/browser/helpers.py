"""What several browser test modules share: signing in, and asking axe-core what blocks."""

from __future__ import annotations

from typing import Any

from tests.conftest import skip_or_fail

BLOCKING = {"critical", "serious"}

# WCAG 2.1 level A and AA, the level the EU's accessibility standard (EN 301 549) requires.
WCAG21AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# The elements that stick out past the right edge, outside any box that scrolls by itself:
# what to fix when the page is too wide.
OFFENDERS = """(width) => {
  const inScrollBox = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (['auto', 'scroll'].includes(s.overflowX) && p.scrollWidth > p.clientWidth) return true;
    }
    return false;
  };
  return [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > width + 0.5 && !inScrollBox(el))
    .slice(0, 8)
    .map((el) => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
      + ' right=' + Math.round(el.getBoundingClientRect().right));
}"""


def sign_in(page: Any, email: str, password: str, *, dashboard: bool = True) -> None:
    """Sign in through the login form; wait for the dashboard unless told not to (a wrong
    password stays on the form)."""
    page.goto("/login")
    # By name, not by label: the labels are in the page's language.
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("main form button[type=submit]").click()
    if dashboard:
        page.wait_for_url("**/dashboard")


def blocking_violations(page: Any, tags: list[str] | None = None) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one line each:
    rule, impact, help and the first nodes' markup. ``tags`` limits the rules run."""
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:  # pragma: no cover - the test extras install it
        skip_or_fail("axe-playwright-python is not installed (pip install -e '.[test]')")
    options: dict[str, Any] = {"resultTypes": ["violations"]}
    if tags:
        options["runOnly"] = {"type": "tag", "values": tags}
    results = Axe().run(page, options=options)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["html"] for node in v["nodes"][:3])
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]
