"""The case documents (qaportal.reporting.documents) rendered and read back: a case built
through the review and decision services up to a decision with conditions, then the
accreditation report, the draft panel report, the decision letter and the self-assessment as
PDFs — key text on the right pages, the consolidated findings without any member's own
judgement, DRAFT on every page of the draft, the embedded JSON compared with the database,
hostile text printed as text without a fetch, long texts inside the page box, refusals for
cases not far enough along, and the report's queries not growing with its criteria."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import pickle
import re
from typing import Any

import pytest
from sqlalchemy import select

from qaportal.audit.services import Actor
from qaportal.auth.models import User
from qaportal.cases import workflow
from qaportal.cases.models import Answer, Case, CaseState
from qaportal.db import get_session, utcnow
from qaportal.decisions import services as decisions
from qaportal.decisions.models import Decision, DecisionStatus
from qaportal.reporting import documents
from qaportal.reporting.documents import DocumentKind, DocumentRefused, Verification
from qaportal.reviews import findings, report
from qaportal.reviews.models import (
    FactualComment,
    MemberStatus,
    Outcome,
    PanelJudgement,
    PanelMember,
    PanelRole,
)
from tests import pdf_checks
from tests.casekit import criterion_def, make_world, minimal_pdf

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

PROVIDER = "admin@university.example.org"
OFFICER = "officer@agency.example.org"
RITA = "reviewer1@reviewers.example.org"  # chair
RUBEN = "reviewer2@reviewers.example.org"  # student member

RUBEN_SECRET = "Ruben-only judgement: the policy is not applied in practice"
RITA_SECRET = "Rita-only judgement: applied everywhere"
CONDITION = "Publish the learner feedback results on the website."
COMMENT = "The panel counted 4 programmes; there are 5."
RESPONSE = "Corrected: the provider runs five programmes."
LONG_WORD = "Q" * 30


def _user(db: Any, email: str) -> User:
    return db.execute(select(User).where(User.email == email)).scalar_one()


def _actor(user: User) -> Actor:
    return Actor(user.id, user.email)


def build_decided_case(
    app: Any,
    *,
    criteria: list[dict[str, Any]] | None = None,
    code: str = "test-fw",
    text: str = "",
    until: str = "decided",
) -> Any:
    """A case of the demo university taken through the services: self-assessment answers and
    evidence, the panel (Rita chairs, Ruben is the student member), each member's judgements,
    the chair's consolidation, outcome and site visit, the draft report with a comment of the
    provider and the panel's response, finalised, and decided with one condition."""
    world = make_world(app, criteria=criteria, code=code)
    with app.app_context():
        from qaportal.evidence.services import add_evidence, receive
        from qaportal.evidence.storage import get_storage

        db = get_session()
        case = db.get(Case, world.case_id)
        provider_admin, rita, ruben = _user(db, PROVIDER), _user(db, RITA), _user(db, RUBEN)
        officer = _user(db, OFFICER)
        first = min(world.criteria.values())
        for code_, cid in world.criteria.items():
            db.add(
                Answer(
                    case_id=case.id,
                    criterion_id=cid,
                    narrative=f"We apply {code_}. {text}",
                    narrative_html=f"<p>We <strong>apply</strong> {code_}. {text}</p>",
                    rating="fully",
                    values={"completion": 87.5} if code_ == "C2" else {},
                )
            )
        storage = get_storage()
        received = receive(storage, io.BytesIO(minimal_pdf("QA policy")), "qa-policy.pdf")
        add_evidence(
            db,
            storage,
            case,
            received,
            title="Internal QA policy 2026",
            criterion_ids=[first],
            user=provider_admin,
            actor=_actor(provider_admin),
        )
        case.state = CaseState.IN_REVIEW
        case.submitted_at = utcnow()
        now = utcnow()
        seats = {}
        for who, role in ((rita, PanelRole.CHAIR), (ruben, PanelRole.STUDENT)):
            seat = PanelMember(
                case_id=case.id,
                user_id=who.id,
                role=role,
                status=MemberStatus.ACTIVE,
                responded_at=now,
            )
            db.add(seat)
            seats[who.email] = seat
        db.commit()

        facts = {f.id: f for f in findings.criteria(db, case)}
        for cid in world.criteria.values():
            for email, level, rationale in (
                (RUBEN, "partially", RUBEN_SECRET),
                (RITA, "fully", RITA_SECRET),
            ):
                findings.save_judgement(
                    db,
                    case,
                    seats[email],
                    facts[cid],
                    findings.FindingData(level, rationale, ""),
                    0,
                    _actor(rita if email == RITA else ruben),
                )
            findings.save_consolidated(
                db,
                case,
                facts[cid],
                findings.FindingData(
                    "fully" if cid != first else "partially",
                    f"Panel view on criterion {facts[cid].code}. {text}",
                    f"Recommendation for {facts[cid].code}.",
                ),
                0,
                rita,
                _actor(rita),
            )
        findings.save_outcome(
            db, case, Outcome.CONDITIONS, f"A sound system. {text}", 0, rita, _actor(rita)
        )
        findings.save_site_visit(
            db,
            case,
            findings.VisitData(
                dt.date(2026, 11, 20),
                "online",
                {"management": "Rector, vice-rector", "learners": "6"},
                "Meetings with each group.",
                "INTERNAL: the rector seemed nervous",
            ),
            0,
            rita,
            _actor(rita),
        )
        workflow.apply_transition(db, case, "send_draft_report", rita, _actor(rita))
        db.commit()
        if until == "factual_check":
            return world
        (made,) = report.submit_comments(
            db, case, "", {first: COMMENT}, provider_admin, _actor(provider_admin)
        )
        report.respond(db, case, made, RESPONSE, rita, _actor(rita))
        workflow.apply_transition(db, case, "finalise_report", rita, _actor(rita))
        db.commit()
        if until == "decision_pending":
            return world
        decisions.decide(
            db,
            case,
            decisions.DecisionData(
                "positive with conditions or restrictions",
                "voluntary",
                "The panel's findings support accreditation with one condition.",
                conditions=[
                    decisions.ConditionData(
                        CONDITION, first, utcnow().date() + dt.timedelta(days=90)
                    )
                ],
            ),
            officer,
            _actor(officer),
        )
        db.commit()
    return world


