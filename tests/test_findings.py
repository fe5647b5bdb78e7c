"""The panel's findings over the test client: members' judgements (each member's own, read by
the chair and the agency only), the chair's consolidation with disagreements highlighted, the
site visit, the draft report sent for the provider's factual-accuracy check, the panel's
responses, and finalising into decision_pending; acting out of turn is refused and changes
nothing; a conflicting edit shows both versions."""

from __future__ import annotations

from typing import Any

import pytest
from babel import dates as babel_dates
from sqlalchemy import func, select

from qaportal.audit.models import AuditEvent
from qaportal.auth.models import Role, User
from qaportal.auth.services import add_membership, create_user
from qaportal.cases.models import Answer, Case, CaseDeadline, CaseState
from qaportal.db import get_session, utcnow
from qaportal.notifications.models import OutboxMessage
from qaportal.reviews.models import (
    FactualComment,
    Judgement,
    MemberStatus,
    PanelJudgement,
    PanelMember,
    PanelRole,
)
from tests.casekit import criterion_def, lock_version, make_world
from tests.conftest import login, post_form

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

OFFICER = "officer@agency.example.org"
PROVIDER = "admin@university.example.org"
RITA = "reviewer1@reviewers.example.org"  # chair
RUBEN = "reviewer2@reviewers.example.org"  # member
LENA = "lena@reviewers.example.org"  # invited, not yet declared

SECRET = "Ruben-only rationale: the policy is not applied in practice"


def _seat(
    app: Any, demo: Any, criteria: list[dict[str, Any]] | None = None, code: str = "test-fw"
) -> dict[str, Any]:
    """A case in review with Rita as chair and Ruben as member (both declared), and Lena
    invited but not yet declared."""
    world = make_world(app, criteria=criteria, code=code)
    with app.app_context():
        db = get_session()
        case = db.get(Case, world.case_id)
        case.state = CaseState.IN_REVIEW
        case.submitted_at = utcnow()
        first = min(world.criteria.values())
        db.add(
            Answer(
                case_id=case.id,
                criterion_id=first,
                narrative="We **apply** it.",
                narrative_html="<p>We <strong>apply</strong> it.</p>",
                rating="fully",
            )
        )
        if db.execute(select(User).where(User.email == LENA)).scalar_one_or_none() is None:
            lena = create_user(db, LENA, "Lena Labour", demo.password)
            add_membership(db, lena, world.agency_id, Role.REVIEWER)
        users = {u.email: u for u in db.execute(select(User)).scalars()}
        now = utcnow()
        for email, role, status in (
            (RITA, PanelRole.CHAIR, MemberStatus.ACTIVE),
            (RUBEN, PanelRole.STUDENT, MemberStatus.ACTIVE),
            (LENA, PanelRole.MEMBER, MemberStatus.INVITED),
        ):
            db.add(
                PanelMember(
                    case_id=case.id,
                    user_id=users[email].id,
                    role=role,
                    status=status,
                    responded_at=now if status == MemberStatus.ACTIVE else None,
                )
            )
        db.commit()
    return {"case": world.case_id, "criteria": world.criteria, "pw": demo.password}


@pytest.fixture
def seated(app: Any, demo: Any) -> dict[str, Any]:
    return _seat(app, demo)


def _client(app: Any, email: str, pw: str) -> Any:
    client = app.test_client()
    login(client, email, pw)
    return client


def _state(app: Any, case_id: int) -> CaseState:
    with app.app_context():
        return get_session().get(Case, case_id).state


def _count(app: Any, model: Any) -> int:
    with app.app_context():
        return get_session().execute(select(func.count()).select_from(model)).scalar_one()


def _audited(app: Any, action: str) -> int:
    with app.app_context():
        return (
            get_session()
            .execute(select(func.count()).where(AuditEvent.action == action))
            .scalar_one()
        )


def _dashboard(client: Any) -> str:
    return client.get("/dashboard").get_data(as_text=True)


def _judge(client: Any, case: int, criterion: int, level: str, rationale: str, **extra: Any):
    url = f"/reviews/cases/{case}/findings/{criterion}"
    data = {"level": level, "rationale": rationale, "recommendations": "", **extra}
    if "lock_version" not in extra:
        data["lock_version"] = lock_version(client.get(url).get_data(as_text=True))
    return post_form(client, url, data)


def _consolidate(client: Any, case: int, criterion: int, level: str, rationale: str) -> Any:
    url = f"/reviews/cases/{case}/consolidation/{criterion}"
    lock = lock_version(client.get(url).get_data(as_text=True))
    return post_form(
        client,
        url,
        {
            "level": level,
            "rationale": rationale,
            "recommendations": "Publish the policy.",
            "lock_version": lock,
        },
    )


