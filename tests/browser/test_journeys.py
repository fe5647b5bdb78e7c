"""Journeys in a real Chromium against a live server of the portal."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect


def _sign_in(page: Any, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_shows_the_dashboard_with_the_role_panel(page: Any, demo: Any):
    _sign_in(page, "admin@agency.example.org", demo.password)
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    panel = page.locator("section.panel").first
    expect(panel.get_by_role("heading", level=2)).to_contain_text("Agency administrator")
    expect(panel).to_contain_text("Demo Agency for Quality Assurance")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Dashboard")).to_have_attribute("aria-current", "page")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()
    page.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/login"))


def test_provider_editor_sees_their_own_panel(page: Any, demo: Any):
    _sign_in(page, "editor@university.example.org", demo.password)
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    panel = page.locator("section.panel").first
    expect(panel.get_by_role("heading", level=2)).to_contain_text("Provider editor")
    expect(panel).to_contain_text("University of Demoville")
    expect(page.get_by_role("link", name="Audit trail")).to_have_count(0)


def test_wrong_password_shows_a_message(page: Any, demo: Any):
    _sign_in(page, "admin@agency.example.org", "not the right password")
    expect(page.get_by_role("alert")).to_contain_text(
        "The email address or password is not correct."
    )
    expect(page).to_have_url(re.compile(r"/login"))


def test_tab_from_page_start_focuses_the_skip_link(page: Any):
    page.goto("/login")
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_class(re.compile(r"\bskip-link\b"))
    expect(focused).to_have_text("Skip to main content")
    expect(focused).to_be_visible()  # shown when focused, for sighted keyboard users
    page.keyboard.press("Enter")
    expect(page.locator(":focus")).to_have_id("main")


def test_language_switcher_in_the_browser(page: Any):
    page.goto("/login")
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Change language").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
