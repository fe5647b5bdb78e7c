"""What the catalogue's audit events say (see :mod:`qaportal.audit.words`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import select

from qaportal.audit.words import (
    names_by_id,
    register_actions,
    register_details,
    register_job_kind,
    register_object_kind,
)
from qaportal.catalogue.completeness import MANDATORY_LABELS
from qaportal.catalogue.import_jobs import JOB_KIND as IMPORT_JOB
from qaportal.catalogue.models import Specification, SpecificationVersion

# A specification is known by the title of its newest version.
_NEWEST_TITLE = (
    select(SpecificationVersion.title)
    .where(SpecificationVersion.specification_id == Specification.id)
    .order_by(SpecificationVersion.number.desc())
    .limit(1)
    .scalar_subquery()
)


def register_audit_words() -> None:
    register_object_kind(
        "specification",
        lazy_pgettext("audit object", "micro-credential"),
        names_by_id(Specification.id, _NEWEST_TITLE),
    )
    register_actions(
        {
            "specification.created": _l("%(actor)s created %(object)s"),
            "specification.draft_saved": _l(
                "%(actor)s saved the draft of version %(number)s of %(object)s"
            ),
            "specification.published": _l("%(actor)s published version %(number)s of %(object)s"),
            "specification.version_started": _l(
                "%(actor)s started version %(number)s of %(object)s"
            ),
            "specification.retired": _l("%(actor)s retired %(object)s"),
            "catalogue.draft_deleted": _l(
                "%(actor)s deleted the never-published draft “%(title)s”"
            ),
            "catalogue.imported": _l("%(actor)s imported micro-credentials for %(object)s"),
            "catalogue.generated": _l("%(actor)s generated demonstration micro-credentials"),
        }
    )
    register_details(
        labels={
            "number": _l("Version"),
            "source": _l("From"),
            "superseded": _l("Replaces version"),
            "changed": _l("Changed"),
            "weak": _l("Elements to improve"),
            "versions": _l("Versions"),
            "rows": _l("Rows"),
            "created": _l("Created"),
            "published": _l("Published"),
            "drafts": _l("Drafts"),
        },
        values={"weak": MANDATORY_LABELS},  # Annex I elements, by key
    )
    register_job_kind(IMPORT_JOB, _l("Catalogue import"))
