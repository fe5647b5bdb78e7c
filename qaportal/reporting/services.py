"""Generating, storing, publishing and withdrawing a case's documents.

Generating is a background job (:mod:`qaportal.jobs`): the page queues it, a worker builds
the document's data (:func:`qaportal.reporting.documents.build_request`), renders it in a
child process with a time and memory limit (:func:`qaportal.reporting.pdf.render_isolated`),
stores the bytes as a new immutable file, records their SHA-256 and marks the previous
version of the kind superseded, all in the job's transaction. What builds and renders is a
:class:`Press`, so tests can hand in a small fake one (``app.extensions[PRESS]``).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from qaportal.audit.services import Actor, record
from qaportal.auth.models import User
from qaportal.cases.models import Case
from qaportal.db import utcnow
from qaportal.jobs import JobFailed
from qaportal.jobs.models import BackgroundJob, JobState
from qaportal.reporting.access import (
    ACCREDITATION_REPORT,
    DECISION_LETTER,
    DRAFT_PANEL_REPORT,
    PUBLISHABLE,
    SELF_ASSESSMENT,
)
from qaportal.reporting.models import GeneratedDocument
from qaportal.reporting.qr import qr_svg
from qaportal.reporting.store import get_store

# Registered with generate_job by qaportal.reporting.register at start-up.
JOB_KIND = "report-document"
PRESS = "qaportal.reporting.press"
VERIFY_PATH = "/verify/"

KIND_LABELS = {
    ACCREDITATION_REPORT: _l("Accreditation report"),
    DRAFT_PANEL_REPORT: _l("Draft panel report"),
    DECISION_LETTER: _l("Decision letter"),
    SELF_ASSESSMENT: _l("Self-assessment as submitted"),
}
# No 0/O, 1/I/L: a code is read off paper and typed in by hand.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


class DocumentRefused(Exception):
    """The action is not possible for this document or case as it stands (shown as 409)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


# ----- the press: what builds and renders ---------------------------------------------------


@dataclass(frozen=True)
class Press:
    kinds: Sequence[str]
    refusal: Callable[[Session, str, int], str | None]
    build: Callable[
        ..., Any
    ]  # build_request(session, kind, case_id, *, locale, verification, version)
    render: Callable[..., bytes]  # render_isolated(request, *, timeout_s, memory_mb)
    verification: Callable[[str, str, str], Any]  # Verification(code, url, qr_svg)
    errors: tuple[type[Exception], ...]  # what render and build raise for a user to read


def _default_press() -> Press:
    from qaportal.reporting import documents, pdf

    def refusal(session: Session, kind: str, case_id: int) -> str | None:
        return documents.refusal(session, documents.DocumentKind(kind), case_id)

    def build(session: Session, kind: str, case_id: int, **kwargs: Any) -> Any:
        return documents.build_request(session, documents.DocumentKind(kind), case_id, **kwargs)

    return Press(
        kinds=tuple(kind.value for kind in documents.DocumentKind),
        refusal=refusal,
        build=build,
        render=pdf.render_isolated,
        verification=documents.Verification,
        errors=(pdf.ReportError, documents.DocumentRefused),
    )


def get_press() -> Press:
    press = current_app.extensions.get(PRESS)
    if press is None:
        press = current_app.extensions[PRESS] = _default_press()
    return press


# ----- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class KindState:
    """One kind of document on a case's page: may it be generated now, its versions (newest
    first) and its latest rendering job if that has not produced the newest version."""

    kind: str
    label: str
    refusal: str | None
    versions: list[GeneratedDocument]
    job: BackgroundJob | None


def case_documents(session: Session, case: Case) -> dict[str, list[GeneratedDocument]]:
    rows = session.execute(
        select(GeneratedDocument)
        .where(GeneratedDocument.case_id == case.id)
        .options(selectinload(GeneratedDocument.superseded_by))
        .order_by(GeneratedDocument.kind, GeneratedDocument.version.desc())
    ).scalars()
    found: dict[str, list[GeneratedDocument]] = {}
    for row in rows:
        found.setdefault(row.kind, []).append(row)
    return found


def latest_jobs(session: Session, case: Case) -> dict[str, BackgroundJob]:
    """The newest rendering job of each kind for ``case``."""
    jobs = session.execute(
        select(BackgroundJob)
        .where(
            BackgroundJob.kind == JOB_KIND,
            BackgroundJob.organisation_id == case.agency_id,
            BackgroundJob.payload["case"].as_integer() == case.id,
        )
        .order_by(BackgroundJob.enqueued_at.desc())
        .limit(50)
    ).scalars()
    latest: dict[str, BackgroundJob] = {}
    for job in jobs:
        latest.setdefault(str(job.payload.get("kind")), job)
    return latest


