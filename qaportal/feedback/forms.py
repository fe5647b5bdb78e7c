"""Forms of the feedback pages; the survey form is built at run time from the questionnaire."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from werkzeug.datastructures import MultiDict
from wtforms import (
    DateField,
    Field,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from qaportal.feedback import questionnaire as qn
from qaportal.feedback.models import FeedbackKind
from qaportal.feedback.services import (
    MAX_CODES_PER_BATCH,
    MAX_THRESHOLD,
    MIN_THRESHOLD,
    Answers,
    SpecificationChoice,
)
from qaportal.memo import Memo
from qaportal.web.forms import PortalForm, has_control_characters

FIELD_PREFIX = "q_"


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CampaignForm(PortalForm):
    kind = RadioField(
        _l("Who answers"),
        choices=[
            SelectChoice(FeedbackKind.LEARNER.value, _l("Learners")),
            SelectChoice(
                FeedbackKind.PEER.value, _l("Peers (other providers, employers, stakeholders)")
            ),
        ],
        default=FeedbackKind.LEARNER.value,
        validators=[InputRequired(_l("Choose who answers."))],
    )
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Enter a title.")), Length(max=300)],
        description=_l("Respondents see it, e.g. “Data literacy, spring 2026 cohort”."),
    )
    specifications = CheckboxListField(
        _l("Micro-credentials"),
        coerce=int,
        validators=[DataRequired(_l("Choose at least one micro-credential."))],
    )
    opens_on = DateField(_l("Opens on"), validators=[InputRequired(_l("Enter a date."))])
    closes_on = DateField(
        _l("Closes at the end of"),
        validators=[InputRequired(_l("Enter a date."))],
        description=_l("Links and codes stop working after this day (UTC)."),
    )

    def set_specifications(self, choices: list[SpecificationChoice]) -> None:
        self.specifications.choices = [SelectChoice(c.id, c.title) for c in choices]


class AddressFileForm(PortalForm):
    file = FileField(
        _l("CSV file of email addresses"),
        validators=[FileRequired(_l("Choose a file."))],
        description=_l(
            "UTF-8 text with a header row that has an “email” column (other columns are "
            "ignored), or one address per line. If any row is wrong, nobody is invited."
        ),
    )


class CodesForm(PortalForm):
    count = IntegerField(
        _l("Number of codes"),
        default=30,
        validators=[
            InputRequired(_l("Enter a number.")),
            NumberRange(1, MAX_CODES_PER_BATCH, _l("Choose from 1 to %(max)s codes.")),
        ],
    )


class ConfirmForm(PortalForm):
    """A bare POST (close, remind): the CSRF token is all it carries."""


class AttachForm(PortalForm):
    case = SelectField(_l("Case"), coerce=int, validators=[InputRequired(_l("Choose a case."))])


class CodeEntryForm(PortalForm):
    code = StringField(
        _l("Your code"),
        validators=[DataRequired(_l("Enter the code you were given.")), Length(max=80)],
        description=_l("The code on your slip, with or without the dashes."),
    )
    # The language of the page that sent the respondent here (``/f?lang=``), as a link's
    # ``?lang=``; empty: the interface language.
    lang = HiddenField(validators=[Length(max=20)])


class ThresholdForm(PortalForm):
    min_responses = IntegerField(
        _l("Fewest responses before results are shown"),
        validators=[
            InputRequired(_l("Enter a number.")),
            NumberRange(
                MIN_THRESHOLD,
                MAX_THRESHOLD,
                _l(
                    "Choose a number from %(min)s to %(max)s. The threshold can be raised, but "
                    "not below %(min)s: smaller groups could identify the people who answered."
                ),
            ),
        ],
        description=_l(
            "Applies to every campaign of your providers, to each breakdown group and to "
            "free-text comments."
        ),
    )


# ----- the survey -------------------------------------------------------------------------


class OptionalRadioField(RadioField):
    """A radio group that may be left empty; any other value than the ones offered is refused."""

    def pre_validate(self, form: Any) -> None:
        if not self.raw_data or self.raw_data[0] in ("", None):
            self.data = None
            return
        if self.data not in {str(c.value) for c in self.choices}:  # type: ignore[union-attr]
            raise ValidationError(str(_l("Choose one of the answers offered.")))


class OptionalCheckboxField(CheckboxListField):
    def pre_validate(self, form: Any) -> None:
        allowed = {str(c.value) for c in self.choices}  # type: ignore[union-attr]
        if any(value not in allowed for value in self.data or []):
            raise ValidationError(str(_l("Choose among the answers offered.")))


@dataclass(frozen=True)
class _PlainPlan:
    """What :meth:`SurveyFormBase.plain_answers` checks, per field: the values offered."""

    names: frozenset[str]
    fields: tuple[tuple[str, qn.Item, frozenset[str]], ...]
    spec_values: frozenset[str] | None  # None: a single micro-credential, no such field

    @classmethod
    def of(cls, questionnaire: qn.Questionnaire, spec_ids: list[int]) -> _PlainPlan:
        # The same values as the choices of the fields built below.
        fields = tuple(
            (
                FIELD_PREFIX + item.code,
                item,
                frozenset(str(lv.value) for lv in item.levels)
                if item.is_likert
                else frozenset(o.code for o in item.options),
            )
            for item in questionnaire.items
        )
        return cls(
            names=frozenset(name for name, _, _ in fields),
            fields=fields,
            spec_values=frozenset(str(s) for s in spec_ids) if len(spec_ids) > 1 else None,
        )


class SurveyFormBase(PortalForm):
    questionnaire: qn.Questionnaire
    spec_ids: list[int]
    _plain: _PlainPlan

    def item_field(self, item: qn.Item) -> Field:
        return self[FIELD_PREFIX + item.code]

    def unknown_fields(self, posted: list[str]) -> list[str]:
        known = {FIELD_PREFIX + item.code for item in self.questionnaire.items}
        return sorted(
            name[len(FIELD_PREFIX) :]
            for name in posted
            if name.startswith(FIELD_PREFIX) and name not in known
        )

    @classmethod
    def plain_answers(cls, formdata: MultiDict[str, str]) -> Answers | None:
        """The answers this form would read from ``formdata`` if it found nothing wrong with
        them, read without building the form: binding and validating its fields cost more
        than storing the answers. ``None`` if the form would refuse anything (an unknown
        question, a value not offered, a required answer missing, a comment too long or
        with control characters): the caller then builds the form, which says what.

        The checks are the form's own, rule for rule (``tests/test_feedback_plain_answers.py``
        compares the two on random submissions); the CSRF token is the caller's to check."""
        plan = cls._plain_plan()
        if any(name.startswith(FIELD_PREFIX) and name not in plan.names for name in formdata):
            return None
        result = Answers()
        if plan.spec_values is not None:
            # A SelectField without choice validation; ``_spec_ok`` allows empty or listed.
            chosen = formdata.getlist("specification")
            if chosen and chosen[0]:
                if chosen[0] not in plan.spec_values:
                    return None
                result.specification_id = int(chosen[0])
        for name, item, allowed in plan.fields:
            given = formdata.getlist(name)
            first = given[0] if given else ""
            if item.required and not first:  # InputRequired
                return None
            if item.is_text:
                # Length(max) and the multi-line control-character guard of PortalForm
                if len(first) > item.max_length or has_control_characters(first, multi_line=True):
                    return None
                if first.strip():
                    result.texts[item.code] = first
            elif item.type == qn.MULTIPLE:
                if any(value not in allowed for value in given):
                    return None
                if given:
                    result.choices[item.code] = list(given)
            elif first:  # a radio group reads its first value; empty is no answer
                if first not in allowed:
                    return None
                if item.is_likert:
                    result.likert[item.code] = int(first)
                else:
                    result.choices[item.code] = [first]
        return result

    @classmethod
    def _plain_plan(cls) -> _PlainPlan:
        # Kept on the class itself (classes are built once per questionnaire, see below).
        plan = cls.__dict__.get("_plain")
        if plan is None:
            plan = _PlainPlan.of(cls.questionnaire, cls.spec_ids)
            cls._plain = plan
        return plan

    def answers(self) -> Answers:
        result = Answers()
        spec = getattr(self, "specification", None)
        if spec is not None and spec.data:
            result.specification_id = int(spec.data)
        for item in self.questionnaire.items:
            data = self.item_field(item).data
            if item.is_likert and data not in (None, ""):
                result.likert[item.code] = int(data)
            elif item.type == qn.SINGLE and data not in (None, ""):
                result.choices[item.code] = [str(data)]
            elif item.type == qn.MULTIPLE and data:
                result.choices[item.code] = [str(v) for v in data]
            elif item.is_text and (data or "").strip():
                result.texts[item.code] = data
        return result


