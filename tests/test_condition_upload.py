"""Answering a condition with a new file: stored through the evidence domain (once per
content, listed with the case's evidence, downloadable by the agency), checked by its rules
(type by content, size) before anything is stored, refusals shown on the field with what
was typed kept."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from qaportal.audit.models import AuditEvent
from qaportal.db import get_session
from qaportal.decisions.models import ConditionStatus, DecisionCondition, Outcome
from qaportal.evidence.models import Evidence, StoredFile
from tests.casekit import minimal_pdf
from tests.conftest import post_form
from tests.test_decisions import (
    EDITOR,
    _act,
    _age_decision,
    _client,
    _count,
    _decided,
    _future,
    world,  # noqa: F401 - the fixture: a case awaiting its decision
)

MAX_BYTES = 4096  # larger than the test PDF (under 1 kB), small enough to exceed at once


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "EVIDENCE_MAX_BYTES": MAX_BYTES}


@pytest.fixture
def follow_up(app, world, demo) -> dict[str, Any]:  # noqa: F811 - uses the imported fixture
    """The case decided with one condition and in follow-up; the editor's client."""
    officer = _decided(
        app,
        world,
        demo,
        Outcome.CONDITIONAL,
        **{"conditions-0-text": "Publish the results.", "conditions-0-due_on": _future()},
    )
    _age_decision(app, world, 31)
    assert _act(officer, world, "start_follow_up").status_code == 302
    with app.app_context():
        condition_id = get_session().execute(select(DecisionCondition.id)).scalar_one()
    url = f"/cases/{world.case_id}/decision"
    return {
        "url": url,
        "answer": f"{url}/conditions/{condition_id}/answer",
        "condition": condition_id,
        "editor": _client(app, EDITOR, demo.password),
        "officer": officer,
    }


def _send(s: dict[str, Any], data: dict[str, Any]) -> Any:
    return post_form(
        s["editor"], s["answer"], data, token_from=s["url"], content_type="multipart/form-data"
    )


def _files(app: Any) -> list[Path]:
    """Every file under the upload folder, the temporary uploads included."""
    return [p for p in Path(app.config["UPLOAD_FOLDER"]).rglob("*") if p.is_file()]


def test_condition_answered_with_a_new_file(app, follow_up):
    s = follow_up
    pdf = minimal_pdf()
    response = _send(
        s,
        {
            "answer": "The results are published; the report is attached.",
            "evidence": "0",
            "document": (io.BytesIO(pdf), "results 2026.pdf"),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    with app.app_context():
        db = get_session()
        condition = db.get(DecisionCondition, s["condition"])
        assert condition.status == ConditionStatus.ANSWERED
        evidence = db.get(Evidence, condition.answer_evidence_id)
        assert evidence.case_id == condition.decision.case_id
        assert evidence.title == "Answer to a condition: results 2026.pdf"
        stored = db.get(StoredFile, evidence.file_id)
        assert stored.size == len(pdf) and stored.media_type == "application/pdf"
        event = db.execute(
            select(AuditEvent).where(AuditEvent.action == "condition.answered")
        ).scalar_one()
        details = json.loads(event.details)
        assert details["new_file"] is True and details["evidence_id"] == evidence.id
        evidence_id = evidence.id
    # The page links the file; the officer who assesses the answer downloads the same bytes.
    page = s["officer"].get(s["url"]).get_data(as_text=True)
    link = re.search(rf'href="([^"]*/evidence/{evidence_id}/download)"', page)
    assert link is not None
    download = s["officer"].get(link.group(1))
    assert download.status_code == 200 and download.data == pdf
    # Nothing left behind in the temporary folder: one stored copy of the content.
    assert len(_files(app)) == 1


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"MZ\x90\x00 a program, not a pdf", "results.pdf", "not of an accepted type"),
        (minimal_pdf() + b"%" * MAX_BYTES, "big.pdf", "larger than the limit"),
    ],
    ids=["type", "size"],
)
def test_refused_file_stores_nothing_and_keeps_the_answer(app, follow_up, content, name, message):
    s = follow_up
    typed = "Published on our website last week."
    response = _send(s, {"answer": typed, "evidence": "0", "document": (io.BytesIO(content), name)})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    errors = body.split(f'id="document-{s["condition"]}-errors"')[1].split("</ul>")[0]
    assert message in errors
    assert typed in body
    assert _count(app, Evidence) == 0 and _count(app, StoredFile) == 0
    assert _files(app) == []
    with app.app_context():
        assert get_session().get(DecisionCondition, s["condition"]).status == ConditionStatus.OPEN


def test_existing_evidence_and_a_new_file_at_once_is_refused(app, follow_up):
    s = follow_up
    first = _send(
        s,
        {
            "answer": "See the report.",
            "evidence": "0",
            "document": (io.BytesIO(minimal_pdf()), "report.pdf"),
        },
    )
    assert first.status_code == 302
    with app.app_context():
        existing = get_session().execute(select(Evidence.id)).scalar_one()
    response = _send(
        s,
        {
            "answer": "Both, please.",
            "evidence": str(existing),
            "document": (io.BytesIO(minimal_pdf() + b"\n% another\n"), "other.pdf"),
        },
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    errors = body.split(f'id="document-{s["condition"]}-errors"')[1].split("</ul>")[0]
    assert "not both" in errors and "Both, please." in body
    assert _count(app, Evidence) == 1 and _count(app, StoredFile) == 1
    assert len(_files(app)) == 1  # the refused upload's temporary file is gone too
