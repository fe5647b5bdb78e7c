"""Running jobs in a worker: claim, renew the lease while working, finish; and the keeper
that says the worker is alive and recovers the jobs of workers that died.

``run_job`` is what the queue's task does with a job id (in ``qaportal worker``, in the
demo's in-process consumer, or at once in immediate mode). The ``Keeper`` runs beside the
consumer's threads: every ``JOB_HEARTBEAT_SECONDS`` it records the worker's heartbeat (the
status pages read it to tell "nobody is working" from "waiting its turn") and queues again
the jobs whose lease expired.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from qaportal.db import get_session, utcnow
from qaportal.jobs import KINDS, JobFailed
from qaportal.jobs import services as jobs
from qaportal.jobs.models import BackgroundJob

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSettings:
    lease: dt.timedelta
    heartbeat: dt.timedelta
    # A queued job older than this, with no live worker, is shown as "nobody is working".
    stuck_after: dt.timedelta
    # A queued job not claimed this long after it was put on the queue is put on it again.
    redispatch_after: dt.timedelta = dt.timedelta(minutes=5)

    @property
    def alive_within(self) -> dt.timedelta:
        return self.heartbeat * 3

    @classmethod
    def from_config(cls, config: Any) -> JobSettings:
        return cls(
            lease=dt.timedelta(seconds=float(config.get("JOB_LEASE_SECONDS", 60))),
            heartbeat=dt.timedelta(seconds=float(config.get("JOB_HEARTBEAT_SECONDS", 10))),
            stuck_after=dt.timedelta(seconds=float(config.get("JOB_STUCK_SECONDS", 60))),
            redispatch_after=dt.timedelta(seconds=float(config.get("JOB_REDISPATCH_SECONDS", 300))),
        )


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def _new_session(app: Flask) -> Session:
    return app.extensions["qaportal.db"]()


@contextlib.contextmanager
def _renewing(
    app: Flask, job_id: str, worker: str, attempt: int, settings: JobSettings
) -> Iterator[None]:
    """Renew the job's lease in the background while the block runs."""
    stop = threading.Event()

    def renew() -> None:
        session = _new_session(app)
        try:
            while not stop.wait(settings.heartbeat.total_seconds()):
                try:
                    if not jobs.renew_lease(
                        session, job_id, worker, attempt, utcnow(), settings.lease
                    ):
                        return
                except Exception:  # a busy database: try again at the next beat
                    session.rollback()
                    logger.warning("could not renew the lease of job %s", job_id, exc_info=True)
        finally:
            session.close()

    thread = threading.Thread(target=renew, name=f"job-lease-{job_id[:8]}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def run_job(job_id: str) -> None:
    """Run one attempt of the job, if it is still to run; in the current app context."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    settings = JobSettings.from_config(app.config)
    db = get_session()
    worker = worker_name()
    attempt = jobs.claim(db, job_id, worker, utcnow(), settings.lease)
    if attempt is None:
        return
    job = db.get(BackgroundJob, job_id, populate_existing=True)
    assert job is not None  # claimed a moment ago
    g.qaportal_job = job_id  # Flask-Babel's force_locale needs a non-empty g
    with (
        _renewing(app, job_id, worker, attempt, settings),
        force_locale(str(job.payload.get("locale") or "en")),
    ):
        result: dict[str, Any] | None = None
        error: str | None = None
        try:
            kind = KINDS.get(job.kind)
            if kind is None:
                raise JobFailed(str(_l("This kind of work is no longer known.")))
            result = kind.handler(db, job)
        except JobFailed as exc:
            db.rollback()
            error = exc.message
        except Exception:
            db.rollback()
            logger.exception("job %s (%s) failed", job_id, job.kind)
            error = str(_l("This could not be completed. Please try again later."))
        if jobs.finish(db, job_id, worker, attempt, utcnow(), result=result, error=error):
            db.commit()
        else:
            # The lease was lost (the job was given to another worker): undo this attempt.
            db.rollback()
            logger.warning("job %s: attempt %d lost its lease; its work is undone", job_id, attempt)


class Keeper:
    """The worker's heartbeat and the recovery of dead workers' jobs, in a thread."""

    def __init__(self, app: Flask, dispatch: Callable[[str], None]) -> None:
        self.app = app
        self.dispatch = dispatch
        self.settings = JobSettings.from_config(app.config)
        self.name = worker_name()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self, now: dt.datetime | None = None) -> list[str]:
        """One round: heartbeat, then re-queue stale jobs; returns the ids queued again."""
        session = _new_session(self.app)
        try:
            now = now or utcnow()
            jobs.beat(session, self.name, now)
            requeued = jobs.reap_stale(session, now)
            lost = jobs.redispatch_lost(session, now, self.settings.redispatch_after)
        finally:
            session.close()
        for job_id in requeued:
            logger.warning("job %s: its worker stopped; queued again", job_id)
        for job_id in requeued + lost:
            self.dispatch(job_id)
        return requeued

    def _loop(self) -> None:
        while True:
            try:
                self.run_once()
            except Exception:
                logger.exception("the job keeper's round failed")
            if self._stop.wait(self.settings.heartbeat.total_seconds()):
                return

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="job-keeper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        session = _new_session(self.app)
        try:
            jobs.forget_worker(session, self.name)
        finally:
            session.close()


def status_of(session: Session, job: BackgroundJob) -> jobs.JobView:
    """The job as its status page shows it, with this app's timings."""
    settings = JobSettings.from_config(current_app.config)
    return jobs.job_view(
        session,
        job,
        stuck_after=settings.stuck_after,
        alive_within=settings.alive_within,
        immediate=bool(current_app.config.get("QUEUE_IMMEDIATE")),
    )
