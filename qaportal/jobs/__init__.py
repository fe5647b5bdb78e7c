"""Background jobs: kinds of work that run off the request, with a state the pages can show.

A domain registers each kind of job it queues (``register``) from its package's
``register(app)`` at start-up (``qaportal.feedback.register``); the runner
(:mod:`qaportal.jobs.runner`) looks the handler up by the job's ``kind``, and the queue
(:mod:`qaportal.tasks`) carries only "run job <id>", so neither imports a domain. A handler
gets a database session and the job, does its work in that session without committing, and
returns a small result to keep on the job (ids, not documents); the runner commits the work
and the job's "done" together, so a worker that dies mid-way leaves neither. A handler
raises :class:`JobFailed` with a message for the user when retrying would not help.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from qaportal.jobs.models import BackgroundJob

Handler = Callable[["Session", "BackgroundJob"], "dict[str, Any] | None"]


class JobFailed(Exception):
    """The job cannot succeed as asked; ``message`` is shown to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class JobKind:
    name: str
    handler: Handler
    # Runs a job may start before a dead worker's job is shown as failed.
    max_attempts: int = 3


KINDS: dict[str, JobKind] = {}


def register(name: str, handler: Handler, *, max_attempts: int = 3) -> None:
    KINDS[name] = JobKind(name, handler, max_attempts)
