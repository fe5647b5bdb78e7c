"""What the anonymous survey pages cost: statements per request, and the questions of an
unanswered form rendered once and sent again (qaportal.feedback.views._fields_html)."""

from __future__ import annotations

import re

from sqlalchemy import select

from qaportal.db import get_session
from qaportal.feedback import aggregates
from qaportal.feedback import views as feedback_views
from qaportal.feedback.models import AnswerCount
from tests.feedback_support import (
    count_responses,
    csrf_of,
    make_campaign,
    make_codes,
    make_specification,
    open_survey,
)


def _questions(page: str) -> str:
    """The page from the first question to the submit button, whitespace folded."""
    body = page[page.index('<form method="post"') :]
    body = body[body.index("</", body.index('name="csrf_token"')) :]
    return re.sub(r"\s+", " ", body[: body.index("</form>")])


def test_survey_page_runs_two_statements_and_sends_the_same_questions(app, demo, count_queries):
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    first_token, second_token = make_codes(app, campaign_id, 2)
    feedback_views._FIELDS_HTML.clear()
    client = app.test_client()
    fresh = open_survey(client, first_token).get_data(as_text=True)
    with count_queries() as counter:
        again = client.get("/f")
    assert again.status_code == 200
    # the invitation with its campaign, and the micro-credential's title
    assert counter.count == 2
    kept = again.get_data(as_text=True)
    assert _questions(kept) == _questions(fresh)
    assert 'name="q_outcomes_clear" type="radio" value="5"' in kept
    assert "Data literacy" in kept
    # Another respondent, in German, gets the questions in German, not the kept English.
    other = app.test_client()
    other.get(f"/f/{second_token}?lang=de")
    german = other.get("/f").get_data(as_text=True)
    assert "Stimme zu" in german and "Stimme zu" not in kept
    assert csrf_of(other.get("/f")) != csrf_of(again)


def test_submission_runs_eight_statements_five_on_postgresql(app, demo, count_queries):
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    (token,) = make_codes(app, campaign_id, 1)
    client = app.test_client()
    page = open_survey(client, token)
    data = {
        "csrf_token": csrf_of(page),
        "q_outcomes_clear": "4",
        "q_support": "5",
        "q_workload_compared": "more",
        "q_purpose": ["current_job"],
        "q_comments_best": "The projects.",
    }
    with count_queries() as counter:
        response = client.post("/f", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    # load the invitation; use it up; re-write decoys; the response; its answers; three
    # counts (on PostgreSQL the answers and the counts are one statement)
    with app.app_context():
        postgresql = get_session().get_bind().dialect.name == "postgresql"
    assert counter.count == (5 if postgresql else 8)
    assert count_responses(app, campaign_id) == 1


def test_rows_beyond_one_statement_are_inserted_and_counted(app, demo):
    """A batch larger than one statement carries goes in several, and the upsert adds."""
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    rows = [
        {
            "campaign_id": campaign_id,
            "item_code": f"item_{n}",
            "specification_key": 0,
            "is_value": True,
            "value": 3,
            "choice": "",
            "count": 2,
        }
        for n in range(aggregates.MAX_VALUES_ROWS * 2 + 5)
    ]
    keys = ("campaign_id", "item_code", "specification_key", "value", "choice")
    with app.app_context():
        db = get_session()
        aggregates.insert_rows(db, AnswerCount.__table__, rows, keys)
        aggregates.insert_rows(db, AnswerCount.__table__, rows[:7], keys)
        db.commit()
        counts = dict(
            db.execute(
                select(AnswerCount.item_code, AnswerCount.count).where(
                    AnswerCount.campaign_id == campaign_id
                )
            ).all()
        )
    assert len(counts) == len(rows)
    assert [counts[f"item_{n}"] for n in (0, 6, 7, len(rows) - 1)] == [4, 4, 2, 2]
