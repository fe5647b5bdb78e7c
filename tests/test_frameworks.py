"""Criteria frameworks as data: the shipped files, `qaportal forms check` with file:line
errors, loading into immutable versioned snapshots, agencies' own files."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from qaportal.audit.models import AuditEvent
from qaportal.audit.services import Actor
from qaportal.db import get_session
from qaportal.frameworks.loader import QA_ELEMENTS, check_paths, check_text
from qaportal.frameworks.models import Criterion, Framework, FrameworkKind, FrameworkVersion
from qaportal.frameworks.services import (
    FormsInvalid,
    find_framework,
    latest_version,
    load_forms,
)
from qaportal.paths import FORMS_DIR

ESG = FORMS_DIR / "esg-2015-part1.yaml"
EQAVET = FORMS_DIR / "eqavet.yaml"
EU = FORMS_DIR / "eu-microcredential-principles.yaml"
SHIPPED = (ESG, EQAVET, EU)
ACTOR = Actor.system("test")


def _invoke(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=list(args))


def _definition(path: Path) -> dict[str, Any]:
    (checked,) = check_paths([path])
    assert checked.ok, [str(e) for e in checked.errors]
    return checked.definition


def _count(model: type) -> int:
    return get_session().scalar(select(func.count()).select_from(model)) or 0


SCALES = """\
scales:
  yesno:
    levels:
      - {value: "no", label: "No"}
      - {value: "yes", label: "Yes"}
"""
MINIMAL = (
    """\
format: 1
code: tiny
kind: criteria
title: A tiny framework
edition: "1"
source:
  citation: Written for a test
"""
    + SCALES
    + """\
criteria:
  - code: A1
    title: First
    statement: The first criterion.
    questions:
      - {code: narrative, type: narrative, prompt: Tell us}
      - {code: rating, type: rating, prompt: Rate it}
  - code: A2
    title: Second
    statement: The second criterion.
    questions:
      - {code: narrative, type: narrative, prompt: Tell us}
