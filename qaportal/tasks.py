"""Background work: a huey task queue, one per app.

By default the queue is an SQLite file in the instance folder (``queue.sqlite3``), so a
single machine needs no server; ``QAPORTAL_QUEUE_URL=redis://…`` puts it in Redis (install
the ``redis`` package) when several machines share the work, and ``sqlite:///path`` names
another SQLite file. ``qaportal worker`` runs the consumer beside the web tier.

Tasks run inside an app context: the consumer's (``qaportal worker`` builds the app once
with ``create_app()``), or, in immediate mode (``QUEUE_IMMEDIATE``, used by the tests), a
fresh context of the current app, so a task always has a database session of its own.

The queue only carries "run job <id>": a job's state (queued, running, done, failed), its
attempts and its worker's lease live in the database (:mod:`qaportal.jobs`), so a worker that
dies mid-way leaves a job that the next worker's keeper recovers. What a job does is up to
the domain that registered its kind (``qaportal.jobs.register``, from the domain's
``register(app)``): this module knows no domain, and the worker's ``create_app()`` registers
them all before the first job runs. ``qaportal demo`` runs a
consumer in its own process (``InProcessConsumer``) so the demo needs no second command.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import Flask, current_app
from huey import Huey, MemoryHuey, SqliteHuey

if TYPE_CHECKING:
    from qaportal.jobs.runner import Keeper

EXTENSION = "qaportal.huey"

logger = logging.getLogger(__name__)


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
    from qaportal.jobs.runner import run_job

    tasks = {"run_job": run_job}
    return {name: huey.task(name=name)(_in_app_context(app, func)) for name, func in tasks.items()}


def dispatch(job_id: str, app: Flask | None = None) -> None:
    """Hand a committed job (:func:`qaportal.jobs.services.create_job`) to the queue."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    get_huey(app)
    try:
        app.extensions["qaportal.tasks"]["run_job"](job_id)
    except Exception:
        # The job is committed: a worker's keeper puts it on the queue again later
        # (qaportal.jobs.services.redispatch_lost), so the user's request need not fail.
        logger.exception("job %s could not be put on the queue", job_id)


def _keeper(app: Flask) -> Keeper:
    from qaportal.jobs.runner import Keeper

    return Keeper(app, lambda job_id: dispatch(job_id, app))


def run_consumer(app: Flask, workers: int = 2) -> None:
    """Run the queue's consumer (threads) until stopped (SIGINT/SIGTERM)."""
    huey = get_huey(app)
    if huey.immediate:
        raise QueueConfigError("the queue is in immediate mode: there is nothing to consume")
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=False)
    keeper = _keeper(app)
    keeper.start()
    try:
        consumer.run()
    finally:
        keeper.stop()


class InProcessConsumer:
    """Worker threads and a keeper inside the web process (``qaportal demo``).

    Not huey's ``Consumer``: that one installs signal handlers, which only the main thread
    may do, and the main thread serves the pages.
    """

    def __init__(self, app: Flask, workers: int = 1) -> None:
        from huey.consumer import Worker

        self.huey = get_huey(app)
        if self.huey.immediate:
            raise QueueConfigError("the queue is in immediate mode: there is nothing to consume")
        self._stop = threading.Event()
        self._workers = [
            Worker(self.huey, self._stop, default_delay=0.1, max_delay=1.0, backoff=1.15)
            for _ in range(workers)
        ]
        self._keeper = _keeper(app)
        self._threads: list[threading.Thread] = []

    def _work(self, worker: Any) -> None:
        while not self._stop.is_set():
            worker.loop()

    def start(self) -> InProcessConsumer:
        self._keeper.start()
        for number, worker in enumerate(self._workers, 1):
            thread = threading.Thread(
                target=self._work, args=(worker,), name=f"queue-worker-{number}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()
        self._keeper.stop()