def _complete_consolidation(app: Any, rita: Any, s: dict[str, Any]) -> None:
    case = s["case"]
    for code, cid in s["criteria"].items():
        assert _consolidate(rita, case, cid, "fully", f"Panel view on {code}.").status_code == 302
    response = post_form(
        rita,
        f"/reviews/cases/{case}/outcome",
        {"outcome": "positive_with_conditions", "summary": "A sound system.", "lock_version": "0"},
        token_from=f"/reviews/cases/{case}/consolidation",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    response = post_form(
        rita,
        f"/reviews/cases/{case}/site-visit",
        {
            "visit_date": "2026-11-20",
            "format": "online",
            "management": "Rector, vice-rector",
            "learners": "6",
            "agenda": "Meetings with each group.",
            "notes": "INTERNAL: the rector seemed nervous",
            "lock_version": "0",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def test_full_flow_from_judgements_to_decision_pending(app, seated):
    s = seated
    case, crit = s["case"], s["criteria"]
    rita, ruben = _client(app, RITA, s["pw"]), _client(app, RUBEN, s["pw"])
    officer, provider = _client(app, OFFICER, s["pw"]), _client(app, PROVIDER, s["pw"])

    assert "Judge 3 criteria left on" in _dashboard(ruben)
    assert "Consolidate the panel&#39;s judgement of 3 criteria" in _dashboard(rita)
    # The member's page shows the provider's self-rating and narrative beside the form.
    page = ruben.get(f"/reviews/cases/{case}/findings/{crit['C1']}").get_data(as_text=True)
    assert "We <strong>apply</strong> it." in page and "Fully compliant" in page
    # A rationale is required; what was typed is kept.
    response = _judge(ruben, case, crit["C1"], "partially", "", recommendations="Keep me")
    assert response.status_code == 400
    assert "Give the rationale" in response.get_data(as_text=True)
    assert "Keep me" in response.get_data(as_text=True)
    assert _judge(ruben, case, crit["C1"], "partially", SECRET).status_code == 302
    assert _judge(rita, case, crit["C1"], "fully", "Rita: applied everywhere").status_code == 302
    assert _audited(app, "review.judgement") == 2
    assert "Judge 2 criteria left on" in _dashboard(ruben)

    # Ruben never sees Rita's judgement, nor the side-by-side page.
    assert ruben.get(f"/reviews/cases/{case}/consolidation").status_code == 403
    own = ruben.get(f"/reviews/cases/{case}/findings/{crit['C1']}").get_data(as_text=True)
    assert "Rita: applied everywhere" not in own and SECRET in own
    # The chair and the agency see both, the disagreement highlighted.
    for client in (rita, officer):
        page = client.get(f"/reviews/cases/{case}/consolidation").get_data(as_text=True)
        assert SECRET in page and "Rita: applied everywhere" in page
        row = page.split(f'id="criterion-{crit["C1"]}"')[1].split("</tr>")[0]
        assert row.lstrip().startswith('class="disagreement"') and "Members disagree" in row
        calm = page.split(f'id="criterion-{crit["C2"]}"')[1].split("</tr>")[0]
        assert calm.lstrip().startswith('class="agreement"') and "Members disagree" not in calm

    # Sending with nothing consolidated: refused, clearly, nothing changed.
    response = post_form(
        rita, f"/reviews/cases/{case}/send", {}, token_from=f"/reviews/cases/{case}/consolidation"
    )
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "The draft report cannot be sent yet." in body
    assert "C1 Policy for quality assurance: no consolidated judgement." in body
    assert "recommended outcome is not set" in body and "site visit is not recorded" in body
    assert _state(app, case) == CaseState.IN_REVIEW
    assert _audited(app, "case.send_draft_report") == 0
    # The same through the case page's generic route: refused, listed, nothing changed.
    response = post_form(
        rita, f"/cases/{case}/transition", {"action": "send_draft_report"}, token_from="/reviews"
    )
    assert response.status_code == 409
    assert "no consolidated judgement" in response.get_data(as_text=True)
    assert _state(app, case) == CaseState.IN_REVIEW
    # The case page links to the chair's page for it.
    page = rita.get(f"/cases/{case}").get_data(as_text=True)
    assert f'href="/reviews/cases/{case}/consolidation"' in page

    # The provider has no report before it is sent.
    assert provider.get(f"/cases/{case}/report").status_code == 403

    _complete_consolidation(app, rita, s)
    assert _count(app, PanelJudgement) == 3
    # Ruben cannot take the chair's action, nor write the panel's judgement.
    assert (
        post_form(ruben, f"/reviews/cases/{case}/send", {}, token_from="/reviews").status_code
        == 403
    )
    assert _state(app, case) == CaseState.IN_REVIEW

    response = post_form(
        rita, f"/reviews/cases/{case}/send", {}, token_from=f"/reviews/cases/{case}/consolidation"
    )
    assert response.status_code == 302
    assert _state(app, case) == CaseState.FACTUAL_CHECK
    with app.app_context():
        db = get_session()
        deadline = db.execute(
            select(CaseDeadline).where(
                CaseDeadline.case_id == case, CaseDeadline.stage == CaseState.FACTUAL_CHECK
            )
        ).scalar_one()
        assert (deadline.due_on - utcnow().date()).days == 14
        mail = (
            db.execute(select(OutboxMessage).where(OutboxMessage.to_address == PROVIDER))
            .scalars()
            .all()
        )
        assert any("factual check" in m.subject for m in mail)
    # The dashboard writes the date as the reader's locale does (English: "Dec 14, 2026").
    shown_date = babel_dates.format_date(deadline.due_on, format="medium", locale="en")
    assert f"Answer by {shown_date}." in _dashboard(provider)
    # Findings are frozen now.
    late = _judge(ruben, case, crit["C2"], "fully", "Late", lock_version="0")
    assert late.status_code == 409 and "only while the case is in review" in late.get_data(
        as_text=True
    )

    # The provider reads the consolidated report, never who judged what.
    page = provider.get(f"/cases/{case}/report").get_data(as_text=True)
    assert "Panel view on C1." in page and "positive with conditions" in page
    assert "A sound system." in page and "Rector, vice-rector" in page
    for hidden in (
        SECRET,
        "Rita: applied everywhere",
        "Ruben Reviewer",
        "Rita Reviewer",
        "INTERNAL",
    ):
        assert hidden not in page
    assert "Due by" in page or "due by" in page
    # Individual judgements stay inside the panel and the agency.
    assert provider.get(f"/reviews/cases/{case}/consolidation").status_code == 403
    assert provider.get(f"/reviews/cases/{case}/findings/{crit['C1']}").status_code == 403

    # Field errors keep what the provider typed.
    field = f"criterion_{crit['C2']}"
    response = post_form(
        provider,
        f"/cases/{case}/report/comments",
        {"general": "x" * 20001, field: "The completion rate is 81 %, not 18 %."},
    )
    assert response.status_code == 400
    assert "The completion rate is 81 %, not 18 %." in response.get_data(as_text=True)
    assert _count(app, FactualComment) == 0
    response = post_form(
        provider,
        f"/cases/{case}/report/comments",
        {"general": "", field: "The completion rate is 81 %, not 18 %."},
    )
    assert response.status_code == 302
    assert _count(app, FactualComment) == 1
    # Only once.
    again = post_form(provider, f"/cases/{case}/report/comments", {"general": "More"})
    assert again.status_code in (403, 409) and _count(app, FactualComment) == 1

    assert "Respond to 1 factual-accuracy comment on" in _dashboard(rita)
    assert "for factual errors" not in _dashboard(provider)
    # Finalising with the comment unanswered: refused, nothing changed.
    response = post_form(
        rita, f"/cases/{case}/report/finalise", {}, token_from=f"/cases/{case}/report"
    )
    assert response.status_code == 409
    assert "1 comment of the provider awaits the panel" in response.get_data(as_text=True)
    assert _state(app, case) == CaseState.FACTUAL_CHECK
    with app.app_context():
        comment_id = get_session().execute(select(FactualComment.id)).scalar_one()
    # A member may not answer for the panel.
    assert (
        post_form(
            ruben,
            f"/cases/{case}/report/comments/{comment_id}/respond",
            {"response": "No"},
            token_from=f"/cases/{case}/report",
        ).status_code
        == 403
    )
    response = post_form(
        rita,
        f"/cases/{case}/report/comments/{comment_id}/respond",
        {"response": "Corrected: 81 %."},
    )
    assert response.status_code == 302
    page = provider.get(f"/cases/{case}/report").get_data(as_text=True)
    assert "Corrected: 81 %." in page and "81 %, not 18 %" in page

    response = post_form(
        rita, f"/cases/{case}/report/finalise", {}, token_from=f"/cases/{case}/report"
    )
    assert response.status_code == 302
    assert _state(app, case) == CaseState.DECISION_PENDING
    assert _audited(app, "case.finalise_report") == 1
    # Kept with the case and shown to both sides afterwards.
    for client in (provider, officer):
        page = client.get(f"/cases/{case}/report").get_data(as_text=True)
        assert "Corrected: 81 %." in page and "Panel view on C3." in page


def test_out_of_turn_is_refused_and_changes_nothing(app, seated):
    s = seated
    case, crit = s["case"], s["criteria"]
    ruben = _client(app, RUBEN, s["pw"])
    lena = _client(app, LENA, s["pw"])
    provider = _client(app, PROVIDER, s["pw"])
    before = (_count(app, Judgement), _count(app, PanelJudgement))
    # A reviewer who has not declared: the case does not exist for them.
    assert lena.get(f"/reviews/cases/{case}/findings").status_code == 404
    response = post_form(
        lena,
        f"/reviews/cases/{case}/findings/{crit['C1']}",
        {"level": "fully", "rationale": "x", "lock_version": "0"},
        token_from="/reviews",
    )
    assert response.status_code == 404
    # A member taking the chair's actions.
    response = post_form(
        ruben,
        f"/reviews/cases/{case}/consolidation/{crit['C1']}",
        {"level": "fully", "rationale": "x", "lock_version": "0"},
        token_from="/reviews",
    )
    assert response.status_code == 403
    response = post_form(
        ruben,
        f"/reviews/cases/{case}/outcome",
        {"outcome": "negative", "summary": "x", "lock_version": "0"},
        token_from="/reviews",
    )
    assert response.status_code == 403
    # A member may read the visit record but not write it.
    assert ruben.get(f"/reviews/cases/{case}/site-visit").status_code == 200
    response = post_form(
        ruben,
        f"/reviews/cases/{case}/site-visit",
        {"visit_date": "2026-11-20", "format": "online", "learners": "3", "lock_version": "0"},
        token_from="/reviews",
    )
    assert response.status_code == 403
    # The provider on a case in review: no report, no comments, no judging.
    assert provider.get(f"/cases/{case}/report").status_code == 403
    response = post_form(
        provider, f"/cases/{case}/report/comments", {"general": "x"}, token_from="/dashboard"
    )
    assert response.status_code == 403
    response = post_form(
        provider,
        f"/reviews/cases/{case}/findings/{crit['C1']}",
        {"level": "fully", "rationale": "x", "lock_version": "0"},
        token_from="/dashboard",
    )
    assert response.status_code == 403
    # The generic transition route honours the panel parties too.
    response = post_form(
        ruben,
        f"/cases/{case}/transition",
        {"action": "send_draft_report"},
        token_from=f"/cases/{case}",
    )
    assert response.status_code == 403
    assert (_count(app, Judgement), _count(app, PanelJudgement)) == before
    assert _count(app, FactualComment) == 0
    assert _state(app, case) == CaseState.IN_REVIEW


def test_conflicting_edit_shows_both_versions(app, seated):
    s = seated
    case, crit = s["case"], s["criteria"]
    ruben = _client(app, RUBEN, s["pw"])
    url = f"/reviews/cases/{case}/findings/{crit['C2']}"
    stale = lock_version(ruben.get(url).get_data(as_text=True))
    assert _judge(ruben, case, crit["C2"], "fully", "First tab text").status_code == 302
    response = _judge(ruben, case, crit["C2"], "partially", "Second tab text", lock_version=stale)
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "First tab text" in body and "Second tab text" in body
    with app.app_context():
        saved = get_session().execute(select(Judgement)).scalar_one()
        assert saved.rationale == "First tab text" and saved.level == "fully"
    # The form now carries the saved version's lock: saving again is deliberate and works.
    again = _judge(
        ruben, case, crit["C2"], "partially", "Merged text", lock_version=lock_version(body)
    )
    assert again.status_code == 302


def test_consolidation_page_queries_do_not_grow_with_criteria(app, demo, count_queries):
    counts = {}
    for n in (3, 9):
        criteria = [criterion_def(f"K{i}", f"Criterion {i}") for i in range(n)]
        s = _seat(app, demo, criteria, code=f"fw-{n}")
        rita, ruben = _client(app, RITA, s["pw"]), _client(app, RUBEN, s["pw"])
        for cid in s["criteria"].values():
            assert _judge(ruben, s["case"], cid, "partially", "r").status_code == 302
            assert _judge(rita, s["case"], cid, "fully", "r").status_code == 302
        url = f"/reviews/cases/{s['case']}/consolidation"
        rita.get(url)
        with count_queries() as counter:
            page = rita.get(url)
        assert page.status_code == 200
        assert page.get_data(as_text=True).count("Members disagree") == n
        counts[n] = counter.count
    assert counts[3] == counts[9], counts


def test_the_default_compliance_levels_are_said_in_the_readers_language(app):
    """A criterion whose framework declares no scale is judged on the four compliance
    levels, worded when they are read (not once, in English, when the module loads)."""
    from flask_babel import force_locale

    from qaportal.frameworks.models import Criterion
    from qaportal.reviews.findings import scale_of

    criterion = Criterion(code="X.1", definition={}, description="Any text")
    with app.test_request_context():
        for language, first in (("fr", "Entièrement conforme"), ("en", "Fully compliant")):
            with force_locale(language):
                scale = scale_of(criterion, None)
            assert [o.value for o in scale][:1] == ["fully"]
            assert scale[0].label == first