def _required(item: qn.Item) -> list[Any]:
    return [InputRequired(_l("Please answer this question."))] if item.required else []


# Built once per parsed questionnaire (one per version and language, kept by
# ``qn.for_version``) and list of micro-credentials: building the class cost more than
# validating a submission. Keyed by identity because the questionnaire is not hashable; the
# entry keeps it alive so the id cannot be reused by another object.
_FORM_CLASSES: Memo[tuple[int, tuple[SpecificationChoice, ...]], tuple[Any, type[Any]]] = Memo(512)


def survey_form_class(
    questionnaire: qn.Questionnaire, specifications: list[SpecificationChoice]
) -> type[SurveyFormBase]:
    """A form class with one field per questionnaire item (named ``q_<code>``)."""
    key = (id(questionnaire), tuple(specifications))
    cached = _FORM_CLASSES.get(key)
    if cached is not None and cached[0] is questionnaire:
        return cached[1]
    form_class = _build_survey_form_class(questionnaire, specifications)
    _FORM_CLASSES.put(key, (questionnaire, form_class))
    return form_class


def _build_survey_form_class(
    questionnaire: qn.Questionnaire, specifications: list[SpecificationChoice]
) -> type[SurveyFormBase]:
    attrs: dict[str, Any] = {
        "questionnaire": questionnaire,
        "spec_ids": [s.id for s in specifications],
    }
    if len(specifications) > 1:

        def _spec_ok(form: Any, field: Field) -> None:
            if field.data and field.data not in {str(s.id) for s in specifications}:
                raise ValidationError(str(_l("Choose one of the micro-credentials listed.")))

        attrs["specification"] = SelectField(
            _l("Which micro-credential are you answering about?"),
            choices=[
                SelectChoice("", _l("— choose —")),
                *(SelectChoice(str(s.id), s.title) for s in specifications),
            ],
            validate_choice=False,
            validators=[_spec_ok],
        )
    for item in questionnaire.items:
        name = FIELD_PREFIX + item.code
        description = item.help
        if item.is_likert:
            attrs[name] = OptionalRadioField(
                item.prompt,
                choices=[SelectChoice(str(lv.value), lv.label) for lv in item.levels],
                validators=_required(item),
                description=description,
            )
        elif item.type == qn.SINGLE:
            attrs[name] = OptionalRadioField(
                item.prompt,
                choices=[SelectChoice(o.code, o.label) for o in item.options],
                validators=_required(item),
                description=description,
            )
        elif item.type == qn.MULTIPLE:
            attrs[name] = OptionalCheckboxField(
                item.prompt,
                choices=[SelectChoice(o.code, o.label) for o in item.options],
                validators=_required(item),
                description=description,
            )
        else:
            attrs[name] = TextAreaField(
                item.prompt,
                validators=[
                    *_required(item),
                    Length(
                        max=item.max_length,
                        message=_l(
                            "Your comment is longer than %(max)d characters. Please shorten "
                            "it; your other answers are kept."
                        ),
                    ),
                ],
                description=description or _l("At most %(n)d characters.", n=item.max_length),
                render_kw={"rows": 5, "maxlength": item.max_length},
            )
    return type("SurveyForm", (SurveyFormBase,), attrs)
