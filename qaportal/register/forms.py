"""The register's forms: the public filter form (GET, no CSRF) and the agency's steps."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms import SelectChoice as choice
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import NumberInput

from qaportal.web.forms import PortalForm, PortalSubform


class RegisterFilterForm(PortalSubform):
    """Plain GET parameters, kept after submit; a value outside the choices is a field
    error (the page says which), never a 500."""

    q = StringField(
        _l("Search providers, micro-credentials and decisions"),
        validators=[Optional(), Length(max=200)],
    )
    country = SelectField(default="", label=_l("Country"), choices=[])
    provider_type = SelectField(default="", label=_l("Type of provider"), choices=[])
    decision = SelectField(default="", label=_l("Decision"), choices=[])
    framework = SelectField(default="", label=_l("Framework"), choices=[])
    validity = SelectField(
        _l("Validity"),
        default="",
        choices=[
            choice("", _l("Any validity")),
            choice("valid", _l("Valid")),
            choice("expiring", _l("Expiring soon")),
            choice("expired", _l("Expired")),
        ],
    )
    months = IntegerField(
        _l("Expiring within (months)"),
        default=6,
        widget=NumberInput(min=1, max=60),
        validators=[Optional(), NumberRange(min=1, max=60)],
    )


class PublishForm(PortalForm):
    """The confirmation button of the preview page."""


class WithdrawPublicationForm(PortalForm):
    reason = TextAreaField(
        _l("Reason for withdrawal"),
        filters=[lambda text: text.strip() if isinstance(text, str) else text],
        validators=[
            DataRequired(_l("Say why this decision is withdrawn from the register.")),
            Length(max=4000),
        ],
        description=_l(
            "Kept in the audit trail. The decision leaves every public page; its published "
            "report stays verifiable, as withdrawn."
        ),
    )