"""
)


# ----- the shipped files -------------------------------------------------------------------


def test_shipped_files_pass_forms_check(app: Flask):
    result = _invoke(app, "forms", "check")
    assert result.exit_code == 0, result.output
    for path in SHIPPED:
        assert path.name in result.output
    assert "no errors" in result.output


def test_esg_part1_has_the_ten_standards():
    definition = _definition(ESG)
    assert definition["kind"] == "criteria"
    assert "based on" in definition["source"]["citation"].lower()
    codes = [c["code"] for c in definition["criteria"]]
    assert codes == [f"1.{n}" for n in range(1, 11)]
    titles = [c["title"] for c in definition["criteria"]]
    assert titles == [
        "Policy for quality assurance",
        "Design and approval of programmes",
        "Student-centred learning, teaching and assessment",
        "Student admission, progression, recognition and certification",
        "Teaching staff",
        "Learning resources and student support",
        "Information management",
        "Public information",
        "On-going monitoring and periodic review of programmes",
        "Cyclical external quality assurance",
    ]
    for criterion in definition["criteria"]:
        assert criterion["statement"].startswith("Institutions should"), criterion["code"]
        assert len(criterion["guidance"]) >= 3, criterion["code"]
        assert criterion["evidence_hints"], criterion["code"]
        types = [q["type"] for q in criterion["questions"]]
        assert {"narrative", "rating", "evidence"} <= set(types), criterion["code"]
        assert set(criterion["qa_elements"]) <= set(QA_ELEMENTS)
    tagged = {e for c in definition["criteria"] for e in c["qa_elements"]}
    assert tagged == set(QA_ELEMENTS)
    levels = [lvl["value"] for lvl in definition["scales"]["compliance"]["levels"]]
    assert levels == ["not_compliant", "partially", "substantially", "fully"]


def test_eqavet_has_the_quality_cycle_and_the_ten_indicators():
    definition = _definition(EQAVET)
    criteria = {c["code"]: c for c in definition["criteria"]}
    phases = [c for c in definition["criteria"] if c.get("group") == "cycle"]
    assert [(c["code"], c["title"]) for c in phases] == [
        ("Q1", "Planning"),
        ("Q2", "Implementation"),
        ("Q3", "Evaluation"),
        ("Q4", "Review"),
    ]
    for phase in phases:
        assert "Indicative descriptors at VET-provider level" in phase["statement"]
        assert phase["guidance"] and phase["evidence_hints"]
    indicators = [c for c in definition["criteria"] if c.get("group") == "indicators"]
    assert [c["code"] for c in indicators] == [f"I{n}" for n in range(1, 11)]
    expected = [
        "relevance of quality assurance systems",
        "investment in training of teachers and trainers",
        "participation rate",
        "completion rate",
        "placement rate",
        "utilisation of acquired skills at the workplace",
        "unemployment rate",
        "prevalence of vulnerable groups",
        "mechanisms to identify training needs",
        "schemes used to promote better access",
    ]
    for indicator, words in zip(indicators, expected, strict=True):
        assert words in indicator["title"].lower(), indicator["title"]

    def figures(code: str) -> dict[str, dict[str, Any]]:
        return {q["code"]: q for q in criteria[code]["questions"] if q["type"] == "figure"}

    for code in ("I2", "I3", "I4", "I5", "I6", "I7", "I8"):
        found = figures(code)
        assert found["reference_year"]["unit"] == "year", code
        assert found["reference_year"]["decimals"] == 0
        measures = [q for c, q in found.items() if c != "reference_year"]
        assert measures, code
        assert all(q["unit"] in {"percentage", "count", "eur", "months"} for q in measures)
    assert figures("I4")["completion_rate"]["unit"] == "percentage"
    assert (figures("I4")["completion_rate"]["min"], figures("I4")["completion_rate"]["max"]) == (
        0,
        100,
    )
    for code in ("I1", "I9", "I10"):
        assert not figures(code), code
    assert {q["type"] for q in criteria["I1"]["questions"]} >= {"single_choice"}
    tagged = {e for c in definition["criteria"] for e in c["qa_elements"]}
    assert tagged == set(QA_ELEMENTS)


def test_eu_principles_has_all_ten_and_the_four_internal_qa_elements():
    definition = _definition(EU)
    groups = [(g["code"], g["title"]) for g in definition["groups"]]
    names = [
        "Quality",
        "Transparency",
        "Relevance",
        "Valid assessment",
        "Learning pathways",
        "Recognition",
        "Portable",
        "Learner-centred",
        "Authentic",
        "Information and guidance",
    ]
    assert groups == [(str(n), f"Principle {n}: {name}") for n, name in enumerate(names, 1)]
    by_group: dict[str, list[dict[str, Any]]] = {}
    for criterion in definition["criteria"]:
        by_group.setdefault(criterion["group"], []).append(criterion)
    assert set(by_group) == {str(n) for n in range(1, 11)}
    elements = {c["code"]: c["qa_elements"] for c in by_group["1"]}
    assert elements["P1.1"] == ["micro_credential"]
    assert elements["P1.2"] == ["course"]
    assert elements["P1.3"] == ["learner_feedback"]
    assert elements["P1.4"] == ["peer_feedback"]
    # The statements quote the Recommendation's wording of principle 1's four elements.
    statements = " ".join(c["statement"] for c in by_group["1"])
    for phrase in (
        "overall quality of the micro-credential itself",
        "quality of the course, where applicable",
        "learners' feedback on the learning experience",
        "peers feedback, including other providers and stakeholders",
    ):
        assert phrase in statements
    assert (
        "Micro-credential learning outcomes are assessed against transparent criteria."
        in (by_group["4"][0]["statement"])
    )


# ----- forms check: every error with file, line, path and reason ---------------------------


def _line_of(text: str, needle: str) -> int:
    """The line where ``needle`` (which may span lines) starts."""
    return text[: text.index(needle)].count("\n") + 1


BROKEN = {
    "missing-field": (
        MINIMAL.replace("    title: Second\n", ""),
        "  - code: A2",
        "criteria[1]",
        'missing required field "title"',
    ),
    "duplicate-criterion-code": (
        MINIMAL.replace("code: A2", "code: A1"),
        "  - code: A1\n    title: Second",
        "criteria[1].code",
        'duplicate code "A1"',
    ),
    "wrong-type": (
        MINIMAL.replace("    title: Second\n", "    title: Second\n    required: maybe\n"),
        "required: maybe",
        "criteria[1].required",
        'expected true or false, got "maybe"',
    ),
    "yaml-syntax-error": (
        MINIMAL.replace("    title: Second\n", "    title: [Second\n"),
        None,
        "",
        "YAML syntax error",
    ),
    "rating-without-scale": (
        MINIMAL.replace(SCALES, ""),
        "{code: rating, type: rating",
        "criteria[0].questions[1]",
        "rating question without a scale",
    ),
    "figure-min-above-max": (
        MINIMAL.replace(
            "      - {code: rating, type: rating, prompt: Rate it}\n",
            "      - {code: rating, type: rating, prompt: Rate it}\n"
            "      - {code: rate, type: figure, prompt: R, unit: percentage, min: 80, max: 20}\n",
        ),
        "code: rate",
        "criteria[0].questions[2].min",
        "min (80) is greater than max (20)",
    ),
    "unknown-qa-element": (
        MINIMAL.replace("    title: First\n", "    title: First\n    qa_elements: [feedback]\n"),
        "qa_elements: [feedback]",
        "criteria[0].qa_elements[0]",
        '"feedback" is not one of: micro_credential, course, learner_feedback, peer_feedback',
    ),
    "duplicate-question-code": (
        MINIMAL.replace(
            "{code: rating, type: rating, prompt: Rate it}",
            "{code: narrative, type: rating, prompt: Rate it}",
        ),
        "{code: narrative, type: rating",
        "criteria[0].questions[1].code",
        'duplicate question code "narrative"',
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_forms_check_reports_file_line_path_and_reason(app: Flask, tmp_path: Path, case: str):
    text, needle, path, reason = BROKEN[case]
    broken = tmp_path / f"{case}.yaml"
    broken.write_text(text, encoding="utf-8")

    result = _invoke(app, "forms", "check", str(broken))
    assert result.exit_code != 0, result.output
    if needle is None:  # a syntax error: the line the parser stopped at
        assert f"{broken}:" in result.output
        line = int(result.output.split(f"{broken}:")[1].split(":")[0])
        assert line >= _line_of(text, "title: [Second")
    else:
        line = _line_of(text, needle)
        prefix = f"{broken}:{line}: {path}: " if path else f"{broken}:{line}: "
        assert prefix in result.output, result.output
    assert reason in result.output, result.output
    assert "error(s)" in result.output


def test_forms_check_reports_every_error_not_just_the_first(app: Flask, tmp_path: Path):
    text = (
        MINIMAL.replace("code: A2", "code: A1")
        .replace('edition: "1"', "edition: 1")
        .replace("    title: First\n", "    title: First\n    colour: blue\n")
    )
    broken = tmp_path / "many.yaml"
    broken.write_text(text, encoding="utf-8")
    good = tmp_path / "good.yaml"
    good.write_text(MINIMAL.replace("code: tiny", "code: other"), encoding="utf-8")

    result = _invoke(app, "forms", "check", str(broken), str(good))
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith(str(broken))]
    assert len(errors) == 3, result.output
    assert f"{broken}:{_line_of(text, 'edition: 1')}: edition: expected text" in result.output
    assert "(put it in quotes)" in result.output
    assert 'criteria[0].colour: unknown field "colour"' in result.output
    assert 'criteria[1].code: duplicate code "A1"' in result.output
    assert str(good) not in result.output.replace(f"{broken}", "")
    assert "3 error(s) in 1 of 2 file(s)" in result.output


def test_the_same_framework_code_in_two_files_is_an_error(tmp_path: Path):
    (tmp_path / "a.yaml").write_text(MINIMAL, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(MINIMAL.replace("A tiny", "Another"), encoding="utf-8")
    first, second = check_paths([tmp_path])
    assert first.ok
    assert [str(e) for e in second.errors] == [
        f'{second.name}:2: code: framework code "tiny" is already used by {first.name}'
    ]


def test_duplicate_yaml_keys_and_codes_differing_only_in_case_are_caught():
    text = MINIMAL.replace("code: A2", "code: a1").replace(
        "    title: First\n", "    title: First\n    title: Again\n"
    )
    checked = check_text(text, "dup.yaml")
    messages = [str(e) for e in checked.errors]
    assert 'dup.yaml:16: criteria[0].title: duplicate field "title" (first at line 15)' in messages
    assert any('criteria[1].code: duplicate code "a1"' in m for m in messages)


def test_questionnaires_share_the_schema_family():
    questionnaire = """\
