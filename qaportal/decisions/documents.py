"""Files the provider sends once the self-assessment is closed (an appeal's supporting
document, a file answering a condition). The evidence store keeps each content once
(:func:`qaportal.evidence.services.store_file`), and the case's evidence list shows them
beside the self-assessment's evidence. The caller commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from qaportal.auth.models import User
from qaportal.cases.models import Case
from qaportal.evidence.models import Evidence
from qaportal.evidence.services import ReceivedFile, store_file
from qaportal.evidence.storage import Storage


def add_document(
    session: Session, storage: Storage, case: Case, document: ReceivedFile, user: User, title: Any
) -> Evidence:
    """Store ``document`` (checked by the evidence domain's ``receive``) as evidence of
    ``case`` titled ``title``; the action it belongs to audits it."""
    stored = store_file(session, storage, document)
    evidence = Evidence(
        case_id=case.id,
        file_id=stored.id,
        title=str(title)[:300],
        original_filename=document.name[:255],
        uploaded_by_id=user.id,
    )
    session.add(evidence)
    session.flush()
    return evidence