@pytest.fixture
def decided(app: Any, demo: Any) -> Any:
    return build_decided_case(app)


def _render(app: Any, kind: DocumentKind, case_id: int, **kw: Any) -> bytes:
    from qaportal.reporting.pdf import render_request

    with app.app_context():
        request = documents.build_request(get_session(), kind, case_id, **kw)
    return render_request(request)


VERIFICATION = Verification(
    "QAR-7K3M-9XQ2",
    "https://qa.example.org/verify/QAR-7K3M-9XQ2",
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
    '<rect width="10" height="10"/></svg>',
)


# ----- the accreditation report ----------------------------------------------------------------


def test_accreditation_report_reads_back(app, decided):
    pdf = _render(
        app, DocumentKind.ACCREDITATION_REPORT, decided.case_id, verification=VERIFICATION
    )
    pages = pdf_checks.page_texts(pdf)
    everything = " ".join(pages)
    assert len(pages) >= 6
    # The cover: agency, provider, case reference, decision and its date.
    cover = pages[0]
    assert "University of Demoville" in cover or "UDV" in cover
    assert "Positive with conditions" in cover
    with app.app_context():
        case = get_session().get(Case, decided.case_id)
        reference = case.reference
    assert reference in cover
    # The contents give the page each part starts on; the running header carries the
    # reference on every page after the cover.
    assert "Contents" in pages[1]
    starts = []
    for title in ("The review process", "Findings per criterion", "Learner and peer feedback"):
        match = re.search(rf"{title}[ .…]*(\d+)", pages[1])
        assert match, (title, pages[1])
        starts.append(int(match.group(1)))
        assert title in pages[starts[-1] - 1] and title not in pages[starts[-1] - 2], title
    assert starts == sorted(starts) and starts[0] > 2
    assert all(reference in page for page in pages[2:])
    # The consolidated findings, the panel's names and roles; never a member's own judgement.
    assert "Panel view on criterion C1." in everything
    assert "Recommendation for C2." in everything
    assert "Rita Reviewer" in everything and "student member" in everything
    assert RUBEN_SECRET not in everything and RITA_SECRET not in everything
    assert "INTERNAL" not in everything
    # The decision with its condition, the comments and the panel's response, verification.
    assert CONDITION in everything
    assert COMMENT in everything and RESPONSE in everything
    assert "QAR-7K3M-9XQ2" in pages[-1]
    # Archival output with the report as JSON inside.
    assert pdf_checks.pdfa_identification(pdf) == ("3", "A")
    assert pdf_checks.is_tagged(pdf)
    assert pdf_checks.language(pdf) == "en"
    assert pdf_checks.xmp_values(pdf, "creator") == ["Demo Agency for Quality Assurance (DAQA)"]
    assert any(reference in t for t in pdf_checks.xmp_values(pdf, "title"))
    files = pdf_checks.associated_files(pdf)
    assert set(files) == {"accreditation-report.json"}
    _compare_with_database(app, decided, json.loads(files["accreditation-report.json"].data))
    pdf_checks.assert_pages_not_blank(pdf)


