"""Background jobs (qaportal.jobs) with a real queue file and real worker processes: a worker
SIGKILLed mid-job, the retry of a failed job, the "no worker" notice, atomic claims, and the
consumer that `qaportal demo` runs in its own process."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from qaportal import tasks
from qaportal.audit.models import AuditEvent
from qaportal.audit.services import Actor
from qaportal.db import get_session, utcnow
from qaportal.evidence.models import Evidence
from qaportal.jobs import register
from qaportal.jobs import services as jobs
from qaportal.jobs.models import BackgroundJob, JobState
from qaportal.jobs.runner import Keeper
from tests.conftest import csrf_token, login, post_form
from tests.feedback_support import (
    NVTC_ADMIN,
    UDV_ADMIN,
    answer_directly,
    make_campaign,
    make_specification,
)
from tests.test_feedback_results import _answers, _case_with_principles
from tests.test_tasks import _run_queued_task

BLOCKING = "test.blocking"
LEASE = 1.5


def _blocking_job(session: Any, job: BackgroundJob) -> dict[str, Any]:
    """A job whose first attempt never ends (until its worker is killed)."""
    (Path(job.payload["markers"]) / f"attempt-{job.attempts}").touch()
    while job.attempts == 1:
        time.sleep(0.1)
    return {"finished_by_attempt": job.attempts}


register(BLOCKING, _blocking_job, max_attempts=3)
register("test.quick", lambda session, job: {"ran": True})


@pytest.fixture
def app_config(app_config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    return {
        **app_config,
        "QUEUE_IMMEDIATE": False,
        "QUEUE_URL": f"sqlite:///{tmp_path / 'queue.sqlite3'}",
        "JOB_LEASE_SECONDS": LEASE,
        "JOB_HEARTBEAT_SECONDS": 0.3,
    }


def _worker_process(config: dict[str, Any], block_render_in: str | None) -> None:
    """`qaportal worker` in a process of its own (spawned: nothing shared with the test)."""
    from qaportal import create_app

    if block_render_in:
        import qaportal.reporting.pdf

        def render_for_ever(*_args: Any, **_kwargs: Any) -> bytes:
            (Path(block_render_in) / "rendering").touch()
            while True:
                time.sleep(0.1)

        qaportal.reporting.pdf.render_pdf = render_for_ever  # type: ignore[assignment]
    app = create_app(config)
    tasks.run_consumer(app, workers=1)


def _start_worker(config: dict[str, Any], block_render_in: str | None = None) -> Any:
    process = multiprocessing.get_context("spawn").Process(
        target=_worker_process, args=(config, block_render_in), daemon=True
    )
    process.start()
    return process


def _wait_for(condition: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def _kill(process: Any) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.join(timeout=30)
    assert process.exitcode == -signal.SIGKILL


def _job(app, job_id: str) -> BackgroundJob:
    with app.app_context():
        job = get_session().get(BackgroundJob, job_id)
        assert job is not None
        return job


def _queue_blocking_job(app, markers: Path) -> str:
    with app.app_context():
        db = get_session()
        job = jobs.create_job(db, BLOCKING, {"markers": str(markers)}, actor=Actor.system("test"))
        db.commit()
        tasks.dispatch(job.id)
        return job.id


def test_a_job_whose_worker_is_killed_runs_again_and_finishes(app, app_config, tmp_path):
    markers = tmp_path / "markers"
    markers.mkdir()
    job_id = _queue_blocking_job(app, markers)
    assert _job(app, job_id).state == JobState.QUEUED

    worker = _start_worker(app_config)
    try:
        _wait_for(lambda: (markers / "attempt-1").exists(), "the first attempt to start")
        running = _job(app, job_id)
        assert running.state == JobState.RUNNING and running.attempts == 1
        assert running.started_at is not None and running.worker
        # The lease is renewed while the job runs, well past its first term.
        first_lease = running.lease_until
        time.sleep(LEASE * 1.5)
        assert _job(app, job_id).lease_until > first_lease
    finally:
        _kill(worker)

    assert _job(app, job_id).state == JobState.RUNNING  # the dead worker's row, as it was left
    consumer = tasks.InProcessConsumer(app).start()  # the next worker to come up
    try:
        done = _wait_for(
            lambda: (job := _job(app, job_id)).state == JobState.DONE and job,
            "the job to be re-run and finish",
        )
    finally:
        consumer.stop()
    assert done.attempts == 2 and done.result == {"finished_by_attempt": 2}
    assert done.error is None and done.finished_at is not None
    assert (markers / "attempt-2").exists() and not (markers / "attempt-3").exists()


def _case_id(app) -> int:
    from qaportal.cases.models import Case

    with app.app_context():
        return get_session().execute(select(Case.id)).scalar_one()


def test_a_killed_job_out_of_attempts_is_failed_and_can_be_retried(
    app, app_config, client, demo, tmp_path
):
    _case_with_principles(app)
    case_id = _case_id(app)
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")], title="Autumn")
    answer_directly(app, campaign_id, [_answers(3, "Clear tasks") for _ in range(5)])
    login(client, UDV_ADMIN, demo.password)
    attach_url = f"/feedback/campaigns/{campaign_id}/attach"
    response = post_form(client, attach_url, {"case": str(case_id)})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    status_url = response.headers["Location"]
    job_id = status_url.rsplit("/", 1)[1]
    with app.app_context():
        db = get_session()
        db.get(BackgroundJob, job_id).max_attempts = 1  # one death is the last
        db.commit()

    worker = _start_worker(app_config, block_render_in=str(tmp_path))
    try:
        _wait_for(lambda: (tmp_path / "rendering").exists(), "the worker to start rendering")
        page = client.get(status_url).get_data(as_text=True)
        assert "Running" in page and "Started" in page and "1 of 1" in page
        assert '<meta http-equiv="refresh"' in page
    finally:
        _kill(worker)

    # The next worker's keeper, once the dead worker's lease has run out.
    keeper = Keeper(app, lambda job_id: tasks.dispatch(job_id, app))
    assert keeper.run_once(now=utcnow() + dt.timedelta(seconds=LEASE * 2)) == []
    failed = _job(app, job_id)
    assert failed.state == JobState.FAILED and failed.attempts == 1
    page = client.get(status_url).get_data(as_text=True)
    assert "Failed" in page and "The worker stopped while preparing this" in page
    assert "http-equiv" not in page
    retry_url = f"{status_url}/retry"
    assert f'action="{retry_url}"' in page

    # The retry button: CSRF and access are checked, and nothing changes without them.
    assert client.post(retry_url).status_code == 400
    assert _job(app, job_id).state == JobState.FAILED
    other = app.test_client()
    login(other, NVTC_ADMIN, demo.password)
    token = csrf_token(other, "/")
    assert other.post(retry_url, data={"csrf_token": token}).status_code == 404
    assert _job(app, job_id).state == JobState.FAILED

    response = post_form(client, retry_url, {}, token_from=status_url)
    assert response.status_code == 302 and response.headers["Location"] == status_url
    queued = _job(app, job_id)
    assert queued.state == JobState.QUEUED and queued.attempts == 0 and queued.error is None
    with app.app_context():
        event = (
            get_session()
            .execute(select(AuditEvent).where(AuditEvent.action == "job.retried"))
            .scalar_one()
        )
        assert event.object_id == job_id and event.actor_user_id is not None
        assert json.loads(event.details)["attempts"] == 1

    _run_queued_task(app)
    done = client.get(status_url).get_data(as_text=True)
    assert "is attached to case QA-TEST-1" in done and "Done" in done
    with app.app_context():
        assert get_session().execute(select(Evidence)).scalar_one().case_id == case_id
    # Retrying a job that did not fail changes nothing.
    post_form(client, retry_url, {}, token_from=status_url)
    assert _job(app, job_id).state == JobState.DONE


def test_a_queued_job_without_a_live_worker_says_so(app, client, demo):
    _case_with_principles(app)
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")], title="Autumn")
    answer_directly(app, campaign_id, [_answers(3, "Clear tasks") for _ in range(5)])
    login(client, UDV_ADMIN, demo.password)
    response = post_form(
        client, f"/feedback/campaigns/{campaign_id}/attach", {"case": str(_case_id(app))}
    )
    status_url = response.headers["Location"]
    job_id = status_url.rsplit("/", 1)[1]

    fresh = client.get(status_url).get_data(as_text=True)
    assert "Waiting for a worker" in fresh and "No worker has picked this up yet" not in fresh

    with app.app_context():
        db = get_session()
        db.get(BackgroundJob, job_id).enqueued_at = utcnow() - dt.timedelta(seconds=90)
        db.commit()
    stuck = client.get(status_url).get_data(as_text=True)
    assert "No worker has picked this up yet" in stuck
    assert '<meta http-equiv="refresh"' in stuck

    Keeper(app, lambda job_id: None).run_once()  # a worker says it is alive
    waiting = client.get(status_url).get_data(as_text=True)
    assert "No worker has picked this up yet" not in waiting and "being prepared" in waiting


def test_a_job_whose_queue_message_was_lost_is_put_on_the_queue_again(app):
    with app.app_context():
        db = get_session()
        job = jobs.create_job(db, "test.quick", {}, actor=Actor.system("test"))
        job.enqueued_at = utcnow() - dt.timedelta(minutes=10)
        db.commit()  # and never dispatched: as if enqueueing had failed after the commit
        job_id = job.id
    huey = tasks.get_huey(app)
    assert huey.pending_count() == 0
    keeper = Keeper(app, lambda job_id: tasks.dispatch(job_id, app))
    keeper.run_once()
    assert huey.pending_count() == 1
    keeper.run_once()  # not again at once
    assert huey.pending_count() == 1
    _run_queued_task(app)
    done = _job(app, job_id)
    assert done.state == JobState.DONE and done.result == {"ran": True}


def test_only_one_of_many_workers_claims_a_job(app, tmp_path):
    job_id = _queue_blocking_job(app, tmp_path)
    factory = app.extensions["qaportal.db"]
    start = threading.Barrier(8)
    claimed: list[int | None] = []

    def claim(number: int) -> None:
        session = factory()
        try:
            start.wait()
            claimed.append(
                jobs.claim(session, job_id, f"w{number}", utcnow(), dt.timedelta(minutes=1))
            )
        finally:
            session.close()

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed, key=lambda a: a or 0) == [None] * 7 + [1]
    assert _job(app, job_id).attempts == 1


def test_the_demo_runs_background_jobs_in_its_own_process(app, client, demo, monkeypatch):
    """`qaportal demo` needs no `qaportal worker`: its serving path starts a consumer."""
    from qaportal.demo import prepare_serving

    monkeypatch.delenv("QAPORTAL_BASE_URL", raising=False)
    consumer = prepare_serving(app, "127.0.0.1", 5123)
    assert consumer is not None
    try:
        _case_with_principles(app)
        campaign_id = make_campaign(app, [make_specification(app, "Data literacy")], title="A")
        answer_directly(app, campaign_id, [_answers(3, "Clear tasks") for _ in range(5)])
        login(client, UDV_ADMIN, demo.password)
        response = post_form(
            client, f"/feedback/campaigns/{campaign_id}/attach", {"case": str(_case_id(app))}
        )
        status_url = response.headers["Location"]
        page = _wait_for(
            lambda: (
                "is attached to case" in (text := client.get(status_url).get_data(as_text=True))
                and text
            ),
            "the demo's own consumer to attach the summary",
        )
    finally:
        consumer.stop()
    assert "Done" in page
    with app.app_context():
        assert get_session().execute(select(Evidence)).scalar_one() is not None
