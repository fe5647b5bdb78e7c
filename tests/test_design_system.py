"""The design system of templates/README.md, as the rendered pages show it: the error
summary links each error to its field and the form keeps what was typed, states are tags
with human translated words, every button wears a component class, flash messages are
notification banners, and tables scroll inside a named, focusable box."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from qaportal.cases.models import Case, CaseState
from qaportal.cases.workflow import state_label
from qaportal.db import get_session
from tests.conftest import login, post_form

BUTTON_COMPONENTS = {"button", "link"}  # macros.html: button()/post_button() and button.link


class _Page(HTMLParser):
    """The parts of a page the design system speaks about."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.buttons: list[tuple[str, str]] = []  # (class attribute, label)
        self.tags: list[str] = []
        self.summary_links: list[tuple[str, str]] = []
        self.summary_heading = ""
        self.inputs: dict[str, str] = {}
        self.table_parents: list[dict[str, str | None]] = []
        self._open: list[dict[str, str | None]] = []
        self._button: list[str] | None = None
        self._button_class = ""
        self._tag: list[str] | None = None
        self._in_summary = 0
        self._summary_href: str | None = None
        self._summary_text: list[str] = []
        self._heading: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if tag == "table":
            self.table_parents.append(self._open[-1] if self._open else {})
        if tag == "input" and a.get("name") and a.get("type") not in {"hidden", "password"}:
            self.inputs[a["name"] or ""] = a.get("value") or ""
        if tag == "button":
            self._button, self._button_class = [], a.get("class") or ""
        if "tag" in classes:
            self._tag = []
        if "error-summary" in classes:
            self._in_summary = 1
        elif self._in_summary:
            self._in_summary += tag not in {"input", "br"}
            if tag == "a":
                self._summary_href, self._summary_text = a.get("href"), []
            if tag == "h2":
                self._heading = []
        if tag not in {"input", "br", "meta", "link", "img", "hr"}:
            self._open.append({"tag": tag, **a})

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()
        if tag == "button" and self._button is not None:
            self.buttons.append((self._button_class, " ".join("".join(self._button).split())))
            self._button = None
        if tag == "strong" and self._tag is not None:
            self.tags.append("".join(self._tag).strip())
            self._tag = None
        if self._in_summary:
            if tag == "a" and self._summary_href is not None:
                self.summary_links.append((self._summary_href, "".join(self._summary_text)))
                self._summary_href = None
            if tag == "h2" and self._heading is not None:
                self.summary_heading = "".join(self._heading).strip()
                self._heading = None
            self._in_summary -= 1

    def handle_data(self, data: str) -> None:
        for part in (self._button, self._tag, self._heading):
            if part is not None:
                part.append(data)
        if self._summary_href is not None:
            self._summary_text.append(data)


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


@pytest.fixture
def seeded(app: Any) -> Any:
    from qaportal.demo import seed_all

    with app.app_context():
        return seed_all(stages=False)  # the draft case is enough, and seeds in seconds


def test_error_summary_links_every_error_to_its_field_and_keeps_the_input(client, demo):
    response = post_form(client, "/login", {"email": "not an address", "password": ""})
    page = _parse(response.get_data(as_text=True))

    assert page.summary_heading == "There is a problem"
    assert page.summary_links, "the error summary lists no error"
    for href, text in page.summary_links:
        assert href.startswith("#") and href[1:] in page.ids, (href, text)
    assert [href for href, _ in page.summary_links] == ["#password"]
    assert "Password" in page.summary_links[0][1]
    assert page.inputs["email"] == "not an address"  # what the user typed, not a blank field


def test_error_summary_of_a_radio_group_targets_its_first_option(app):
    """A radio group has no element of its own id to focus: the link goes to option one."""
    from wtforms import Form, RadioField, SelectChoice, StringField
    from wtforms.validators import InputRequired

    class Choice(Form):
        name = StringField("Name", validators=[InputRequired()])
        answer = RadioField("Answer", choices=[SelectChoice("y", "Yes"), SelectChoice("n", "No")])

    with app.test_request_context("/"):
        form = Choice(data={"name": ""})
        form.validate()
        html = app.jinja_env.from_string(
            '{% from "macros.html" import form_errors %}{{ form_errors(form) }}'
            "{{ form.name() }}{{ form.answer() }}"
        ).render(form=form)
    page = _parse(html)
    hrefs = [href for href, _ in page.summary_links]
    assert hrefs == ["#name", "#answer-0"]
    assert all(href[1:] in page.ids for href in hrefs)


