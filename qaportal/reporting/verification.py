"""The public answer about a document: is it a genuine, published document of the agency?

Anyone may ask by verification code, by SHA-256 or by uploading the PDF (hashed in memory,
never stored). Only published versions are ever described: an unpublished, internal or
unknown document gets one and the same "not found", so the answer reveals nothing that
the agency has not published. A published version answers *genuine*, *superseded* (by the
newest published version that came after it) or *withdrawn* (with the date).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import re
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload

from qaportal.cases.models import Case
from qaportal.reporting.models import GeneratedDocument
from qaportal.reporting.services import kind_label

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_CODE_RE = re.compile(r"^QAR([0-9A-Z]{4})([0-9A-Z]{4})$")
# PDF readers accept the header anywhere in the first kilobyte (ISO 32000-2, 7.5.2 note).
_PDF_HEADER_WINDOW = 1024
_CHUNK = 64 * 1024


class Standing(enum.StrEnum):
    GENUINE = "genuine"
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class Answer:
    standing: Standing
    agency: str
    provider: str
    case_reference: str
    kind: str
    kind_label: str
    version: int
    created_at: dt.datetime
    published_at: dt.datetime
    sha256: str
    code: str | None
    superseded_by_version: int | None = None
    superseded_by_code: str | None = None
    withdrawn_at: dt.datetime | None = None


def normalise_code(text: str) -> str | None:
    """``qar 7k3m-9xq2`` → ``QAR-7K3M-9XQ2``; None when it cannot be a code."""
    compact = re.sub(r"[\s-]", "", text or "").upper()
    match = _CODE_RE.match(compact)
    return f"QAR-{match.group(1)}-{match.group(2)}" if match else None


def normalise_sha256(text: str) -> str | None:
    compact = re.sub(r"\s", "", text or "").lower()
    return compact if SHA256_RE.match(compact) else None


def _published() -> Select[tuple[GeneratedDocument]]:
    return (
        select(GeneratedDocument)
        .where(GeneratedDocument.published_at.is_not(None))
        .options(
            joinedload(GeneratedDocument.case).joinedload(Case.agency),
            joinedload(GeneratedDocument.case).joinedload(Case.provider),
        )
    )


def _answer(session: Session, document: GeneratedDocument) -> Answer:
    newer = None
    if document.withdrawn_at is None:
        newer = session.execute(
            select(GeneratedDocument)
            .where(
                GeneratedDocument.case_id == document.case_id,
                GeneratedDocument.kind == document.kind,
                GeneratedDocument.version > document.version,
                GeneratedDocument.published_at.is_not(None),
                GeneratedDocument.withdrawn_at.is_(None),
            )
            .order_by(GeneratedDocument.version.desc())
            .limit(1)
        ).scalar()
    if document.withdrawn_at is not None:
        standing = Standing.WITHDRAWN
    elif newer is not None:
        standing = Standing.SUPERSEDED
    else:
        standing = Standing.GENUINE
    case = document.case
    assert document.published_at is not None  # only published rows are looked up
    return Answer(
        standing=standing,
        agency=case.agency.display_name,
        provider=case.provider.display_name,
        case_reference=case.reference,
        kind=document.kind,
        kind_label=kind_label(document.kind),
        version=document.version,
        created_at=document.created_at,
        published_at=document.published_at,
        sha256=document.sha256,
        code=document.verification_code,
        superseded_by_version=newer.version if newer else None,
        superseded_by_code=newer.verification_code if newer else None,
        withdrawn_at=document.withdrawn_at,
    )


def by_code(session: Session, text: str) -> Answer | None:
    code = normalise_code(text)
    if code is None:
        return None
    document = session.execute(
        _published().where(GeneratedDocument.verification_code == code)
    ).scalar()
    return _answer(session, document) if document else None


def by_sha256(session: Session, digest: str) -> Answer | None:
    digest = normalise_sha256(digest) or ""
    document = session.execute(
        _published().where(GeneratedDocument.sha256 == digest).order_by(GeneratedDocument.id)
    ).scalar()
    return _answer(session, document) if document else None


class UploadRejected(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "not_pdf" or "too_big"


def hash_pdf(stream: BinaryIO, max_bytes: int) -> str:
    """SHA-256 of an uploaded PDF, read in chunks and kept nowhere; UploadRejected if it
    does not start like a PDF or exceeds ``max_bytes``."""
    digest = hashlib.sha256()
    head = b""
    size = 0
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise UploadRejected("too_big")
        if len(head) < _PDF_HEADER_WINDOW:
            head += chunk[: _PDF_HEADER_WINDOW - len(head)]
        digest.update(chunk)
    if b"%PDF-" not in head:
        raise UploadRejected("not_pdf")
    return digest.hexdigest()
