"""Forms of the decision domain. Conditions are a fixed number of rows plus an "add another
row" button that re-renders the form with what was typed: no JavaScript needed."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    FieldList,
    FormField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from qaportal.decisions.labels import appeal_label, eqa_label, outcome_label
from qaportal.decisions.models import AppealOutcome, EqaStatus, Outcome
from qaportal.evidence.inspection import ACCEPTED_LABEL
from qaportal.web.forms import PortalForm, PortalSubform

BLANK_ROWS = 3
MAX_ROWS = 30


class ConditionRow(PortalSubform):
    text = TextAreaField(_l("Condition"), validators=[Optional(), Length(max=4000)])
    criterion = SelectField(_l("Criterion it concerns"), coerce=int, validate_choice=False)
    due_on = DateField(_l("Due on"), validators=[Optional()])


class DecisionForm(PortalForm):
    outcome = RadioField(
        _l("Outcome"),
        choices=[SelectChoice(o.value, outcome_label(o)) for o in Outcome],
        validate_choice=False,
    )
    eqa_status = RadioField(
        _l("Status of the review (DEQAR)"),
        choices=[SelectChoice(s.value, eqa_label(s)) for s in EqaStatus],
        validate_choice=False,
    )
    rationale = TextAreaField(_l("Rationale"), validators=[Length(max=20000)])
    valid_from = DateField(
        _l("Valid from"),
        validators=[Optional()],
        description=_l("Empty: the date of the decision."),
    )
    valid_until = DateField(
        _l("Valid until"),
        validators=[Optional()],
        description=_l("Empty: the agency's default length of validity."),
    )
    conditions = FieldList(FormField(ConditionRow), min_entries=BLANK_ROWS, max_entries=MAX_ROWS)
    add_row = SubmitField(_l("Add another condition row"))


class RevisedDecisionForm(DecisionForm):
    appeal_outcome = RadioField(
        _l("The committee’s outcome"),
        choices=[SelectChoice(o.value, appeal_label(o)) for o in AppealOutcome],
        validate_choice=False,
    )
    reasoning = TextAreaField(_l("The committee’s reasoning"), validators=[Length(max=20000)])


class AppealForm(PortalForm):
    grounds = TextAreaField(_l("Grounds of the appeal"), validators=[Length(max=20000)])
    document = FileField(
        _l("Supporting document (optional)"),
        description=_l("Accepted: %(types)s.", types=ACCEPTED_LABEL),
    )


class ActionForm(PortalForm):
    """A bare button (follow-up, close): the CSRF token is all it carries."""


class CommitteeForm(PortalForm):
    members = SelectMultipleField(_l("Appeals committee"), coerce=int, validate_choice=False)


class AnswerConditionForm(PortalForm):
    answer = TextAreaField(_l("How the condition is met"), validators=[Length(max=20000)])
    evidence = SelectField(_l("Evidence of the case"), coerce=int, validate_choice=False)
    document = FileField(
        _l("Or send a new file"),
        description=_l("Accepted: %(types)s.", types=ACCEPTED_LABEL),
    )


class AssessConditionForm(PortalForm):
    met = RadioField(
        _l("Assessment"),
        choices=[SelectChoice("yes", _l("met")), SelectChoice("no", _l("not met"))],
        validators=[InputRequired(message=_l("Say whether the condition is met."))],
    )
    comment = TextAreaField(_l("Comment"), validators=[Length(max=20000)])


class SettingsForm(PortalForm):
    validity_years = IntegerField(
        _l("Default validity of a decision (years)"),
        validators=[InputRequired(), NumberRange(min=1, max=20)],
    )
    appeal_days = IntegerField(
        _l("Appeal window after a decision (days)"),
        validators=[InputRequired(), NumberRange(min=1, max=365)],
    )
    expiry_notice_months = IntegerField(
        _l("Flag re-accreditation ahead of expiry (months)"),
        validators=[InputRequired(), NumberRange(min=1, max=60)],
    )


class ComplaintForm(PortalForm):
    text = TextAreaField(_l("Your complaint about the process"), validators=[Length(max=20000)])


class ComplaintResponseForm(PortalForm):
    response = TextAreaField(_l("The agency's response"), validators=[Length(max=20000)])
