"""The life of a background job, as statements on its row.

``queued`` → (a worker claims it) ``running`` → ``done`` | ``failed``. Every move is one
guarded ``UPDATE`` (``WHERE state = … AND worker = … AND attempts = …``), so two workers
never run the same attempt and a worker that lost its lease cannot overwrite what came after.
A running job holds a lease that its worker renews; once the lease has expired the worker
is taken for dead, and ``reap_stale`` queues the job again while attempts remain, else marks
it failed. Only a user's retry is audited: the other moves are the machinery's.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from qaportal.audit.services import Actor, record
from qaportal.db import utcnow
from qaportal.jobs import KINDS
from qaportal.jobs.models import BackgroundJob, JobState, WorkerHeartbeat

# Stored instead of a message when the worker vanished: it is translated when shown.
WORKER_LOST = "worker-lost"

STATE_LABELS = {
    JobState.QUEUED: _l("Waiting for a worker"),
    JobState.RUNNING: _l("Running"),
    JobState.DONE: _l("Done"),
    JobState.FAILED: _l("Failed"),
}


class JobError(ValueError):
    """The job is not in a state that allows this."""


def create_job(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    *,
    actor: Actor,
    organisation_id: int | None = None,
) -> BackgroundJob:
    """Record a queued job in the caller's transaction; dispatch it once that commits."""
    job = BackgroundJob(
        id=uuid.uuid4().hex,
        kind=kind,
        state=JobState.QUEUED,
        attempts=0,
        max_attempts=KINDS[kind].max_attempts,
        payload=payload,
        enqueued_at=utcnow(),
        organisation_id=organisation_id,
        created_by_id=actor.user_id,
    )
    session.add(job)
    session.flush()
    record(
        session,
        actor,
        "job.requested",
        object_type="background_job",
        object_id=job.id,
        organisation_id=organisation_id,
        details={"kind": kind},
    )
    return job


def find_job(session: Session, job_id: str) -> BackgroundJob | None:
    if not job_id.isalnum() or len(job_id) > 32:
        return None
    return session.get(BackgroundJob, job_id)


