"""Review panels over the test client: forming a panel from the pool, declarations before any
access, conflicts, the provider's objections in and after their window, and crafted requests."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select

from qaportal.audit.models import AuditEvent
from qaportal.audit.services import Actor
from qaportal.auth.models import ReviewerCategory, ReviewerProfile, Role, User
from qaportal.auth.services import add_membership, create_user
from qaportal.cases import workflow
from qaportal.cases.models import Case, CaseState
from qaportal.db import get_session, utcnow
from qaportal.evidence.models import Evidence
from qaportal.notifications.models import OutboxMessage
from qaportal.orgs.models import OrgKind
from qaportal.orgs.services import create_organisation
from qaportal.reviews.models import MemberStatus, PanelMember, PanelObjection
from tests.casekit import make_world, minimal_pdf
from tests.conftest import login, post_form

OFFICER = "officer@agency.example.org"
PROVIDER = "admin@university.example.org"
EDITOR = "editor@university.example.org"
RITA = "reviewer1@reviewers.example.org"  # academic, DE, "Curriculum design"
RUBEN = "reviewer2@reviewers.example.org"  # student, FI, "Learner experience"
LENA = "lena@reviewers.example.org"  # employer, AT, "Labour market"
OTHER = "omar@other-agency.example.org"  # a reviewer of another agency


@pytest.fixture
def setup(app: Any, demo: Any) -> dict[str, Any]:
    world = make_world(app)
    with app.app_context():
        db = get_session()
        case = db.get(Case, world.case_id)
        evidence = _evidence(app, db, case)  # while still a draft
        case.state = CaseState.IN_REVIEW
        case.submitted_at = utcnow()
        lena = create_user(db, LENA, "Lena Labour", demo.password)
        m = add_membership(db, lena, world.agency_id, Role.REVIEWER)
        m.reviewer_profile = ReviewerProfile(
            category=ReviewerCategory.EMPLOYER,
            expertise="Labour market needs",
            country="AT",
            languages="de,en",
        )
        other = create_organisation(
            db, OrgKind.AGENCY, Actor.system("test"), legal_name="Other Agency", acronym="OAG"
        )
        omar = create_user(db, OTHER, "Omar Other", demo.password)
        add_membership(db, omar, other.id, Role.REVIEWER)
        db.commit()
        ids = {
            u.email: u.id
            for u in db.execute(select(User).where(User.email.in_([RITA, RUBEN, LENA, OTHER])))
            .scalars()
            .all()
        }
    return {"world": world, "case": world.case_id, "ids": ids, "pw": demo.password, "ev": evidence}


def _evidence(app: Any, db: Any, case: Case) -> int:
    import io

    from qaportal.evidence import services as evidence
    from qaportal.evidence.storage import get_storage

    user = db.execute(select(User).where(User.email == PROVIDER)).scalar_one()
    storage = get_storage(app)
    received = evidence.receive(storage, io.BytesIO(minimal_pdf()), "manual.pdf")
    item = evidence.add_evidence(
        db,
        storage,
        case,
        received,
        title="Quality manual",
        criterion_ids=[],
        user=user,
        actor=Actor(user.id, user.email),
    )
    return item.id


def _client(app: Any, email: str, pw: str) -> Any:
    client = app.test_client()
    login(client, email, pw)
    return client


def _invite(client: Any, case_id: int, reviewer_id: int, role: str) -> Any:
    return post_form(
        client,
        f"/cases/{case_id}/panel/invite",
        {"reviewer": reviewer_id, "role": role},
        token_from=f"/cases/{case_id}/panel",
    )


def _member(app: Any, case_id: int, user_id: int) -> PanelMember:
    with app.app_context():
        db = get_session()
        m = db.execute(
            select(PanelMember).where(
                PanelMember.case_id == case_id, PanelMember.user_id == user_id
            )
        ).scalar_one()
        db.expunge(m)
        return m


def _outbox(app: Any, to: str) -> list[OutboxMessage]:
    with app.app_context():
        return list(
            get_session()
            .execute(select(OutboxMessage).where(OutboxMessage.to_address == to))
            .scalars()
        )


def _actions(app: Any) -> list[str]:
    with app.app_context():
        return list(
            get_session()
            .execute(select(AuditEvent.action).where(AuditEvent.action.like("panel.%")))
            .scalars()
        )


def _declare(client: Any, member_id: int, data: dict[str, Any]) -> Any:
    return post_form(client, f"/reviews/invitations/{member_id}", data)


def _reads(client: Any, case_id: int, evidence_id: int) -> list[int]:
    return [
        client.get(url).status_code
        for url in (
            f"/cases/{case_id}",
            f"/cases/{case_id}/self-assessment",
            f"/cases/{case_id}/evidence/{evidence_id}/download",
            f"/reviews/cases/{case_id}",
        )
    ]


def _form_panel(app: Any, s: dict[str, Any]) -> Any:
    officer = _client(app, OFFICER, s["pw"])
    case, ids = s["case"], s["ids"]
    assert _invite(officer, case, ids[RITA], "chair").status_code == 302
    assert _invite(officer, case, ids[LENA], "employer").status_code == 302
    assert _invite(officer, case, ids[RUBEN], "student").status_code == 302
    return officer


def test_officer_filters_the_pool_and_sees_past_assignments(app, setup):
    s = setup
    officer = _client(app, OFFICER, s["pw"])
    page = officer.get(f"/cases/{s['case']}/panel?expertise=labour").get_data(as_text=True)
    assert "Lena Labour" in page and "Rita Reviewer" not in page
    assert 'value="labour"' in page and "None" not in page
    page = officer.get(f"/cases/{s['case']}/panel?country=fi").get_data(as_text=True)
    assert "Ruben Reviewer" in page and "Lena Labour" not in page
    page = officer.get(f"/cases/{s['case']}/panel?language=de").get_data(as_text=True)
    assert "Lena Labour" in page and "Ruben Reviewer" not in page
    # Another agency's reviewer is not in this pool.
    assert "Omar Other" not in officer.get(f"/cases/{s['case']}/panel").get_data(as_text=True)

    # Rita sat on a panel of the same provider before.
    with app.app_context():
        db = get_session()
        old = db.get(Case, s["case"])
        past = Case(
            reference="OLD-1",
            provider_id=old.provider_id,
            agency_id=old.agency_id,
            contact_name="x",
            contact_email="x@example.org",
            state=CaseState.CLOSED,
        )
        db.add(past)
        db.flush()
        db.add(
            PanelMember(
                case_id=past.id,
                user_id=s["ids"][RITA],
                role="member",
                status=MemberStatus.ACTIVE,
                responded_at=utcnow(),
            )
        )
        db.commit()
    page = officer.get(f"/cases/{s['case']}/panel?country=DE").get_data(as_text=True)
    assert "sat on a panel for this provider before" in page
    row = re.search(r"Rita Reviewer.*?</tr>", page, re.S).group(0)
    assert "<td>1 · " in row


def test_full_flow_declaration_before_access(app, setup):
    s = setup
    case, ids = s["case"], s["ids"]
    officer = _client(app, OFFICER, s["pw"])
    page = officer.get(f"/cases/{case}/panel").get_data(as_text=True)
    assert "The panel has no chair." in page and "no student member" in page

    assert _invite(officer, case, ids[RITA], "chair").status_code == 302
    assert _invite(officer, case, ids[LENA], "member").status_code == 302
    page = officer.get(f"/cases/{case}/panel").get_data(as_text=True)
    assert "The panel has no chair." not in page
    assert "no student member" in page  # ESG 2.4 warning
    assert _invite(officer, case, ids[RUBEN], "student").status_code == 302
    assert "no student member" not in officer.get(f"/cases/{case}/panel").get_data(as_text=True)
    assert len(_outbox(app, RITA)) == 1 and "invitations/" in _outbox(app, RITA)[0].body_text
    assert _actions(app).count("panel.invite") == 3

    rita = _client(app, RITA, s["pw"])
    # Before declaring: the case does not exist for her.
    assert _reads(rita, case, s["ev"]) == [404, 404, 404, 404]
    member = _member(app, case, ids[RITA])
    invitation = rita.get(f"/reviews/invitations/{member.id}").get_data(as_text=True)
    assert "University of Demoville" in invitation and "chair" in invitation
    assert "Conflicts of interest" in invitation
    # Accepting without ticking the confirmation: refused, her note kept.
    response = _declare(rita, member.id, {"answer": "accept", "note": "Met them at a fair"})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Confirm that you have no conflict" in body and "Met them at a fair" in body
    assert _reads(rita, case, s["ev"]) == [404, 404, 404, 404]
    response = _declare(
        rita, member.id, {"answer": "accept", "no_conflict": "y", "note": "Met them at a fair"}
    )
    assert response.status_code == 302
    assert _reads(rita, case, s["ev"]) == [200, 200, 200, 200]
    assert f'href="/reviews/cases/{case}"' in rita.get(f"/cases/{case}").get_data(as_text=True)
    assert f'href="/cases/{case}/panel"' in officer.get(f"/cases/{case}").get_data(as_text=True)
    assert _member(app, case, ids[RITA]).status == MemberStatus.ACTIVE
    # Read-only: the self-assessment cannot be edited by a reviewer.
    crit = s["world"].criteria["C1"]
    assert (
        post_form(
            rita, f"/cases/{case}/criteria/{crit}", {"q_narrative": "x"}, token_from="/reviews"
        ).status_code
        == 403
    )
    # She is the chair for the workflow table.
    with app.app_context():
        db = get_session()
        user = db.get(User, ids[RITA])
        c = db.get(Case, case)
        assert workflow.panel_parties(user, c) == {
            workflow.Party.PANEL_CHAIR,
            workflow.Party.PANEL_MEMBER,
        }
        assert Role.REVIEWER in workflow.roles_on_case(user, c)
    # Her workspace (in her navigation) lists the case; Ruben's dashboard an invitation.
    assert 'href="/reviews"' in rita.get("/dashboard").get_data(as_text=True)
    assert f"/reviews/cases/{case}" in rita.get("/reviews").get_data(as_text=True)
    ruben = _client(app, RUBEN, s["pw"])
    dash = ruben.get("/dashboard").get_data(as_text=True)
    assert "Answer the invitation to the panel" in dash
    assert _reads(ruben, case, s["ev"]) == [404, 404, 404, 404]
    # Answering twice is refused.
    assert _declare(rita, member.id, {"answer": "decline"}).status_code == 409
    # A reviewer cannot answer someone else's invitation.
    assert _declare(ruben, member.id, {"answer": "decline"}).status_code == 404


def test_conflict_removes_the_reviewer_and_tells_the_officer(app, setup):
    s = setup
    _form_panel(app, s)
    lena = _client(app, LENA, s["pw"])
    member = _member(app, s["case"], s["ids"][LENA])
    response = _declare(lena, member.id, {"answer": "conflict"})
    assert response.status_code == 400
    assert "Describe the conflict of interest." in response.get_data(as_text=True)
    response = _declare(
        lena, member.id, {"answer": "conflict", "conflict": "I teach there one day a week"}
    )
    assert response.status_code == 302
    assert _member(app, s["case"], s["ids"][LENA]).status == MemberStatus.CONFLICT
    assert _reads(lena, s["case"], s["ev"]) == [404, 404, 404, 404]
    mails = _outbox(app, OFFICER)
    assert any("conflict of interest" in m.subject and "teach there" in m.body_text for m in mails)
    officer = _client(app, OFFICER, s["pw"])
    page = officer.get(f"/cases/{s['case']}/panel").get_data(as_text=True)
    assert "I teach there one day a week" in page and "declared a conflict of interest" in page
    assert "panel.conflict" in _actions(app)

    # Declining: off the panel too, and the agency is told.
    ruben = _client(app, RUBEN, s["pw"])
    member = _member(app, s["case"], s["ids"][RUBEN])
    assert _declare(ruben, member.id, {"answer": "decline"}).status_code == 302
    assert _member(app, s["case"], s["ids"][RUBEN]).status == MemberStatus.DECLINED
    assert any("declined the panel" in m.subject for m in _outbox(app, OFFICER))
    assert _reads(ruben, s["case"], s["ev"]) == [404, 404, 404, 404]
    assert "panel.decline" in _actions(app)


def test_panel_parties_decide_panel_transitions(app, setup):
    """A row of the table naming the panel chair admits the seated chair only: not a member,
    not an undeclared chair, not the agency's staff."""
    s = setup
    _form_panel(app, s)
    for email in (RITA, LENA):
        client = _client(app, email, s["pw"])
        member = _member(app, s["case"], s["ids"][email])
        _declare(client, member.id, {"answer": "accept", "no_conflict": "y"})
    chair_row = workflow.Transition(
        CaseState.IN_REVIEW,
        "panel-report",
        CaseState.FACTUAL_CHECK,
        workflow.Party.PANEL_CHAIR,
        frozenset({Role.REVIEWER}),
        "Send the panel report",
    )
    member_row = workflow.Transition(
        CaseState.IN_REVIEW,
        "judge",
        CaseState.FACTUAL_CHECK,
        workflow.Party.PANEL_MEMBER,
        frozenset({Role.REVIEWER}),
        "Judge",
    )
    with app.app_context():
        db = get_session()
        case = db.get(Case, s["case"])

        def may(email: str, row: workflow.Transition) -> bool:
            user = db.execute(select(User).where(User.email == email)).scalar_one()
            return workflow._may(user, case, row)

        assert may(RITA, chair_row) and may(RITA, member_row)
        assert not may(LENA, chair_row) and may(LENA, member_row)
        assert not may(RUBEN, member_row)  # invited, not declared
        assert not may(OFFICER, chair_row) and not may(PROVIDER, member_row)


