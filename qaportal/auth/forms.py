"""Fixed WTForms classes of the auth domain."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from qaportal.auth.passwords import MAX_LENGTH, password_problem
from qaportal.web.forms import PortalForm


class LoginForm(PortalForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])


def _acceptable_password(form: FlaskForm, field: PasswordField) -> None:
    email = getattr(form, "email_for_check", None)
    problem = password_problem(field.data or "", email=email)
    if problem:
        raise ValidationError(problem)


class _NameMixin:
    # Declared before the password fields so that it comes first in the form and its errors.
    display_name = StringField(
        _l("Your name"),
        description=_l("As colleagues should see it, e.g. “Maria Rossi”."),
        validators=[DataRequired(message=_l("Enter your name.")), Length(max=200)],
    )


class NewPasswordMixin:
    new_password = PasswordField(
        _l("New password"),
        description=_l("At least 12 characters. A long phrase you can remember works well."),
        validators=[DataRequired(message=_l("Choose a password.")), _acceptable_password],
    )
    confirm_password = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(message=_l("Repeat the password.")),
            EqualTo("new_password", message=_l("The passwords differ.")),
        ],
    )


class ChangePasswordForm(NewPasswordMixin, PortalForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])


class SetPasswordForm(_NameMixin, NewPasswordMixin, PortalForm):
    """Accepting an invitation as a new account: name and password."""


class ConfirmInvitationForm(PortalForm):
    """Accepting an invitation with an account that already has a password: a button."""


class ResetPasswordForm(NewPasswordMixin, PortalForm):
    pass


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class RequestResetForm(PortalForm):
    email = EmailField(
        _l("Email address"),
        description=_l("The address you sign in with."),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Enter your email address.")),
            Email(message=_l("Enter a valid email address.")),
            Length(max=254),
        ],
    )
