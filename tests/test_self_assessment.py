"""The self-assessment: progress per criterion and overall, drafts, optimistic locking,
Markdown sanitising, query counts, and the internal-QA coverage page."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from qaportal.audit.models import AuditEvent
from qaportal.cases import assessment
from qaportal.cases.models import Answer, Case
from qaportal.db import get_session
from tests.casekit import criterion_def, lock_version, make_world, minimal_pdf
from tests.conftest import CSRF_RE, login, post_form

EDITOR = "editor@university.example.org"
ADMIN = "admin@university.example.org"


def _save(client, world, code, data, lock=None):
    url = f"/cases/{world.case_id}/criteria/{world.criteria[code]}"
    page = client.get(url).get_data(as_text=True)
    payload = {"lock_version": lock if lock is not None else lock_version(page), **data}
    return post_form(client, url, payload)


def _overview(app, world):
    with app.app_context():
        db = get_session()
        return assessment.overview(db, db.get(Case, world.case_id))


def test_progress_per_criterion_and_overall(app, client, demo):
    world = make_world(app)
    login(client, EDITOR, demo.password)
    data = _overview(app, world)
    assert data.total == 3 and data.percent == 0
    assert {r.code: r.status for r in data.rows} == dict.fromkeys(
        ["C1", "C2", "C3"], assessment.Progress.NOT_STARTED
    )

    # C1: narrative + rating -> complete.
    assert (
        _save(client, world, "C1", {"q_narrative": "Our policy", "q_rating": "fully"}).status_code
        == 302
    )
    # C2: narrative + rating but no figure -> draft.
    assert (
        _save(client, world, "C2", {"q_narrative": "We count", "q_rating": "partially"}).status_code
        == 302
    )
    # C3: complete text but evidence is required -> draft.
    assert (
        _save(client, world, "C3", {"q_narrative": "We publish", "q_rating": "fully"}).status_code
        == 302
    )
    data = _overview(app, world)
    statuses = {r.code: r.status for r in data.rows}
    assert statuses == {
        "C1": assessment.Progress.COMPLETE,
        "C2": assessment.Progress.DRAFT,
        "C3": assessment.Progress.DRAFT,
    }
    assert data.percent == 33
    c2 = next(r for r in data.rows if r.code == "C2")
    assert [str(m) for m in c2.missing] == ["the figure “Completion rate”"]

    page = client.get(f"/cases/{world.case_id}/self-assessment").get_data(as_text=True)
    assert "33 % complete" in page
    assert "1 complete, 2 drafts, 0 not started" in page

    assert (
        _save(
            client,
            world,
            "C2",
            {"q_narrative": "We count", "q_rating": "partially", "q_completion": "87.5"},
        ).status_code
        == 302
    )
    response = post_form(
        client,
        f"/cases/{world.case_id}/evidence",
        {"file": (io.BytesIO(minimal_pdf()), "site.pdf"), "criteria": [world.criteria["C3"]]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    data = _overview(app, world)
    assert data.percent == 100
    with app.app_context():
        answer = (
            get_session()
            .execute(select(Answer).where(Answer.criterion_id == world.criteria["C2"]))
            .scalar_one()
        )
        assert answer.values == {"completion": 87.5}


def test_draft_saves_without_required_fields(app, client, demo):
    world = make_world(app)
    login(client, EDITOR, demo.password)
    response = _save(client, world, "C2", {"q_narrative": "Only a start"})
    assert response.status_code == 302
    with app.app_context():
        answer = get_session().execute(select(Answer)).scalar_one()
        assert answer.narrative == "Only a start"
        assert answer.rating is None and answer.values == {}
        assert (
            get_session()
            .execute(select(AuditEvent).where(AuditEvent.action == "answer.saved"))
            .scalar_one()
        )
    assert {r.code: r.status for r in _overview(app, world).rows}["C2"] == assessment.Progress.DRAFT


def test_bad_values_are_refused_and_nothing_is_stored(app, client, demo):
    world = make_world(app)
    login(client, EDITOR, demo.password)
    response = _save(client, world, "C2", {"q_narrative": "x", "q_completion": "lots"})
    assert response.status_code == 400
    assert "Not a valid decimal value." in response.get_data(as_text=True)
    response = _save(client, world, "C1", {"q_narrative": "x", "q_rating": "brilliant"})
    assert response.status_code == 400
    with app.app_context():
        assert get_session().execute(select(func.count(Answer.id))).scalar_one() == 0


def test_markdown_is_rendered_and_sanitised(app, client, demo):
    world = make_world(app)
    login(client, EDITOR, demo.password)
    text = "We **review** yearly.\n\n<script>alert(1)</script><img src=x onerror=alert(2)>"
    assert _save(client, world, "C1", {"q_narrative": text}).status_code == 302
    with app.app_context():
        answer = get_session().execute(select(Answer)).scalar_one()
        assert answer.narrative == text  # kept as written
        assert "<strong>review</strong>" in answer.narrative_html
        assert "<script" not in answer.narrative_html and "<img" not in answer.narrative_html
        # shown as the text it is, not stripped: nothing the writer typed is lost
        assert "&lt;img src=x onerror=alert(2)&gt;" in answer.narrative_html


def test_conflicting_edit_shows_both_versions_and_overwrites_nothing(app, demo):
    world = make_world(app)
    first, second = app.test_client(), app.test_client()
    login(first, EDITOR, demo.password)
    login(second, ADMIN, demo.password)
    url = f"/cases/{world.case_id}/criteria/{world.criteria['C1']}"
    _save(first, world, "C1", {"q_narrative": "Version zero"})

    # Both open the same answer.
    lock_first = lock_version(first.get(url).get_data(as_text=True))
    lock_second = lock_version(second.get(url).get_data(as_text=True))
    assert lock_first == lock_second == "1"

    assert (
        _save(
            first, world, "C1", {"q_narrative": "Emil's careful text"}, lock=lock_first
        ).status_code
        == 302
    )
    response = _save(
        second, world, "C1", {"q_narrative": "Paula's different text"}, lock=lock_second
    )
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "Paula&#39;s different text" in body  # theirs, kept in the form and shown
    assert "Emil&#39;s careful text" in body  # the saved version, side by side
    assert lock_version(body) == "2"  # the form now builds on the saved version
    with app.app_context():
        answer = get_session().execute(select(Answer)).scalar_one()
        assert answer.narrative == "Emil's careful text"
        assert answer.lock_version == 2

    # A deliberate second save against the new version goes through.
    merged = "Emil's careful text\n\nPaula's different text"
    response = _save(second, world, "C1", {"q_narrative": merged}, lock="2")
    assert response.status_code == 302
    with app.app_context():
        answer = get_session().execute(select(Answer)).scalar_one()
        assert answer.narrative == merged and answer.lock_version == 3


def test_first_save_racing_another_first_save_is_a_conflict(app, demo):
    world = make_world(app)
    first, second = app.test_client(), app.test_client()
    login(first, EDITOR, demo.password)
    login(second, ADMIN, demo.password)
    assert _save(first, world, "C1", {"q_narrative": "First"}, lock="0").status_code == 302
    response = _save(second, world, "C1", {"q_narrative": "Second"}, lock="0")
    assert response.status_code == 409
    with app.app_context():
        assert get_session().execute(select(Answer.narrative)).scalar_one() == "First"


def test_criterion_page_shows_statement_guidance_and_evidence_hints(app, client, demo):
    world = make_world(app)
    login(client, EDITOR, demo.password)
    page = client.get(f"/cases/{world.case_id}/criteria/{world.criteria['C3']}").get_data(
        as_text=True
    )
    assert "Statement of <strong>C3</strong>." in page
    assert "Guidance prompt for C3?" in page
    assert "Evidence hint for C3" in page
    assert "Fully compliant" in page  # the rating scale
    assert "Evidence is required." in page


def test_criterion_of_another_framework_is_404(app, client, demo):
    world = make_world(app)
    other = make_world(app, code="other-fw")
    login(client, EDITOR, demo.password)
    url = f"/cases/{world.case_id}/criteria/{other.criteria['C1']}"
    assert client.get(url).status_code == 404


def test_overview_query_count_does_not_grow_with_criteria(app, client, demo, count_queries):
    small = make_world(app, criteria=[criterion_def(f"S{i}", f"Small {i}") for i in range(3)])
    large = make_world(
        app,
        code="large-fw",
        criteria=[
            criterion_def(f"L{i}", f"Large {i}", evidence_required=i % 2 == 0) for i in range(40)
        ],
    )
    login(client, EDITOR, demo.password)
    for world in (small, large):
        for code in list(world.criteria)[:2]:
            _save(client, world, code, {"q_narrative": "text", "q_rating": "fully"})
    counts = []
    for world in (small, large):
        client.get(f"/cases/{world.case_id}/self-assessment")  # warm up
        with count_queries() as counter:
            response = client.get(f"/cases/{world.case_id}/self-assessment")
        assert response.status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
    with app.app_context():
        db = get_session()
        with count_queries() as counter:
            assessment.overview(db, db.get(Case, large.case_id))
        assert counter.count <= 3


def test_criterion_form_save_and_case_page_run_few_statements(app, client, demo, count_queries):
    """The provider's busiest pages (issue 14): the criterion form, its save and the case page
    each run a small number of SQL statements that does not grow with the criteria, and the
    form still leads to the next unfinished criterion."""
    small = make_world(app, criteria=[criterion_def(f"S{i}", f"Small {i}") for i in range(3)])
    large = make_world(
        app,
        code="large-fw",
        criteria=[criterion_def(f"L{i}", f"Large {i}") for i in range(40)],
    )
    login(client, EDITOR, demo.password)
    counts = []
    for world in (small, large):
        first, second, third = list(world.criteria)[:3]
        _save(client, world, second, {"q_narrative": "text", "q_rating": "fully"})
        url = f"/cases/{world.case_id}/criteria/{world.criteria[first]}"
        with count_queries() as form_counter:
            page = client.get(url).get_data(as_text=True)
        assert f"Next unfinished criterion: {third} " in page  # the second one is complete
        payload = {
            "csrf_token": CSRF_RE.search(page).group(1),
            "lock_version": lock_version(page),
            "q_narrative": "Our policy",
            "q_rating": "fully",
        }
        with count_queries() as save_counter:
            response = client.post(url, data=payload)
        assert response.status_code == 302
        with count_queries() as case_counter:
            assert client.get(f"/cases/{world.case_id}").status_code == 200
        counts.append((form_counter.count, save_counter.count, case_counter.count))
    assert counts[0] == counts[1], counts
    form, save, case_page = counts[1]
    # Measured: 8 (session, case, criterion, answer, evidence, return, progress, the next
    # criterion's title); 12 for a first save (session, case, criterion, the case's row lock,
    # answer, savepoint, insert, release, and the audit chain's 4); 7. Before: 14, 17, 11.
    assert form <= 8 and save <= 12 and case_page <= 7, counts
    with app.app_context():
        answer = (
            get_session()
            .execute(select(Answer).where(Answer.criterion_id == large.criteria["L0"]))
            .scalar_one()
        )
        assert answer.narrative == "Our policy" and answer.rating == "fully"


def test_coverage_page_shows_gaps(app, client, demo):
    criteria = [
        criterion_def("Q1", "Quality of the credential", qa_elements=["micro_credential"]),
        criterion_def("Q2", "Course quality", qa_elements=["course"]),
        criterion_def("Q3", "Learner feedback", qa_elements=["learner_feedback"]),
        criterion_def("Q4", "Unrelated"),
    ]
    world = make_world(app, criteria=criteria)
    login(client, EDITOR, demo.password)
    _save(client, world, "Q1", {"q_narrative": "We check every credential against Annex I."})
    response = post_form(
        client,
        f"/cases/{world.case_id}/evidence",
        {
            "file": (io.BytesIO(minimal_pdf()), "checklist.pdf"),
            "title": "Annex I checklist",
            "criteria": [world.criteria["Q1"]],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302

    with app.app_context():
        db = get_session()
        cov = assessment.coverage(db, db.get(Case, world.case_id))
    gaps = {el.key: [str(g) for g in el.gaps] for el in cov.elements}
    assert gaps["micro_credential"] == []
    assert gaps["course"] == ["no criterion tagged with this element is answered", "no evidence"]
    assert gaps["peer_feedback"] == [
        "no criterion of the case addresses this element",
        "no evidence",
    ]

    page = client.get(f"/cases/{world.case_id}/coverage").get_data(as_text=True)
    assert "We check every credential against Annex I." in page
    assert "Annex I checklist" in page
    assert "no criterion of the case addresses this element" in page
    assert "<script" not in page  # readable without JavaScript
