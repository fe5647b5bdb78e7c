"""Criteria frameworks and questionnaires in several languages (issue 13): the
``translations:`` block of forms/*.yaml, `qaportal forms check`, and the pages that show the
texts in the reader's language (survey: the language of the invitation)."""

from __future__ import annotations

import copy
import html
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from qaportal.audit.services import Actor
from qaportal.cases import services as case_services
from qaportal.db import get_session
from qaportal.frameworks.loader import check_paths, check_text, translation_gaps
from qaportal.frameworks.localize import localize
from qaportal.frameworks.models import Criterion
from qaportal.frameworks.services import load_checked
from qaportal.orgs.models import Organisation
from qaportal.paths import FORMS_DIR
from tests.casekit import make_spec, org, user
from tests.conftest import login, post_form
from tests.feedback_support import make_campaign, make_codes, make_specification

ACTOR = Actor.system("test")
LANG_ATTR = re.compile(r'<html lang="([^"]+)"')

TRANSLATED = """\
format: 1
code: i18n-fw
kind: criteria
title: Quality criteria
edition: "2025"
source:
  citation: Written for the test
scales:
  met:
    title: Compliance
    levels:
      - {value: not_met, label: Not met}
      - {value: met, label: Met}
default_questions:
  - {code: narrative, type: narrative, prompt: "How do you meet it?"}
  - {code: rating, type: rating, prompt: Your rating}
criteria:
  - code: C1
    title: Completion
    statement: The provider monitors completion.
    guidance: ["Who monitors it?", "How often?"]
  - code: C2
    title: Public information
    statement: The provider publishes information.
    questions:
      - {code: narrative, type: narrative, prompt: "What do you publish?"}
      - code: channel
        type: single_choice
        prompt: Main channel
        options:
          - {value: web, label: Website}
          - {value: print, label: Printed brochure}
translations:
  fr:
    title: Critères de qualité
    source: {citation: Rédigé pour le test}
    scales:
      met:
        title: Conformité
        levels:
          not_met: {label: Non satisfait}
          met: {label: Satisfait}
    default_questions:
      narrative: {prompt: "Comment y satisfaites-vous ?"}
      rating: {prompt: Votre appréciation}
    criteria:
      C1:
        title: Achèvement
        statement: Le prestataire suit l'achèvement.
        guidance: ["Qui le suit ?", "À quelle fréquence ?"]
      C2:
        title: Information du public
        statement: Le prestataire publie des informations.
        questions:
          narrative: {prompt: "Que publiez-vous ?"}
          channel:
            prompt: Canal principal
            options: {web: Site web, print: Brochure imprimée}
"""