format: 1
code: learner-test
kind: questionnaire
audience: learner
title: Learner test questionnaire
edition: "1"
source: {citation: Written for a test}
scales:
  agreement:
    levels: [{value: "1", label: Disagree}, {value: "2", label: Agree}]
sections:
  - code: s1
    title: Section one
    questions:
      - {code: clear, type: rating, prompt: It was clear}
      - code: mode
        type: single_choice
        prompt: Mode
        options: [{value: a, label: A}, {value: b, label: B}]
      - {code: comments, type: text, prompt: Comments, max_length: 500}
"""
    checked = check_text(questionnaire, "q.yaml")
    assert checked.ok, [str(e) for e in checked.errors]
    questions = checked.definition["sections"][0]["questions"]
    assert questions[0]["levels"][1]["label"] == "Agree"  # the scale is inlined
    assert questions[0]["required"] is False  # questionnaire items are optional by default

    wrong = questionnaire.replace(
        "      - {code: comments, type: text, prompt: Comments, max_length: 500}",
        "      - {code: clear, type: evidence, prompt: Files}\n"
        "criteria: [{code: X, title: X, statement: X}]",
    )
    messages = [str(e) for e in check_text(wrong, "q.yaml").errors]
    assert any(
        'criteria: "criteria" does not belong in a questionnaire file' in m for m in messages
    )
    assert any("a questionnaire cannot ask for evidence" in m for m in messages)
    assert any('duplicate question code "clear"' in m for m in messages)


def test_the_shipped_schema_is_valid_json_schema():
    from jsonschema import Draft202012Validator

    from qaportal.frameworks.loader import load_schema

    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    assert set(schema["properties"]["kind"]["enum"]) == {"criteria", "questionnaire"}


# ----- loading: immutable, versioned snapshots -----------------------------------------------


def test_loading_twice_creates_one_version(app: Flask):
    with app.app_context():
        session = get_session()
        first = load_forms(session, ACTOR, paths=list(SHIPPED))
        session.commit()
        assert [r.created for r in first] == [True, True, True]
        assert {r.number for r in first} == {1}
        counts = (_count(Framework), _count(FrameworkVersion), _count(Criterion))
        assert counts == (3, 3, 10 + 14 + 14)

        again = load_forms(session, ACTOR, paths=list(SHIPPED))
        session.commit()
        assert [r.created for r in again] == [False, False, False]
        assert [r.version_id for r in again] == [r.version_id for r in first]
        assert (_count(Framework), _count(FrameworkVersion), _count(Criterion)) == counts

        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "framework.version_loaded")
        ).all()
        assert len(events) == 3
        esg = find_framework(session, "esg-2015-part1")
        assert esg is not None and esg.kind is FrameworkKind.CRITERIA
        version = latest_version(session, esg)
        assert version is not None
        assert version.source_file == "forms/esg-2015-part1.yaml"
        assert version.edition == "2015"
        assert len(version.content_hash) == 64
        criterion = version.criteria[2]
        assert (criterion.code, criterion.position) == ("1.3", 3)
        assert criterion.description.startswith("Institutions should ensure")
        assert criterion.definition["questions"][0]["code"] == "narrative"
        assert criterion.evidence_required is True


def test_a_changed_file_becomes_version_2_and_version_1_is_untouched(app: Flask, tmp_path: Path):
    path = tmp_path / "esg.yaml"
    shutil.copy(ESG, path)
    with app.app_context():
        session = get_session()
        (v1,) = load_forms(session, ACTOR, paths=[path])
        session.commit()
        before = {
            c.id: (c.code, c.title, c.definition)
            for c in session.scalars(
                select(Criterion).where(Criterion.framework_version_id == v1.version_id)
            )
        }

        # Comments and layout are not content: no new version.
        path.write_text("# a comment\n" + ESG.read_text(encoding="utf-8") + "\n\n", "utf-8")
        (same,) = load_forms(session, ACTOR, paths=[path])
        assert (same.created, same.number) == (False, 1)

        text = ESG.read_text(encoding="utf-8").replace(
            "title: Teaching staff", "title: Teaching staff and trainers"
        )
        path.write_text(text, encoding="utf-8")
        (v2,) = load_forms(session, ACTOR, paths=[path])
        session.commit()
        assert (v2.created, v2.number, v2.framework_id) == (True, 2, v1.framework_id)

        session.expire_all()
        after = {
            c.id: (c.code, c.title, c.definition)
            for c in session.scalars(
                select(Criterion).where(Criterion.framework_version_id == v1.version_id)
            )
        }
        assert after == before
        old = session.get(FrameworkVersion, v1.version_id)
        new = session.get(FrameworkVersion, v2.version_id)
        assert old is not None and new is not None
        assert old.criteria[4].title == "Teaching staff"
        assert new.criteria[4].title == "Teaching staff and trainers"
        assert old.content_hash != new.content_hash
        assert latest_version(session, v1.framework_id) == new

        # Back to the text of version 1: it matches that version, nothing is created.
        shutil.copy(ESG, path)
        (back,) = load_forms(session, ACTOR, paths=[path])
        assert (back.created, back.number) == (False, 1)


def test_framework_versions_and_criteria_refuse_updates(app: Flask):
    with app.app_context():
        session = get_session()
        (loaded,) = load_forms(session, ACTOR, paths=[EU])
        session.commit()
        version = session.get(FrameworkVersion, loaded.version_id)
        assert version is not None
        version.title = "Tampered"
        with pytest.raises(RuntimeError, match="immutable"):
            session.flush()
        session.rollback()

        criterion = session.scalars(select(Criterion)).first()
        assert criterion is not None
        criterion.definition = {**criterion.definition, "statement": "Tampered"}
        with pytest.raises(RuntimeError, match="immutable"):
            session.flush()
        session.rollback()
        assert session.get(FrameworkVersion, loaded.version_id).title != "Tampered"  # type: ignore[union-attr]


def test_forms_load_refuses_everything_if_one_file_is_broken(app: Flask, tmp_path: Path):
    (tmp_path / "good.yaml").write_text(MINIMAL, encoding="utf-8")
    (tmp_path / "bad.yaml").write_text(MINIMAL.replace("code: tiny", "code: [x"), "utf-8")
    result = _invoke(app, "forms", "load", str(tmp_path))
    assert result.exit_code == 1
    assert f"{tmp_path / 'bad.yaml'}:3: YAML syntax error" in result.output
    assert "starts at line 2" in result.output
    assert "nothing was loaded" in result.output
    with app.app_context():
        assert _count(FrameworkVersion) == 0

    (tmp_path / "bad.yaml").unlink()
    result = _invoke(app, "forms", "load", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "tiny" in result.output and "loaded as new version 1" in result.output
    listing = _invoke(app, "forms", "list")
    assert "tiny" in listing.output and "v1" in listing.output


def test_forms_load_without_paths_loads_the_shipped_files(app: Flask):
    result = _invoke(app, "forms", "load")
    assert result.exit_code == 0, result.output
    with app.app_context():
        session = get_session()
        codes = set(session.scalars(select(Framework.code)))
        assert {"esg-2015-part1", "eqavet", "eu-microcredential-principles"} <= codes
    again = _invoke(app, "forms", "load")
    assert "loaded as new" not in again.output


# ----- agencies' own files --------------------------------------------------------------------


@pytest.fixture
def extra_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "agency-forms"
    folder.mkdir()
    return folder


@pytest.fixture
def app_config(app_config: dict[str, Any], extra_dir: Path) -> dict[str, Any]:
    return {**app_config, "FORMS_EXTRA_DIR": str(extra_dir)}


def test_an_agency_adds_its_own_framework(app: Flask, demo: Any, extra_dir: Path):
    own = MINIMAL.replace(
        "kind: criteria", "kind: criteria\nowner_agency: Demo Agency for Quality Assurance"
    ).replace("code: tiny", "code: eqavet")  # the same code as a shipped one: that is fine
    (extra_dir / "own.yaml").write_text(own, encoding="utf-8")

    result = _invoke(app, "forms", "load")
    assert result.exit_code == 0, result.output
    with app.app_context():
        session = get_session()
        frameworks = session.scalars(select(Framework).where(Framework.code == "eqavet")).all()
        owners = sorted((f.owner_agency.legal_name if f.owner_agency else "") for f in frameworks)
        assert owners == ["", "Demo Agency for Quality Assurance"]
        agency_id = next(f.owner_agency_id for f in frameworks if f.owner_agency_id)
        own_version = latest_version(session, find_framework(session, "eqavet", agency_id))  # type: ignore[arg-type]
        assert own_version is not None
        assert [c.code for c in own_version.criteria] == ["A1", "A2"]
        event = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "framework.version_loaded",
                AuditEvent.organisation_id == agency_id,
            )
        ).one()
        assert event.object_id == str(own_version.id)


def test_agency_files_must_name_an_existing_agency(app: Flask, demo: Any, extra_dir: Path):
    (extra_dir / "anonymous.yaml").write_text(MINIMAL, encoding="utf-8")
    result = _invoke(app, "forms", "check")
    assert result.exit_code == 1
    assert f"{extra_dir / 'anonymous.yaml'}:1: an agency's own file must name its agency" in (
        result.output
    )

    (extra_dir / "anonymous.yaml").write_text(
        MINIMAL.replace("kind: criteria", "kind: criteria\nowner_agency: No Such Agency"), "utf-8"
    )
    assert _invoke(app, "forms", "check").exit_code == 0
    result = _invoke(app, "forms", "load")
    assert result.exit_code == 1
    assert f"{extra_dir / 'anonymous.yaml'}:4: owner_agency: no agency" in result.output
    with app.app_context():
        assert _count(FrameworkVersion) == 0


def test_shipped_files_may_not_claim_an_owner(tmp_path: Path):
    text = MINIMAL.replace("kind: criteria", "kind: criteria\nowner_agency: 1")
    checked = check_text(text, "forms/x.yaml", owner_rule=False)
    assert [str(e) for e in checked.errors] == [
        "forms/x.yaml:4: owner_agency: owner_agency belongs only in files in "
        "QAPORTAL_FORMS_EXTRA_DIR"
    ]


def test_the_extra_directory_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path):
    from qaportal.config import load_config

    monkeypatch.setenv("QAPORTAL_FORMS_EXTRA_DIR", str(tmp_path))
    assert load_config(tmp_path)["FORMS_EXTRA_DIR"] == str(tmp_path)
    monkeypatch.delenv("QAPORTAL_FORMS_EXTRA_DIR")
    assert load_config(tmp_path)["FORMS_EXTRA_DIR"] is None


def test_load_forms_raises_with_every_error(app: Flask, tmp_path: Path):
    (tmp_path / "a.yaml").write_text(MINIMAL.replace("code: A2", "code: A1"), "utf-8")
    (tmp_path / "b.yaml").write_text(MINIMAL.replace('edition: "1"', "edition: 1"), "utf-8")
    with app.app_context(), pytest.raises(FormsInvalid) as caught:
        load_forms(get_session(), ACTOR, paths=[tmp_path])
    assert len(caught.value.errors) == 2


def test_the_example_in_the_readme_passes_the_checker():
    readme = (FORMS_DIR / "README.md").read_text(encoding="utf-8")
    example = readme.split("### A minimal criteria file")[1].split("```yaml")[1].split("```")[0]
    checked = check_text(example, "README example", owner_rule=True)
    assert checked.ok, [str(e) for e in checked.errors]


def test_load_file_stores_one_file(app: Flask, tmp_path: Path):
    from qaportal.frameworks.loader import load_file

    path = tmp_path / "tiny.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    with app.app_context():
        session = get_session()
        result = load_file(session, path)
        assert (result.code, result.number, result.created, result.criteria) == ("tiny", 1, True, 2)
        assert load_file(session, path).created is False
