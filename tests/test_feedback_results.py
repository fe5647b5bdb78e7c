"""Feedback results: thresholds, SVG charts with tables, SQL aggregation, breakdowns with
suppression, CSV exports, results over time, and the summary attached to a case."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from qaportal.access.policy import can
from qaportal.audit.models import AuditEvent
from qaportal.cases.models import Case, CaseFramework, CaseState
from qaportal.db import get_session, utcnow
from qaportal.evidence.access import EvidenceAction
from qaportal.evidence.models import Evidence
from qaportal.feedback import results, services
from qaportal.feedback.exports import safe_cell
from qaportal.feedback.models import FeedbackKind
from qaportal.frameworks.loader import load_file
from qaportal.paths import FORMS_DIR
from tests.conftest import login, post_form
from tests.feedback_support import (
    AGENCY_OFFICER,
    UDV_ADMIN,
    answer_directly,
    make_campaign,
    make_specification,
    provider,
)


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def _answers(value: int, comment: str | None = None, spec: int | None = None) -> services.Answers:
    given = services.Answers(
        specification_id=spec,
        likert={"outcomes_clear": value, "overall_satisfaction": value},
        choices={"purpose": ["current_job"]},
    )
    if comment:
        given.texts["comments_best"] = comment
    return given


# ----- thresholds, charts, tables --------------------------------------------------------------


def test_results_and_comments_stay_hidden_below_the_threshold(app, client, demo):
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    answer_directly(app, campaign_id, [_answers(4, f"secret comment {i}") for i in range(4)])
    login(client, UDV_ADMIN, demo.password)
    page = _page(client, f"/feedback/campaigns/{campaign_id}/results")
    assert "Results appear once at least 5 people have answered" in page
    assert "<svg" not in page
    assert "secret comment" not in page
    for export in ("answers.csv", "aggregates.csv"):
        response = client.get(f"/feedback/campaigns/{campaign_id}/{export}")
        assert response.status_code == 302

    answer_directly(app, campaign_id, [_answers(2, "secret comment 4")])
    page = _page(client, f"/feedback/campaigns/{campaign_id}/results")
    assert "Results appear once" not in page
    assert "secret comment 0" in page and "secret comment 4" in page
    # the chart: an accessible, server-rendered SVG…
    svg = re.search(r"<svg[^>]*>.*?</svg>", page, re.S).group(0)
    assert 'role="img"' in svg
    assert re.search(r'aria-labelledby="likert-1-title likert-1-desc"', svg)
    assert '<title id="likert-1-title">' in svg and '<desc id="likert-1-desc">' in svg
    assert "<rect" in svg and "style=" not in svg
    # …and the same numbers in a table
    assert '<table class="figures likert-table">' in page
    table = page.split('<table class="figures likert-table">', 1)[1]
    row = re.search(r"clearly before I started\..*?</tr>", table, re.S).group(0)
    cells = re.findall(r"<td>(.*?)</td>", row, re.S)
    assert cells[1].startswith("1 ") and cells[3].startswith("4 ")  # one "2", four "4"
    assert cells[5:] == ["5", "3.60", "4.0"]
    assert "<script" not in page


def test_the_agency_sets_the_threshold(app, demo):
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    answer_directly(app, campaign_id, [_answers(3) for _ in range(5)])
    client = app.test_client()
    login(client, UDV_ADMIN, demo.password)
    page = _page(client, f"/feedback/campaigns/{campaign_id}/results")
    assert "Results appear once" not in page and "<svg" in page
    with app.app_context():
        agency_id = provider().managing_agency_id
    admin = app.test_client()
    login(admin, "admin@agency.example.org", demo.password)
    post_form(admin, f"/agencies/{agency_id}/feedback-settings", {"min_responses": "6"})
    assert "Results appear once" in _page(client, f"/feedback/campaigns/{campaign_id}/results")


def test_means_and_medians_come_from_sql_counts():
    assert results.median_of({1: 1, 2: 2, 4: 1, 5: 2}) == 3.0
    assert results.median_of({3: 1}) == 3.0
    assert results.median_of({1: 2, 5: 1}) == 1.0
    assert results.median_of({}) is None
    assert results.mean_of({1: 1, 2: 2, 4: 1, 5: 2}) == pytest.approx(19 / 6)


def test_suppression_hides_small_groups_and_what_would_reveal_them():
    assert results.suppressed({"a": 10, "b": 7}, 5) == set()
    assert results.suppressed({"a": 10, "b": 2}, 5) == {"a", "b"}
    assert results.suppressed({"a": 10, "b": 6, "c": 2}, 5) == {"b", "c"}
    assert results.suppressed({"a": 10, "b": 3, "c": 2}, 5) == {"b", "c"}
    assert results.suppressed({"a": 1, "b": 1}, 5) == {"a", "b"}


def test_breakdown_by_micro_credential_respects_thresholds(app, client, demo):
    first = make_specification(app, "Data literacy")
    second = make_specification(app, "Cloud basics")
    campaign_id = make_campaign(app, [first, second])
    answer_directly(app, campaign_id, [_answers(5, spec=first) for _ in range(6)])
    answer_directly(app, campaign_id, [_answers(1, spec=second) for _ in range(2)])
    login(client, UDV_ADMIN, demo.password)
    page = _page(client, f"/feedback/campaigns/{campaign_id}/results")
    section = page.split("By micro-credential", 1)[1].split("</section>", 1)[0]
    assert section.count(">hidden<") == 2  # the small group, and the one that would reveal it
    assert "5.00" not in section and "1.00" not in section
    answer_directly(app, campaign_id, [_answers(1, spec=second) for _ in range(3)])
    page = _page(client, f"/feedback/campaigns/{campaign_id}/results")
    section = page.split("By micro-credential", 1)[1].split("</section>", 1)[0]
    assert ">hidden<" not in section
    assert "5.00" in section and "1.00" in section
    assert "n = 6" in section and "n = 5" in section


def test_peer_results_break_down_by_peer_type(app, client, demo):
    spec = make_specification(app, "Data literacy")
    campaign_id = make_campaign(app, [spec], kind=FeedbackKind.PEER)

    def peer(kind: str, value: int) -> services.Answers:
        return services.Answers(likert={"design_needs": value}, choices={"peer_type": [kind]})

    answer_directly(
        app,
        campaign_id,
        [peer("employer", 5) for _ in range(6)]
        + [peer("provider", 3) for _ in range(5)]
        + [peer("other", 1)],
    )
    login(client, UDV_ADMIN, demo.password)
    page = _page(client, f"/feedback/campaigns/{campaign_id}/results")
    section = page.split("By answer to", 1)[1].split("</section>", 1)[0]
    assert "n = 6" in section  # employers are shown…
    assert section.count(">hidden<") == 2  # …"other" (1) and then providers (5) are hidden
    assert "5.00" in section and "3.00" not in section


def test_results_page_query_count_does_not_grow_with_responses(app, demo, count_queries):
    first = make_specification(app, "Data literacy")
    second = make_specification(app, "Cloud basics")
    campaign_id = make_campaign(app, [first, second])
    answer_directly(
        app,
        campaign_id,
        [_answers(i % 5 + 1, f"c{i}", first if i % 2 else second) for i in range(10)],
    )
    client = app.test_client()
    login(client, UDV_ADMIN, demo.password)
    url = f"/feedback/campaigns/{campaign_id}/results"
    _page(client, url)
    with count_queries() as few:
        _page(client, url)
    answer_directly(
        app,
        campaign_id,
        [_answers(i % 5 + 1, f"d{i}", first if i % 3 else second) for i in range(40)],
    )
    with count_queries() as many:
        page = _page(client, url)
    assert "n = " in page
    assert many.count == few.count, (few.count, many.count)


# ----- exports ------------------------------------------------------------------------------------


def test_safe_cell_defuses_formulas():
    for dangerous in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(dangerous) == "'" + dangerous
    assert safe_cell("fine") == "fine"
    assert safe_cell(5) == 5


def test_csv_exports_are_anonymised_and_formula_safe(app, client, demo):
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    evil = ['=HYPERLINK("http://evil.example/","x")', "+cmd", "-2+3", "@SUM(A1)", "plain"]
    answer_directly(app, campaign_id, [_answers(3 + i % 2, text) for i, text in enumerate(evil)])
    login(client, UDV_ADMIN, demo.password)
    response = client.get(f"/feedback/campaigns/{campaign_id}/answers.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    header, prompts, data = rows[0], rows[1], rows[2:]
    assert header[:4] == ["response", "submitted on", "micro-credential", "questionnaire version"]
    assert "comments_best" in header and prompts[header.index("outcomes_clear")].startswith("The")
    assert len(data) == 5
    assert [r[0] for r in data] == ["1", "2", "3", "4", "5"]
    comments = sorted(r[header.index("comments_best")] for r in data)
    assert comments == sorted(["'" + evil[0], "'+cmd", "'-2+3", "'@SUM(A1)", "plain"])
    assert all(r[2] == "Data literacy" for r in data)
    assert {r[header.index("purpose")] for r in data} == {"current_job"}
    assert not any("@example" in cell or "token" in cell for row in rows for cell in row)

    response = client.get(f"/feedback/campaigns/{campaign_id}/aggregates.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    level_4 = next(r for r in rows if r[0] == "outcomes_clear" and r[3] == "4")
    assert level_4[5] == "2" and level_4[7] == "5" and level_4[8] == "3.400"


def test_answers_export_blanks_groups_the_page_hides(app, client, demo):
    first = make_specification(app, "Data literacy")
    second = make_specification(app, "Cloud basics")
    campaign_id = make_campaign(app, [first, second])
    answer_directly(app, campaign_id, [_answers(5, spec=first) for _ in range(6)])
    answer_directly(app, campaign_id, [_answers(1, spec=second)])
    login(client, UDV_ADMIN, demo.password)
    export = client.get(f"/feedback/campaigns/{campaign_id}/answers.csv")
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True))))
    assert {r[2] for r in rows[2:]} == {""}


# ----- over time ----------------------------------------------------------------------------


def test_results_over_time_compare_campaigns_of_a_specification(app, client, demo):
    spec = make_specification(app, "Data literacy")
    older = make_campaign(app, [spec], title="Autumn cohort")
    newer = make_campaign(app, [spec], title="Spring cohort")
    small = make_campaign(app, [spec], title="Tiny cohort")
    answer_directly(app, older, [_answers(2) for _ in range(5)])
    answer_directly(app, newer, [_answers(4) for _ in range(5)])
    answer_directly(app, small, [_answers(5) for _ in range(2)])
    login(client, UDV_ADMIN, demo.password)
    with app.app_context():
        org_id = provider().id
    page = _page(client, f"/orgs/{org_id}/feedback/specifications/{spec}?kind=learner")
    assert "Autumn cohort" in page and "Spring cohort" in page and "Tiny cohort" in page
    row = re.search(r"Overall, how satisfied.*?</tr>", page, re.S).group(0)
    assert re.findall(r"<td>(.*?)</td>", row) == ["2.00", "4.00", "—"]
    other = make_specification(app, "Welding", "Nordic Vocational Training Centre")
    assert client.get(f"/orgs/{org_id}/feedback/specifications/{other}").status_code == 404


# ----- the summary as evidence -----------------------------------------------------------------


def _case_with_principles(app) -> int:
    with app.app_context():
        db = get_session()
        loaded = load_file(db, Path(FORMS_DIR) / "eu-microcredential-principles.yaml")
        udv = provider()
        case = Case(
            reference="QA-TEST-1",
            provider_id=udv.id,
            agency_id=udv.managing_agency_id,
            contact_name="Paula Provider",
            contact_email="admin@university.example.org",
            title="Provider review",
        )
        case.frameworks.append(CaseFramework(framework_version_id=loaded.version_id))
        db.add(case)
        db.commit()
        return case.id


def test_summary_is_attached_to_the_self_assessment_as_evidence(app, client, demo):
    from pypdf import PdfReader

    campaign_id = make_campaign(
        app, [make_specification(app, "Data literacy")], title="Spring cohort"
    )
    case_id = _case_with_principles(app)
    login(client, UDV_ADMIN, demo.password)
    url = f"/feedback/campaigns/{campaign_id}/attach"
    assert "not enough responses" in _page(client, url)
    refused = post_form(client, url, {"case": str(case_id)})
    assert refused.status_code == 200
    with app.app_context():
        assert get_session().execute(select(Evidence)).first() is None

    answer_directly(app, campaign_id, [_answers(4, "Great projects") for _ in range(5)])
    response = post_form(client, url, {"case": str(case_id)})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    # the PDF is rendered by a queued task (run at once in the tests); a page follows the job
    status_url = response.headers["Location"]
    assert status_url.startswith(f"{url}/")
    status = client.get(status_url)
    assert status.status_code == 200
    assert "is attached to case" in status.get_data(as_text=True)
    assert client.get(f"{url}/{'0' * 32}").status_code == 404
    with app.app_context():
        db = get_session()
        evidence = db.execute(select(Evidence)).scalar_one()
        assert evidence.case_id == case_id
        assert evidence.file.media_type == "application/pdf"
        criteria = [link.criterion for link in evidence.links]
        assert criteria and all("learner_feedback" in c.qa_elements for c in criteria)
        from qaportal.evidence.storage import get_storage

        with get_storage(app).open(evidence.file.storage_key) as handle:
            text = "".join(page.extract_text() for page in PdfReader(handle).pages)
        assert "Spring cohort" in text and "Great projects" in text
        assert re.search(r"Responses\s*5\b", text), text[:2000]
        # the agency's staff see it in the case
        from qaportal.auth.services import find_user_by_email

        officer = find_user_by_email(db, AGENCY_OFFICER)
        # the case is still a draft: the agency reads nothing of it yet
        assert not can(officer, EvidenceAction.EVIDENCE_DOWNLOAD, evidence)
        actions = db.execute(select(AuditEvent.action)).scalars().all()
        assert "feedback.summary_attached" in actions
    officer_client = app.test_client()
    login(officer_client, AGENCY_OFFICER, demo.password)
    download_url = f"/cases/{case_id}/evidence/{evidence.id}/download"
    assert officer_client.get(download_url).status_code == 404
    # once submitted, the agency's staff see it in the case
    with app.app_context():
        db = get_session()
        case = db.get(Case, case_id)
        case.state, case.submitted_at = CaseState.SUBMITTED, utcnow()
        db.commit()
    download = officer_client.get(download_url)
    assert download.status_code == 200
    assert download.data.startswith(b"%PDF-")


def test_demo_feedback_campaign_is_idempotent_and_shows_results(app, client, demo):
    from qaportal.demo import seed_demo_feedback

    with app.app_context():
        first = seed_demo_feedback()
        assert first is not None
        assert seed_demo_feedback() == first
    from tests.feedback_support import count_responses

    assert count_responses(app, first) >= 5
    login(client, UDV_ADMIN, demo.password)
    page = _page(client, f"/feedback/campaigns/{first}/results")
    assert "<svg" in page and "weekly case studies" in page


def test_streamed_exports_give_their_connection_back(app, client, demo):
    """The answers export streams rows as it reads them, after the view has returned: each
    download must return its pooled connection when it ends, or a few concurrent
    downloads exhaust the pool (seen: QueuePool timeouts, then every page failing)."""
    import gc

    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    answer_directly(app, campaign_id, [_answers(4) for _ in range(5)])
    login(client, UDV_ADMIN, demo.password)
    pool = app.extensions["qaportal.engine"].pool
    gc.disable()  # a lost connection must not be rescued by the collector in between
    try:
        for _ in range(3):
            export = client.get(f"/feedback/campaigns/{campaign_id}/answers.csv")
            assert export.status_code == 200 and len(export.get_data(as_text=True)) > 100
            assert pool.checkedout() == 0
    finally:
        gc.enable()
