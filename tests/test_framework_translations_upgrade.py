"""Versions loaded before their file was translated pick up the translations of the texts
they share word for word with the current file (qaportal.frameworks.carry)."""

from __future__ import annotations

import html
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from qaportal.audit.models import AuditEvent
from qaportal.audit.services import Actor
from qaportal.cases import services as case_services
from qaportal.db import get_session
from qaportal.frameworks.loader import check_text
from qaportal.frameworks.localize import localize
from qaportal.frameworks.models import Criterion, FrameworkVersion
from qaportal.frameworks.services import load_checked
from qaportal.paths import FORMS_DIR
from tests.casekit import make_spec, org, user
from tests.conftest import login, post_form
from tests.test_forms_i18n import TRANSLATED

ACTOR = Actor.system("test")
# The same file before it was translated; C2's English has changed since.
OLD_ENGLISH = TRANSLATED[: TRANSLATED.index("translations:")].replace(
    "title: Public information", "title: Information for the public"
)


def _page(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def _old_case(app: Flask) -> tuple[int, int, dict[str, int]]:
    with app.app_context():
        db = get_session()
        old = load_checked(db, check_text(OLD_ENGLISH, "i18n.yaml"), ACTOR)
        agency, udv = org(db, "DAQA"), org(db, "UDV")
        admin = user(db, "admin@university.example.org")
        case = case_services.open_case(
            db,
            udv,
            agency,
            framework_ids=[old.framework_id],
            specification_ids=[make_spec(db, udv.id, "Data analysis for beginners").id],
            contact_name="Paula Provider",
            contact_email="contact@university.example.org",
            user=admin,
            actor=Actor(admin.id, admin.email),
        )
        db.commit()
        rows = db.scalars(select(Criterion).where(Criterion.framework_version_id == old.version_id))
        return case.id, old.version_id, {c.code: c.id for c in rows}


def _carried_events(app: Flask, version_id: int) -> list[AuditEvent]:
    with app.app_context():
        return list(
            get_session().scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "framework.translations_carried",
                    AuditEvent.object_id == str(version_id),
                )
            )
        )


def test_an_old_case_shows_the_new_translations_where_the_english_is_unchanged(
    app: Flask, demo: Any
) -> None:
    case_id, old_version_id, criteria = _old_case(app)
    client = app.test_client()
    login(client, "admin@university.example.org", demo.password)
    post_form(client, "/language", {"language": "fr"}, token_from="/")
    before = _page(client.get(f"/cases/{case_id}/criteria/{criteria['C1']}"))
    assert "C1 Completion" in before and "Achèvement" not in before

    with app.app_context():
        db = get_session()
        new = load_checked(db, check_text(TRANSLATED, "i18n.yaml"), ACTOR)
        db.commit()
    assert new.created and new.version_id != old_version_id

    c1 = _page(client.get(f"/cases/{case_id}/criteria/{criteria['C1']}"))
    assert "C1 Achèvement" in c1
    assert "Le prestataire suit l'achèvement." in c1 and "Qui le suit ?" in c1
    assert "Comment y satisfaites-vous ?" in c1 and "Satisfait" in c1
    assert "C1 Completion" not in c1
    # C2's English changed: no French (which translates other words), not even in part
    c2 = _page(client.get(f"/cases/{case_id}/criteria/{criteria['C2']}"))
    assert "C2 Information for the public" in c2
    assert "The provider publishes information." in c2 and "Printed brochure" in c2
    assert "Information du public" not in c2 and "Brochure imprimée" not in c2
    overview = _page(client.get(f"/cases/{case_id}/self-assessment"))
    assert "Critères de qualité" in overview  # the unchanged file title

    post_form(client, "/language", {"language": "en"}, token_from="/")
    english = _page(client.get(f"/cases/{case_id}/criteria/{criteria['C1']}"))
    assert "C1 Completion" in english and "Achèvement" not in english

    (event,) = _carried_events(app, old_version_id)
    assert event.actor_label == ACTOR.label
    # the next load of the same files changes nothing and records nothing
    with app.app_context():
        db = get_session()
        assert not load_checked(db, check_text(TRANSLATED, "i18n.yaml"), ACTOR).created
        db.commit()
    assert len(_carried_events(app, old_version_id)) == 1


