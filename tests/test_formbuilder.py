"""Forms built at run time from a criterion's definition, and the Markdown sanitiser."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from wtforms import DecimalField, IntegerField, SelectField, TextAreaField

from qaportal.audit.services import Actor
from qaportal.db import get_session
from qaportal.frameworks.formbuilder import (
    AnswerData,
    answer_form_class,
    build_answer_form,
    field_name,
    initial_data,
    render_markdown,
    validate_answer,
)
from qaportal.frameworks.models import Criterion, FrameworkVersion
from qaportal.frameworks.services import find_framework, load_forms
from qaportal.paths import FORMS_DIR

EVIDENCE = [(11, "Completion statistics 2024"), (12, "Tracer survey")]
NO_CSRF = {"csrf": False}


@pytest.fixture
def criteria(app: Flask) -> Iterator[dict[str, Criterion]]:
    """The EQAVET and ESG criteria, loaded from the shipped files."""
    with app.app_context():
        session = get_session()
        load_forms(
            session,
            Actor.system("test"),
            paths=[FORMS_DIR / "eqavet.yaml", FORMS_DIR / "esg-2015-part1.yaml"],
        )
        session.commit()
        found: dict[str, Criterion] = {}
        for code in ("eqavet", "esg-2015-part1"):
            framework = find_framework(session, code)
            assert framework is not None
            version = session.scalars(
                select(FrameworkVersion).where(FrameworkVersion.framework_id == framework.id)
            ).one()
            found.update({c.code: c for c in version.criteria})
        yield found


def _post(app: Flask, criterion: Criterion, data: dict[str, Any], **kwargs: Any) -> Any:
    """Build the form inside a POST request carrying ``data`` (field names without q_)."""
    formdata = {field_name(k): v for k, v in data.items()}
    ctx = app.test_request_context(method="POST", data=formdata)
    ctx.push()
    try:
        form = build_answer_form(criterion, evidence_choices=EVIDENCE, meta=NO_CSRF, **kwargs)
        ok = form.validate()
        return form, ok
    finally:
        ctx.pop()


def test_fields_follow_the_questions(app: Flask, criteria: dict[str, Criterion]):
    with app.test_request_context():
        form = build_answer_form(criteria["I4"], evidence_choices=EVIDENCE, meta=NO_CSRF)
        names = [f.name for _q, f in form.question_fields()]
        assert names == [
            "q_narrative",
            "q_cohort",
            "q_completion_rate",
            "q_reference_year",
            "q_evidence",
        ]
        assert isinstance(form.q_narrative, TextAreaField)
        assert isinstance(form.q_cohort, IntegerField)
        assert isinstance(form.q_completion_rate, DecimalField)
        assert isinstance(form.q_reference_year, IntegerField)
        assert [tuple(c)[:2] for c in form.q_evidence.choices] == EVIDENCE
        assert "per cent" in form.q_completion_rate.description
        assert "from 0 to 100" in form.q_completion_rate.description
        html = form.q_completion_rate()
        assert 'min="0"' in html and 'max="100"' in html and 'step="0.1"' in html
        assert 'type="checkbox"' in form.q_evidence()
        assert 'maxlength="20000"' in form.q_narrative()

        esg = build_answer_form(criteria["1.3"], evidence_choices=EVIDENCE, meta=NO_CSRF)
        assert isinstance(esg.q_rating, SelectField)
        assert tuple(esg.q_rating.choices[0])[:2] == ("", "Not rated yet")
        assert [next(iter(c)) for c in esg.q_rating.choices[1:]] == [
            "not_compliant",
            "partially",
            "substantially",
            "fully",
        ]


def test_figures_are_checked_against_their_range_even_in_a_draft(
    app: Flask, criteria: dict[str, Criterion]
):
    form, ok = _post(
        app,
        criteria["I4"],
        {"completion_rate": "120", "reference_year": "1850", "cohort": "-3"},
    )
    assert not ok
    errors = form.errors_by_question()
    assert set(errors) == {"completion_rate", "reference_year", "cohort"}
    assert "between 0 and 100" in errors["completion_rate"][0]
    assert "between 1900 and 2100" in errors["reference_year"][0]

    form, ok = _post(app, criteria["I4"], {"cohort": "forty", "completion_rate": "abc"})
    assert not ok
    assert form.errors_by_question()["cohort"] == ["Not a valid integer value."]
    assert form.errors_by_question()["completion_rate"] == ["Not a valid decimal value."]


def test_typed_data_is_kept(app: Flask, criteria: dict[str, Criterion]):
    form, ok = _post(
        app,
        criteria["I4"],
        {
            "narrative": "Completion rose.\r\nSee *the report*.",
            "cohort": "40",
            "completion_rate": "87,46",
            "reference_year": "2024",
            "evidence": ["12", "11"],
        },
    )
    assert ok, form.errors
    data = form.answer_data()
    assert data.narrative == "Completion rose.\nSee *the report*."
    assert data.rating is None
    assert data.values == {"cohort": 40, "completion_rate": 87.5, "reference_year": 2024}
    assert isinstance(data.values["cohort"], int)
    assert data.evidence_ids == [12, 11]
    assert "<em>the report</em>" in data.narrative_html


def test_drafts_save_without_required_checks_but_submission_needs_them(
    app: Flask, criteria: dict[str, Criterion]
):
    draft, ok = _post(app, criteria["I4"], {"narrative": "", "cohort": ""})
    assert ok, draft.errors
    assert draft.answer_data() == AnswerData(
        narrative="",
        rating=None,
        values={"cohort": None, "completion_rate": None, "reference_year": None},
        evidence_ids=[],
    )

    strict, ok = _post(app, criteria["I4"], {"narrative": "", "cohort": ""}, strict=True)
    assert not ok
    # Every question of I4 is required except the evidence (I4 does not require evidence).
    assert set(strict.errors_by_question()) == {
        "narrative",
        "cohort",
        "completion_rate",
        "reference_year",
    }
    assert (
        "needed before the self-assessment can be submitted"
        in (strict.errors_by_question()["cohort"][0])
    )

    # ESG 1.1 requires evidence; I5's further-learning rate is optional.
    strict, ok = _post(app, criteria["1.1"], {"narrative": "x", "rating": "fully"}, strict=True)
    assert not ok and set(strict.errors_by_question()) == {"evidence"}
    strict, ok = _post(
        app,
        criteria["I5"],
        {
            "narrative": "x",
            "employed_rate": "70",
            "months_after_completion": "6",
            "reference_year": "2024",
        },
        strict=True,
    )
    assert ok, strict.errors


def test_lengths_and_choices_are_checked_in_drafts(app: Flask, criteria: dict[str, Criterion]):
    form, ok = _post(
        app,
        criteria["1.3"],
        {"narrative": "x" * 20_001, "rating": "excellent", "evidence": ["99"]},
    )
    assert not ok
    errors = form.errors_by_question()
    assert "20000" in errors["narrative"][0]
    assert errors["rating"] == ["Not a valid choice."]
    assert "99" in errors["evidence"][0] or "valid choice" in errors["evidence"][0]

    form, ok = _post(app, criteria["1.3"], {"rating": ""})
    assert ok and form.answer_data().rating is None
    form, ok = _post(app, criteria["1.3"], {"rating": "substantially"})
    assert ok and form.answer_data().rating == "substantially"


def test_single_choice_questions(app: Flask, criteria: dict[str, Criterion]):
    form, ok = _post(app, criteria["I1"], {"internal_qa_system": "own_initiative"})
    assert ok, form.errors
    assert form.answer_data().values["internal_qa_system"] == "own_initiative"
    form, ok = _post(app, criteria["I1"], {"accredited": "perhaps"})
    assert not ok and "accredited" in form.errors_by_question()


def test_a_stored_answer_fills_the_form_and_is_checked_without_a_request(
    app: Flask, criteria: dict[str, Criterion]
):
    stored = AnswerData(
        narrative="We follow up every cohort.",
        values={"cohort": 40, "completion_rate": 87.5, "reference_year": 2024},
        evidence_ids=[11],
    )
    criterion = criteria["I4"]
    data = initial_data(criterion, stored)
    assert data[field_name("narrative")] == "We follow up every cohort."
    assert data[field_name("cohort")] == 40
    assert data[field_name("evidence")] == [11]

    with app.test_request_context():  # a GET: the form shows the stored answer
        form = build_answer_form(criterion, evidence_choices=EVIDENCE, answer=stored, meta=NO_CSRF)
        assert form.q_completion_rate.data == 87.5 or str(form.q_completion_rate.data) == "87.5"
        assert 'value="87.5"' in form.q_completion_rate()
        assert form.answer_data() == stored

    with app.app_context():
        assert validate_answer(criterion, stored) == {}
        incomplete = AnswerData(narrative="Only words.", values={"cohort": 40})
        assert set(validate_answer(criterion, incomplete)) == {
            "completion_rate",
            "reference_year",
        }
        assert validate_answer(criterion, incomplete, strict=False) == {}
        out_of_range = AnswerData(values={"completion_rate": 140})
        assert set(validate_answer(criterion, out_of_range, strict=False)) == {"completion_rate"}


def test_the_form_class_is_built_from_a_plain_definition_too(app: Flask):
    definition = {
        "code": "X1",
        "questions": [
            {"code": "narrative", "type": "narrative", "prompt": "Tell", "required": True},
            {
                "code": "hours",
                "type": "figure",
                "prompt": "Hours",
                "unit": "hours",
                "decimals": 1,
                "min": 0,
                "required": False,
            },
        ],
    }
    cls = answer_form_class(definition)
    assert {"q_narrative", "q_hours"} <= set(dir(cls))
    with app.test_request_context(method="POST", data={"q_hours": "2.5"}):
        form = cls(meta=NO_CSRF)
        assert form.validate()
        assert form.answer_data().values == {"hours": 2.5}
        assert "at least 0" in form.q_hours.description


def test_csrf_stays_on_by_default(app: Flask, criteria: dict[str, Criterion]):
    with app.test_request_context(method="POST", data={"q_narrative": "x"}):
        form = build_answer_form(criteria["1.1"], evidence_choices=EVIDENCE)
        assert not form.validate()
        assert "csrf_token" in form.errors


def test_criteria_rows_carry_the_definition_the_builder_needs(
    app: Flask, criteria: dict[str, Criterion]
):
    with app.app_context():
        rating = next(q for q in criteria["1.5"].definition["questions"] if q["type"] == "rating")
        assert rating["levels"][-1] == {
            "value": "fully",
            "label": "Fully compliant",
            "description": "The standard is fully met, and how it works is monitored and improved.",
        }


# ----- Markdown ---------------------------------------------------------------------------------


class _Elements(HTMLParser):
    """The live elements and attributes of rendered HTML (escaped text is not one)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes += [(name, value or "") for name, value in attrs]


