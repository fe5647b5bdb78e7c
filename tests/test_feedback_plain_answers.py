"""A submission is read without building the survey form when the form would accept it
(``SurveyFormBase.plain_answers``), and its questionnaire comes from the shared memo keyed by
the version and its carried translations (``questionnaire.for_stored``): neither may differ
from what the form and the stored version say."""

from __future__ import annotations

import dataclasses
import html
import random
from typing import Any

from flask import Flask
from werkzeug.datastructures import MultiDict

from qaportal.audit.services import Actor
from qaportal.db import get_session
from qaportal.feedback import questionnaire as qn
from qaportal.feedback import services
from qaportal.feedback.forms import survey_form_class
from qaportal.frameworks.loader import check_text
from qaportal.frameworks.services import load_checked
from qaportal.paths import FORMS_DIR
from tests.feedback_support import (
    count_responses,
    csrf_of,
    make_campaign,
    make_codes,
    make_specification,
    open_survey,
)

SEED = 20261201
# Values a respondent (or a forged request) may send for a field.
ODD_VALUES = ["", " ", "9", "0", "-1", "nope", "3 ", "<b>x</b>", "a\x00b", "\x0b", "é"]


GOOD_TEXTS = ["", "   ", "Fine.", "two\r\nlines\tand a tab", "é" * 50]
BAD_TEXTS = ["bad \x00 nul", "bad \x1f unit", "bad \x0b tab"]


def _value(rng: random.Random, item: qn.Item, bad: float) -> list[str] | None:
    """What is posted for one item: nothing, or one or more values, each wrong with
    probability ``bad``."""
    if rng.random() < 0.15:
        return None
    wrong = rng.random() < bad
    offered = (
        [str(level.value) for level in item.levels]
        if item.is_likert
        else [option.code for option in item.options]
    )
    if item.is_text:
        longest = ["x" * item.max_length, "x" * (item.max_length + 1)]
        text = rng.choice(BAD_TEXTS + longest[1:] if wrong else GOOD_TEXTS + longest[:1])
        return [text] if rng.random() < 0.9 else [text, "second"]
    if not wrong:
        count = rng.choice([1, 1, 1, 2, 3]) if item.type == qn.MULTIPLE else rng.choice([1, 1, 2])
        values = [rng.choice(offered) for _ in range(count)]
        if item.type != qn.MULTIPLE and rng.random() < 0.2:
            values.append(rng.choice(ODD_VALUES))  # a radio group reads the first value only
        return values
    values = [rng.choice(ODD_VALUES)]
    if rng.random() < 0.3:
        values.insert(rng.randrange(2), rng.choice(offered))
    return values


def _submission(rng: random.Random, questionnaire: qn.Questionnaire, spec_ids: list[int]) -> Any:
    bad = rng.choice([0.0, 0.0, 0.02, 0.1, 0.5])
    data: MultiDict[str, str] = MultiDict()
    for item in questionnaire.items:
        values = _value(rng, item, bad)
        for value in values or []:
            data.add("q_" + item.code, value)
    if rng.random() < 0.5:
        good = ["", *(str(s) for s in spec_ids)]
        data.add("specification", rng.choice([*good, "999999", " 1", "x"] if bad else good))
    if rng.random() < bad:
        data.add("q_not_a_question", "1")
    if rng.random() < 0.05:
        data.add("something_else", "1")
    return data


def _with_required(questionnaire: qn.Questionnaire, rng: random.Random) -> qn.Questionnaire:
    """The same questionnaire with some items required (the files have none)."""
    sections = tuple(
        dataclasses.replace(
            section,
            items=tuple(
                dataclasses.replace(item, required=rng.random() < 0.15) for item in section.items
            ),
        )
        for section in questionnaire.sections
    )
    return dataclasses.replace(questionnaire, sections=sections)


