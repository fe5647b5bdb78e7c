"""Receiving, storing and linking evidence. No Flask request here: the view hands over the
uploaded stream, a session and an Actor; the caller commits.

An upload is streamed into a temporary file in the store while its size is counted and its
SHA-256 computed; past the size limit it stops and nothing is kept. The content is then
identified (:mod:`qaportal.evidence.inspection`); a refused file is deleted. Accepted content
is stored once per SHA-256 (:class:`StoredFile`); each upload makes an :class:`Evidence` row
of the case, linked to one or more of its criteria.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from qaportal.audit.services import Actor, record
from qaportal.auth.models import User
from qaportal.cases.assessment import ensure_editable
from qaportal.cases.models import Case, CaseFramework
from qaportal.evidence.inspection import (
    CHUNK,
    FileType,
    Rejected,
    ZipLimits,
    display_name,
    identify,
)
from qaportal.evidence.models import Evidence, EvidenceLink, StoredFile
from qaportal.evidence.storage import Storage, key_for
from qaportal.frameworks.localize import title_of
from qaportal.frameworks.models import Criterion

DEFAULT_MAX_BYTES = 25 * 1024 * 1024


@dataclass
class ReceivedFile:
    """An upload that passed the checks, waiting in a temporary file."""

    path: Path
    sha256: str
    size: int
    type: FileType
    name: str  # sanitised for display

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def _human(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.0f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} kB"
    return f"{size} B"


def receive(
    storage: Storage,
    stream: BinaryIO,
    filename: str | None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    zip_limits: ZipLimits | None = None,
) -> ReceivedFile:
    """Stream the upload into a temporary file and check it; raise :class:`Rejected`."""
    handle, path = storage.incoming()
    digest = hashlib.sha256()
    size = 0
    try:
        with handle:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise Rejected(
                        str(
                            _l(
                                "The file is larger than the limit of %(limit)s.",
                                limit=_human(max_bytes),
                            )
                        )
                    )
                digest.update(chunk)
                handle.write(chunk)
        file_type = identify(path, filename or "", zip_limits)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    name = display_name(filename)
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return ReceivedFile(
        path, digest.hexdigest(), size, file_type, f"{stem or 'evidence'}.{file_type.extension}"
    )


def receive_upload(
    storage: Storage, stream: BinaryIO, filename: str | None, config: Mapping[str, Any]
) -> ReceivedFile:
    """:func:`receive` with the installation's limits (``EVIDENCE_MAX_BYTES`` and
    ``EVIDENCE_ZIP_*`` of the app ``config``): the checks every file sent to a case passes,
    whichever domain takes it (evidence, an appeal's document, a condition's answer)."""
    zip_limits = ZipLimits(
        max_entries=config.get("EVIDENCE_ZIP_MAX_ENTRIES", ZipLimits.max_entries),
        max_total_uncompressed=config.get(
            "EVIDENCE_ZIP_MAX_UNCOMPRESSED", ZipLimits.max_total_uncompressed
        ),
        max_ratio=config.get("EVIDENCE_ZIP_MAX_RATIO", ZipLimits.max_ratio),
    )
    max_bytes = config.get("EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES)
    return receive(storage, stream, filename, max_bytes=max_bytes, zip_limits=zip_limits)


def case_criteria_ids(session: Session, case: Case) -> set[int]:
    return set(
        session.execute(
            select(Criterion.id)
            .join(
                CaseFramework,
                CaseFramework.framework_version_id == Criterion.framework_version_id,
            )
            .where(CaseFramework.case_id == case.id)
        ).scalars()
    )


def store_file(session: Session, storage: Storage, received: ReceivedFile) -> StoredFile:
    """Keep the bytes of a checked upload (:func:`receive`) and return their
    :class:`StoredFile`: one row and one stored copy per content (SHA-256), whoever uploads
    it and for whatever purpose, so the same file sent twice is stored once.

    Other domains call this for files that are not self-assessment evidence (an appeal's
    document, a file answering a condition) and link the row themselves. The temporary file
    of ``received`` is moved into the storage (or removed when the content is there already);
    the caller flushes, commits, and discards ``received`` if it refuses before calling this.
    """
    existing = session.execute(
        select(StoredFile).where(StoredFile.sha256 == received.sha256)
    ).scalar_one_or_none()
    key = key_for(received.sha256)
    if existing is None:
        existing = StoredFile(
            sha256=received.sha256,
            size=received.size,
            media_type=received.type.media_type,
            storage_key=key,
        )
        try:
            with session.begin_nested():
                session.add(existing)
                session.flush()
        except IntegrityError:  # the same content arrived at the same moment
            existing = session.execute(
                select(StoredFile).where(StoredFile.sha256 == received.sha256)
            ).scalar_one()
    storage.put(existing.storage_key, received.path)  # no-op (and temp removed) if present
    return existing


def add_evidence(
    session: Session,
    storage: Storage,
    case: Case,
    received: ReceivedFile,
    *,
    title: str,
    criterion_ids: Iterable[int],
    user: User | None,
    actor: Actor,
) -> Evidence:
    """Store ``received`` (once per content) as evidence of ``case`` linked to criteria."""
    try:
        ensure_editable(session, case)
        allowed = case_criteria_ids(session, case)
        chosen = set(criterion_ids)
        if chosen - allowed:
            raise Rejected(str(_l("A chosen criterion does not belong to this case.")))
        stored = store_file(session, storage, received)
    except BaseException:
        received.discard()
        raise
    evidence = Evidence(
        case_id=case.id,
        file_id=stored.id,
        title=(title or "").strip()[:300] or received.name,
        original_filename=received.name[:255],
        uploaded_by_id=user.id if user else None,
        links=[EvidenceLink(criterion_id=cid) for cid in sorted(chosen)],
    )
    session.add(evidence)
    session.flush()
    record(
        session,
        actor,
        "evidence.uploaded",
        object_type="evidence",
        object_id=evidence.id,
        organisation_id=case.provider_id,
        details={
            "case": case.reference,
            "title": evidence.title,
            "filename": evidence.original_filename,
            "sha256": stored.sha256,
            "size": stored.size,
            "media_type": stored.media_type,
            "criteria": sorted(chosen),
        },
    )
    return evidence


def link(
    session: Session, case: Case, evidence: Evidence, criterion: Criterion, actor: Actor
) -> bool:
    """Link evidence to another criterion of its case; False if it was linked already."""
    ensure_editable(session, case)
    if criterion.id not in case_criteria_ids(session, case) or evidence.case_id != case.id:
        raise Rejected(str(_l("The criterion does not belong to this case.")))
    if any(link.criterion_id == criterion.id for link in evidence.links):
        return False
    evidence.links.append(EvidenceLink(criterion_id=criterion.id))
    session.flush()
    record(
        session,
        actor,
        "evidence.linked",
        object_type="evidence",
        object_id=evidence.id,
        organisation_id=case.provider_id,
        details={"case": case.reference, "criterion": criterion.code},
    )
    return True


def unlink(
    session: Session, case: Case, evidence: Evidence, criterion: Criterion, actor: Actor
) -> bool:
    ensure_editable(session, case)
    found = next((lk for lk in evidence.links if lk.criterion_id == criterion.id), None)
    if found is None:
        return False
    evidence.links.remove(found)
    session.flush()
    record(
        session,
        actor,
        "evidence.unlinked",
        object_type="evidence",
        object_id=evidence.id,
        organisation_id=case.provider_id,
        details={"case": case.reference, "criterion": criterion.code},
    )
    return True


# ----- reading -----------------------------------------------------------------------------


def load_evidence(session: Session, evidence_id: int) -> Evidence | None:
    return session.execute(
        select(Evidence)
        .where(Evidence.id == evidence_id)
        .options(selectinload(Evidence.file), selectinload(Evidence.links))
    ).scalar_one_or_none()


@dataclass(frozen=True)
class EvidenceItem:
    id: int
    title: str
    filename: str
    size: int
    media_type: str
    uploaded_at: object
    criteria: list[tuple[int, str, str]]  # id, code, title


def case_evidence(session: Session, case: Case) -> list[EvidenceItem]:
    """Every evidence item of the case with its file facts and criteria (three statements)."""
    items = session.execute(
        select(Evidence)
        .where(Evidence.case_id == case.id)
        .options(
            selectinload(Evidence.file),
            selectinload(Evidence.links).selectinload(EvidenceLink.criterion),
        )
        .order_by(Evidence.uploaded_at.desc(), Evidence.id.desc())
    ).scalars()
    return [
        EvidenceItem(
            id=e.id,
            title=e.title,
            filename=e.original_filename,
            size=e.file.size,
            media_type=e.file.media_type,
            uploaded_at=e.uploaded_at,
            criteria=sorted(
                ((lk.criterion.id, lk.criterion.code, title_of(lk.criterion)) for lk in e.links),
                key=lambda c: c[1],
            ),
        )
        for e in items
    ]


def download_name(evidence: Evidence) -> str:
    return display_name(evidence.original_filename) or f"evidence-{evidence.id}"


def human_size(size: int) -> str:
    return _human(size)
