"""Forms built at run time from a criterion's definition (WTForms through Flask-WTF).

One field per question of the criterion, named ``q_<question code>``:

=================  =====================================================================
question type      field
=================  =====================================================================
narrative          TextAreaField (Markdown, at most ``max_length`` characters)
rating             SelectField over the scale's levels, with a "not rated yet" choice
figure             IntegerField (no decimals) or DecimalField, with min/max and the unit
evidence           checkboxes over the evidence items the caller offers (ids)
text               StringField (at most ``max_length`` characters)
single_choice      SelectField over the options, with an empty choice
multiple_choice    checkboxes over the options
=================  =====================================================================

Two modes. ``strict=False`` (drafts): only what is entered is checked (types, ranges,
lengths, valid choices); anything may be left empty. ``strict=True`` (the submit
completeness check): the questions' ``required`` flags are enforced too. Whether an
unanswered *optional criterion* counts as missing is the caller's decision
(``Criterion.required``).

Where the answer keeps each question (the same rule as ``qaportal.cases``): the first
narrative question is ``Answer.narrative``, the first rating question ``Answer.rating``,
the first evidence question the evidence links, every other question ``Answer.values[code]``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, ClassVar, Protocol

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DecimalField,
    Field,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from qaportal.frameworks.loader import DEFAULT_MAX_LENGTH, FIGURE_UNITS
from qaportal.frameworks.localize import current_language, localize_criterion
from qaportal.frameworks.markdown import render_markdown
from qaportal.frameworks.models import Criterion
from qaportal.web.forms import PortalForm

__all__ = [
    "FIELD_PREFIX",
    "AnswerData",
    "AnswerForm",
    "answer_form_class",
    "build_answer_form",
    "criterion_questions",
    "field_name",
    "initial_data",
    "question_field",
    "render_markdown",
    "validate_answer",
]

FIELD_PREFIX = "q_"
SINGLE_SLOTS = ("narrative", "rating", "evidence")

UNIT_LABELS = {
    "percentage": _l("per cent"),
    "number": _l("number"),
    "count": _l("number"),
    "year": _l("year"),
    "months": _l("months"),
    "hours": _l("hours"),
    "ects": _l("ECTS credits"),
    "eur": _l("euro"),
}


def field_name(question_code: str) -> str:
    """The form field of a question: ``q_<code>`` (never clashes with a form attribute)."""
    return FIELD_PREFIX + question_code


def _definition(criterion: Criterion | Mapping[str, Any]) -> Mapping[str, Any]:
    """The stored definition in the current language (labels, help, options, levels)."""
    definition = criterion.definition if isinstance(criterion, Criterion) else criterion
    if "translations" not in definition:
        return definition
    return localize_criterion(definition, current_language())


def criterion_questions(criterion: Criterion | Mapping[str, Any]) -> list[dict[str, Any]]:
    """The criterion's questions, as normalised by the loader."""
    return [q for q in _definition(criterion).get("questions") or [] if isinstance(q, Mapping)]