def test_plain_answers_are_what_the_form_accepts_on_random_submissions(app: Flask, demo) -> None:
    rng = random.Random(SEED)
    one = make_campaign(app, [make_specification(app, "Data literacy")])
    two = make_campaign(app, [make_specification(app, "Zeta"), make_specification(app, "Alpha")])
    accepted = refused = 0
    with app.test_request_context(method="POST"):
        db = get_session()
        for campaign_id in (one, two):
            campaign = services.load_campaign(db, campaign_id)
            assert campaign is not None
            base = qn.for_version(campaign.questionnaire_version)
            choices = services.specification_choices(db, campaign.specification_ids)
            for questionnaire in (base, _with_required(base, rng)):
                form_class = survey_form_class(questionnaire, choices)
                for _ in range(400):
                    data = _submission(rng, questionnaire, campaign.specification_ids)
                    plain = form_class.plain_answers(data)
                    form = form_class(formdata=data, meta={"csrf": False})
                    valid = form.validate() and not form.unknown_fields(list(data.keys()))
                    assert (plain is not None) == valid, (dict(data.lists()), form.errors)
                    if valid:
                        assert plain == form.answers()
                        accepted += 1
                    else:
                        refused += 1
    # Both sides were exercised, not just one.
    assert accepted > 100 and refused > 100


def test_a_refused_answer_still_shows_the_form_with_what_was_typed(app: Flask, demo) -> None:
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    first, second = make_codes(app, campaign_id, 2)
    client = app.test_client()
    token = csrf_of(open_survey(client, first))
    refused = client.post(
        "/f",
        data={"csrf_token": token, "q_outcomes_clear": "9", "q_comments_best": "kept <text>"},
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "kept &lt;text&gt;" in page and count_responses(app, campaign_id) == 0
    # No answer at all passes the form but not the service: the page says so.
    empty = client.post("/f", data={"csrf_token": token, "q_comments_best": "  "})
    assert empty.status_code == 422
    assert "You have not answered any question" in html.unescape(empty.get_data(as_text=True))
    stored = client.post("/f", data={"csrf_token": token, "q_outcomes_clear": "4"})
    assert stored.status_code == 303 and count_responses(app, campaign_id) == 1
    # Without a valid CSRF token nothing is read, plainly or otherwise.
    other = app.test_client()
    open_survey(other, second)
    forged = other.post("/f", data={"csrf_token": "forged", "q_outcomes_clear": "4"})
    assert forged.status_code == 400 and count_responses(app, campaign_id) == 1


def _learner_text(reworded: str) -> str:
    text = (FORMS_DIR / "questionnaires" / "learner-feedback.yaml").read_text(encoding="utf-8")
    return text.replace("I knew its criteria in advance.", reworded)


def _french_page(client: Any, token: str) -> str:
    """The survey sent back in French after a refused answer."""
    response = client.post("/f", data={"csrf_token": token, "q_outcomes_clear": "9"})
    assert response.status_code == 422
    return html.unescape(response.get_data(as_text=True))


def test_a_submission_sees_translations_carried_to_its_version_and_a_new_version(
    app: Flask, demo
) -> None:
    """The memo is keyed by version id, content hash and carried-translations marker, read
    from the database on every submission: carrying must not leave it stale."""
    actor = Actor.system("test")
    english = "The learning outcomes were stated clearly before I started."
    french = "Les acquis d'apprentissage étaient clairement énoncés avant le début de la formation."
    reworded = _learner_text("its criteria were published in advance.")
    with app.app_context():
        db = get_session()
        # A newer version in English only: the campaign below asks it.
        english_only = reworded[: reworded.index("\ntranslations:")] + "\n"
        load_checked(db, check_text(english_only, "learner-feedback.yaml"), actor)
        db.commit()
    spec = make_specification(app, "Data literacy")
    campaign_id = make_campaign(app, [spec])
    (token,) = make_codes(app, campaign_id, 1)
    client = app.test_client()
    csrf = csrf_of(open_survey(client, token))
    with client.session_transaction() as browser:
        browser["lang"] = "fr"
    before = _french_page(client, csrf)
    assert english in before and french not in before
    with app.app_context():
        db = get_session()
        # The same texts with their translations: carried to the campaign's version.
        load_checked(db, check_text(reworded, "learner-feedback.yaml"), actor)
        db.commit()
    after = _french_page(client, csrf)
    assert french in after and english not in after
    # A campaign on the newest version (another id) gets its own questionnaire.
    newest = make_campaign(app, [spec], title="Autumn")
    (other_token,) = make_codes(app, newest, 1)
    other = app.test_client()
    other_csrf = csrf_of(open_survey(other, other_token))
    with other.session_transaction() as browser:
        browser["lang"] = "fr"
    assert french in _french_page(other, other_csrf)
    stored = client.post("/f", data={"csrf_token": csrf, "q_outcomes_clear": "4"})
    assert stored.status_code == 303 and count_responses(app, campaign_id) == 1