def test_case_states_are_tags_with_translated_words(app, client, seeded):
    login(client, "officer@agency.example.org", seeded.password)
    html = client.get("/cases").get_data(as_text=True)
    page = _parse(html)
    raw = {state.value for state in CaseState}

    assert page.tags, "the case list shows no state tag"
    assert not raw & set(page.tags), page.tags
    assert "Draft" in page.tags
    assert not re.search(r">\s*(in_review|factual_check|decision_pending|follow_up)\s*<", html)

    with app.app_context():
        case = get_session().scalars(select(Case).order_by(Case.id)).first()
        assert case is not None
        state, case_id = case.state, case.id
    client.post(
        "/language",
        data={"language": "fr", "next": "/", "csrf_token": _token(client, "/dashboard")},
    )
    page = _parse(client.get(f"/cases/{case_id}").get_data(as_text=True))
    with app.test_request_context("/"), force_locale("fr"):
        french = state_label(state)
    assert french[:1].upper() + french[1:] in page.tags


def _token(client: Any, url: str) -> str:
    match = re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', client.get(url).get_data(as_text=True)
    )
    assert match
    return match.group(1)


MAIN_PAGES = {
    "officer@agency.example.org": [
        "/dashboard",
        "/cases",
        "{case}",
        "/register",
        "/account",
    ],
    "admin@agency.example.org": ["/orgs/{agency}/staff", "/orgs/{agency}"],
    "admin@university.example.org": ["/dashboard", "/cases", "{case}", "/account"],
    "reviewer1@reviewers.example.org": ["/dashboard", "/account"],
}


def test_every_button_on_the_main_pages_is_a_component(app, seeded):
    with app.app_context():
        case = get_session().scalars(select(Case).order_by(Case.id)).first()
        assert case is not None
        ids = {"case": f"/cases/{case.id}", "agency": case.agency_id}
    seen = 0
    for email, urls in MAIN_PAGES.items():
        client = app.test_client()
        for url in ["/login", "/"]:
            seen += _check_buttons(client, url)
        login(client, email, seeded.password)
        for pattern in urls:
            url = ids["case"] if pattern == "{case}" else pattern.format(**ids)
            seen += _check_buttons(client, url)
    assert seen >= 10  # the check looked at real buttons


def _check_buttons(client: Any, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    page = _parse(response.get_data(as_text=True))
    bare = [label for cls, label in page.buttons if not BUTTON_COMPONENTS & set(cls.split())]
    assert not bare, f"{url}: buttons without a component class: {bare}"
    return len(page.buttons)


def test_a_flash_message_is_a_notification_banner(client, demo):
    login(client, "admin@agency.example.org", demo.password)
    html = client.get("/dashboard").get_data(as_text=True)
    banner = re.search(
        r'<div class="notification-banner notification-banner--success[^"]*" role="alert">'
        r"\s*<p class=\"notification-banner__title\">Success</p>\s*"
        r'<div class="notification-banner__content"><p>Welcome, Ada Admin.</p>',
        html,
    )
    assert banner, html[html.find("<main") : html.find("<main") + 1500]


def test_tables_scroll_in_a_named_focusable_box(client, seeded):
    login(client, "officer@agency.example.org", seeded.password)
    html = client.get("/cases").get_data(as_text=True)
    page = _parse(html)
    assert page.table_parents
    for parent in page.table_parents:
        assert "table-wrap" in (parent.get("class") or "").split()
        assert parent.get("tabindex") == "0" and parent.get("role") == "region"
        assert parent.get("aria-label")


def test_pagination_numbers_the_pages_around_the_current_one(app):
    from qaportal.pagination import Page

    html = _pager(app, Page(number=5, per_page=10, total=200), "register.index", {"q": "x"})
    numbers = re.findall(r">(\d+)<", html)
    assert numbers == ["1", "4", "5", "6", "20"]
    assert html.count("…") == 2
    assert 'aria-current="page">5<' in html
    assert "page=6" in html and "q=x" in html


def test_pagination_costs_the_same_for_five_pages_or_five_hundred(app):
    """The pager shows a handful of numbers; it must not walk every page to find them (it
    did, reading the page count twice per page: 1,000 reads for the 10,000-entry catalogue)."""
    from qaportal.pagination import Page

    class CountingPage(Page):
        reads = 0

        @property
        def pages(self) -> int:
            CountingPage.reads += 1
            return super().pages

    html = _pager(
        app, CountingPage(number=250, per_page=20, total=10_000), "catalogue.public_index"
    )
    assert re.findall(r">(\d+)<", html) == ["1", "249", "250", "251", "500"]
    assert html.count("…") == 2
    assert CountingPage.reads < 10


def _pager(app, page, endpoint: str, args: dict | None = None) -> str:
    with app.test_request_context("/"):
        return app.jinja_env.from_string(
            '{% from "macros.html" import pagination %}{{ pagination(page, endpoint, args) }}'
        ).render(page=page, endpoint=endpoint, args=args or {})
