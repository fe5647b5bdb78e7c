"""The task queue (qaportal.tasks) with a real SQLite huey file, the `qaportal worker`
command, and the printed-document renderer of reports/ (qaportal.reporting.pdf)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from qaportal.cases.models import Case, CaseState
from qaportal.db import get_session
from qaportal.evidence.models import Evidence
from qaportal.tasks import get_huey
from tests.conftest import login, post_form
from tests.feedback_support import UDV_ADMIN, answer_directly, make_campaign, make_specification
from tests.test_feedback_results import _answers, _case_with_principles


@pytest.fixture
def app_config(app_config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    # A real queue: tasks wait in a temporary SQLite file until a consumer takes them.
    return {
        **app_config,
        "QUEUE_IMMEDIATE": False,
        "QUEUE_URL": f"sqlite:///{tmp_path / 'queue.sqlite3'}",
    }


def _queued_attach(app, client, demo) -> tuple[int, int, str, str]:
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")], title="Autumn")
    case_id = _case_with_principles(app)
    answer_directly(app, campaign_id, [_answers(3, "Clear tasks") for _ in range(5)])
    login(client, UDV_ADMIN, demo.password)
    url = f"/feedback/campaigns/{campaign_id}/attach"
    started = time.monotonic()
    response = post_form(client, url, {"case": str(case_id)})
    elapsed = time.monotonic() - started
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert elapsed < 5, elapsed
    return campaign_id, case_id, url, response.headers["Location"]


def _run_queued_task(app) -> None:
    """Do what one `qaportal worker` thread does with the next task."""
    huey = get_huey(app)
    task = huey.dequeue()
    assert task is not None
    huey.execute(task)


def test_the_post_queues_the_summary_and_the_worker_attaches_it(app, client, demo):
    from pypdf import PdfReader

    _campaign_id, case_id, _url, status_url = _queued_attach(app, client, demo)
    huey = get_huey(app)
    assert Path(huey.storage.filename).parent != Path(app.instance_path)
    assert huey.pending_count() == 1
    with app.app_context():
        assert get_session().execute(select(Evidence)).first() is None  # nothing rendered yet
    waiting = client.get(status_url)
    assert waiting.status_code == 200
    page = waiting.get_data(as_text=True)
    assert "being prepared" in page
    assert '<meta http-equiv="refresh"' in page and f'href="{status_url}"' in page

    _run_queued_task(app)
    assert huey.pending_count() == 0
    done = client.get(status_url).get_data(as_text=True)
    assert "is attached to case QA-TEST-1" in done and "http-equiv" not in done
    with app.app_context():
        evidence = get_session().execute(select(Evidence)).scalar_one()
        assert evidence.case_id == case_id
        from qaportal.evidence.storage import get_storage

        with get_storage(app).open(evidence.file.storage_key) as handle:
            pages = PdfReader(handle).pages
            text = "".join(p.extract_text() for p in pages)
        assert "Autumn" in text and "Clear tasks" in text
        # the shared layout's footer (reports/_shared/base.html); the cover has none
        assert f"Page {len(pages)} of {len(pages)}" in text


def test_a_job_that_fails_says_why(app, client, demo):
    _campaign_id, case_id, _url, status_url = _queued_attach(app, client, demo)
    with app.app_context():
        db = get_session()
        db.get(Case, case_id).state = CaseState.SUBMITTED  # submitted while the job waited
        db.commit()
    _run_queued_task(app)
    page = client.get(status_url).get_data(as_text=True)
    assert "could not be attached to case QA-TEST-1" in page
    assert "can no longer change" in page
    with app.app_context():
        assert get_session().execute(select(Evidence)).first() is None


def test_a_job_of_another_campaign_is_not_found(app, client, demo):
    _campaign_id, _case_id, _url, status_url = _queued_attach(app, client, demo)
    other = make_campaign(app, [make_specification(app, "Other")], title="Other")
    job_id = status_url.rsplit("/", 1)[1]
    assert client.get(f"/feedback/campaigns/{other}/attach/{job_id}").status_code == 404
    assert client.get(f"{status_url[: -len(job_id)]}not-a-job").status_code == 404


def test_worker_command_refuses_immediate_mode(app):
    app.config["QUEUE_IMMEDIATE"] = True
    app.extensions["qaportal.huey"] = None
    result = app.test_cli_runner().invoke(args=["worker"])
    assert result.exit_code != 0
    assert "immediate mode" in result.output


def test_default_queue_is_sqlite_in_the_instance_folder(app):
    from huey import SqliteHuey

    from qaportal.tasks import QueueConfigError, make_huey

    app.config["QUEUE_URL"] = None
    huey = make_huey(app)
    assert isinstance(huey, SqliteHuey)
    assert Path(huey.storage.filename) == Path(app.instance_path) / "queue.sqlite3"
    app.config["QUEUE_URL"] = "amqp://elsewhere"
    with pytest.raises(QueueConfigError):
        make_huey(app)


# ----- reports/ -------------------------------------------------------------------------------


def test_report_sources_and_the_fetcher_refuse_what_is_not_local(app):
    from qaportal.paths import REPORTS_DIR
    from qaportal.reporting.pdf import ReportError, _refusal, load_report

    report = load_report("feedback-summary")
    assert report.template == "summary.html" and report.css == ("print.css",)
    assert "@page" in (report.folder / "print.css").read_text()
    with pytest.raises(ReportError):
        load_report("../templates")
    assert _refusal(report.folder, "https://example.org/font.woff")
    assert _refusal(report.folder, "file:///etc/passwd")
    assert _refusal(report.folder, (report.folder / "print.css").as_uri()) is None
    assert not list(REPORTS_DIR.rglob("*.pdf"))  # sources only, never generated output