def _compare_with_database(app: Any, world: Any, report_json: dict[str, Any]) -> None:
    with app.app_context():
        db = get_session()
        case = db.get(Case, world.case_id)
        decision = db.execute(
            select(Decision).where(
                Decision.case_id == case.id, Decision.status == DecisionStatus.CURRENT
            )
        ).scalar_one()
        judgements = {
            j.criterion_id: j
            for j in db.execute(
                select(PanelJudgement).where(PanelJudgement.case_id == case.id)
            ).scalars()
        }
        codes = {cid: code for code, cid in world.criteria.items()}
        assert report_json["schema_version"] == "1.0" and report_json["schema"]
        assert report_json["case"]["reference"] == case.reference
        assert report_json["provider"]["name"] == case.provider.legal_name
        assert report_json["decision"]["outcome"] == decision.outcome.value
        assert report_json["decision"]["decided_on"] == decision.decided_on.isoformat()
        assert report_json["decision"]["valid_until"] == decision.valid_until.isoformat()
        assert [(c["text"], c["due_on"]) for c in report_json["decision"]["conditions"]] == [
            (c.text, c.due_on.isoformat()) for c in decision.conditions
        ]
        by_code = {c["code"]: c for c in report_json["criteria"]}
        assert set(by_code) == set(world.criteria)
        for cid, judgement in judgements.items():
            entry = by_code[codes[cid]]
            assert entry["judgement"] == judgement.level
            assert entry["rationale"] == judgement.rationale
            assert entry["recommendations"] == judgement.recommendations
            assert entry["self_rating"] == "fully"
        serialised = json.dumps(report_json)
        assert RUBEN_SECRET not in serialised and RITA_SECRET not in serialised
        assert [m["role"] for m in report_json["panel"]["members"]] == ["chair", "student"]
        (scope,) = report_json["scope"]
        assert "LearningAchievementSpecification" in scope["@type"]
        assert "Data analysis for beginners" in scope["title"].values()


def test_machine_readable_report_matches_the_embedded_one(app, decided):
    with app.app_context():
        found = documents.machine_readable_report(get_session(), decided.case_id)
    _compare_with_database(app, decided, found)


# ----- feedback ------------------------------------------------------------------------------

OUTCOMES_PROMPT = "The learning outcomes were stated clearly before I started."