def test_other_reviewers_see_nothing(app, setup):
    s = setup
    _form_panel(app, s)
    # Rita sits on the panel of this case only; another case of the agency stays hidden.
    rita = _client(app, RITA, s["pw"])
    member = _member(app, s["case"], s["ids"][RITA])
    _declare(rita, member.id, {"answer": "accept", "no_conflict": "y"})
    with app.app_context():
        db = get_session()
        old = db.get(Case, s["case"])
        other = Case(
            reference="OTHER-1",
            provider_id=s["world"].other_provider_id,
            agency_id=old.agency_id,
            contact_name="x",
            contact_email="x@example.org",
            state=CaseState.IN_REVIEW,
            submitted_at=utcnow(),
        )
        db.add(other)
        db.commit()
        other_id = other.id
    assert rita.get(f"/cases/{other_id}").status_code == 404
    assert rita.get(f"/reviews/cases/{other_id}").status_code == 404
    # The other agency's reviewer gets nothing of this case nor of the invitation.
    omar = _client(app, OTHER, s["pw"])
    assert _reads(omar, s["case"], s["ev"]) == [404, 404, 404, 404]
    assert omar.get(f"/reviews/invitations/{member.id}").status_code == 404
    assert omar.get(f"/cases/{s['case']}/panel").status_code == 404


