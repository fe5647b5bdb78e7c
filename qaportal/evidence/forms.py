"""Forms of the evidence domain."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectMultipleField, StringField
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from qaportal.evidence.inspection import ACCEPTED_LABEL
from qaportal.web.forms import PortalForm


class _Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UploadForm(PortalForm):
    file = FileField(
        _l("File"),
        description=_l("Accepted: %(types)s.", types=ACCEPTED_LABEL),
        validators=[FileRequired(message=_l("Choose a file to upload."))],
    )
    title = StringField(
        _l("Title"),
        description=_l("What the document is, e.g. “Internal QA policy 2025”."),
        validators=[Optional(), Length(max=300)],
    )
    criteria = _Checkboxes(
        _l("Criteria it supports"),
        coerce=int,
        description=_l("One evidence item can support several criteria."),
    )
