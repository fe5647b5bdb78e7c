"""Printed one-time survey codes: short, unambiguous, forgiving to type, each slip with a QR
code of its link, and the codes printed before this format still redeem."""

from __future__ import annotations

import base64
import math
import re
import secrets

import segno
from sqlalchemy import select

from qaportal.auth.tokens import hash_token
from qaportal.db import get_session
from qaportal.feedback import services
from qaportal.feedback.models import FeedbackInvitation, InvitationChannel
from tests.conftest import login, post_form
from tests.feedback_support import (
    UDV_ADMIN,
    answer_directly,
    csrf_of,
    likert,
    make_campaign,
    make_codes,
    make_specification,
    open_survey,
)

LOOK_ALIKES = ["0O", "1IL", "2Z", "5S"]


def test_code_alphabet_has_no_look_alikes_and_at_least_80_bits() -> None:
    alphabet = services.CODE_ALPHABET
    assert len(set(alphabet)) == len(alphabet) == 26
    for group in LOOK_ALIKES:
        # neither member: whichever a slip showed, a reader could type the other
        assert not set(group) & set(alphabet), group
    assert "U" not in alphabet  # as in Crockford's: read as V
    assert len(alphabet) ** services.CODE_LENGTH >= 2**80
    assert services.CODE_LENGTH * math.log2(len(alphabet)) > 84

    drawn = [services.new_code() for _i in range(500)]
    assert len(set(drawn)) == 500
    assert all(len(c) == 18 and set(c) <= set(alphabet) for c in drawn)
    # uniform enough that every symbol turns up in 9,000 draws
    assert set("".join(drawn)) == set(alphabet)
    shown = services.display_code(drawn[0])
    assert re.fullmatch(r"[0-9A-Z]{3}(-[0-9A-Z]{3}){5}", shown)
    assert shown.replace("-", "") == drawn[0]


def _redeems(app, typed: str) -> int | None:
    with app.app_context():
        try:
            return services.redeem(get_session(), typed).campaign_id
        except services.LinkProblem:
            return None


def test_typed_codes_are_forgiven_case_spaces_and_dashes(app, client, demo):
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    (token,) = make_codes(app, campaign_id, 1)
    shown = services.display_code(token)
    for typed in (
        shown,
        token,
        shown.lower(),
        shown.replace("-", " "),
        "  " + shown.replace("-", "\u2013") + " ",  # a phone's en dash
        " ".join(token[i : i + 6] for i in range(0, 18, 6)).lower(),
        shown.replace("-", "-\u200b"),  # pasted from the slip with its line breaks
    ):
        assert _redeems(app, typed) == campaign_id, typed
    # one wrong character, one missing, or a look-alike that no current code holds
    wrong = token[:-1] + ("A" if token[-1] != "A" else "B")
    for typed in (wrong, token[:-1], token[:-1] + "O", token + "3"):
        assert _redeems(app, typed) is None, typed

    # and through the form on the phone, the respondent lands on the survey
    respondent = app.test_client()
    entry = respondent.get("/f")
    response = respondent.post(
        "/f/code", data={"csrf_token": csrf_of(entry), "code": shown.lower().replace("-", " ")}
    )
    assert response.status_code == 303
    assert "Spring cohort" in respondent.get("/f").get_data(as_text=True)


def _issue_old_code(app, campaign_id: int) -> str:
    """An invitation as the previous release stored it: SHA-256 of 32 base32 characters."""
    while True:
        token = base64.b32encode(secrets.token_bytes(20)).decode("ascii")
        # make sure the look-alike substitutions below have something to do
        if "O" in token or "I" in token or "L" in token or "B" in token:
            break
    with app.app_context():
        db = get_session()
        db.add(
            FeedbackInvitation(
                campaign_id=campaign_id,
                channel=InvitationChannel.CODE,
                token_hash=hash_token(token),
            )
        )
        db.commit()
    return token