def _closed_learner_campaign(app: Any, spec_ids: list[int]) -> int:
    from qaportal.feedback import services as feedback
    from tests.feedback_support import answer_directly, make_campaign, set_closes_at

    campaign_id = make_campaign(app, spec_ids, title="Autumn cohort")
    answer_directly(
        app,
        campaign_id,
        [
            feedback.Answers(
                likert={"outcomes_clear": 4, "overall_satisfaction": 5},
                choices={"purpose": ["current_job"]},
            )
            for _ in range(5)
        ],
    )
    set_closes_at(app, campaign_id, utcnow() - dt.timedelta(days=1))
    return campaign_id


def _squashed(text: str) -> str:
    """``text`` without white space or hyphens: lines may wrap and hyphenate anywhere."""
    return "".join(text.split()).replace("-", "").replace("\u2010", "")


def test_accreditation_report_shows_feedback_with_question_texts(app, decided):
    from qaportal.reporting.pdf import render_request

    _closed_learner_campaign(app, decided.spec_ids)
    with app.app_context():
        request = documents.build_request(
            get_session(), DocumentKind.ACCREDITATION_REPORT, decided.case_id
        )
    (block,) = request.context["feedback"]
    assert block.results.responses == 5
    _assert_plain(request.context)
    pdf = render_request(pickle.loads(pickle.dumps(request)))  # noqa: S301 - our own bytes
    pages = pdf_checks.page_texts(pdf)
    (start,) = [i for i, p in enumerate(pages) if "Learner feedback: Autumn cohort" in p]
    section = " ".join(pages[start : start + 3])
    assert "Response rate" in section and "Responses 5" in section
    assert _squashed(OUTCOMES_PROMPT) in _squashed(section)
    assert "outcomes_clear" not in " ".join(pages)


def test_feedback_summary_has_a_cover_and_question_texts(app, demo):
    from qaportal.feedback import results
    from qaportal.feedback.services import load_campaign
    from qaportal.reporting.documents.feedback import summary_context
    from qaportal.reporting.pdf import render_pdf

    world = make_world(app)
    campaign_id = _closed_learner_campaign(app, world.spec_ids)
    with app.app_context():
        db = get_session()
        campaign = load_campaign(db, campaign_id)
        found = results.campaign_results(db, campaign, 5)
        context = summary_context(db, campaign, found, "en")
    pdf = render_pdf("feedback-summary", context, "en")
    pages = pdf_checks.page_texts(pdf)
    assert "Feedback summary: Autumn cohort" in pages[0]
    assert "University of Demoville" in pages[0] and "Generated" in pages[0]
    everything = " ".join(pages)
    assert _squashed(OUTCOMES_PROMPT) in _squashed(everything)
    assert "outcomes_clear" not in everything
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]
    assert not pdf_checks.text_outside_page(pdf, inset_pt=5)


# ----- the other documents ----------------------------------------------------------------------


def test_draft_panel_report_is_watermarked_on_every_page_and_has_no_decision(app, demo):
    world = build_decided_case(app, until="factual_check")
    pdf = _render(app, DocumentKind.DRAFT_PANEL_REPORT, world.case_id)
    pages = pdf_checks.page_texts(pdf)
    assert len(pages) >= 3
    assert all("DRAFT" in page for page in pages), [p[:80] for p in pages]
    everything = " ".join(pages)
    assert "positive with conditions" in everything  # the recommended outcome
    assert "Panel view on criterion C2." in everything
    assert RUBEN_SECRET not in everything and RITA_SECRET not in everything
    assert "Date of the decision" not in everything
    assert pdf_checks.associated_files(pdf) == {}


def test_decision_letter(app, decided):
    from qaportal.reporting.pdf import render_isolated

    # As the background job renders it: in a child process without the application.
    with app.app_context():
        request = documents.build_request(
            get_session(), DocumentKind.DECISION_LETTER, decided.case_id
        )
    pdf = render_isolated(request, timeout_s=120)
    pages = pdf_checks.page_texts(pdf)
    everything = " ".join(pages)
    assert "Decision on the accreditation of" in pages[0]
    assert "Positive with conditions" in pages[0]
    assert CONDITION in everything
    with app.app_context():
        db = get_session()
        decision = db.execute(select(Decision)).scalar_one()
        closes = (decision.decided_at + dt.timedelta(days=30)).date().isoformat()
        condition_due = decision.conditions[0].due_on.isoformat()
    assert closes in everything and "appeal" in everything
    assert condition_due in everything
    files = pdf_checks.associated_files(pdf)
    assert set(files) == {"decision.json"}
    letter = json.loads(files["decision.json"].data)
    assert letter["decision"]["outcome"] == "positive with conditions or restrictions"
    assert letter["decision"]["conditions"][0]["due_on"] == condition_due


