"""A code typed on the entry page opens the survey in the language of the page that sent the
respondent there (``/f?lang=``), else in the interface language, as a survey link does."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from qaportal.db import get_session
from qaportal.orgs.models import Organisation
from tests.feedback_support import csrf_of, make_campaign, make_codes, make_specification

LANG_ATTR = re.compile(r'<html lang="([^"]+)"')
ENGLISH = {"Accept-Language": "en"}
FRENCH_ITEM = "Les acquis d'apprentissage étaient clairement énoncés avant le début"
ENGLISH_ITEM = "The learning outcomes were stated clearly before I started."


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _lang(body: str) -> str:
    match = LANG_ATTR.search(body)
    assert match, "no <html lang>"
    return match.group(1)


def _hidden_lang(body: str) -> str:
    match = re.search(r'<input[^>]*name="lang"[^>]*>', body)
    assert match, "no hidden lang field"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def _token(app) -> str:
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    (token,) = make_codes(app, campaign_id, 1)
    return token


def test_the_entry_page_keeps_the_language_it_was_opened_in(app, demo):
    token = _token(app)
    respondent = app.test_client()
    entry = respondent.get("/f?lang=fr", headers=ENGLISH)
    body = _text(entry)
    assert entry.status_code == 200
    assert _lang(body) == "fr" and _hidden_lang(body) == "fr"
    assert "Commencer le questionnaire" in body and "Start the survey" not in body

    # showing the page stored nothing: without ?lang= it follows the browser again
    assert _lang(_text(respondent.get("/f", headers=ENGLISH))) == "en"

    answer = respondent.post(
        "/f/code",
        data={"csrf_token": csrf_of(entry), "code": token, "lang": "fr"},
        headers=ENGLISH,
    )
    assert answer.status_code == 303
    survey = _text(respondent.get("/f", headers=ENGLISH))
    assert _lang(survey) == "fr"
    assert FRENCH_ITEM in survey and ENGLISH_ITEM not in survey
    assert "n'est pas disponible" not in survey


def test_without_lang_the_survey_opens_in_the_interface_language(app, demo):
    token = _token(app)
    respondent = app.test_client()
    german = {"Accept-Language": "de"}
    entry = respondent.get("/f", headers=german)
    assert _lang(_text(entry)) == "de" and _hidden_lang(_text(entry)) == ""
    respondent.post("/f/code", data={"csrf_token": csrf_of(entry), "code": token}, headers=german)
    survey = _text(respondent.get("/f", headers=german))
    assert _lang(survey) == "de"
    assert "Die Lernergebnisse wurden vor Beginn klar angegeben." in survey


def test_a_language_the_campaign_does_not_offer_falls_back_with_the_note(app, demo):
    token = _token(app)
    with app.app_context():
        db = get_session()
        agency = db.execute(select(Organisation).where(Organisation.acronym == "DAQA")).scalar_one()
        agency.text_language = "de"
        db.commit()
    respondent = app.test_client()
    entry = respondent.get("/f?lang=it", headers=ENGLISH)
    assert _hidden_lang(_text(entry)) == "it"
    respondent.post(
        "/f/code", data={"csrf_token": csrf_of(entry), "code": token, "lang": "it"}, headers=ENGLISH
    )
    survey = _text(respondent.get("/f", headers=ENGLISH))
    assert _lang(survey) == "de"
    assert "Stimme voll und ganz zu" in survey
    assert "Italienisch" in survey  # the note names the language asked for, in German


def test_a_mistyped_code_keeps_the_language_and_what_was_typed(app, demo):
    _token(app)
    respondent = app.test_client()
    entry = respondent.get("/f?lang=fr", headers=ENGLISH)
    answer = respondent.post(
        "/f/code",
        data={"csrf_token": csrf_of(entry), "code": "", "lang": "fr"},
        headers=ENGLISH,
    )
    body = _text(answer)
    assert answer.status_code == 422
    assert _lang(body) == "fr" and _hidden_lang(body) == "fr"
    wrong = respondent.post(
        "/f/code",
        data={"csrf_token": csrf_of(entry), "code": "ABC-DEF", "lang": "fr"},
        headers=ENGLISH,
    )
    assert wrong.status_code == 303
    assert _lang(_text(respondent.get("/f", headers=ENGLISH))) == "en"  # nothing was chosen