def test_provider_objects_in_window_and_officer_upholds(app, setup):
    s = setup
    officer = _form_panel(app, s)
    for email in (RITA, LENA):
        client = _client(app, email, s["pw"])
        member = _member(app, s["case"], s["ids"][email])
        assert (
            _declare(
                client, member.id, {"answer": "accept", "no_conflict": "y", "note": "secret note"}
            ).status_code
            == 302
        )
    provider = _client(app, PROVIDER, s["pw"])
    assert "Lena Labour" not in provider.get(f"/cases/{s['case']}/panel/members").get_data(
        as_text=True
    )
    response = post_form(
        officer, f"/cases/{s['case']}/panel/announce", {}, token_from=f"/cases/{s['case']}/panel"
    )
    assert response.status_code == 302
    assert any("review panel" in m.subject for m in _outbox(app, PROVIDER))

    page = provider.get(f"/cases/{s['case']}/panel/members").get_data(as_text=True)
    assert "Lena Labour" in page and "Rita Reviewer" in page and "chair" in page
    assert "Ruben Reviewer" not in page  # not yet declared: not announced
    assert "secret note" not in page
    assert "The review panel of" in provider.get("/dashboard").get_data(as_text=True)
    lena = _member(app, s["case"], s["ids"][LENA])
    url = f"/cases/{s['case']}/panel/members/{lena.id}/object"
    # No reason: refused with a field error.
    response = post_form(
        provider, url, {"reason": "  "}, token_from=f"/cases/{s['case']}/panel/members"
    )
    assert response.status_code == 400 and "Give the reason" in response.get_data(as_text=True)
    # The editor may not object.
    editor = _client(app, EDITOR, s["pw"])
    assert post_form(editor, url, {"reason": "x"}, token_from="/dashboard").status_code == 403
    response = post_form(
        provider,
        url,
        {"reason": "She worked for our competitor"},
        token_from=f"/cases/{s['case']}/panel/members",
    )
    assert response.status_code == 302
    assert any("objects to" in m.subject for m in _outbox(app, OFFICER))

    page = officer.get(f"/cases/{s['case']}/panel").get_data(as_text=True)
    assert "She worked for our competitor" in page
    assert "Answer 1 objection to the panel" in officer.get("/dashboard").get_data(as_text=True)
    with app.app_context():
        objection_id = get_session().execute(select(PanelObjection.id)).scalar_one()
    resolve = f"/cases/{s['case']}/panel/objections/{objection_id}/resolve"
    response = post_form(
        officer, resolve, {"decision": "uphold"}, token_from=f"/cases/{s['case']}/panel"
    )
    assert response.status_code == 400 and "Say why" in response.get_data(as_text=True)
    response = post_form(
        officer,
        resolve,
        {"decision": "uphold", "comment": "A real tie."},
        token_from=f"/cases/{s['case']}/panel",
    )
    assert response.status_code == 302
    assert _member(app, s["case"], s["ids"][LENA]).status == MemberStatus.REMOVED
    assert any("objection answered" in m.subject for m in _outbox(app, LENA))
    lena_client = _client(app, LENA, s["pw"])
    assert _reads(lena_client, s["case"], s["ev"]) == [404, 404, 404, 404]
    page = provider.get(f"/cases/{s['case']}/panel/members").get_data(as_text=True)
    assert "A real tie." in page and "upheld" in page
    assert {"panel.objection", "panel.objection_upheld", "panel.announce"} <= set(_actions(app))


