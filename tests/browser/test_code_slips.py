"""Printed survey codes in Chromium: the slips fit a phone, and print several to an A4 page
with a QR code each."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.feedback_support import make_campaign, make_specification

SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def _sign_in(page: Any, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_code_slips_fit_a_phone_and_print_ten_to_an_a4_page(page: Any, app: Any, demo: Any):
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    _sign_in(page, "admin@university.example.org", demo.password)
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"/feedback/campaigns/{campaign_id}/codes")
    page.get_by_label("Number of codes").fill("20")
    page.get_by_role("button", name="Make codes").click()
    slips = page.locator("li.code-slip")
    expect(slips).to_have_count(20)
    expect(slips.first.locator("svg title")).to_have_text(re.compile(r"^Survey link: http"))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways on a phone ({width}px)"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "feedback-code-slips-phone.png"), full_page=False)

    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    # two slips a row, at least five rows a page: 20 slips on at most two sheets
    (SHOTS / "feedback-code-slips-a4.pdf").write_bytes(pdf)
    assert 1 <= pages <= 2, pages
