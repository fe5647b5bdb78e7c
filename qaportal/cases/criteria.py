"""Reading a criterion's declarative definition (the format of ``forms/schema``).

The self-assessment needs a few facts of each criterion: its statement, guidance prompts,
evidence hints and questions (narrative, self-rating on one of the framework's scales,
figures, other answers). They live in the JSON ``definition`` stored by the framework
loader; a criterion without ``questions`` of its own has the framework's
``default_questions``. This module is the one place in the cases package that reads them.

Where an answer keeps each kind of question: the first ``narrative`` question is
``Answer.narrative`` (Markdown), the first ``rating`` question is ``Answer.rating``, every
other question (figures, text, choices) is ``Answer.values[code]``. ``evidence`` questions
are answered by linking evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from qaportal.frameworks.localize import current_language, localize_criterion

# Internal-QA elements of Annex II principle 1, in the Recommendation's order.
QA_ELEMENTS = ("micro_credential", "course", "learner_feedback", "peer_feedback")

NARRATIVE = "narrative"
RATING = "rating"
FIGURE = "figure"
EVIDENCE = "evidence"


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class Question:
    code: str
    type: str
    prompt: str
    required: bool
    help: str = ""
    unit: str = ""
    options: tuple[Option, ...] = ()

    @property
    def is_figure(self) -> bool:
        return self.type == FIGURE


@dataclass(frozen=True)
class CriterionSpec:
    statement: str
    guidance: list[str] = field(default_factory=list)
    evidence_hints: list[str] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    scale: list[Option] = field(default_factory=list)

    @property
    def narrative(self) -> Question | None:
        return next((q for q in self.questions if q.type == NARRATIVE), None)

    @property
    def rating(self) -> Question | None:
        return next((q for q in self.questions if q.type == RATING), None)

    @property
    def value_questions(self) -> list[Question]:
        """Questions answered in ``Answer.values`` (figures, text, choices)."""
        narrative, rating = self.narrative, self.rating
        return [
            q
            for q in self.questions
            if q.type != EVIDENCE and q is not narrative and q is not rating
        ]

    @property
    def required_values(self) -> list[Question]:
        return [q for q in self.value_questions if q.required]

    @property
    def figures(self) -> list[Question]:
        return [q for q in self.value_questions if q.is_figure]


def _texts(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    return [str(item) for item in value if str(item).strip()]


def _options(items: Any) -> tuple[Option, ...]:
    out = []
    for item in items or []:
        if isinstance(item, Mapping) and item.get("value") is not None:
            out.append(Option(str(item["value"]), str(item.get("label") or item["value"])))
    return tuple(out)


def _questions(items: Any) -> list[Question]:
    questions = []
    for item in items or []:
        if not isinstance(item, Mapping) or not item.get("code"):
            continue
        questions.append(
            Question(
                code=str(item["code"]),
                type=str(item.get("type") or "text"),
                prompt=str(item.get("prompt") or item["code"]),
                required=bool(item.get("required", False)),
                help=str(item.get("help") or ""),
                unit=str(item.get("unit") or ""),
                options=_options(item.get("options")),
            )
        )
    return questions


def _scale(
    question: Question | None, raw_questions: Any, framework: Mapping[str, Any]
) -> list[Option]:
    if question is None:
        return []
    raw = next(
        (
            q
            for q in raw_questions or []
            if isinstance(q, Mapping) and q.get("code") == question.code
        ),
        {},
    )
    if raw.get("levels"):  # normalised by the loader: the scale's levels are inline
        return list(_options(raw["levels"]))
    name = raw.get("scale")
    scales = framework.get("scales") or {}
    if name and name in scales:
        return list(_options(scales[name].get("levels")))
    if len(scales) == 1:  # the framework's only scale
        return list(_options(next(iter(scales.values())).get("levels")))
    return list(question.options)


def read_criterion(
    definition: Mapping[str, Any] | None,
    framework_definition: Mapping[str, Any] | None = None,
    description: str = "",
) -> CriterionSpec:
    # Texts in the current language (each falling back to the file's own); codes are shared.
    # Only read here, so the (deep) copy localising makes is needed only when there is a
    # translation to apply: pages read every criterion of a case on each request.
    definition = definition or {}
    translations = definition.get("translations")
    if isinstance(translations, Mapping) and translations.get(current_language()):
        definition = localize_criterion(definition, current_language())
    framework_definition = framework_definition or {}
    raw_questions = definition.get("questions") or framework_definition.get("default_questions")
    if not raw_questions:
        raw_questions = [{"code": "narrative", "type": NARRATIVE, "prompt": "", "required": True}]
    questions = _questions(raw_questions)
    rating = next((q for q in questions if q.type == RATING), None)
    return CriterionSpec(
        statement=str(definition.get("statement") or description),
        guidance=_texts(definition.get("guidance")),
        evidence_hints=_texts(definition.get("evidence_hints")),
        questions=questions,
        scale=_scale(rating, raw_questions, framework_definition),
    )


def figure_present(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return bool(value)
    return value is not None and str(value).strip() != ""
