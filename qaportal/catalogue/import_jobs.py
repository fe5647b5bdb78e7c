"""Large CSV imports, written by a background job (:mod:`qaportal.jobs`).

The preview is checked in the request, as for a small file: the provider sees every problem
by row and column at once, and a file with problems never reaches a job. Confirming an import
of more than :data:`csv_io.INLINE_ROWS` rows queues a job instead of writing in the request.
The job does not trust the preview: it reads the staged upload again (the bytes whose SHA-256
the preview showed), checks it against the catalogue as it is then (a title created in the
meantime refuses the file), and writes every row or none in the job's transaction, which the
runner commits together with the job's "done". A refused file is a finished job whose result
lists the problems; only an unexpected error fails the job (and may be retried, as long as the
staged upload is kept).
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from qaportal.audit.services import Actor
from qaportal.catalogue import csv_io
from qaportal.jobs import JobFailed
from qaportal.jobs.models import BackgroundJob
from qaportal.orgs.models import Organisation

JOB_KIND = "catalogue-import"
# The problems a refused job keeps to show; the count says how many there were.
MAX_KEPT_PROBLEMS = 500


def queue_import(
    session: Session,
    provider: Organisation,
    staged: csv_io.StagedUpload,
    *,
    actor: Actor,
    publish_complete: bool,
    rows: int,
    max_rows: int,
    text_language: str,
    locale: str,
) -> BackgroundJob:
    """Record the job in the caller's transaction; dispatch it once that commits."""
    from qaportal.jobs.services import create_job

    return create_job(
        session,
        JOB_KIND,
        {
            "provider": provider.id,
            "token": staged.token,
            "sha256": staged.sha256,
            "filename": staged.filename,
            "user_id": actor.user_id,
            "publish_complete": publish_complete,
            "rows": rows,
            "max_rows": max_rows,
            "text_language": text_language,
            "locale": locale,
            "actor": {
                "user_id": actor.user_id,
                "label": actor.label,
                "ip_address": actor.ip_address,
            },
        },
        actor=actor,
        organisation_id=provider.id,
    )


def import_job_of(session: Session, provider: Organisation, job_id: str) -> BackgroundJob | None:
    """An import job of ``provider`` (None: no such job for this provider)."""
    from qaportal.jobs.services import find_job

    job = find_job(session, job_id)
    if job is None or job.kind != JOB_KIND or job.payload.get("provider") != provider.id:
        return None
    return job


def import_job(session: Session, job: BackgroundJob) -> dict[str, Any]:
    """The job's work, in ``session`` (the runner commits it with the job's outcome)."""
    payload = job.payload
    provider = session.get(Organisation, payload["provider"])
    if provider is None or not provider.is_provider:
        raise JobFailed(str(_l("The provider no longer exists.")))
    folder = current_app.config["UPLOAD_FOLDER"]
    staged = csv_io.load_staged(
        folder, payload["token"], payload["sha256"], provider.id, payload.get("user_id")
    )
    if staged is None:
        raise JobFailed(
            str(
                _l(
                    "The uploaded file is no longer on the server (uploads are kept for "
                    "%(hours)d hours). Upload it again.",
                    hours=csv_io.STAGING_HOURS,
                )
            )
        )
    parsed = csv_io.parse_catalogue_csv(
        staged.raw,
        csv_io.existing_titles(session, provider.id),
        max_rows=int(payload.get("max_rows") or csv_io.MAX_ROWS),
        text_language=str(payload.get("text_language") or "en"),
        provider_country=provider.country,
    )
    if not parsed.ok:
        problems = parsed.problems
        return {
            "refused": True,
            "problem_count": len(problems),
            "problems": [[p.row, p.column, p.message] for p in problems[:MAX_KEPT_PROBLEMS]],
        }
    result = csv_io.commit_import(
        session,
        provider,
        parsed,
        Actor(**payload["actor"]),
        publish_complete=bool(payload.get("publish_complete")),
        sha256=staged.sha256,
        filename=staged.filename,
    )
    session.flush()
    # Gone once written: confirming the same upload again finds nothing to import. (Should
    # the runner then lose the job's lease, its work is rolled back and the next attempt
    # asks for the file again: nothing is imported twice.)
    csv_io.discard_staged(folder, staged.token)
    return {
        "refused": False,
        "created": result.created,
        "published": result.published,
        "drafts": result.created - result.published,
    }
