"""Each role's main pages, as that role sees them, in each language, on a desktop and a phone.

One test per (role, language, width) walks the role's pages in one browser context whose
locale is the language (the interface follows the browser when the user has chosen nothing).
On each page: HTTP 200, ``<html lang>``, a word of the chrome in that language, no serious or
critical axe-core violation of WCAG 2.1 A/AA, no sideways scrolling at 375 px, and a full-page
screenshot under ``$QAPORTAL_SCREENSHOTS`` (default ``artifacts/screenshots/``), kept by CI.

Seeding every stage of the demo takes many seconds, so this module seeds once into a database
of its own (the suite's per-test ``app`` fixture empties the shared one) and serves it for all
its tests; page visits change nothing, and the keyboard journey adds one answer and one survey
response, which no other test here counts.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import LiveServer
from tests.browser.helpers import OFFENDERS, WCAG21AA, blocking_violations, sign_in
from tests.conftest import PG_URL, _create_pg_database, _drop_pg_database

REPO = Path(__file__).resolve().parents[2]
WIDTHS = {"desktop": (1280, 900), "phone": (375, 800)}
LOCALES = {"en": "en-GB", "fr": "fr-FR", "de": "de-DE"}

# Words every page's chrome shows, as the catalogues translate them: a French page that
# still says "Skip to main content" is not French.
SKIP_LINK = {
    "en": "Skip to main content",
    "fr": "Aller au contenu principal",
    "de": "Zum Hauptinhalt springen",
}
DASHBOARD = {"en": "Dashboard", "fr": "Tableau de bord", "de": "Übersicht"}

PROVIDER_ADMIN = "admin@university.example.org"
OFFICER = "officer@agency.example.org"
AGENCY_ADMIN = "admin@agency.example.org"
REVIEWER = "reviewer1@reviewers.example.org"


def screenshot_dir() -> Path:
    wanted = os.environ.get("QAPORTAL_SCREENSHOTS") or "artifacts/screenshots"
    path = Path(wanted)
    return path if path.is_absolute() else REPO / path


@dataclass
class Portal:
    url: str
    app: Any
    password: str
    campaign_id: int
    codes: list[str]  # unused one-time survey codes, as printed on the slips
    survey_link: str  # the path of another code's link, as its QR code holds it
    case_id: int  # the draft case whose self-assessment the keyboard journey edits
    criterion_id: int  # an unanswered criterion of that case
    pages: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # role: (name, url)


def _urls(portal: Portal) -> None:
    """The main pages of each role, found in the seeded data by what they show."""
    from qaportal.cases.models import Case, CaseState
    from qaportal.catalogue.models import Specification
    from qaportal.db import get_session
    from qaportal.decisions.models import Decision
    from qaportal.orgs.models import Organisation
    from qaportal.reviews.models import PanelMember

    session = get_session()
    cases = {c.reference: c for c in session.scalars(select(Case).order_by(Case.id))}
    by_state: dict[CaseState, Case] = {}
    for case in cases.values():
        by_state.setdefault(case.state, case)
    draft = by_state[CaseState.DRAFT]
    provider = session.get(Organisation, draft.provider_id)
    agency = session.get(Organisation, draft.agency_id)
    assert provider is not None and agency is not None
    spec = session.scalars(
        select(Specification)
        .where(Specification.provider_id == provider.id)
        .order_by(Specification.id)
    ).first()
    assert spec is not None
    decision = session.scalars(select(Decision).order_by(Decision.id)).first()
    assert decision is not None
    reviewed = session.scalars(
        select(PanelMember.case_id)
        .join(Case, Case.id == PanelMember.case_id)
        .where(Case.state == CaseState.IN_REVIEW, Case.provider_id == provider.id)
        .order_by(PanelMember.case_id)
    ).first()
    entry = f"/catalogue/{spec.public_id}"
    portal.pages = {
        "public": [
            ("catalogue", "/catalogue"),
            ("catalogue-entry", entry),
            ("register", "/register"),
            ("register-decision", f"/register/decisions/{decision.id}"),
        ],
        "learner": [
            ("survey-entry", "/f"),
            ("survey", portal.survey_link),
            ("thanks", "/f/thanks"),
        ],
        "provider-admin": [
            ("dashboard", "/dashboard"),
            ("catalogue", f"/orgs/{provider.id}/catalogue"),
            ("specification", f"/orgs/{provider.id}/catalogue/{spec.id}"),
            ("staff", f"/orgs/{provider.id}/staff"),
            ("feedback-campaigns", f"/orgs/{provider.id}/feedback"),
            ("feedback-results", f"/feedback/campaigns/{portal.campaign_id}/results"),
            ("case", f"/cases/{draft.id}"),
            ("self-assessment", f"/cases/{draft.id}/self-assessment"),
            ("criterion", f"/cases/{draft.id}/criteria/{portal.criterion_id}"),
        ],
        "agency-officer": [
            ("dashboard", "/dashboard"),
            ("cases", "/cases"),
            ("case", f"/cases/{by_state[CaseState.SUBMITTED].id}"),
            ("screening", f"/cases/{by_state[CaseState.SUBMITTED].id}/screening"),
            ("panel", f"/cases/{reviewed}/panel"),
            ("report", f"/cases/{by_state[CaseState.FACTUAL_CHECK].id}/report"),
            ("decision", f"/cases/{decision.case_id}/decision"),
        ],
        "agency-admin": [
            ("dashboard", "/dashboard"),
            ("providers", f"/agencies/{agency.id}/providers"),
            ("reviewers", f"/agencies/{agency.id}/reviewers"),
            ("audit", f"/agencies/{agency.id}/audit"),
        ],
        "reviewer": [
            ("dashboard", "/dashboard"),
            ("reviews", "/reviews"),
            ("review", f"/reviews/cases/{reviewed}"),
            ("findings", f"/reviews/cases/{reviewed}/findings"),
        ],
    }


LOGINS = {
    "public": None,
    "learner": None,
    "provider-admin": PROVIDER_ADMIN,
    "agency-officer": OFFICER,
    "agency-admin": AGENCY_ADMIN,
    "reviewer": REVIEWER,
}


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """The demo at every stage, seeded once for this module, served on a free port."""
    from qaportal import create_app
    from qaportal.audit.services import Actor
    from qaportal.cases import assessment
    from qaportal.cases.models import Case, CaseState
    from qaportal.db import get_session
    from qaportal.demo import seed_all
    from qaportal.feedback import services as feedback
    from qaportal.feedback.models import Campaign
    from qaportal.migrate import upgrade

    base = tmp_path_factory.mktemp("journeys")
    pg_name = f"qaportal_journeys_{uuid.uuid4().hex[:10]}"
    if PG_URL:
        url = _create_pg_database(PG_URL, pg_name)
    else:
        url = f"sqlite:///{base / 'journeys.sqlite3'}"
    upgrade("head", url=url)
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(base / "instance"),
            "UPLOAD_FOLDER": str(base / "uploads"),
            "SECRET_KEY": "journeys-secret-key-" + "x" * 32,
            "RATELIMIT_STORAGE_URI": "memory://",
            # Thirty tests sign in from one address within a minute: not what limits are for.
            "RATELIMIT_ENABLED": False,
            "BASE_URL": "http://localhost",
            "QUEUE_IMMEDIATE": True,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_KIB": 1024,
            "CACHE_TYPE": "NullCache",
        }
    )
    with app.app_context():
        summary = seed_all(stages=True)
        session = get_session()
        assert summary.campaign_id is not None
        campaign = session.get(Campaign, summary.campaign_id)
        assert campaign is not None
        printed = feedback.generate_codes(session, campaign, 4, Actor.system("tests"), "")
        draft = session.scalars(
            select(Case).where(Case.state == CaseState.DRAFT).order_by(Case.id)
        ).first()
        assert draft is not None
        # One with a rating scale, so that the journey picks a level too.
        unanswered = next(
            row
            for row in assessment.overview(session, draft).rows
            if not row.answered and len(row.spec.scale) >= 2
        )
        session.commit()
        found = Portal(
            url="",
            app=app,
            password=summary.password,
            campaign_id=summary.campaign_id,
            codes=[c.code for c in printed[1:]],
            survey_link=urlsplit(printed[0].url).path,
            case_id=draft.id,
            criterion_id=unanswered.id,
        )
        _urls(found)
    with LiveServer(app) as server:
        found.url = server.url
        yield found
    app.extensions["qaportal.engine"].dispose()
    if PG_URL:
        _drop_pg_database(PG_URL, pg_name)


@pytest.fixture
def open_context(browser: Any, portal: Portal) -> Iterator[Any]:
    """Opens browser contexts on the portal; each fails the test on a browser console error."""
    contexts: list[Any] = []
    errors: list[str] = []

    def _open(locale: str = "en-GB", viewport: tuple[int, int] = WIDTHS["desktop"]) -> Any:
        context = browser.new_context(
            base_url=portal.url,
            locale=locale,
            viewport={"width": viewport[0], "height": viewport[1]},
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()

        def _console(msg: Any) -> None:
            if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico"):
                errors.append(f"{msg.text} ({msg.location.get('url')})")

        page.on("console", _console)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    yield _open
    for context in contexts:
        context.close()
    assert not errors, f"errors in the browser console: {errors}"


# Elements past the right edge wherever they are, e.g. absolutely positioned text in a
# scroll box that is not its containing block.
ESCAPEES = """(width) => [...document.querySelectorAll('body *')]
  .filter((el) => el.getBoundingClientRect().right > width + 0.5)
  .filter((el) => getComputedStyle(el).position !== 'static')
  .slice(0, 5)
  .map((el) => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
    + ' right=' + Math.round(el.getBoundingClientRect().right))"""


def _check_page(page: Any, url: str, lang: str, signed_in: bool, width: int) -> list[str]:
    """What is wrong with ``url`` as this page shows it (nothing when all is well)."""
    response = page.goto(url)
    if response is None or response.status != 200:
        return [f"HTTP {response.status if response else '?'}"]
    problems = []
    html_lang = page.locator("html").get_attribute("lang")
    if html_lang != lang:
        problems.append(f'<html lang="{html_lang}">, not {lang}')
    skip = page.locator(".skip-link").text_content() or ""
    if skip.strip() != SKIP_LINK[lang]:
        problems.append(f"skip link reads {skip.strip()!r}, not {SKIP_LINK[lang]!r}")
    if signed_in:
        nav = page.get_by_role("navigation").first.inner_text()
        if DASHBOARD[lang] not in nav:
            problems.append(f"no {DASHBOARD[lang]!r} in the navigation: {nav[:120]!r}")
    if page.locator("main h1").count() != 1:
        problems.append("no single main heading")
    problems += blocking_violations(page, WCAG21AA)
    if width <= WIDTHS["phone"][0]:
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > width:
            # Nothing sticking out outside a scroll box: then something inside one escapes it.
            offenders = page.evaluate(OFFENDERS, width) or page.evaluate(ESCAPEES, width)
            problems.append(f"page is {scroll_width}px wide at {width}px: {offenders}")
    return problems


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("lang", list(LOCALES))
@pytest.mark.parametrize("role", list(LOGINS))
def test_each_roles_main_pages(
    portal: Portal, open_context: Any, role: str, lang: str, width: str
) -> None:
    viewport = WIDTHS[width]
    page = open_context(LOCALES[lang], viewport)
    email = LOGINS[role]
    if email is not None:
        sign_in(page, email, portal.password)
    folder = screenshot_dir() / lang / str(viewport[0])
    folder.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    for name, url in portal.pages[role]:
        found = _check_page(page, url, lang, email is not None, viewport[0])
        if name == "survey" and page.locator("form.survey").count() != 1:
            found.append("the link does not open the survey's questions")
        problems += [f"{name} ({url}): {p}" for p in found]
        page.screenshot(path=str(folder / f"{role}-{name}.png"), full_page=True)
    assert problems == []
    assert len(list(folder.glob(f"{role}-*.png"))) >= len(portal.pages[role])


def test_the_page_check_can_fail(portal: Portal, open_context: Any) -> None:
    """A French browser on an English page, a page too wide for a phone and an unlabelled
    field are each reported."""
    page = open_context("en-GB", WIDTHS["phone"])
    page.goto("/catalogue")
    page.evaluate(
        """() => {
          const p = document.createElement('p');
          p.textContent = 'x'.repeat(200);
          p.style.overflowWrap = 'normal';
          document.querySelector('main').append(p);
          document.querySelector('main').insertAdjacentHTML('beforeend', '<input type=text>');
        }"""
    )
    assert page.evaluate("document.documentElement.scrollWidth") > WIDTHS["phone"][0]
    assert any(v.startswith("label (critical)") for v in blocking_violations(page, WCAG21AA))
    assert _check_page(page, "/catalogue", "fr", False, 1280) != []


def test_a_chosen_language_beats_the_browsers(portal: Portal, open_context: Any) -> None:
    """A German browser; the user picks French in the footer's switcher, then signs in: the
    portal stays French."""
    page = open_context("de-DE")
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.get_by_label("Sprache").select_option("fr")
    page.locator(".site-footer button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.goto("/login")
    page.locator("input[name=email]").fill(PROVIDER_ADMIN)
    page.locator("input[name=password]").fill(portal.password)
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/dashboard")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("navigation").first).to_contain_text(DASHBOARD["fr"])


# ----- the keyboard alone ---------------------------------------------------------------------

# The focused element and whether it shows it: an outline, a box shadow or a changed fill.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  const form = el.closest('form');
  const group = el.name && form ? [...form.elements].filter((e) => e.name === el.name) : [];
  return {
    tag: el.tagName.toLowerCase(), type: el.type || '', name: el.name || '',
    id: el.id || '', href: el.getAttribute('href') || '', text: (el.innerText || '').trim(),
    value: el.value || '', inSurvey: !!el.closest('form.survey'),
    groupChecked: group.some((e) => e.checked),
    visible: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)
      || (s.boxShadow && s.boxShadow !== 'none'),
  };
}"""