def _page(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def _lang(body: str) -> str:
    match = LANG_ATTR.search(body)
    assert match, "no <html lang>"
    return match.group(1)


def _write(tmp_path: Path, text: str, name: str = "i18n.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ----- the format and the check ----------------------------------------------------------------


def test_translations_are_stored_and_applied_by_code(app: Flask) -> None:
    with app.app_context():
        checked = check_text(TRANSLATED, "i18n.yaml")
        assert checked.ok, [str(e) for e in checked.errors]
        before = copy.deepcopy(checked.definition)
        french = localize(checked.definition, "fr")
    # a copy: the stored definition keeps every language, and the copy keeps its key order
    assert checked.definition == before
    assert list(french) == [key for key in before if key != "translations"]
    c1, c2 = french["criteria"]
    assert french["title"] == "Critères de qualité"
    assert french["scales"]["met"]["levels"][1]["label"] == "Satisfait"
    assert c1["title"] == "Achèvement"
    assert c1["guidance"] == ["Qui le suit ?", "À quelle fréquence ?"]
    # default questions, with their rating scale's labels, reach every criterion using them
    assert [q["prompt"] for q in c1["questions"]] == [
        "Comment y satisfaites-vous ?",
        "Votre appréciation",
    ]
    assert [lv["label"] for lv in c1["questions"][1]["levels"]] == ["Non satisfait", "Satisfait"]
    assert c2["questions"][1]["options"] == [
        {"value": "web", "label": "Site web"},
        {"value": "print", "label": "Brochure imprimée"},
    ]
    # a language without translations is the base text, and so is any text a language lacks
    german = localize(checked.definition, "de")
    assert german["criteria"][0]["title"] == "Completion"
    assert "translations" not in german and "translations" not in german["criteria"][0]
    c1["questions"][0]["prompt"] = "changed"
    assert "changed" not in str(checked.definition)


@pytest.mark.parametrize(
    ("change", "path", "reason"),
    [
        (
            ("      C1:\n", "      C9:\n"),
            "translations.fr.criteria.C9",
            'unknown criterion code "C9"',
        ),
        (
            ("          channel:\n", "          canal:\n"),
            "translations.fr.criteria.C2.questions.canal",
            'unknown question code "canal"',
        ),
        (
            ("options: {web: Site web,", "options: {tv: Télé,"),
            "translations.fr.criteria.C2.questions.channel.options.tv",
            'unknown option value "tv"',
        ),
        (
            ("title: Achèvement", 'title: ""'),
            "translations.fr.criteria.C1.title",
            "must not be empty",
        ),
        (
            ('guidance: ["Qui le suit ?", "À quelle fréquence ?"]', 'guidance: ["Qui le suit ?"]'),
            "translations.fr.criteria.C1.guidance",
            "has 1 entries; the base text has 2",
        ),
        (
            ("    title: Critères de qualité\n", "    titel: Critères\n"),
            "translations.fr.titel",
            'unknown field "titel"',
        ),
        (("  fr:\n", "  en:\n"), "translations.en", "the file is written in en already"),
    ],
)
def test_a_bad_translation_is_an_error_with_its_path(
    app: Flask, tmp_path: Path, change: tuple[str, str], path: str, reason: str
) -> None:
    assert TRANSLATED.count(change[0]) == 1
    file = _write(tmp_path, TRANSLATED.replace(*change))
    result = app.test_cli_runner().invoke(args=["forms", "check", str(file)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if f": {path}: " in line]
    assert lines, result.output
    assert reason in lines[0]
    assert re.match(rf"^{re.escape(str(file))}:\d+: ", lines[0]), lines[0]


def test_forms_check_flags_a_missing_translation(app: Flask, tmp_path: Path) -> None:
    text = TRANSLATED.replace("        title: Information du public\n", "")
    file = _write(tmp_path, text)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["forms", "check", str(file)])
    assert result.exit_code == 0, result.output  # shown in English meanwhile: a warning
    line_of_title = text.splitlines().index("    title: Public information") + 1
    assert f"{file}:{line_of_title}: criteria[1].title: no fr translation" in result.output
    # German is offered by the portal and this file has none at all: every text is listed
    assert "criteria[0].guidance[1]: no de translation" in result.output
    strict = runner.invoke(args=["forms", "check", "--strict", str(file)])
    assert strict.exit_code == 1


def test_the_shipped_files_have_every_text_in_french_and_german(app: Flask) -> None:
    with app.app_context():
        results = check_paths([FORMS_DIR])
        assert all(r.ok for r in results), [str(e) for r in results for e in r.errors]
        assert {"en", "fr", "de"} <= set(app.config["LANGUAGES"])
        gaps = [str(g) for r in results for g in translation_gaps(r, ["en", "fr", "de"])]
    by_file: dict[str, int] = {}
    for gap in gaps:
        by_file[gap.split(":", 1)[0]] = by_file.get(gap.split(":", 1)[0], 0) + 1
    assert not gaps, f"missing translations per file: {by_file}; first: {gaps[:5]}"


def test_a_file_without_translations_keeps_its_content_hash(app: Flask) -> None:
    """Existing databases: files nobody translated load as the version they already have."""
    untranslated = TRANSLATED[: TRANSLATED.index("translations:")]
    with app.app_context():
        plain = check_text(untranslated, "a.yaml")
        translated = check_text(TRANSLATED, "b.yaml")
    assert plain.ok and translated.ok
    assert "translations" not in plain.definition
    assert "translations" not in plain.definition["criteria"][0]
    assert plain.content_hash != translated.content_hash


# ----- surveys: the language of the invitation --------------------------------------------------


def _campaign_token(app: Flask) -> tuple[int, str]:
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    (token,) = make_codes(app, campaign_id, 1)
    return campaign_id, token


def test_a_french_learner_answers_the_survey_in_french(app: Flask, demo: Any) -> None:
    _campaign_id, token = _campaign_token(app)
    client = app.test_client()
    english = {"Accept-Language": "en"}  # the browser says English; the link says French
    assert client.get(f"/f/{token}?lang=fr", headers=english).status_code == 303
    page = client.get("/f", headers=english)
    body = _page(page)
    assert page.status_code == 200
    assert _lang(body) == "fr"
    assert "Les acquis d'apprentissage étaient clairement énoncés avant le début" in body
    assert "Tout à fait d'accord" in body and "Ni satisfait ni insatisfait" in body
    assert "Acquis d'apprentissage et charge de travail" in body  # a section title
    assert "Beaucoup plus faible" in body  # an option label
    assert "The learning outcomes were stated clearly" not in body
    assert "Strongly agree" not in body
    assert "n'est pas disponible" not in body and "not available" not in body


def test_a_german_link_shows_german_and_answers_are_stored_by_code(app: Flask, demo: Any) -> None:
    _campaign_id, token = _campaign_token(app)
    client = app.test_client()
    client.get(f"/f/{token}?lang=de")
    body = _page(client.get("/f"))
    assert _lang(body) == "de"
    assert "Stimme voll und ganz zu" in body
    assert "Die Lernergebnisse wurden vor Beginn klar angegeben." in body


def test_a_language_the_campaign_does_not_offer_falls_back_with_a_note(
    app: Flask, demo: Any
) -> None:
    _campaign_id, token = _campaign_token(app)
    with app.app_context():
        db = get_session()
        agency = db.execute(select(Organisation).where(Organisation.acronym == "DAQA")).scalar_one()
        agency.text_language = "de"  # the agency's default language
        db.commit()
    client = app.test_client()
    french = {"Accept-Language": "fr"}
    client.get(f"/f/{token}?lang=it", headers=french)
    body = _page(client.get("/f", headers=french))
    assert _lang(body) == "de"
    assert "Stimme voll und ganz zu" in body
    assert "Italienisch" in body  # the note names the language asked for, in German
    assert "Deutsch" in body.split("Italienisch", 1)[1][:200]  # … and the one it is shown in


def test_an_unoffered_language_without_agency_default_uses_the_questionnaire_language(
    app: Flask, demo: Any
) -> None:
    _campaign_id, token = _campaign_token(app)
    client = app.test_client()
    client.get(f"/f/{token}?lang=<script>")
    raw = client.get("/f").get_data(as_text=True)
    body = html.unescape(raw)
    assert _lang(body) == "en"
    assert "The learning outcomes were stated clearly before I started." in body
    assert "the language the link asked for" in body
    assert "&lt;script&gt;" not in raw  # what the link asked for is not echoed


# ----- a criterion page in the user's language ------------------------------------------------


def _case_on_translated_framework(app: Flask) -> tuple[int, dict[str, int]]:
    with app.app_context():
        db = get_session()
        result = load_checked(db, check_text(TRANSLATED, "i18n.yaml"), ACTOR)
        agency, udv = org(db, "DAQA"), org(db, "UDV")
        spec = make_spec(db, udv.id, "Data analysis for beginners")
        admin = user(db, "admin@university.example.org")
        case = case_services.open_case(
            db,
            udv,
            agency,
            framework_ids=[result.framework_id],
            specification_ids=[spec.id],
            contact_name="Paula Provider",
            contact_email="contact@university.example.org",
            user=admin,
            actor=Actor(admin.id, admin.email),
        )
        db.commit()
        ids = {
            c.code: c.id
            for c in db.execute(
                select(Criterion).where(Criterion.framework_version_id == result.version_id)
            ).scalars()
        }
        return case.id, ids


def test_a_french_users_criterion_page_is_in_french(app: Flask, demo: Any) -> None:
    case_id, criteria = _case_on_translated_framework(app)
    client = app.test_client()
    login(client, "admin@university.example.org", demo.password)
    post_form(client, "/language", {"language": "fr"}, token_from="/")
    body = _page(client.get(f"/cases/{case_id}/criteria/{criteria['C2']}"))
    assert _lang(body) == "fr"
    assert "C2 Information du public" in body
    assert "Le prestataire publie des informations." in body
    assert "Que publiez-vous ?" in body and "Brochure imprimée" in body
    assert "Public information" not in body and "Printed brochure" not in body
    c1 = _page(client.get(f"/cases/{case_id}/criteria/{criteria['C1']}"))
    assert "C1 Achèvement" in c1 and "Qui le suit ?" in c1
    assert "Satisfait" in c1 and "Votre appréciation" in c1
    overview = _page(client.get(f"/cases/{case_id}/self-assessment"))
    assert "Achèvement" in overview and "Critères de qualité" in overview

    post_form(client, "/language", {"language": "en"}, token_from="/")
    english = _page(client.get(f"/cases/{case_id}/criteria/{criteria['C2']}"))
    assert "C2 Public information" in english and "Printed brochure" in english


def test_forms_check_asks_for_every_language_the_portal_offers(app: Flask, tmp_path: Path) -> None:
    """An agency that enables Italian (QAPORTAL_LANGUAGES) sees what its files lack."""
    file = _write(tmp_path, TRANSLATED)
    app.config["LANGUAGES"] = {"en": "English", "fr": "Français", "it": "Italiano"}
    result = app.test_cli_runner().invoke(args=["forms", "check", str(file)])
    assert "criteria[0].title: no it translation" in result.output
    assert "no fr translation" not in result.output  # French is complete in this file
    assert "no de translation" not in result.output  # German is not offered here


def test_an_invitation_mail_links_to_the_survey_in_its_own_language(app: Flask, demo: Any) -> None:
    from qaportal.feedback import services as feedback_services
    from qaportal.feedback.models import Campaign

    campaign_id, _token = _campaign_token(app)
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        campaign = get_session().get(Campaign, campaign_id)
        subject, body = feedback_services._invitation_mail(
            campaign, "http://localhost/f/ABC", reminder=False
        )
    assert "Your feedback on" not in subject  # the mail itself is in German
    assert "http://localhost/f/ABC?lang=de" in body


def test_a_report_lists_criteria_in_the_language_it_is_rendered_in(app: Flask, demo: Any) -> None:
    from flask_babel import force_locale

    from qaportal.cases.models import Case
    from qaportal.reporting.documents.data import criteria_rows

    case_id, _criteria = _case_on_translated_framework(app)
    with app.test_request_context("/"):
        db = get_session()
        case = db.get(Case, case_id)
        with force_locale("de"):
            german = [(r.framework, r.title) for r in criteria_rows(db, case)]
        with force_locale("fr"):
            french = [(r.framework, r.title) for r in criteria_rows(db, case)]
    assert french == [
        ("Critères de qualité", "Achèvement"),
        ("Critères de qualité", "Information du public"),
    ]
    assert german == [
        ("Quality criteria", "Completion"),
        ("Quality criteria", "Public information"),
    ]


def test_a_campaign_on_an_untranslated_version_keeps_working(app: Flask, demo: Any) -> None:
    """A database from before the translations: its questionnaire version is English only.
    A French link still opens the survey, in English, and says why."""
    learner = FORMS_DIR / "questionnaires" / "learner-feedback.yaml"
    text = learner.read_text(encoding="utf-8")
    english_only = text[: text.index("\ntranslations:")] + "\n"
    with app.app_context():
        db = get_session()
        checked = check_text(english_only, "forms/questionnaires/learner-feedback.yaml")
        assert checked.ok and "translations" not in checked.definition
        result = load_checked(db, checked, ACTOR)
        db.commit()
        assert result.created  # the translated file loaded by the demo is another version
    _campaign_id, token = _campaign_token(app)
    client = app.test_client()
    client.get(f"/f/{token}?lang=fr")
    page = client.get("/f")
    body = _page(page)
    assert page.status_code == 200
    assert "The learning outcomes were stated clearly before I started." in body
    assert "Strongly agree" in body
    assert "This survey is not available in French; it is shown in English." in body
