"""Forms of the review domain: the pool filter, invitations, declarations, objections,
judgements, the site visit, the outcome and the factual-accuracy check."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from qaportal.reviews.labels import role_label
from qaportal.reviews.models import PanelRole
from qaportal.web.forms import PortalForm, PortalSubform


class PoolFilterForm(PortalSubform):
    expertise = StringField(_l("Expertise"), validators=[Optional(), Length(max=100)])
    country = StringField(_l("Country (ISO code)"), validators=[Optional(), Length(max=2)])
    language = StringField(_l("Language (ISO code)"), validators=[Optional(), Length(max=3)])


def role_choices() -> list[SelectChoice]:
    return [SelectChoice(r.value, role_label(r)) for r in PanelRole]


class InviteForm(PortalForm):
    reviewer = SelectField(
        _l("Reviewer"),
        coerce=int,
        # The service checks that the id is a reviewer of the pool: any filter may be on.
        validate_choice=False,
        validators=[InputRequired(message=_l("Choose a reviewer of the agency's pool."))],
    )
    role = SelectField(
        _l("Role on the panel"),
        validators=[DataRequired(message=_l("Choose the reviewer's role."))],
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = role_choices()


class DeclarationForm(PortalForm):
    answer = RadioField(
        _l("Your answer"),
        choices=[
            SelectChoice(
                "accept", _l("I accept and have no conflict of interest with this provider")
            ),
            SelectChoice("conflict", _l("I have a conflict of interest with this provider")),
            SelectChoice("decline", _l("I decline the invitation")),
        ],
        validators=[DataRequired(message=_l("Choose an answer."))],
    )
    no_conflict = BooleanField(
        _l(
            "I confirm that I have no personal, professional or financial tie to this "
            "provider that could affect my judgement, and will tell the agency if one arises."
        )
    )
    note = TextAreaField(
        _l("Note to the agency (optional)"),
        description=_l("Anything the agency should know, e.g. a past tie you consider harmless."),
        validators=[Optional(), Length(max=4000)],
    )
    conflict = TextAreaField(
        _l("The conflict of interest"),
        description=_l(
            "Required if you declare a conflict: the agency reads it, the provider does not."
        ),
        validators=[Optional(), Length(max=4000)],
    )

    def validate(self, extra_validators: object = None) -> bool:  # type: ignore[override]
        ok = super().validate(extra_validators)  # type: ignore[arg-type]
        if self.answer.data == "accept" and not self.no_conflict.data:
            self.no_conflict.errors = [
                *self.no_conflict.errors,
                _l("Confirm that you have no conflict of interest, or declare one."),
            ]
            ok = False
        if self.answer.data == "conflict" and not (self.conflict.data or "").strip():
            self.conflict.errors = [*self.conflict.errors, _l("Describe the conflict of interest.")]
            ok = False
        return ok


class ObjectionForm(PortalForm):
    reason = TextAreaField(
        _l("Reason of the objection"),
        validators=[
            DataRequired(message=_l("Give the reason of your objection.")),
            Length(max=4000),
        ],
    )


class ResolveForm(PortalForm):
    decision = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice("uphold", _l("Uphold: the member leaves the panel")),
            SelectChoice("dismiss", _l("Dismiss: the member stays")),
        ],
        validators=[DataRequired(message=_l("Uphold or dismiss the objection."))],
    )
    comment = TextAreaField(
        _l("Comment to the provider"),
        validators=[
            DataRequired(message=_l("Say why: the provider reads your comment.")),
            Length(max=4000),
        ],
    )


# ----- findings, site visit, the draft report ----------------------------------------------


class FindingForm(PortalForm):
    """A judgement of one criterion: a member's own, or the panel's consolidated one. The
    levels are the criterion's scale, set by the view."""

    level = RadioField(
        _l("Judgement"),
        choices=[],
        validators=[DataRequired(message=_l("Choose one of the levels of the scale."))],
    )
    rationale = TextAreaField(
        _l("Rationale"),
        description=_l("What the judgement rests on: the evidence read, what the panel heard."),
        validators=[
            DataRequired(message=_l("Give the rationale of your judgement.")),
            Length(max=20000),
        ],
    )
    recommendations = TextAreaField(
        _l("Recommendations"), validators=[Optional(), Length(max=20000)]
    )
    lock_version = HiddenField(default="0")


class OutcomeForm(PortalForm):
    outcome = RadioField(
        _l("Recommended outcome"),
        choices=[],
        validators=[DataRequired(message=_l("Choose the panel's recommended outcome."))],
    )
    summary = TextAreaField(
        _l("Summary of the panel's findings"),
        validators=[
            DataRequired(message=_l("Summarise the panel's findings.")),
            Length(max=20000),
        ],
    )
    lock_version = HiddenField(default="0")


class SiteVisitForm(PortalForm):
    visit_date = DateField(
        _l("Date of the visit"),
        validators=[InputRequired(message=_l("Give the date of the visit."))],
    )
    format = RadioField(
        _l("Format"),
        choices=[],
        validators=[DataRequired(message=_l("Choose on site or online."))],
    )
    management = StringField(_l("Management"), validators=[Optional(), Length(max=1000)])
    teaching = StringField(_l("Teaching staff"), validators=[Optional(), Length(max=1000)])
    learners = StringField(_l("Learners"), validators=[Optional(), Length(max=1000)])
    employers = StringField(_l("Employers and peers"), validators=[Optional(), Length(max=1000)])
    qa_staff = StringField(_l("Quality-assurance staff"), validators=[Optional(), Length(max=1000)])
    agenda = TextAreaField(_l("Agenda"), validators=[Optional(), Length(max=20000)])
    notes = TextAreaField(
        _l("Notes"),
        description=_l("Internal to the panel and the agency: the provider never reads them."),
        validators=[Optional(), Length(max=50000)],
    )
    lock_version = HiddenField(default="0")


class ResponseForm(PortalForm):
    response = TextAreaField(
        _l("The panel's response"),
        validators=[DataRequired(message=_l("Write the panel's response.")), Length(max=20000)],
    )


def comment_field_name(criterion_id: int) -> str:
    return f"criterion_{criterion_id}"


def factual_comments_form(criteria: list[tuple[int, str]], formdata: object = None) -> PortalForm:
    """The provider's comments: one general field and one per criterion of the report."""

    class FactualCommentsForm(PortalForm):
        general = TextAreaField(
            _l("General comments"),
            description=_l("Leave every field empty if the report contains no factual errors."),
            validators=[Optional(), Length(max=20000)],
        )

    for criterion_id, label in criteria:
        setattr(
            FactualCommentsForm,
            comment_field_name(criterion_id),
            TextAreaField(label, validators=[Optional(), Length(max=20000)]),
        )
    if formdata is None:
        return FactualCommentsForm(formdata=None)
    return FactualCommentsForm(formdata=formdata)


class ReviewSettingsForm(PortalForm):
    """An agency's review settings (qaportal/reviews/settings.py)."""

    objection_days = IntegerField(
        _l("Time to object to a panel member after the panel is announced (days)"),
        validators=[InputRequired(), NumberRange(min=1, max=90)],
    )
    factual_check_days = IntegerField(
        _l("Time for the provider's factual-accuracy check of the draft report (days)"),
        validators=[InputRequired(), NumberRange(min=1, max=90)],
    )
    coi_guidance = TextAreaField(
        _l("Conflict-of-interest guidance for reviewers"),
        description=_l(
            "One point a line, shown to each reviewer before they declare. Leave it empty to "
            "show the portal's general guidance."
        ),
        validators=[Length(max=5000)],
    )