@pytest.mark.parametrize(
    "markdown",
    [
        "Hello <script>alert(1)</script> world",
        '<img src="x" onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        '<p onclick="steal()">hi</p>',
        "<iframe src='https://evil.example'></iframe>",
        '<div style="background:url(x)">s</div>',
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "<svg><script>alert(1)</script></svg>",
        "![pixel](https://tracker.example/p.png)",
    ],
)
def test_markdown_is_sanitised(markdown: str):
    found = _Elements(render_markdown(markdown))
    assert found.tags <= {"p", "a", "strong", "em", "code"}, found.tags
    for name, value in found.attributes:
        assert name in {"href", "title", "rel"}, (name, value)
        assert name != "href" or value.startswith(("http://", "https://", "mailto:")), value


def test_markdown_shows_typed_html_as_text_and_loses_nothing():
    """Raw HTML is text in a narrative: an unclosed tag no longer swallows what follows."""
    html = render_markdown("**Our** policy <svg onload=alert(3)> applies to <b>all</b> courses.")
    assert "<strong>Our</strong>" in html
    assert "&lt;svg onload=alert(3)&gt; applies to &lt;b&gt;all&lt;/b&gt; courses." in html
    assert "<svg" not in html and "<b>" not in html


def test_markdown_keeps_formatting_and_links_get_rel():
    html = render_markdown(
        "# Our approach\n\nWe **review** every *course*.\n\n"
        "- one\n- two\n\n[policy](https://provider.example/qa)\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    assert "<h3>Our approach</h3>" in html  # headings sit below the page's own
    assert "<strong>review</strong>" in html and "<em>course</em>" in html
    assert "<ul>" in html and "<li>one</li>" in html
    assert '<a href="https://provider.example/qa" rel="noopener noreferrer">policy</a>' in html
    assert "<table>" in html and "<td>1</td>" in html
    assert render_markdown("") == "" and render_markdown(None) == ""


def test_markdown_texts_share_nothing_with_the_texts_converted_before():
    """One converter serves a thread's texts (qaportal.frameworks.markdown): a reference a
    writer defined in one text must not resolve in the next one's, in any thread."""
    import threading

    from qaportal.frameworks.markdown import render_markdown

    defining = "See [our policy][p].\n\n[p]: https://example.org/policy"
    using = "See [our policy][p]."
    results: list[tuple[str, str]] = []

    def convert() -> None:
        results.append((render_markdown(defining), render_markdown(using)))

    convert()
    thread = threading.Thread(target=convert)
    thread.start()
    thread.join()
    for first, second in results:
        assert 'href="https://example.org/policy"' in first
        assert "href" not in second and "[our policy][p]" in second