def test_an_unchanged_file_loaded_again_brings_older_versions_up_to_date(app: Flask) -> None:
    """An installation that loaded the translated file before carrying existed."""
    with app.app_context():
        db = get_session()
        old = load_checked(db, check_text(OLD_ENGLISH, "i18n.yaml"), ACTOR)
        new = load_checked(db, check_text(TRANSLATED, "i18n.yaml"), ACTOR)
        db.commit()
        # undo what the first load carried, as if it had been loaded by an older qaportal
        db.execute(
            FrameworkVersion.__table__.update()
            .where(FrameworkVersion.id == old.version_id)
            .values(definition=check_text(OLD_ENGLISH, "i18n.yaml").definition)
        )
        db.commit()
        db.expire_all()
        stale = db.get(FrameworkVersion, old.version_id)
        assert stale is not None and "translations" not in stale.definition
        again = load_checked(db, check_text(TRANSLATED, "i18n.yaml"), ACTOR)
        db.commit()
        assert again.version_id == new.version_id and not again.created
        db.expire_all()
        version = db.get(FrameworkVersion, old.version_id)
        assert version is not None
        french = localize(version.definition, "fr")
    assert [c["title"] for c in french["criteria"]] == ["Achèvement", "Information for the public"]
    assert french["title"] == "Critères de qualité"


def test_the_old_texts_themselves_stay_immutable(app: Flask) -> None:
    with app.app_context():
        db = get_session()
        old = load_checked(db, check_text(OLD_ENGLISH, "i18n.yaml"), ACTOR)
        load_checked(db, check_text(TRANSLATED, "i18n.yaml"), ACTOR)
        db.commit()
        row = db.scalars(
            select(Criterion).where(
                Criterion.framework_version_id == old.version_id, Criterion.code == "C2"
            )
        ).one()
        assert row.definition["title"] == "Information for the public"
        assert "translations" not in row.definition
        row.definition = {**row.definition, "title": "Rewritten"}
        with pytest.raises(RuntimeError, match="immutable snapshot"):
            db.flush()
        db.rollback()
        version = db.get(FrameworkVersion, old.version_id)
        assert version is not None
        version.definition = {
            **version.definition,
            "translations": {"fr": {"title": "Autre"}},
            "title": "Other",
        }
        with pytest.raises(RuntimeError, match="immutable snapshot"):
            db.flush()
        db.rollback()


def test_a_questionnaire_question_reworded_keeps_its_english(app: Flask) -> None:
    learner = FORMS_DIR / "questionnaires" / "learner-feedback.yaml"
    text = learner.read_text(encoding="utf-8")
    reworded = "The assessment was fair, and its criteria were published in advance."
    old_text = text[: text.index("\ntranslations:")].replace(
        "The assessment was fair, and I knew its criteria in advance.", reworded
    )
    with app.app_context():
        db = get_session()
        old = load_checked(db, check_text(old_text + "\n", "learner-feedback.yaml"), ACTOR)
        load_checked(db, check_text(text, "learner-feedback.yaml"), ACTOR)
        db.commit()
        db.expire_all()
        version = db.get(FrameworkVersion, old.version_id)
        assert version is not None
        french = localize(version.definition, "fr")
    prompts = [q["prompt"] for s in french["sections"] for q in s["questions"]]
    assert reworded in prompts
    assert (
        "Les acquis d'apprentissage étaient clairement énoncés avant le début de la formation."
        in prompts
    )
    assert "The learning outcomes were stated clearly before I started." not in prompts


def test_forms_load_says_which_older_versions_gained_translations(app: Flask, tmp_path) -> None:
    path = tmp_path / "i18n.yaml"
    runner = app.test_cli_runner()
    path.write_text(OLD_ENGLISH, encoding="utf-8")
    first = runner.invoke(args=["forms", "load", str(path)])
    assert first.exit_code == 0, first.output
    assert "older version" not in first.output
    path.write_text(TRANSLATED, encoding="utf-8")
    second = runner.invoke(args=["forms", "load", str(path)])
    assert second.exit_code == 0, second.output
    assert "loaded as new version 2" in second.output
    assert "its translations given to 1 older version(s)" in second.output
    again = runner.invoke(args=["forms", "load", str(path)])
    assert "unchanged, version 2" in again.output and "older version" not in again.output


def test_a_running_survey_picks_up_translations_carried_to_its_version(app: Flask) -> None:
    """The parsed questionnaire is cached per version: carrying must not leave it stale."""
    from qaportal.feedback import questionnaire as qn

    learner = FORMS_DIR / "questionnaires" / "learner-feedback.yaml"
    text = learner.read_text(encoding="utf-8")
    english_only = text[: text.index("\ntranslations:")] + "\n"
    with app.app_context():
        db = get_session()
        old = load_checked(db, check_text(english_only, "learner-feedback.yaml"), ACTOR)
        db.commit()
        version = db.get(FrameworkVersion, old.version_id)
        assert version is not None
        before = qn.for_version(version, "fr")
        item = before.sections[0].items[0]
        assert item.prompt == "The learning outcomes were stated clearly before I started."
        load_checked(db, check_text(text, "learner-feedback.yaml"), ACTOR)
        db.commit()
        db.expire_all()
        version = db.get(FrameworkVersion, old.version_id)
        assert version is not None
        after = qn.for_version(version, "fr")
    assert after.sections[0].items[0].prompt.startswith("Les acquis d'apprentissage")