def test_objection_after_the_window_is_refused(app, setup):
    s = setup
    officer = _form_panel(app, s)
    rita = _client(app, RITA, s["pw"])
    member = _member(app, s["case"], s["ids"][RITA])
    _declare(rita, member.id, {"answer": "accept", "no_conflict": "y"})
    post_form(
        officer, f"/cases/{s['case']}/panel/announce", {}, token_from=f"/cases/{s['case']}/panel"
    )
    with app.app_context():
        db = get_session()
        m = db.get(PanelMember, member.id)
        m.announced_at = utcnow() - dt.timedelta(days=11)
        db.commit()
    provider = _client(app, PROVIDER, s["pw"])
    page = provider.get(f"/cases/{s['case']}/panel/members").get_data(as_text=True)
    assert "Object to" not in page
    response = post_form(
        provider,
        f"/cases/{s['case']}/panel/members/{member.id}/object",
        {"reason": "Too late"},
        token_from=f"/cases/{s['case']}/panel/members",
    )
    assert response.status_code == 409
    assert "The time to object" in response.get_data(as_text=True)
    with app.app_context():
        assert get_session().execute(select(PanelObjection)).first() is None


def test_crafted_requests_and_two_chairs(app, setup):
    s = setup
    case, ids = s["case"], s["ids"]
    provider = _client(app, PROVIDER, s["pw"])
    assert (
        post_form(
            provider,
            f"/cases/{case}/panel/invite",
            {"reviewer": ids[RITA], "role": "chair"},
            token_from="/dashboard",
        ).status_code
        == 403
    )
    other = _client(app, "admin@vet.example.org", s["pw"])
    assert (
        post_form(
            other,
            f"/cases/{case}/panel/invite",
            {"reviewer": ids[RITA], "role": "chair"},
            token_from="/dashboard",
        ).status_code
        == 404
    )
    officer = _client(app, OFFICER, s["pw"])
    assert _invite(officer, case, ids[RITA], "chair").status_code == 302
    dashboard = officer.get("/dashboard").get_data(as_text=True)
    assert "lacks a student member" in dashboard
    response = _invite(officer, case, ids[LENA], "chair")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "already has a chair" in body and 'id="role-errors"' in body
    # What the officer chose stays selected.
    assert re.search(
        rf'<option selected value="{ids[LENA]}">|<option value="{ids[LENA]}" selected', body
    )
    # Another agency's reviewer is refused.
    response = _invite(officer, case, ids[OTHER], "member")
    assert response.status_code == 400 and "pool" in response.get_data(as_text=True)
    with app.app_context():
        assert (
            get_session()
            .execute(select(PanelMember).where(PanelMember.case_id == case))
            .scalars()
            .all()
            .__len__()
            == 1
        )
    # Withdrawing an invitation is audited and the reviewer can no longer answer.
    member = _member(app, case, ids[RITA])
    response = post_form(
        officer,
        f"/cases/{case}/panel/members/{member.id}/withdraw",
        {},
        token_from=f"/cases/{case}/panel",
    )
    assert response.status_code == 302
    assert "panel.withdraw" in _actions(app)
    rita = _client(app, RITA, s["pw"])
    assert _declare(rita, member.id, {"answer": "accept", "no_conflict": "y"}).status_code == 409
    assert _reads(rita, case, s["ev"]) == [404, 404, 404, 404]


