"""Fixed WTForms classes of the auth domain."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from qaportal.auth.passwords import MAX_LENGTH, password_problem


class LoginForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])


def _acceptable_password(form: FlaskForm, field: PasswordField) -> None:
    email = getattr(form, "email_for_check", None)
    problem = password_problem(field.data or "", email=email)
    if problem:
        raise ValidationError(problem)


class NewPasswordMixin:
    new_password = PasswordField(
        _l("New password"),
        description=_l("At least 12 characters. A long phrase you can remember works well."),
        validators=[DataRequired(), _acceptable_password],
    )
    confirm_password = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
    )


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])


class SetPasswordForm(NewPasswordMixin, FlaskForm):
    """Accepting an invitation or resetting a password."""

    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    pass


class RequestResetForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(), Email(message=_l("Enter a valid email address.")),
                    Length(max=254)],
    )