def test_codes_printed_in_the_old_format_still_redeem(app, client, demo):
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    token = _issue_old_code(app, campaign_id)
    old_slip = "-".join(token[i : i + 4] for i in range(0, 32, 4))
    assert services.display_code(token) == old_slip
    assert _redeems(app, token) == campaign_id
    assert _redeems(app, old_slip.lower().replace("-", " ")) == campaign_id
    # the old slips hold look-alikes: a digit typed for the letter it resembles still works
    misread = token.replace("O", "0").replace("B", "8").replace("I", "1", 3)
    misread = misread.replace("L", "1", 2)
    assert misread != token
    assert _redeems(app, misread) == campaign_id
    # the old link works too, and the code is used up by answering like any other
    page = open_survey(app.test_client(), token)
    assert page.status_code == 200


def test_too_many_ambiguous_ones_are_not_expanded_without_bound():
    assert services.token_readings("1" * 32) == []
    assert len(services.token_readings("1" * 6 + "A" * 26)) == 64


def test_each_printed_slip_has_a_qr_code_of_its_own_link(app, client, demo):
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    login(client, UDV_ADMIN, demo.password)
    response = post_form(client, f"/feedback/campaigns/{campaign_id}/codes", {"count": "3"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<script" not in page
    slips = re.findall(r'<li class="code-slip">(.*?)</li>', page, re.S)
    assert len(slips) == 3
    links = set()
    for slip in slips:
        (url,) = re.findall(r'class="slip-link">([^<]+)<', slip)
        code = re.search(r'class="slip-code">(.*?)</p>', slip).group(1).replace("<wbr>", "")
        assert url.endswith("/f/" + code.replace("-", ""))
        (svg,) = re.findall(r"<svg.*?</svg>", slip, re.S)
        # the very symbol the QR library makes for this exact link, at the report's settings
        expected = segno.make(url, error="m", micro=False)
        drawn = re.search(r' d="([^"]+)"', svg).group(1)
        assert drawn == re.search(r' d="([^"]+)"', expected.svg_inline()).group(1)
        assert f"Survey link: {url}" in svg
        links.add(url)
    assert len(links) == 3

    # only hashes were kept: none of the printed tokens is stored in clear
    with app.app_context():
        stored = set(
            get_session()
            .execute(
                select(FeedbackInvitation.token_hash).where(
                    FeedbackInvitation.campaign_id == campaign_id
                )
            )
            .scalars()
        )
    tokens = {u.rsplit("/", 1)[1] for u in links}
    assert {hash_token(t) for t in tokens} == stored
    assert not tokens & stored


def _main(page) -> str:
    text = page.get_data(as_text=True)
    return text[text.index("<main") : text.index("</main>")]


def test_feedback_pages_name_statements_and_dates_in_words(app, client, demo):
    """No questionnaire item code, raw enum or ISO date reaches the provider's pages."""
    specs = [make_specification(app, "Data literacy"), make_specification(app, "Green skills")]
    campaign_id = make_campaign(app, specs)
    answer_directly(app, campaign_id, [likert(outcomes_clear=4, support=3) for _i in range(6)])
    login(client, UDV_ADMIN, demo.password)
    campaign_page = client.get(f"/feedback/campaigns/{campaign_id}")
    results = client.get(f"/feedback/campaigns/{campaign_id}/results")
    assert results.status_code == 200
    page = campaign_page.get_data(as_text=True)
    trend_link = re.search(r'href="([^"]*/feedback/specifications/[^"]*)"', page)
    trend = client.get(trend_link.group(1).replace("&amp;", "&"))
    assert trend.status_code == 200
    listing = client.get(re.search(r'href="(/orgs/\d+/feedback)"', page).group(1))
    assert listing.status_code == 200
    pages = [campaign_page, results, trend, listing]
    for page in pages:
        main = _main(page)
        for key in ("(outcomes_clear)", "(support)", "feedback_campaign", ">learner<", ">open<"):
            assert key not in main, key
        assert not re.search(r">[^<]*\b\d{4}-\d\d-\d\d\b", main), "an ISO date is shown"
    assert "The learning outcomes were stated clearly before I started." in _main(results)
    assert "Learner feedback" in _main(campaign_page)
