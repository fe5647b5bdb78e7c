"""What the evidence domain's audit events say (see :mod:`qaportal.audit.words`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from qaportal.audit.words import (
    names_by_id,
    register_actions,
    register_details,
    register_object_kind,
)
from qaportal.evidence.models import Evidence


def register_audit_words() -> None:
    register_object_kind(
        "evidence",
        lazy_pgettext("audit object", "evidence"),
        names_by_id(Evidence.id, Evidence.title),
    )
    register_actions(
        {
            "evidence.uploaded": _l("%(actor)s uploaded %(object)s to %(case)s"),
            "evidence.linked": _l(
                "%(actor)s linked %(object)s to criterion %(criterion)s of %(case)s"
            ),
            "evidence.unlinked": _l(
                "%(actor)s unlinked %(object)s from criterion %(criterion)s of %(case)s"
            ),
        }
    )
    register_details(
        labels={
            "case": _l("Case"),
            "criterion": _l("Criterion"),
            "filename": _l("File name"),
            "media_type": _l("Type of file"),
        }
    )