def _tab_to(page: Any, selector: str, limit: int = 120) -> dict[str, Any]:
    """Press Tab until the focus is on an element matching ``selector``; every stop on the
    way must show its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            continue
        assert focused["visible"], f"the focus is invisible on {focused}"
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return focused
    pytest.fail(f"Tab never reached {selector} on {page.url}")


def _follow(page: Any) -> None:
    """Press Enter on the focused link or button and wait for the page it opens."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _responses(portal: Portal) -> set[str]:
    from qaportal.db import get_session
    from qaportal.feedback.models import FeedbackResponse

    with portal.app.app_context():
        wanted = FeedbackResponse.campaign_id == portal.campaign_id
        return set(get_session().scalars(select(FeedbackResponse.id).where(wanted)))


def test_a_criterion_and_a_survey_by_keyboard_alone(portal: Portal, open_context: Any) -> None:
    from qaportal.cases import assessment
    from qaportal.cases.models import Case
    from qaportal.db import get_session
    from qaportal.feedback import questionnaire as qn
    from qaportal.feedback.models import Campaign, FeedbackAnswer
    from qaportal.frameworks.models import Criterion

    page = open_context()
    page.goto("/login")
    _tab_to(page, "input[name=email]")
    page.keyboard.type(PROVIDER_ADMIN)
    _tab_to(page, "input[name=password]")
    page.keyboard.type(portal.password)
    _follow(page)
    page.wait_for_url("**/dashboard")

    case_url = f"/cases/{portal.case_id}"
    _tab_to(page, f'a[href$="{case_url}/self-assessment"], a[href$="{case_url}"]')
    _follow(page)
    if not page.url.endswith("/self-assessment"):
        _tab_to(page, f'a[href$="{case_url}/self-assessment"]')
        _follow(page)
    page.wait_for_url(f"**{case_url}/self-assessment")
    _tab_to(page, f'a[href$="/criteria/{portal.criterion_id}"]')
    _follow(page)
    page.wait_for_url(f"**/criteria/{portal.criterion_id}")

    narrative = "Typed with the keyboard alone: the course team reviews each run."
    _tab_to(page, "form textarea")
    page.keyboard.type(narrative)
    _tab_to(page, "form select")  # the rating, which starts at "not rated yet"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # the scale's second level
    rating = page.evaluate("document.activeElement.value")
    assert rating
    _tab_to(page, "form button[type=submit]:not([name=then])")
    _follow(page)
    page.wait_for_load_state()
    expect(page.locator(".notification-banner, [role=alert], [role=status]").first).to_be_visible()
    with portal.app.app_context():
        session = get_session()
        case = session.get(Case, portal.case_id)
        criterion = session.get(Criterion, portal.criterion_id)
        answer = assessment.find_answer(session, case, criterion)
        assert answer is not None
        assert answer.narrative == narrative
        assert answer.rating == rating

    # A learner with a printed slip: another browser, no sign-in.
    learner = open_context()
    before = _responses(portal)
    learner.goto("/f")
    _tab_to(learner, "input[name=code]")
    learner.keyboard.type(portal.codes[-1])
    _follow(learner)
    learner.wait_for_url("**/f")
    expect(learner.locator("form.survey")).to_be_visible()
    typed = 0
    for _ in range(300):
        learner.keyboard.press("Tab")
        focused = learner.evaluate(FOCUSED)
        if focused is None or not focused["inSurvey"]:
            continue
        assert focused["visible"], f"the focus is invisible on {focused}"
        if focused["tag"] == "button":
            _follow(learner)
            break
        if focused["type"] in {"radio", "checkbox"} and not focused["groupChecked"]:
            learner.keyboard.press("Space")
        elif focused["tag"] == "textarea" or focused["type"] == "text":
            learner.keyboard.type(f"Answer {typed} typed on the keyboard.")
            typed += 1
        elif focused["tag"] == "select" and not focused["value"]:
            learner.keyboard.press("ArrowDown")
    else:
        pytest.fail("Tab never reached the survey's send button")
    learner.wait_for_url("**/f/thanks")
    expect(learner.get_by_role("heading", level=1)).to_be_visible()

    new = _responses(portal) - before
    with portal.app.app_context():
        session = get_session()
        assert len(new) == 1
        answered = set(
            session.scalars(
                select(FeedbackAnswer.item_code).where(FeedbackAnswer.response_id.in_(new))
            )
        )
        campaign = session.get(Campaign, portal.campaign_id)
        assert campaign is not None
        questions = {item.code for item in qn.for_version(campaign.questionnaire_version).items}
        assert answered == questions
        assert typed > 0


def test_screenshots_land_where_the_readme_says() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "artifacts/screenshots/<language>/<width>/<role>-<page>.png" in readme