def test_no_panel_before_review(app, setup):
    s = setup
    with app.app_context():
        db = get_session()
        db.get(Case, s["case"]).state = CaseState.SUBMITTED
        db.commit()
    officer = _client(app, OFFICER, s["pw"])
    response = _invite(officer, s["case"], s["ids"][RITA], "chair")
    assert response.status_code == 409
    with app.app_context():
        assert get_session().execute(select(PanelMember)).first() is None


def test_dashboards_query_count_does_not_grow(app, setup, count_queries):
    s = setup
    _form_panel(app, s)
    rita = _client(app, RITA, s["pw"])
    officer = _client(app, OFFICER, s["pw"])

    def counts() -> tuple[int, int]:
        out = []
        for client in (rita, officer):
            with count_queries() as c:
                assert client.get("/dashboard").status_code == 200
            out.append(c.count)
        return tuple(out)

    before = counts()
    with app.app_context():
        db = get_session()
        base = db.get(Case, s["case"])
        for n in range(5):
            extra = Case(
                reference=f"X-{n}",
                provider_id=base.provider_id,
                agency_id=base.agency_id,
                contact_name="x",
                contact_email="x@example.org",
                state=CaseState.IN_REVIEW,
                submitted_at=utcnow(),
            )
            db.add(extra)
            db.flush()
            db.add(PanelMember(case_id=extra.id, user_id=s["ids"][RITA], role="member"))
        db.commit()
    assert counts() == before
    assert _evidence_count(app, s) == 1