def case_overview(
    session: Session, case: Case, press: Press, readable: Callable[[str], bool]
) -> list[KindState]:
    """The kinds ``readable`` lets the viewer see, in the press's order."""
    documents = case_documents(session, case)
    jobs = latest_jobs(session, case)
    states = []
    for kind in press.kinds:
        if not readable(kind):
            continue
        versions = documents.get(kind, [])
        job = jobs.get(kind)
        if job is not None and job.state == JobState.DONE:
            job = None  # its version is in the list
        states.append(
            KindState(
                kind=kind,
                label=kind_label(kind),
                refusal=press.refusal(session, kind, case.id),
                versions=versions,
                job=job,
            )
        )
    return states


def report_job(session: Session, case: Case, job_id: str) -> BackgroundJob | None:
    from qaportal.jobs.services import find_job

    job = find_job(session, job_id)
    if job is None or job.kind != JOB_KIND or job.payload.get("case") != case.id:
        return None
    return job


def document_of_case(session: Session, case: Case, document_id: int) -> GeneratedDocument | None:
    document = session.get(GeneratedDocument, document_id)
    if document is None or document.case_id != case.id:
        return None
    return document


def download_name(document: GeneratedDocument) -> str:
    return f"{document.case.reference}-{document.kind}-v{document.version}.pdf"


# ----- generating ---------------------------------------------------------------------------


def queue_generation(
    session: Session, case: Case, kind: str, *, actor: Actor, locale: str, press: Press
) -> BackgroundJob:
    """Record the job of rendering ``kind`` for ``case`` in the caller's transaction (dispatch
    it once that commits); a job already waiting or running for the same kind is returned
    instead of a second one."""
    from qaportal.jobs.services import create_job

    if kind not in press.kinds:
        raise DocumentRefused(str(_l("This kind of document is not known.")))
    refusal = press.refusal(session, kind, case.id)
    if refusal:
        raise DocumentRefused(refusal)
    pending = latest_jobs(session, case).get(kind)
    if pending is not None and pending.state in (JobState.QUEUED, JobState.RUNNING):
        return pending
    job = create_job(
        session,
        JOB_KIND,
        {
            "case": case.id,
            "case_reference": case.reference,
            "kind": kind,
            "locale": locale,
            "actor": {
                "user_id": actor.user_id,
                "label": actor.label,
                "ip_address": actor.ip_address,
            },
        },
        actor=actor,
        organisation_id=case.agency_id,
    )
    record(
        session,
        actor,
        "report.requested",
        object_type="case",
        object_id=case.id,
        organisation_id=case.agency_id,
        details={"kind": kind, "job": job.id, "locale": locale},
    )
    return job


def new_code() -> str:
    """A verification code such as ``QAR-7K3M-9XQ2`` (31⁸ ≈ 8.5 × 10¹¹ of them)."""
    chars = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
    return f"QAR-{chars[:4]}-{chars[4:]}"


def verification_url(code: str) -> str:
    # Built from the configured public address, not a request: the job has none.
    return f"{current_app.config['BASE_URL']}{VERIFY_PATH}{code}"


def _next_version(session: Session, case_id: int, kind: str) -> int:
    latest = session.scalar(
        select(func.max(GeneratedDocument.version)).where(
            GeneratedDocument.case_id == case_id, GeneratedDocument.kind == kind
        )
    )
    return (latest or 0) + 1


def _fail(session: Session, job: BackgroundJob, actor: Actor, message: str) -> JobFailed:
    """Audit the failure in a transaction of its own (the runner rolls the job's work back),
    and return the error for the job to raise."""
    session.rollback()
    record(
        session,
        actor,
        "report.failed",
        object_type="case",
        object_id=job.payload.get("case"),
        organisation_id=job.organisation_id,
        details={"kind": job.payload.get("kind"), "job": job.id, "error": message},
    )
    session.commit()
    return JobFailed(message)


