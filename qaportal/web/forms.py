"""The base classes of every form, and the language switcher's form.

Every form of the portal derives from :class:`PortalForm` (or :class:`PortalSubform` for the
plain WTForms forms nested with ``FormField`` or read from a query string). Their ``Meta``
adds, to each field as it is bound, the checks that no form may forget: text without control
characters (PostgreSQL cannot store NUL, and none of them belongs in a name or a title),
whole numbers that fit an ``INTEGER`` column, and dates that leave room for "the day after".
``tests/test_security_edges.py`` checks that every form class has this base.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeField,
    Field,
    Form,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import ValidationError

from qaportal.web.bounds import MAX_INT
from qaportal.web.i18n import wtforms_translations

# Queries add a day to the end of a date range; 31 December 9999 has no day after it.
LAST_YEAR = 9998

_SINGLE_LINE_CONTROL = re.compile(r"[\x00-\x1f]")
_MULTI_LINE_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # tab, LF, CR allowed


def has_control_characters(text: str, *, multi_line: bool = False) -> bool:
    pattern = _MULTI_LINE_CONTROL if multi_line else _SINGLE_LINE_CONTROL
    return pattern.search(text) is not None


def _no_control_characters(multi_line: bool) -> Any:
    def check(form: Form, field: Field) -> None:
        if isinstance(field.data, str) and has_control_characters(
            field.data, multi_line=multi_line
        ):
            raise ValidationError(
                _l("Remove the invisible control characters (such as NUL) from this text.")
            )

    return check


def _integer_in_range(form: Form, field: Field) -> None:
    if isinstance(field.data, int) and not -MAX_INT <= field.data <= MAX_INT:
        raise ValidationError(_l("Enter a smaller number."))


def _date_in_range(form: Form, field: Field) -> None:
    if isinstance(field.data, dt.date) and field.data.year > LAST_YEAR:
        raise ValidationError(_l("Enter a date before the year %(year)d.", year=LAST_YEAR + 1))


def _guards(field: Field) -> list[Any]:
    if isinstance(field, PasswordField):
        return []  # hashed, never stored or shown as text
    if isinstance(field, TextAreaField):
        return [_no_control_characters(multi_line=True)]
    if isinstance(field, StringField | SelectField):  # search, email, hidden; open choices
        return [_no_control_characters(multi_line=False)]
    if isinstance(field, IntegerField):
        return [_integer_in_range]
    if isinstance(field, DateField | DateTimeField):
        return [_date_in_range]
    return []


class _GuardedMeta:
    """Mixed into a form's ``Meta``: WTForms calls ``bind_field`` for each field of each
    form instance, so the guards reach dynamic forms (criteria, questionnaires) too; and its
    own messages come in the visitor's language, the catalogue read once per language."""

    def get_translations(self, form: Form) -> Any:
        if not current_app.config.get("WTF_I18N_ENABLED", True):
            return super().get_translations(form)  # type: ignore[misc]
        return wtforms_translations()

    def bind_field(self, form: Form, unbound_field: Any, options: dict[str, Any]) -> Field:
        field: Field = super().bind_field(form, unbound_field, options)  # type: ignore[misc]
        guards = _guards(field)
        if guards:
            # First, so that a refused value never reaches a validator that queries with it.
            field.validators = [*guards, *field.validators]
        return field


class PortalForm(FlaskForm):
    """The base of every form posted to the portal (CSRF from Flask-WTF)."""

    class Meta(_GuardedMeta):
        pass


class PortalSubform(Form):
    """The base of plain forms: ``FormField`` parts and query-string filters (no CSRF)."""

    class Meta(_GuardedMeta):
        pass


class LanguageForm(PortalForm):
    language = SelectField(_l("Language"), choices=[])
    next = HiddenField()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = [
            SelectChoice(code, name) for code, name in current_app.config["LANGUAGES"].items()
        ]