def _slots(questions: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Question code → where its answer lives: narrative, rating, evidence or values."""
    taken: set[str] = set()
    out: dict[str, str] = {}
    for q in questions:
        qtype = q.get("type")
        if qtype in SINGLE_SLOTS and qtype not in taken:
            taken.add(qtype)
            out[q["code"]] = qtype
        else:
            out[q["code"]] = "values"
    return out


# ----- validators ------------------------------------------------------------------------------


def _is_empty(value: Any) -> bool:
    return (
        value is None
        or value == ""
        or value == []
        or (isinstance(value, str) and not value.strip())
    )


def _no_input(field: Field) -> bool:
    raw = field.raw_data
    if raw is None:  # built from data, not from a submitted form
        return _is_empty(field.data)
    return all(isinstance(v, str) and not v.strip() for v in raw)


class _AllowEmpty:
    """A draft may leave the question empty: then nothing else is checked."""

    field_flags: ClassVar[dict[str, bool]] = {"optional": True}

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if _no_input(field):
            field.errors[:] = []
            raise StopValidation()
        if field.process_errors:  # "abc" for a number: no range check on top of that
            raise StopValidation()


class _Required:
    """Strict mode: the question must be answered."""

    field_flags: ClassVar[dict[str, bool]] = {"required": True}

    def __init__(self) -> None:
        self.message = _l("This answer is needed before the self-assessment can be submitted.")

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if _no_input(field):
            field.errors[:] = []
            raise StopValidation(str(self.message))
        if field.process_errors:  # e.g. "abc" for a number: that message says it better
            raise StopValidation()
        if _is_empty(field.data):
            raise StopValidation(str(self.message))


def _presence(question: Mapping[str, Any], strict: bool) -> Any:
    return _Required() if strict and question.get("required") else _AllowEmpty()


# ----- fields --------------------------------------------------------------------------------


def _crlf_to_lf(value: Any) -> Any:
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


class FigureDecimalField(DecimalField):
    """A DecimalField that also accepts a decimal comma (``87,5``)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and isinstance(valuelist[0], str):
            valuelist = [valuelist[0].strip().replace(",", ".")]
        super().process_formdata(valuelist)


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _choices(pairs: Sequence[tuple[Any, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def _figure_description(question: Mapping[str, Any]) -> str:
    unit = question["unit"]
    parts = [str(question.get("help") or "").strip()]
    low, high = question.get("min"), question.get("max")
    unit_label = str(UNIT_LABELS.get(unit, unit))
    if low is not None and high is not None:
        parts.append(
            _(
                "In %(unit)s, from %(min)s to %(max)s.",
                unit=unit_label,
                min=_number(low),
                max=_number(high),
            )
        )
    elif low is not None:
        parts.append(_("In %(unit)s, at least %(min)s.", unit=unit_label, min=_number(low)))
    elif high is not None:
        parts.append(_("In %(unit)s, at most %(max)s.", unit=unit_label, max=_number(high)))
    else:
        parts.append(_("In %(unit)s.", unit=unit_label))
    return " ".join(p for p in parts if p)


def question_field(
    question: Mapping[str, Any],
    *,
    strict: bool = False,
    evidence_choices: Sequence[tuple[int, str]] = (),
) -> Field:
    """An unbound field for one normalised question (criteria and questionnaires alike)."""
    qtype = question["type"]
    label = str(question.get("prompt") or question["code"])
    help_text = str(question.get("help") or "")
    presence = _presence(question, strict)
    if qtype in ("narrative", "text"):
        max_length = int(question.get("max_length") or DEFAULT_MAX_LENGTH[qtype])
        cls = TextAreaField if qtype == "narrative" else StringField
        render_kw: dict[str, Any] = {"maxlength": max_length}
        if qtype == "narrative":
            render_kw["rows"] = 12
        return cls(
            label,
            description=help_text,
            validators=[presence, Length(max=max_length)],
            filters=[_crlf_to_lf],
            render_kw=render_kw,
        )
    if qtype == "rating":
        levels = question.get("levels") or []
        choices = [("", str(_l("Not rated yet")))] + [
            (str(level["value"]), str(level["label"])) for level in levels
        ]
        return SelectField(
            label,
            description=help_text,
            choices=_choices(choices),
            default="",
            validators=[presence],
        )
    if qtype == "figure":
        unit = question["unit"]
        decimals = int(question.get("decimals", FIGURE_UNITS[unit][0]))
        low, high = question.get("min"), question.get("max")
        validators: list[Any] = [presence]
        if low is not None or high is not None:
            validators.append(NumberRange(min=low, max=high))
        render_kw = {"step": "1" if decimals == 0 else str(Decimal(1).scaleb(-decimals))}
        if low is not None:
            render_kw["min"] = _number(low)
        if high is not None:
            render_kw["max"] = _number(high)
        description = _figure_description(question)
        if decimals == 0:
            return IntegerField(
                label, description=description, validators=validators, render_kw=render_kw
            )
        render_kw["inputmode"] = "decimal"
        return FigureDecimalField(
            label,
            description=description,
            places=decimals,
            validators=validators,
            render_kw=render_kw,
        )
    if qtype == "evidence":
        return CheckboxListField(
            label,
            description=help_text,
            choices=_choices([(int(value), str(text)) for value, text in evidence_choices]),
            coerce=int,
            validators=[presence],
        )
    if qtype == "single_choice":
        options = question.get("options") or []
        choices = [("", str(_l("Choose…")))] + [(str(o["value"]), str(o["label"])) for o in options]
        return SelectField(
            label,
            description=help_text,
            choices=_choices(choices),
            default="",
            validators=[presence],
        )
    if qtype == "multiple_choice":
        options = question.get("options") or []
        return CheckboxListField(
            label,
            description=help_text,
            choices=_choices([(str(o["value"]), str(o["label"])) for o in options]),
            validators=[presence],
        )
    raise ValueError(f"unknown question type {qtype!r}")


# ----- the answer form --------------------------------------------------------------------------


@dataclass
class AnswerData:
    """What a criterion's form holds, in the shape of ``Answer`` plus the evidence links."""

    narrative: str = ""
    rating: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    evidence_ids: list[int] = field(default_factory=list)

    @property
    def narrative_html(self) -> str:
        return render_markdown(self.narrative)


class _AnswerLike(Protocol):
    narrative: str
    rating: str | None
    values: dict[str, Any]


def _plain_value(question: Mapping[str, Any], value: Any) -> Any:
    """JSON-ready: figures as int or float (rounded to their decimals), empties as None."""
    if _is_empty(value):
        return None
    if question.get("type") == "figure":
        decimals = int(question.get("decimals", 0))
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return None
        if decimals == 0:
            return int(number.to_integral_value(rounding=ROUND_HALF_UP))
        return float(number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))
    if isinstance(value, list):
        return [str(v) for v in value]
    return value


class AnswerForm(PortalForm):
    """Base of the forms made by ``answer_form_class``; subclass it to add fields (e.g. a
    hidden lock version) and pass it as ``base``."""

    questions: ClassVar[list[dict[str, Any]]] = []
    strict: ClassVar[bool] = False

    def question_fields(self) -> list[tuple[dict[str, Any], Field]]:
        """The questions with their bound fields, in the definition's order."""
        return [(q, self[field_name(q["code"])]) for q in self.questions]

    def answer_data(self) -> AnswerData:
        data = AnswerData()
        slots = _slots(self.questions)
        for question, bound in self.question_fields():
            slot = slots[question["code"]]
            if slot == "narrative":
                data.narrative = bound.data or ""
            elif slot == "rating":
                data.rating = bound.data or None
            elif slot == "evidence":
                data.evidence_ids = [int(v) for v in bound.data or []]
            else:
                data.values[question["code"]] = _plain_value(question, bound.data)
        return data

    def errors_by_question(self) -> dict[str, list[str]]:
        """After ``validate()``: the errors of each question, by question code."""
        return {q["code"]: list(f.errors) for q, f in self.question_fields() if f.errors}


def answer_form_class(
    criterion: Criterion | Mapping[str, Any],
    *,
    evidence_choices: Sequence[tuple[int, str]] = (),
    strict: bool = False,
    base: type[AnswerForm] = AnswerForm,
) -> type[AnswerForm]:
    """A FlaskForm subclass for one criterion (its ``definition``, or the definition itself).

    ``evidence_choices``: (evidence id, label) pairs the provider may link here.
    """
    definition = _definition(criterion)  # localised once: a copy of the whole definition
    questions = criterion_questions(definition)
    attrs: dict[str, Any] = {"questions": questions, "strict": strict}
    for question in questions:
        attrs[field_name(question["code"])] = question_field(
            question, strict=strict, evidence_choices=evidence_choices
        )
    code = str(definition.get("code") or "criterion")
    return type(f"AnswerForm_{code}", (base,), attrs)


def initial_data(
    criterion: Criterion | Mapping[str, Any],
    answer: AnswerData | _AnswerLike | None,
    evidence_ids: Sequence[int] | None = None,
) -> dict[str, Any]:
    """Field data for a form showing a stored answer (``Answer`` or ``AnswerData``)."""
    if answer is None:
        return {}
    questions = criterion_questions(criterion)
    slots = _slots(questions)
    values = getattr(answer, "values", None) or {}
    if evidence_ids is None:
        evidence_ids = getattr(answer, "evidence_ids", None) or []
    data: dict[str, Any] = {}
    for question in questions:
        code = question["code"]
        slot = slots[code]
        if slot == "narrative":
            value: Any = answer.narrative or ""
        elif slot == "rating":
            value = answer.rating or ""
        elif slot == "evidence":
            value = list(evidence_ids)
        else:
            value = values.get(code)
            if question.get("type") == "figure" and value is not None:
                try:
                    value = Decimal(str(value))
                except InvalidOperation:
                    value = None
                if value is not None and int(question.get("decimals", 0)) == 0:
                    value = int(value)
            elif question.get("type") in ("single_choice", "text") and value is None:
                value = ""
        data[field_name(code)] = value
    return data


def build_answer_form(
    criterion: Criterion | Mapping[str, Any],
    *,
    evidence_choices: Sequence[tuple[int, str]] = (),
    strict: bool = False,
    answer: AnswerData | _AnswerLike | None = None,
    evidence_ids: Sequence[int] | None = None,
    base: type[AnswerForm] = AnswerForm,
    **form_kwargs: Any,
) -> AnswerForm:
    """The form for one criterion, filled from ``answer`` (if given) unless the request
    submitted it. Extra keyword arguments go to the form (``formdata``, ``meta``, …)."""
    cls = answer_form_class(criterion, evidence_choices=evidence_choices, strict=strict, base=base)
    if answer is not None and "data" not in form_kwargs:
        form_kwargs["data"] = initial_data(criterion, answer, evidence_ids)
    return cls(**form_kwargs)


def validate_answer(
    criterion: Criterion | Mapping[str, Any],
    answer: AnswerData | _AnswerLike | None,
    *,
    evidence_ids: Sequence[int] | None = None,
    strict: bool = True,
) -> dict[str, list[str]]:
    """Check a stored answer without a request (e.g. the submit completeness check):
    errors by question code, empty when the answer is complete. Needs an app context."""
    answer = answer or AnswerData()
    if evidence_ids is None:
        evidence_ids = list(getattr(answer, "evidence_ids", None) or [])
    choices = [(int(i), str(i)) for i in evidence_ids]
    form = build_answer_form(
        criterion,
        evidence_choices=choices,
        strict=strict,
        answer=answer,
        evidence_ids=evidence_ids,
        formdata=None,
        meta={"csrf": False},
    )
    form.validate()
    return form.errors_by_question()