def generate_job(session: Session, job: BackgroundJob) -> dict[str, Any]:
    """The job's work, in ``session`` (the runner commits it with the job's outcome)."""
    press = get_press()
    payload = dict(job.payload)
    actor = Actor(**(payload.get("actor") or {"user_id": None, "label": "system"}))
    kind = str(payload.get("kind"))
    case = session.get(Case, payload.get("case"))
    if case is None or kind not in press.kinds:
        raise _fail(session, job, actor, str(_l("The case or the kind of document is unknown.")))
    refusal = press.refusal(session, kind, case.id)
    if refusal:
        raise _fail(session, job, actor, refusal)

    version = _next_version(session, case.id, kind)
    code = verification = None
    if kind in PUBLISHABLE:
        code = new_code()
        url = verification_url(code)
        verification = press.verification(code, url, qr_svg(url))
    config = current_app.config
    try:
        request = press.build(
            session,
            kind,
            case.id,
            locale=str(payload.get("locale") or "en"),
            verification=verification,
            version=version,
        )
        data = press.render(
            request,
            timeout_s=float(config["REPORT_RENDER_TIMEOUT_SECONDS"]),
            memory_mb=int(config["REPORT_RENDER_MEMORY_MB"]),
        )
    except press.errors as exc:
        message = str(_l("The document could not be rendered: %(reason)s", reason=str(exc)))
        raise _fail(session, job, actor, message) from exc

    # Written after the render so that the database's write lock is held only briefly.
    sha256 = hashlib.sha256(data).hexdigest()
    name = f"{case.id}/{kind}/v{version}-{secrets.token_hex(6)}.pdf"
    user = session.get(User, actor.user_id) if actor.user_id else None
    document = GeneratedDocument(
        case_id=case.id,
        kind=kind,
        version=version,
        locale=str(payload.get("locale") or "en"),
        sha256=sha256,
        size=len(data),
        storage_path=name,
        verification_code=code,
        job_id=job.id,
        created_at=utcnow(),
        created_by_id=user.id if user else None,
    )
    session.add(document)
    try:
        session.flush()
    except IntegrityError as exc:
        # Another job of the same kind stored this version number first.
        raise _fail(
            session,
            job,
            actor,
            str(_l("Another version was stored at the same moment. Please try again.")),
        ) from exc
    # A file left behind by a transaction that rolls back afterwards is never referenced;
    # its random name keeps it from colliding with the retry's.
    get_store().add(name, data)
    superseded = session.execute(
        update(GeneratedDocument)
        .where(
            GeneratedDocument.case_id == case.id,
            GeneratedDocument.kind == kind,
            GeneratedDocument.id != document.id,
            GeneratedDocument.superseded_at.is_(None),
        )
        .values(superseded_at=document.created_at, superseded_by_id=document.id)
        .execution_options(synchronize_session=False)
        .returning(GeneratedDocument.version)
    ).scalars()
    record(
        session,
        actor,
        "report.generated",
        object_type="generated_document",
        object_id=document.id,
        organisation_id=case.agency_id,
        details={
            "case": case.reference,
            "kind": kind,
            "version": version,
            "sha256": sha256,
            "size": len(data),
            "verification_code": code,
            "superseded_versions": sorted(superseded),
        },
    )
    return {"document": document.id, "case_id": case.id, "version": version}


# ----- publishing ---------------------------------------------------------------------------


def publish_refusal(document: GeneratedDocument) -> str | None:
    if document.kind not in PUBLISHABLE:
        return str(_l("Only accreditation reports and decision letters are published."))
    if document.withdrawn_at is not None:
        return str(_l("This version has been withdrawn."))
    if document.published_at is not None:
        return str(_l("This version is already published."))
    if document.superseded_at is not None:
        return str(_l("A newer version exists: publish that one instead."))
    return None


def publish(session: Session, document: GeneratedDocument, *, user: User, actor: Actor) -> None:
    refusal = publish_refusal(document)
    if refusal:
        raise DocumentRefused(refusal)
    document.published_at = utcnow()
    document.published_by_id = user.id
    record(
        session,
        actor,
        "report.published",
        object_type="generated_document",
        object_id=document.id,
        organisation_id=document.case.agency_id,
        details={
            "case": document.case.reference,
            "kind": document.kind,
            "version": document.version,
            "sha256": document.sha256,
            "verification_code": document.verification_code,
        },
    )


def withdraw(
    session: Session, document: GeneratedDocument, reason: str, *, user: User, actor: Actor
) -> None:
    if document.published_at is None or document.withdrawn_at is not None:
        raise DocumentRefused(str(_l("Only a published version can be withdrawn.")))
    document.withdrawn_at = utcnow()
    document.withdrawn_by_id = user.id
    document.withdrawal_reason = reason
    record(
        session,
        actor,
        "report.withdrawn",
        object_type="generated_document",
        object_id=document.id,
        organisation_id=document.case.agency_id,
        details={
            "case": document.case.reference,
            "kind": document.kind,
            "version": document.version,
            "reason": reason,
        },
    )
