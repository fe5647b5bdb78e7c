"""Background work: a huey task queue, one per app.

By default the queue is an SQLite file in the instance folder (``queue.sqlite3``), so a
single machine needs no server; ``QAPORTAL_QUEUE_URL=redis://…`` puts it in Redis (install
the ``redis`` package) when several machines share the work, and ``sqlite:///path`` names
another SQLite file. ``qaportal worker`` runs the consumer beside the web tier.

Tasks run inside an app context: the consumer's (``qaportal worker`` builds the app once
with ``create_app()``), or, in immediate mode (``QUEUE_IMMEDIATE``, used by the tests), a
fresh context of the current app, so a task always has a database session of its own.

Jobs that a page follows (``job_status``) keep a small status record in the queue's own
key-value store: no table of their own.
"""

from __future__ import annotations

import functools
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app
from huey import Huey, MemoryHuey, SqliteHuey

EXTENSION = "qaportal.huey"
JOB_PREFIX = "qaportal.job:"


class QueueConfigError(RuntimeError):
    """QAPORTAL_QUEUE_URL names a queue the portal cannot use."""


def make_huey(app: Flask) -> Huey:
    """The app's queue, built from its configuration, with the portal's tasks registered."""
    name = "qaportal"
    url = app.config.get("QUEUE_URL") or ""
    immediate = bool(app.config.get("QUEUE_IMMEDIATE"))
    if immediate:
        huey: Huey = MemoryHuey(name, immediate=True)
    elif url.startswith(("redis://", "rediss://", "unix://")):
        try:
            from huey import RedisHuey  # needs the redis package, imported only here
        except ImportError as exc:  # pragma: no cover - depends on what is installed
            raise QueueConfigError("QAPORTAL_QUEUE_URL is redis://…: install `redis`") from exc
        huey = RedisHuey(name, url=url)
    elif url.startswith("sqlite:///"):
        huey = SqliteHuey(name, filename=urlsplit(url).path or url[len("sqlite://") :])
    elif url:
        raise QueueConfigError(f"QAPORTAL_QUEUE_URL: unsupported queue {url!r}")
    else:
        huey = SqliteHuey(name, filename=str(Path(app.instance_path) / "queue.sqlite3"))
    app.extensions["qaportal.tasks"] = _register_tasks(huey, app)
    return huey


_LOCK = threading.Lock()


def init_app(app: Flask) -> None:
    """Nothing is opened yet: the queue is built on first use (``get_huey``)."""
    app.extensions[EXTENSION] = None


def get_huey(app: Flask | None = None) -> Huey:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    huey = app.extensions.get(EXTENSION)
    if huey is None:
        with _LOCK:
            huey = app.extensions.get(EXTENSION)
            if huey is None:
                huey = app.extensions[EXTENSION] = make_huey(app)
    return huey


def _in_app_context(app: Flask, func: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``func`` in a new context of ``app`` (a session of its own, closed afterwards)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with app.app_context():
            return func(*args, **kwargs)

    return wrapper


def _register_tasks(huey: Huey, app: Flask) -> dict[str, Any]:
    from qaportal.feedback.attach import attach_summary_job

    tasks = {"attach_feedback_summary": attach_summary_job}
    return {name: huey.task(name=name)(_in_app_context(app, func)) for name, func in tasks.items()}


def enqueue(name: str, *args: Any, **kwargs: Any) -> None:
    """Queue the task ``name`` (run at once in immediate mode)."""
    get_huey()
    current_app.extensions["qaportal.tasks"][name](*args, **kwargs)


# ----- job status records --------------------------------------------------------------------


def new_job(**status: Any) -> str:
    """Record a job about to be queued; returns its id."""
    job_id = uuid.uuid4().hex
    set_job_status(job_id, state="pending", **status)
    return job_id


def set_job_status(job_id: str, **status: Any) -> None:
    huey = get_huey()
    current = huey.get(JOB_PREFIX + job_id, peek=True) or {}
    huey.put(JOB_PREFIX + job_id, {**current, **status})


def job_status(job_id: str) -> dict[str, Any] | None:
    if not job_id.isalnum() or len(job_id) > 64:
        return None
    return get_huey().get(JOB_PREFIX + job_id, peek=True)


def run_consumer(app: Flask, workers: int = 2) -> None:
    """Run the queue's consumer (threads) until stopped (SIGINT/SIGTERM)."""
    huey = get_huey(app)
    if huey.immediate:
        raise QueueConfigError("the queue is in immediate mode: there is nothing to consume")
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=False)
    consumer.run()