def test_self_assessment_as_submitted(app, decided):
    pdf = _render(app, DocumentKind.SELF_ASSESSMENT, decided.case_id)
    everything = " ".join(pdf_checks.page_texts(pdf))
    assert "We apply C1." in everything and "Fully compliant" in everything
    assert "Internal QA policy 2026" in everything  # the evidence list
    assert "87.5" in everything  # a figure
    assert "Panel view on criterion" not in everything


def test_a_document_in_french(app, decided):
    pdf = _render(app, DocumentKind.SELF_ASSESSMENT, decided.case_id, locale="fr")
    everything = " ".join(pdf_checks.page_texts(pdf))
    assert pdf_checks.language(pdf) == "fr"
    assert "Acquis d’apprentissage" in everything  # a heading of the template
    assert "Type d’évaluation" in everything  # an Annex I label prepared in Python


# ----- when a document may be made --------------------------------------------------------------


def test_refusals_follow_the_case_state(app, demo):
    world = build_decided_case(app, until="factual_check")
    with app.app_context():
        db = get_session()
        for kind in (DocumentKind.ACCREDITATION_REPORT, DocumentKind.DECISION_LETTER):
            message = documents.refusal(db, kind, world.case_id)
            assert message and "once the agency has decided" in message
            with pytest.raises(DocumentRefused):
                documents.build_request(db, kind, world.case_id)
        assert documents.refusal(db, DocumentKind.DRAFT_PANEL_REPORT, world.case_id) is None
        assert documents.refusal(db, DocumentKind.SELF_ASSESSMENT, world.case_id) is None
        assert documents.refusal(db, DocumentKind.SELF_ASSESSMENT, 999_999) == (
            "There is no such case."
        )

    draft = make_world(app, code="other-fw")
    with app.app_context():
        db = get_session()
        message = documents.refusal(db, DocumentKind.SELF_ASSESSMENT, draft.case_id)
        assert message and "has not been submitted" in message
        message = documents.refusal(db, DocumentKind.DRAFT_PANEL_REPORT, draft.case_id)
        assert message and "factual-accuracy check" in message


# ----- hostile text and long text ---------------------------------------------------------------

HOSTILE = (
    '<script>alert(1)</script><img src="file:///etc/passwd"> '
    "url(file:///etc/passwd) @import url(https://evil.example/x.css);"
)


def test_hostile_text_prints_as_text_and_fetches_nothing(app, decided, monkeypatch):
    from qaportal.reporting import pdf as engine

    with app.app_context():
        db = get_session()
        case = db.get(Case, decided.case_id)
        case.provider.legal_name = f"Demoville {HOSTILE}"
        case.provider.acronym = None
        judgement = db.execute(select(PanelJudgement)).scalars().first()
        judgement.rationale = f"</div><style>@import url(file:///etc/passwd);</style>{HOSTILE}"
        db.commit()
    asked: list[str] = []
    original = engine._refusal

    def spy(root: Any, url: str, *args: Any) -> Any:
        asked.append(url)
        return original(root, url, *args)

    monkeypatch.setattr(engine, "_refusal", spy)
    pdf = _render(app, DocumentKind.ACCREDITATION_REPORT, decided.case_id)
    # Line breaks may fall anywhere in it: compare without white space.
    cover = "".join(pdf_checks.page_texts(pdf)[0].split())
    assert "<script>alert(1)</script>" in cover
    assert "url(file:///etc/passwd)" in cover and "@importurl(https://evil.example" in cover
    everything = "".join(" ".join(pdf_checks.page_texts(pdf)).split())
    assert "</div><style>@importurl(file:///etc/passwd);</style>" in everything
    assert not [u for u in asked if "passwd" in u or "evil.example" in u], asked


