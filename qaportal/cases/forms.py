"""Forms of the cases domain: opening a case, the agency's requirements, the answer form,
workflow actions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from qaportal.frameworks.formbuilder import AnswerForm, answer_form_class, initial_data
from qaportal.frameworks.models import Criterion
from qaportal.web.forms import PortalForm


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class OpenCaseForm(PortalForm):
    agency = SelectField(
        _l("Agency"),
        coerce=int,
        validators=[DataRequired(message=_l("Choose the agency you apply to."))],
    )
    title = StringField(
        _l("Title of the application"),
        description=_l("Optional, e.g. “Institutional review of micro-credential provision”."),
        validators=[Optional(), Length(max=300)],
    )
    frameworks = MultiCheckboxField(
        _l("Frameworks"),
        coerce=int,
        description=_l(
            "Frameworks the agency requires for your type of provider are always included."
        ),
    )
    scope = MultiCheckboxField(
        _l("Scope: micro-credentials"),
        coerce=int,
        description=_l("The micro-credentials of your catalogue that the case covers."),
    )
    contact_name = StringField(
        _l("Contact person"),
        validators=[DataRequired(message=_l("Name the contact person.")), Length(max=200)],
    )
    contact_email = EmailField(
        _l("Contact email"),
        validators=[
            DataRequired(message=_l("Give the contact person's email address.")),
            Email(message=_l("This is not a valid email address.")),
            Length(max=254),
        ],
    )


class ChooseAgencyForm(PortalForm):
    """Step one of opening a case (GET): which agency, so the frameworks can be shown."""

    class Meta:
        csrf = False

    agency = SelectField(_l("Agency"), coerce=int, validators=[Optional()])


class TransitionForm(PortalForm):
    action = HiddenField(validators=[DataRequired()])
    reason = TextAreaField(
        _l("Reason"),
        description=_l("Required when returning a case: the provider reads it."),
        validators=[Optional(), Length(max=2000)],
    )


class ButtonForm(PortalForm):
    """A POST with nothing but its CSRF token."""


REQUIREMENT_CHOICES = [
    SelectChoice("", _l("not offered")),
    SelectChoice("optional", _l("optional")),
    SelectChoice("required", _l("required")),
]


def requirements_form(
    cells: Sequence[tuple[str, str]], data: dict[str, str], formdata: Any = None
) -> FlaskForm:
    """One select per (framework, provider type) cell; ``cells`` are (field name, label)."""

    class RequirementsForm(PortalForm):
        pass

    for name, label in cells:
        setattr(
            RequirementsForm,
            name,
            SelectField(label, choices=REQUIREMENT_CHOICES, default=data.get(name, "")),
        )
    return RequirementsForm(formdata=formdata)


# ----- the answer form ---------------------------------------------------------------------
# Built at run time from the criterion's definition by qaportal.frameworks.formbuilder
# (drafts: strict=False); this base adds the lock version the form was built on.


class LockedAnswerForm(AnswerForm):
    lock_version = HiddenField(default="0")


def answer_form(
    criterion: Criterion, *, formdata: Any = None, answer: Any = None, lock_version: int = 0
) -> LockedAnswerForm:
    """The answer form of one criterion; filled from ``answer`` (an Answer or AnswerData)
    unless ``formdata`` (the submitted request) is given."""
    cls = answer_form_class(criterion, strict=False, base=LockedAnswerForm)
    if formdata is not None:
        return cls(formdata=formdata)
    data = initial_data(criterion, answer) if answer is not None else {}
    data["lock_version"] = str(lock_version)
    return cls(formdata=None, data=data)


# ----- evidence ----------------------------------------------------------------------------


class LinkEvidenceForm(PortalForm):
    evidence = SelectField(_l("Evidence of this case"), coerce=int, validators=[DataRequired()])


# ----- screening and due dates -------------------------------------------------------------

MET_CHOICES = [SelectChoice("yes", _l("met")), SelectChoice("no", _l("not met"))]


def screening_form(items: Sequence[Any], data: dict[str, str], formdata: Any = None) -> FlaskForm:
    """One "met / not met" choice and one note per checklist item (fields ``met_<code>`` and
    ``note_<code>``); whether a note is needed is the screening service's rule."""

    class ScreeningForm(PortalForm):
        pass

    for item in items:
        setattr(
            ScreeningForm,
            f"met_{item.code}",
            RadioField(
                item.label,
                choices=MET_CHOICES,
                description=item.hint,
                validators=[InputRequired(message=_l("Say whether this is met."))],
            ),
        )
        setattr(
            ScreeningForm,
            f"note_{item.code}",
            TextAreaField(
                _l("Note"),
                description=_l("Required when not met: what is missing or wrong."),
                validators=[Optional(), Length(max=2000)],
            ),
        )
    return ScreeningForm(formdata=formdata, data=data)


class DeadlineForm(PortalForm):
    stage = SelectField(_l("Stage"), validators=[DataRequired(message=_l("Choose a stage."))])
    due_on = DateField(_l("Due on"), validators=[InputRequired(message=_l("Enter a date."))])
