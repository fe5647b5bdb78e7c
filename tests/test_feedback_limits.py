"""A flood of survey submissions from one address is rate-limited (its own module: the
limit is lowered for every test here)."""

from __future__ import annotations

import pytest

from tests.feedback_support import (
    count_responses,
    csrf_of,
    make_campaign,
    make_codes,
    make_specification,
    open_survey,
)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "FEEDBACK_SUBMIT_LIMIT": "3 per minute"}


def test_flood_of_submissions_from_one_address_is_rate_limited(app, demo):
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    tokens = make_codes(app, campaign_id, 4)
    statuses = []
    for token in tokens:
        client = app.test_client()
        page = open_survey(client, token)
        answer = {"csrf_token": csrf_of(page), "q_outcomes_clear": "3"}
        response = client.post("/f", data=answer)
        statuses.append(response.status_code)
    assert statuses == [303, 303, 303, 429]
    assert "Too many answers or codes have come from your network" in response.get_data(
        as_text=True
    )
    assert count_responses(app, campaign_id) == 3