def _evidence_count(app: Any, s: dict[str, Any]) -> int:
    with app.app_context():
        return len(
            get_session().execute(select(Evidence.id).where(Evidence.case_id == s["case"])).all()
        )


def _race(jobs: list[Any]) -> list[Any]:
    import threading

    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=60)
            results[i] = jobs[i]()
        except BaseException as exc:  # handed to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a request hung"
    if errors:
        raise errors[0]
    return results


def test_two_officers_inviting_two_chairs_at_once_get_one_chair(app, setup):
    s = setup
    case, ids = s["case"], s["ids"]
    clients = [_client(app, OFFICER, s["pw"]), _client(app, "admin@agency.example.org", s["pw"])]
    tokens = [
        re.search(
            r'name="csrf_token"[^>]*value="([^"]+)"',
            c.get(f"/cases/{case}/panel").get_data(as_text=True),
        ).group(1)
        for c in clients
    ]
    url = f"/cases/{case}/panel/invite"
    jobs = [
        lambda c=c, t=t, who=who: c.post(
            url, data={"csrf_token": t, "reviewer": ids[who], "role": "chair"}
        )
        for c, t, who in zip(clients, tokens, (RITA, LENA), strict=True)
    ]
    responses = _race(jobs)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [302, 400]
    loser = next(r for r in responses if r.status_code == 400)
    assert "already has a chair" in loser.get_data(as_text=True)
    with app.app_context():
        chairs = (
            get_session()
            .execute(select(PanelMember).where(PanelMember.role == "chair"))
            .scalars()
            .all()
        )
        assert len(chairs) == 1
