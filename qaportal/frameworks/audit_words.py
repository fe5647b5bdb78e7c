"""What the frameworks domain's audit events say (see :mod:`qaportal.audit.words`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from qaportal.audit.words import (
    names_by_id,
    register_actions,
    register_details,
    register_object_kind,
)
from qaportal.frameworks.models import FrameworkKind, FrameworkVersion


def register_audit_words() -> None:
    register_object_kind(
        "framework_version",
        lazy_pgettext("audit object", "framework"),
        names_by_id(FrameworkVersion.id, FrameworkVersion.title),
    )
    register_actions(
        {
            "framework.version_loaded": _l("%(actor)s loaded version %(number)s of %(object)s"),
            "framework.translations_carried": _l(
                "%(actor)s gave version %(number)s of %(object)s the translations of version "
                "%(from_number)s where its texts are unchanged"
            ),
        }
    )
    register_details(
        labels={
            "code": _l("Code"),
            "content_hash": _l("Content fingerprint"),
            "from_number": _l("Translations from version"),
            "languages": _l("Languages"),
            "source_file": _l("Source file"),
        },
        values={
            "kind": {
                FrameworkKind.CRITERIA.value: _l("Criteria"),
                FrameworkKind.QUESTIONNAIRE.value: _l("Questionnaire"),
            }
        },
    )
