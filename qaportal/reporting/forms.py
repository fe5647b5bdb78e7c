"""Forms of the reporting domain: generate, publish, withdraw, and the three ways of asking
the public verification page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from qaportal.reporting.verification import normalise_code, normalise_sha256
from qaportal.web.forms import PortalForm


class GenerateForm(PortalForm):
    kind = HiddenField(validators=[InputRequired()])


class ConfirmForm(PortalForm):
    """A button that posts: publish, retry."""


class WithdrawForm(PortalForm):
    reason = TextAreaField(
        _l("Reason for withdrawal"),
        filters=[lambda text: text.strip() if isinstance(text, str) else text],
        validators=[
            DataRequired(_l("Say why this version is withdrawn.")),
            Length(max=4000),
        ],
        description=_l("Kept in the audit trail; the public page shows only the date."),
    )


def _code_form(form: PortalForm, field: StringField) -> None:
    if normalise_code(field.data or "") is None:
        raise ValidationError(
            _l("A verification code looks like QAR-7K3M-9XQ2: QAR and eight letters or digits.")
        )


def _sha256_form(form: PortalForm, field: StringField) -> None:
    if normalise_sha256(field.data or "") is None:
        raise ValidationError(
            _l(
                "A SHA-256 is 64 characters, each a digit 0-9 or a letter a-f. "
                "Check that the whole value was copied."
            )
        )


class CodeForm(PortalForm):
    code = StringField(
        _l("Verification code"),
        validators=[InputRequired(_l("Enter the code printed in the document.")), _code_form],
        description=_l("Printed beside the QR code, for example QAR-7K3M-9XQ2."),
    )
    check_code = SubmitField(_l("Check the code"))


class HashForm(PortalForm):
    sha256 = StringField(
        _l("SHA-256 of the file"),
        validators=[InputRequired(_l("Paste the SHA-256 of the file.")), _sha256_form],
        description=_l("64 hexadecimal characters, e.g. the output of sha256sum."),
    )
    check_hash = SubmitField(_l("Check the SHA-256"))


class UploadForm(PortalForm):
    file = FileField(
        _l("The PDF file"),
        validators=[FileRequired(_l("Choose the PDF file to check."))],
        description=_l("The file is read to compute its SHA-256 and is not kept."),
    )
    check_file = SubmitField(_l("Check the file"))
