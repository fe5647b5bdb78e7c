"""What the reporting domain's audit events say (see :mod:`qaportal.audit.words`)."""

from __future__ import annotations

from flask_babel import LazyString, lazy_pgettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from qaportal.audit.words import (
    names_by_id,
    register_actions,
    register_details,
    register_job_kind,
    register_object_kind,
)
from qaportal.cases.models import Case
from qaportal.orgs.geo import language_codes, language_name
from qaportal.reporting.models import GeneratedDocument
from qaportal.reporting.services import JOB_KIND, KIND_LABELS

_DOCUMENT_CASE = (
    select(Case.reference).where(Case.id == GeneratedDocument.case_id).scalar_subquery()
)


def _language_words() -> dict[str, LazyString]:
    """Every ISO 639-1 language, named in the reader's language: a document's language."""
    return {code: LazyString(language_name, code) for code in language_codes()}


def register_audit_words() -> None:
    register_object_kind(
        "generated_document",
        lazy_pgettext("audit object", "document of case"),
        names_by_id(GeneratedDocument.id, _DOCUMENT_CASE),
    )
    register_actions(
        {
            "report.requested": _l("%(actor)s asked for the document “%(kind)s” of %(object)s"),
            "report.generated": _l(
                "%(actor)s generated version %(version)s of the document “%(kind)s” of %(case)s"
            ),
            "report.published": _l(
                "%(actor)s published version %(version)s of the document “%(kind)s” of %(case)s"
            ),
            "report.withdrawn": _l(
                "%(actor)s withdrew version %(version)s of the document “%(kind)s” of %(case)s"
            ),
            "report.failed": _l(
                "%(actor)s could not generate the document “%(kind)s” of %(object)s"
            ),
        }
    )
    register_details(
        labels={
            "job": None,
            "version": _l("Version"),
            "locale": _l("Language"),
            "verification_code": _l("Verification code"),
            "superseded_versions": _l("Superseded versions"),
        },
        values={"kind": dict(KIND_LABELS), "locale": _language_words()},
    )
    register_job_kind(JOB_KIND, _l("Document generation"))