def claim(
    session: Session, job_id: str, worker: str, now: dt.datetime, lease: dt.timedelta
) -> int | None:
    """Take the job for ``worker``: the number of this attempt, or None if it is not to run
    (taken by a live worker, finished, or out of attempts)."""
    taken = session.execute(
        update(BackgroundJob)
        .where(
            BackgroundJob.id == job_id,
            BackgroundJob.attempts < BackgroundJob.max_attempts,
            or_(
                BackgroundJob.state == JobState.QUEUED,
                (BackgroundJob.state == JobState.RUNNING) & (BackgroundJob.lease_until < now),
            ),
        )
        .values(
            state=JobState.RUNNING,
            attempts=BackgroundJob.attempts + 1,
            started_at=now,
            heartbeat_at=now,
            lease_until=now + lease,
            worker=worker,
            finished_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        session.rollback()
        return None
    attempt = session.scalar(select(BackgroundJob.attempts).where(BackgroundJob.id == job_id))
    session.commit()
    return attempt


def _owned(job_id: str, worker: str, attempt: int) -> Any:
    return (
        (BackgroundJob.id == job_id)
        & (BackgroundJob.state == JobState.RUNNING)
        & (BackgroundJob.worker == worker)
        & (BackgroundJob.attempts == attempt)
    )


def renew_lease(
    session: Session,
    job_id: str,
    worker: str,
    attempt: int,
    now: dt.datetime,
    lease: dt.timedelta,
) -> bool:
    """Keep the running job; False when it is no longer this worker's."""
    renewed = session.execute(
        update(BackgroundJob)
        .where(_owned(job_id, worker, attempt))
        .values(heartbeat_at=now, lease_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return renewed.rowcount == 1


def finish(
    session: Session,
    job_id: str,
    worker: str,
    attempt: int,
    now: dt.datetime,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> bool:
    """Mark the attempt done (or failed with ``error``) in the caller's transaction; False if
    the job is no longer this attempt's, in which case the caller must roll back its work."""
    finished = session.execute(
        update(BackgroundJob)
        .where(_owned(job_id, worker, attempt))
        .values(
            state=JobState.FAILED if error is not None else JobState.DONE,
            finished_at=now,
            lease_until=None,
            error=error,
            result=result,
        )
        .execution_options(synchronize_session=False)
    )
    return finished.rowcount == 1


def reap_stale(session: Session, now: dt.datetime) -> list[str]:
    """Recover running jobs whose worker stopped renewing the lease; commits. Returns the
    ids queued again (to dispatch); those out of attempts are marked failed."""
    stale = session.execute(
        select(BackgroundJob.id, BackgroundJob.attempts, BackgroundJob.max_attempts).where(
            BackgroundJob.state == JobState.RUNNING, BackgroundJob.lease_until < now
        )
    ).all()
    requeued = []
    for job_id, attempts, max_attempts in stale:
        again = attempts < max_attempts
        moved = session.execute(
            update(BackgroundJob)
            .where(
                BackgroundJob.id == job_id,
                BackgroundJob.state == JobState.RUNNING,
                BackgroundJob.attempts == attempts,
                BackgroundJob.lease_until < now,
            )
            .values(
                state=JobState.QUEUED if again else JobState.FAILED,
                enqueued_at=now if again else BackgroundJob.enqueued_at,
                finished_at=None if again else now,
                lease_until=None,
                worker=None,
                error=WORKER_LOST,
            )
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount == 1 and again:
            requeued.append(job_id)
    session.commit()
    return requeued


def redispatch_lost(session: Session, now: dt.datetime, after: dt.timedelta) -> list[str]:
    """Queued jobs put on the queue longer than ``after`` ago and still not claimed: their
    message may be lost. Returns their ids to put on the queue again (a duplicate message is
    harmless: only one claim succeeds); commits."""
    since = func.coalesce(BackgroundJob.dispatched_at, BackgroundJob.enqueued_at)
    waiting = session.execute(
        select(BackgroundJob.id).where(BackgroundJob.state == JobState.QUEUED, since < now - after)
    ).scalars()
    again = []
    for job_id in list(waiting):
        moved = session.execute(
            update(BackgroundJob)
            .where(
                BackgroundJob.id == job_id,
                BackgroundJob.state == JobState.QUEUED,
                since < now - after,
            )
            .values(dispatched_at=now)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount == 1:
            again.append(job_id)
    session.commit()
    return again


def retry(session: Session, job: BackgroundJob, actor: Actor) -> None:
    """Queue a failed job again with a fresh round of attempts (a user's request: audited)."""
    if job.state != JobState.FAILED:
        raise JobError("only a failed job can be retried")
    previous = {"attempts": job.attempts, "error": job.error}
    job.state = JobState.QUEUED
    job.attempts = 0
    job.enqueued_at = utcnow()
    job.started_at = job.finished_at = job.lease_until = None
    job.worker = job.error = None
    record(
        session,
        actor,
        "job.retried",
        object_type="background_job",
        object_id=job.id,
        organisation_id=job.organisation_id,
        details={"kind": job.kind, **previous},
    )


# ----- workers ------------------------------------------------------------------------------


def beat(session: Session, worker: str, now: dt.datetime) -> None:
    """Say that ``worker`` is alive; commits."""
    touched = session.execute(
        update(WorkerHeartbeat)
        .where(WorkerHeartbeat.name == worker)
        .values(seen_at=now)
        .execution_options(synchronize_session=False)
    )
    if touched.rowcount == 0:
        session.add(WorkerHeartbeat(name=worker, started_at=now, seen_at=now))
    # Rows of workers long gone would otherwise stay for ever.
    session.execute(
        delete(WorkerHeartbeat).where(WorkerHeartbeat.seen_at < now - dt.timedelta(days=1))
    )
    session.commit()


def forget_worker(session: Session, worker: str) -> None:
    session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.name == worker))
    session.commit()


def worker_alive(session: Session, now: dt.datetime, within: dt.timedelta) -> bool:
    return (
        session.scalar(
            select(WorkerHeartbeat.name).where(WorkerHeartbeat.seen_at >= now - within).limit(1)
        )
        is not None
    )


# ----- what a status page shows -------------------------------------------------------------


@dataclass(frozen=True)
class JobView:
    id: str
    kind: str
    state: JobState
    attempts: int
    max_attempts: int
    enqueued_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    payload: dict[str, Any]
    result: dict[str, Any] | None
    raw_error: str | None
    # Queued for a while and no worker has been seen: nobody will pick it up.
    no_worker: bool

    @property
    def error(self) -> str | None:
        if self.raw_error == WORKER_LOST:
            return str(
                lazy_ngettext(
                    "The worker stopped while preparing this.",
                    "The worker stopped while preparing this, %(num)d times in a row.",
                    self.attempts,
                )
            )
        return self.raw_error

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def interrupted(self) -> bool:
        """Queued again after a worker stopped while running it."""
        return self.state == JobState.QUEUED and self.raw_error == WORKER_LOST

    @property
    def pending(self) -> bool:
        return self.state in (JobState.QUEUED, JobState.RUNNING)


def job_view(
    session: Session,
    job: BackgroundJob,
    *,
    now: dt.datetime | None = None,
    stuck_after: dt.timedelta = dt.timedelta(seconds=60),
    alive_within: dt.timedelta = dt.timedelta(seconds=30),
    immediate: bool = False,
) -> JobView:
    now = now or utcnow()
    no_worker = (
        not immediate
        and job.state == JobState.QUEUED
        and job.enqueued_at <= now - stuck_after
        and not worker_alive(session, now, alive_within)
    )
    return JobView(
        id=job.id,
        kind=job.kind,
        state=job.state,
        attempts=job.attempts,
        max_attempts=job.max_attempts,
        enqueued_at=job.enqueued_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        payload=dict(job.payload or {}),
        result=dict(job.result) if job.result else None,
        raw_error=job.error,
        no_worker=no_worker,
    )
