"""Translations: the language switcher, and catalogues that are in step with the code."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.conftest import csrf_token, login, post_form

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "qaportal" / "translations"
POT = TRANSLATIONS / "messages.pot"

REFRESH = (
    "refresh the catalogues (see 'Translations' in the README):\n"
    "  pybabel extract -F babel.cfg --no-location --sort-output "
    "-o qaportal/translations/messages.pot .\n"
    "  pybabel update -i qaportal/translations/messages.pot -d qaportal/translations "
    "--no-fuzzy-matching --ignore-obsolete\n"
    "  pybabel compile -d qaportal/translations"
)


def _switch(client, language: str, next_url: str = "/login"):
    return post_form(
        client, "/language", {"language": language, "next": next_url}, token_from=next_url
    )


def test_language_switcher_turns_the_sign_in_page_french(client):
    english = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in english
    assert "Sign in" in english

    response = _switch(client, "fr")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")

    french = client.get("/login").get_data(as_text=True)
    assert '<html lang="fr">' in french
    assert "Se connecter" in french
    assert "Mot de passe" in french
    assert "Aller au contenu principal" in french  # the base layout's skip link

    _switch(client, "en")
    assert "Sign in" in client.get("/login").get_data(as_text=True)


def test_switcher_needs_csrf_and_ignores_unknown_languages(client):
    csrf_token(client, "/login")
    assert client.post("/language", data={"language": "fr"}).status_code == 400
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)

    _switch(client, "xx")
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)


def test_switcher_does_not_redirect_off_site(client):
    response = _switch(client, "fr", next_url="/login")
    assert response.status_code == 302
    token = csrf_token(client, "/login")
    response = client.post(
        "/language", data={"csrf_token": token, "language": "fr", "next": "//evil.example"}
    )
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


def test_browser_preference_picks_french(client):
    page = client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert "Se connecter" in page.get_data(as_text=True)


def test_browser_preference_picks_german(client):
    page = client.get("/login", headers={"Accept-Language": "de-AT,de;q=0.9,en;q=0.5"})
    html = page.get_data(as_text=True)
    assert '<html lang="de"' in html and "Anmelden" in html and "Sign in" not in html


def test_dashboard_and_error_pages_in_french(client, demo):
    login(client, "admin@agency.example.org", demo.password)
    _switch(client, "fr", next_url="/dashboard")
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Tableau de bord" in dashboard
    assert "Administrateur de l’agence" in dashboard
    assert "Se déconnecter" in dashboard
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert "Page introuvable" in missing.get_data(as_text=True)


def _key(message: Any) -> tuple[str | None, str]:
    return message.context, message.id if isinstance(message.id, str) else message.id[0]


def _keys(catalog: Catalog) -> set[tuple[str | None, str]]:
    return {_key(m) for m in catalog if m.id}


def _strings(string: Any) -> tuple[str, ...]:
    return (string,) if isinstance(string, str) else tuple(string)


def _read_po(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f)


def test_message_template_is_up_to_date(tmp_path: Path):
    fresh = tmp_path / "messages.pot"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from babel.messages.frontend import main; sys.exit(main())",
            "extract",
            "-F",
            "babel.cfg",
            "--no-location",
            "--sort-output",
            "-o",
            str(fresh),
            ".",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    extracted, committed = _keys(_read_po(fresh)), _keys(_read_po(POT))
    new, gone = sorted(extracted - committed), sorted(committed - extracted)
    assert not new and not gone, (
        f"messages.pot is out of date: {len(new)} new, {len(gone)} gone "
        f"(e.g. {(new or gone)[:3]}); {REFRESH}"
    )


@pytest.mark.parametrize("language", ["fr", "de"])
def test_each_catalogue_follows_the_template_and_is_compiled(language: str):
    template = _keys(_read_po(POT))
    po_path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    catalogue = _read_po(po_path)
    assert _keys(catalogue) == template, f"the {language} catalogue lags messages.pot; {REFRESH}"

    with (po_path.with_suffix(".mo")).open("rb") as f:
        compiled = {_key(m): _strings(m.string) for m in read_mo(f) if m.id}
    expected = {
        _key(m): _strings(m.string)
        for m in catalogue
        if m.id and all(_strings(m.string)) and not m.fuzzy
    }
    stale = sorted(k for k, v in expected.items() if compiled.get(k) != v)
    assert not stale, f"messages.mo is not compiled from messages.po ({stale[:3]}); {REFRESH}"
    # Every string is translated: a page must not switch language halfway.
    missing = sorted(k for k in template if k not in expected)
    assert not missing, f"{len(missing)} strings have no {language} translation, e.g. {missing[:3]}"


def test_every_interface_language_has_a_catalogue(tmp_path: Path):
    from qaportal.config import load_config

    languages = load_config(tmp_path, {})["LANGUAGES"]
    assert set(languages) == {"en", "fr", "de"}
    for language in set(languages) - {"en"}:
        assert (TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo").is_file()


def test_counted_texts_have_plural_forms():
    """A text with a count is an ngettext pair, in the code and in every translation:
    "%(n)d item(s)" cannot be translated into a language with more than one plural form
    (Polish, Czech, Slovenian, …), and reads as a form to fill in."""
    counted = re.compile(r"%\((?:n|num|count|[a-z_]+)\)d")
    hand_made = re.compile(r"\w\((?:s|es|e|en|er|n)\)")
    singular_only = sorted(
        text
        for _context, text in _keys(_read_po(POT))
        if counted.search(text) and hand_made.search(text)
    )
    assert not singular_only, f"use ngettext for: {singular_only}"
    for language in ("fr", "de"):
        catalogue = _read_po(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po")
        translated = sorted(
            string
            for m in catalogue
            if m.id
            for string in _strings(m.string)
            if counted.search(string) and hand_made.search(string)
        )
        assert not translated, f"{language}: a plural form in each msgstr[n]: {translated}"


def test_framework_and_questionnaire_titles_follow_the_language(app, client, demo):
    """The titles come from each file's translations wherever a case or campaign names
    them, not only on the self-assessment."""
    from sqlalchemy import select

    from qaportal.cases.models import Case
    from qaportal.db import get_session
    from qaportal.demo import seed_demo_case, seed_demo_feedback, seed_frameworks

    with app.app_context():
        seed_frameworks()
        reference = seed_demo_case()
        campaign_id = seed_demo_feedback()
        get_session().commit()
        case = get_session().execute(select(Case).where(Case.reference == reference)).scalar_one()
        case_id, provider_id, agency_id = case.id, case.provider_id, case.agency_id
    login(client, "admin@university.example.org", demo.password)
    _switch(client, "fr", next_url="/dashboard")
    principles = "Principes européens pour la conception et la délivrance de microcertifications"
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert principles in page and "European principles for the design" not in page
    page = client.get(f"/providers/{provider_id}/cases/new?agency={agency_id}")
    assert principles in page.get_data(as_text=True)
    page = client.get(f"/feedback/campaigns/{campaign_id}").get_data(as_text=True)
    assert "Avis des apprenants sur une microcertification" in page
    assert "Learner feedback on a micro-credential" not in page
    page = client.get(f"/cases/{case_id}/self-assessment").get_data(as_text=True)
    assert "brouillon" in page and "(s)" not in page


def test_catalogue_filters_name_countries_and_languages_in_the_visitors_language(client, demo):
    page = client.get("/catalogue", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Allemagne (" in page and "Germany (" not in page
    assert "Anglais (" in page or "anglais (" in page
    assert "English (" not in page


def test_translated_texts_hold_no_markup_and_lazy_ones_are_escaped(app):
    """Lazy texts are escaped on the page (qaportal.extensions): that is safe only while
    no message carries markup of its own."""
    from flask import render_template_string
    from flask_babel import lazy_gettext

    # Placeholders such as "<UUID>" are text, shown escaped; HTML elements would be markup.
    tag = re.compile(r"<\s*/?\s*(a|abbr|b|br|code|em|i|img|li|p|script|span|strong|ul)\b[^>]*>")
    for path in (POT, *TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
        marked = [key for key in _keys(_read_po(path)) if tag.search(key[1])]
        assert marked == [], f"{path.name}: {marked}"
    with app.test_request_context():
        text = lazy_gettext("Unknown language code: %(codes)s.", codes="<b>x</b>")
        assert render_template_string("{{ text }}", text=text) == (
            "Unknown language code: &lt;b&gt;x&lt;/b&gt;."
        )


def test_templates_follow_a_change_of_language_within_a_request(app):
    """Templates remember the request's catalogue (qaportal.web.i18n); an email rendered in
    its recipient's language (force_locale) or a new choice (refresh) must still switch."""
    from flask import session
    from flask_babel import force_locale, refresh

    page = app.jinja_env.from_string(
        "{{ _('Sign in') }} / {{ ngettext('%(num)d day', '%(num)d days', 2) }}"
    )
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert page.render().startswith("Se connecter / ")
        with force_locale("de"):
            assert page.render().startswith("Anmelden / ")
        assert page.render().startswith("Se connecter / ")
        session["lang"] = "de"
        refresh()
        assert page.render().startswith("Anmelden / ")
    with app.app_context():
        assert page.render().startswith("Sign in / ")


def test_form_messages_of_wtforms_follow_the_visitors_language(app):
    """WTForms' own messages ("Not a valid choice.") come from its catalogues in the request's
    language, read once per language (qaportal.web.i18n.wtforms_translations), for the
    portal's forms and for plain subforms alike."""
    from wtforms import SelectChoice, SelectField

    from qaportal.web.forms import PortalForm, PortalSubform

    class Pick(PortalForm):
        colour = SelectField(choices=[SelectChoice("red", "Red")])

    class Filter(PortalSubform):
        colour = SelectField(choices=[SelectChoice("red", "Red")])

    app.config["WTF_CSRF_ENABLED"] = False
    expected = {"fr": "N'est pas un choix valide.", "de": "Keine gültige Auswahl.", "en": None}
    for _round in range(2):  # the second time from the remembered catalogues
        for language, message in expected.items():
            headers = {"Accept-Language": language}
            with app.test_request_context(
                "/", method="POST", data={"colour": "blue"}, headers=headers
            ):
                for form in (Pick(), Filter(formdata=None, data={"colour": "blue"})):
                    assert not form.validate()
                    assert form.colour.errors == [message or "Not a valid choice."], language
