"""What the organisations domain's audit events say (see :mod:`qaportal.audit.words`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from qaportal.audit.words import (
    names_by_id,
    register_actions,
    register_details,
    register_object_kind,
)
from qaportal.orgs.models import Organisation


def register_audit_words() -> None:
    register_object_kind(
        "organisation",
        lazy_pgettext("audit object", "organisation"),
        names_by_id(Organisation.id, Organisation.legal_name),
    )
    register_actions(
        {
            "organisation.updated": _l("%(actor)s updated the profile of %(object)s"),
            "agency.created": _l("%(actor)s added %(object)s as an agency"),
            "provider.created": _l("%(actor)s added %(object)s as a provider"),
            "agency.logo_changed": _l("%(actor)s changed the logo of %(object)s"),
            "membership.removed": _l("%(actor)s removed %(object)s"),
            "reviewer.added": _l("%(actor)s added %(email)s to the reviewer pool"),
            "reviewer.updated": _l("%(actor)s updated the reviewer profile of %(object)s"),
        },
        changes=("organisation.updated", "reviewer.updated"),
    )
    register_details(
        labels={
            "legal_name": _l("Legal name"),
            "name": _l("File name"),
            "size": _l("Size (bytes)"),
        }
    )