def test_long_texts_and_100_criteria_stay_inside_the_page(app, demo):
    criteria = [criterion_def(f"K{i:03d}", f"Criterion {i} {LONG_WORD}") for i in range(100)]
    long_text = " ".join(["A long rationale sentence that goes on."] * 20) + f" {LONG_WORD}"
    world = make_world(app, criteria=criteria, code="fw-100")
    _seed_consolidated(app, world, long_text)
    pdf = _render(app, DocumentKind.ACCREDITATION_REPORT, world.case_id)
    pages = [" ".join(w.text for w in page.words) for page in pdf_checks.words_with_boxes(pdf)]
    assert len(pages) > 30
    # The unbroken word wraps inside its column rather than running off the page.
    assert sum(page.count("QQQQQQQQQQ") for page in pages) >= 100
    outside = pdf_checks.text_outside_page(pdf, inset_pt=5)
    assert not outside, outside[:5]
    # The overview table runs over several pages, its header repeated on each.
    header_pages = [p for p in pages if "Code Criterion Self-rating Panel" in p]
    assert len(header_pages) >= 2


# ----- queries -------------------------------------------------------------------------------


def _seed_consolidated(app: Any, world: Any, text: str = "r") -> None:
    """A decided case written straight into the database (faster than the services, for
    many criteria): answers, consolidated judgements, a comment and a decision."""
    with app.app_context():
        db = get_session()
        case = db.get(Case, world.case_id)
        for cid in world.criteria.values():
            db.add(
                Answer(
                    case_id=case.id,
                    criterion_id=cid,
                    narrative=text,
                    narrative_html=f"<p>{text}</p>",
                    rating="fully",
                )
            )
            db.add(
                PanelJudgement(
                    case_id=case.id,
                    criterion_id=cid,
                    level="fully",
                    rationale=text,
                    recommendations=text,
                )
            )
        db.add(
            Decision(
                case_id=case.id,
                status=DecisionStatus.CURRENT,
                outcome="positive",
                eqa_status="voluntary",
                rationale=text,
                decided_on=utcnow().date(),
                valid_from=utcnow().date(),
                valid_until=utcnow().date() + dt.timedelta(days=365),
            )
        )
        first = min(world.criteria.values())
        db.add(FactualComment(case_id=case.id, criterion_id=first, comment=text))
        case.state = CaseState.DECIDED
        case.submitted_at = utcnow()
        db.commit()


def _assert_plain(value: Any, path: str = "context") -> None:
    """No ORM object anywhere in a template's context: nothing can load lazily while the
    document renders, or outside the session in the isolated renderer."""
    from qaportal.db import Base

    assert not isinstance(value, Base), path
    if isinstance(value, dict):
        for key, item in value.items():
            _assert_plain(item, f"{path}[{key!r}]")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _assert_plain(item, f"{path}[{index}]")
    elif dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            _assert_plain(getattr(value, f.name), f"{path}.{f.name}")


def test_accreditation_report_queries_do_not_grow_with_criteria(app, demo, count_queries):
    counts = {}
    for n in (3, 30):
        criteria = [criterion_def(f"K{i}", f"Criterion {i}") for i in range(n)]
        world = make_world(app, criteria=criteria, code=f"fw-q{n}")
        _seed_consolidated(app, world)
        with app.app_context():
            db = get_session()
            with count_queries() as counter:
                request = documents.build_request(
                    db, DocumentKind.ACCREDITATION_REPORT, world.case_id
                )
            assert len(request.context["criteria"]) == n
            counts[n] = counter.count
            _assert_plain(request.context)
            assert pickle.loads(pickle.dumps(request)) == request  # noqa: S301 - our own bytes
            db.rollback()
    assert counts[3] == counts[30], counts
