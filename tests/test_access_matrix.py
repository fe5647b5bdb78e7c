"""The access matrix: every route of the app, for every persona.

It enumerates the app's URL map and fails if a route is missing here, so a new route cannot
land without saying who may use it. Each route is requested with every method it accepts
(POSTs carry a valid CSRF token and an empty form) by: an anonymous visitor, each role of the
demo agency and university, and the admin of another provider.

Expectations: "ok" (the request is served: any status but 401/403/404/405/5xx and no
redirect to the sign-in page), "login" (redirected to sign in), 403, 404, or "same" (a public
route: every persona gets the same, non-error answer).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from flask import Flask

from tests.access_world import PERSONAS, World, build_world, mark_case_submitted
from tests.conftest import CSRF_RE

ALL = list(PERSONAS)
SIGNED_IN = [p for p in ALL if p != "anonymous"]

# ----- expectation shorthands -----------------------------------------------------------


def public(status: int | None = None) -> dict[str, Any]:
    """Everybody gets the same answer; ``status`` pins it (e.g. 200 for a served page)."""
    return dict.fromkeys(ALL, f"same:{status}" if status else "same")


def signed_in() -> dict[str, Any]:
    return {"anonymous": "login", **dict.fromkeys(SIGNED_IN, "ok")}


def rule(ok: list[str], forbidden: list[str] = (), hidden: list[str] = ()) -> dict[str, Any]:
    expected = {"anonymous": "login"}
    expected.update(dict.fromkeys(ok, "ok"))
    expected.update(dict.fromkeys(forbidden, 403))
    expected.update(dict.fromkeys(hidden, 404))
    # The reviewer on the world's case's panel is any reviewer, except where a row says
    # otherwise (the case's own pages and the panel's).
    if "reviewer" in expected:
        expected.setdefault("panel_reviewer", expected["reviewer"])
    missing = set(ALL) - set(expected)
    assert not missing, f"personas without expectation: {missing}"
    return expected


AGENCY_ADMIN_ONLY = rule(
    ["agency_admin"],
    forbidden=["agency_officer", "reviewer"],
    hidden=["provider_admin", "provider_editor", "other_provider"],
)


def anyone() -> dict[str, Any]:
    """Served to everybody, though not identically (e.g. the sign-in page redirects members)."""
    return dict.fromkeys(ALL, "ok")


AA, AO, RV = "agency_admin", "agency_officer", "reviewer"
PR = "panel_reviewer"
PA, PE, X = "provider_admin", "provider_editor", "other_provider"

# The demo university's objects, as its staff and the staff of its managing agency see them.
PROVIDER_READ = rule([AA, AO, PA, PE], hidden=[RV, X])
PROVIDER_STAFF_WORK = rule([PA, PE], forbidden=[AA, AO], hidden=[RV, X])
PROVIDER_ADMIN_WORK = rule([PA], forbidden=[AA, AO, PE], hidden=[RV, X])
ORG_MANAGEMENT = rule([AA, PA], forbidden=[AO, PE], hidden=[RV, X])
# A reviewer sees a case once seated on its panel (accepted, no conflict), never before.
CASE_READ = rule([AA, AO, PA, PE, PR], hidden=[RV, X])
CASE_EDIT = rule([PA, PE], forbidden=[AA, AO, PR], hidden=[RV, X])
AGENCY_CASE_WORK = rule([AA, AO], forbidden=[PA, PE, PR], hidden=[RV, X])
# The world's case is a draft: the agency knows it exists (its overview) but reads nothing
# the provider is still writing; SUBMITTED_READS below pins what changes on submission.
DRAFT_SUBMISSION = rule([PA, PE], forbidden=[AA, AO, PR], hidden=[RV, X])
DRAFT_EVIDENCE_FILE = rule([PA, PE], hidden=[AA, AO, RV, X])
# Campaigns belong to the provider alone; the agency sees summaries attached to a case.
CAMPAIGN = rule([PA, PE], hidden=[AA, AO, RV, X])
# Review panels: the agency forms them; the provider sees the announced members and objects;
# an invitation exists for its reviewer (and the agency) only.
PANEL_MANAGEMENT = AGENCY_CASE_WORK
PANEL_MEMBERS = rule([AA, AO, PA, PE, PR], hidden=[RV, X])
PANEL_OBJECTION = rule([PA], forbidden=[AA, AO, PE, PR], hidden=[RV, X])
REVIEW_INVITATION = rule([RV], forbidden=[AA, AO], hidden=[PA, PE, PR, X])
REVIEW_CASE = rule([AA, AO, PR], forbidden=[PA, PE], hidden=[RV, X])
# Decisions: between the agency and the provider; the panel reads the case but not these.
DECISION_READ = rule([AA, AO, PA, PE], forbidden=[PR], hidden=[RV, X])
AGENCY_DECISION_WORK = rule([AA, AO], forbidden=[PA, PE, PR], hidden=[RV, X])
PROVIDER_CONDITION_WORK = rule([PA, PE], forbidden=[AA, AO, PR], hidden=[RV, X])
# Findings: a seated member records their own judgements; the chair (the world's panel has
# none seated) consolidates, sends and answers; the agency reads every judgement and keeps
# the visit record; the provider reads the draft report from factual check on (see
# test_provider_reads_the_draft_report_at_factual_check), never a member's judgement.
OWN_JUDGEMENTS = rule([PR], forbidden=[AA, AO, PA, PE], hidden=[RV, X])
ALL_JUDGEMENTS = rule([AA, AO], forbidden=[PR, PA, PE], hidden=[RV, X])
CHAIR_ONLY = rule([], forbidden=[AA, AO, PR, PA, PE], hidden=[RV, X])
SITE_VISIT_READ = rule([AA, AO, PR], forbidden=[PA, PE], hidden=[RV, X])
SITE_VISIT_WRITE = rule([AA, AO], forbidden=[PR, PA, PE], hidden=[RV, X])

# endpoint -> (url template, expectations for every method, or {method: expectations}).
# Ids come from the world (tests/access_world.py).
MATRIX: dict[str, tuple[str, Any]] = {
    # web, auth
    "web.index": ("/", anyone()),
    "web.healthz": ("/healthz", public(200)),
    "web.dashboard": ("/dashboard", signed_in()),
    "web.language": ("/language", anyone()),
    "auth.login": ("/login", anyone()),
    "auth.logout": ("/logout", signed_in()),
    "auth.logout_everywhere": ("/logout-everywhere", signed_in()),
    "auth.account": ("/account", signed_in()),
    "auth.change_password": ("/account/password", signed_in()),
    "auth.invitation_link": ("/invitations/{token}", public(302)),
    "auth.accept_invitation": ("/invitations/accept", public(404)),
    "auth.request_reset": ("/password-reset", public(200)),
    "auth.reset_link": ("/password-reset/{token}", public(302)),
    "auth.reset_password": ("/password-reset/new", public(404)),
    # organisations, staff, reviewer pool
    "orgs.show": ("/orgs/{provider}", PROVIDER_READ),
    "orgs.edit": ("/orgs/{provider}/edit", ORG_MANAGEMENT),
    "orgs.logo": ("/agencies/{agency}/logo", AGENCY_ADMIN_ONLY),
    "orgs.staff": ("/orgs/{provider}/staff", ORG_MANAGEMENT),
    "orgs.invite_staff": ("/orgs/{provider}/staff/invite", ORG_MANAGEMENT),
    "orgs.remove_member": ("/orgs/{provider}/members/{editor_membership}/remove", ORG_MANAGEMENT),
    "orgs.deactivate_member": (
        "/orgs/{provider}/members/{editor_membership}/deactivate",
        ORG_MANAGEMENT,
    ),
    "orgs.reactivate_member": (
        "/orgs/{provider}/members/{editor_membership}/reactivate",
        ORG_MANAGEMENT,
    ),
    "orgs.revoke_invitation": ("/orgs/{provider}/invitations/{invitation}/revoke", ORG_MANAGEMENT),
    "orgs.providers": ("/agencies/{agency}/providers", AGENCY_ADMIN_ONLY),
    "orgs.new_provider": ("/agencies/{agency}/providers/new", AGENCY_ADMIN_ONLY),
    "orgs.reviewers": ("/agencies/{agency}/reviewers", AGENCY_ADMIN_ONLY),
    "orgs.invite_reviewer": ("/agencies/{agency}/reviewers/invite", AGENCY_ADMIN_ONLY),
    "orgs.edit_reviewer": (
        "/agencies/{agency}/reviewers/{reviewer_membership}/edit",
        AGENCY_ADMIN_ONLY,
    ),
    # audit trail, outbox
    "audit.index": ("/agencies/{agency}/audit", AGENCY_ADMIN_ONLY),
    "audit.verify": ("/agencies/{agency}/audit/verify", AGENCY_ADMIN_ONLY),
    "notifications.outbox": ("/agencies/{agency}/outbox", AGENCY_ADMIN_ONLY),
    "notifications.message": ("/agencies/{agency}/outbox/{message}", AGENCY_ADMIN_ONLY),
    "notifications.retry": ("/agencies/{agency}/outbox/{message}/retry", AGENCY_ADMIN_ONLY),
    "notifications.retry_all": ("/agencies/{agency}/outbox/retry-failed", AGENCY_ADMIN_ONLY),
    # catalogue (provider side)
    "catalogue.index": ("/orgs/{provider}/catalogue", PROVIDER_READ),
    "catalogue.show": ("/orgs/{provider}/catalogue/{spec}", PROVIDER_READ),
    "catalogue.history": ("/orgs/{provider}/catalogue/{spec}/history", PROVIDER_READ),
    "catalogue.create": ("/orgs/{provider}/catalogue/new", PROVIDER_STAFF_WORK),
    "catalogue.edit": ("/orgs/{provider}/catalogue/{spec}/edit", PROVIDER_STAFF_WORK),
    "catalogue.new_version": ("/orgs/{provider}/catalogue/{spec}/new-version", PROVIDER_STAFF_WORK),
    "catalogue.publish": ("/orgs/{provider}/catalogue/{spec}/publish", PROVIDER_STAFF_WORK),
    "catalogue.retire": ("/orgs/{provider}/catalogue/{spec}/retire", PROVIDER_ADMIN_WORK),
    # the world's specification is published: staff are sent back to it, nothing is deleted
    "catalogue.delete_draft": ("/orgs/{provider}/catalogue/{spec}/delete", PROVIDER_STAFF_WORK),
    "catalogue_io.export_csv": ("/orgs/{provider}/catalogue/export.csv", PROVIDER_STAFF_WORK),
    "catalogue_io.import_upload": ("/orgs/{provider}/catalogue/import", PROVIDER_STAFF_WORK),
    "catalogue_io.import_commit": (
        "/orgs/{provider}/catalogue/import/commit",
        PROVIDER_STAFF_WORK,
    ),
    "catalogue_io.import_template": (
        "/orgs/{provider}/catalogue/import/template.csv",
        PROVIDER_STAFF_WORK,
    ),
    "catalogue_io.import_status": (
        "/orgs/{provider}/catalogue/import/jobs/{import_job}",
        PROVIDER_STAFF_WORK,
    ),
    "catalogue_io.import_retry": (
        "/orgs/{provider}/catalogue/import/jobs/{import_job}/retry",
        PROVIDER_STAFF_WORK,
    ),
    # catalogue (public)
    "catalogue.public_index": ("/catalogue", public(200)),
    "catalogue.public_detail": ("/catalogue/{public_id}", public(200)),
    "catalogue.provider_public": ("/providers/{provider}/catalogue", public(200)),
    "catalogue_io.ob3_achievement": ("/catalogue/{public_id}/ob3.json", public(200)),
    "catalogue_io.ob3_credential_template": (
        "/catalogue/{public_id}/ob3-credential-template.json",
        public(200),
    ),
    "catalogue_io.elm": ("/catalogue/{public_id}/elm.jsonld", public(200)),
    "catalogue.elm_credential_template": (
        "/catalogue/{public_id}/elm-credential-template.jsonld",
        public(200),
    ),
    "catalogue_io.annex_i_vocabulary": ("/catalogue/vocabulary/annex-i", public(200)),
    "catalogue_io.formats": ("/catalogue/formats", public(200)),
    # the read-only API (qaportal.api): the same answer for everybody, signed in or not; the
    # world's decision (the only one, so id 1 on a fresh database) is not published, so it
    # and its provider do not exist there
    "api.openapi_document": ("/api/v1/openapi.json", public(200)),
    "api.specifications": ("/api/v1/specifications", public(200)),
    "api.specification": ("/api/v1/specifications/{public_id}", public(200)),
    "api.decisions": ("/api/v1/decisions", public(200)),
    "api.decision": ("/api/v1/decisions/1", public(404)),
    "api.providers": ("/api/v1/providers", public(200)),
    "api.provider": ("/api/v1/providers/{provider}", public(404)),
    "api.reports": ("/api/v1/reports", public(200)),
    "api.unknown": ("/api/v1/no-such-thing", public(404)),
    # cases, self-assessment, evidence
    "cases.index": ("/cases", signed_in()),
    "cases.open_case": ("/providers/{provider}/cases/new", PROVIDER_ADMIN_WORK),
    "cases.requirements": ("/agencies/{agency}/framework-requirements", AGENCY_ADMIN_ONLY),
    "cases.show": ("/cases/{case}", CASE_READ),
    "cases.self_assessment": ("/cases/{case}/self-assessment", DRAFT_SUBMISSION),
    "cases.coverage": ("/cases/{case}/coverage", DRAFT_SUBMISSION),
    "cases.submit": ("/cases/{case}/submit", DRAFT_SUBMISSION),
    # Who may take which step is the workflow table's decision (tests/test_workflow.py).
    "cases.transition": ("/cases/{case}/transition", CASE_READ),
    # The agency's screening checklist and stage due dates: its staff only; the provider
    # sees the case, so it is refused rather than told nothing exists.
    "cases.screening_page": ("/cases/{case}/screening", AGENCY_CASE_WORK),
    "cases.set_deadline": ("/cases/{case}/deadlines", AGENCY_CASE_WORK),
    "cases.criterion": (
        "/cases/{case}/criteria/{criterion}",
        {"GET": DRAFT_SUBMISSION, "POST": CASE_EDIT},
    ),
    "evidence.index": ("/cases/{case}/evidence", {"GET": DRAFT_SUBMISSION, "POST": CASE_EDIT}),
    "evidence.download": ("/cases/{case}/evidence/{evidence}/download", DRAFT_EVIDENCE_FILE),
    "evidence.link": ("/cases/{case}/criteria/{criterion}/evidence", CASE_EDIT),
    "evidence.unlink": (
        "/cases/{case}/criteria/{criterion}/evidence/{evidence}/unlink",
        CASE_EDIT,
    ),
    # review panels (qaportal.reviews)
    "reviews.panel": ("/cases/{case}/panel", PANEL_MANAGEMENT),
    "reviews.invite": ("/cases/{case}/panel/invite", PANEL_MANAGEMENT),
    "reviews.withdraw": (
        "/cases/{case}/panel/members/{panel_invitation}/withdraw",
        PANEL_MANAGEMENT,
    ),
    "reviews.announce": ("/cases/{case}/panel/announce", PANEL_MANAGEMENT),
    "reviews.resolve": ("/cases/{case}/panel/objections/{objection}/resolve", PANEL_MANAGEMENT),
    "reviews.members": ("/cases/{case}/panel/members", PANEL_MEMBERS),
    "reviews.object_to": ("/cases/{case}/panel/members/{panel_member}/object", PANEL_OBJECTION),
    "reviews.workspace": ("/reviews", signed_in()),
    "reviews.invitation": ("/reviews/invitations/{panel_invitation}", REVIEW_INVITATION),
    "reviews.case_workspace": ("/reviews/cases/{case}", REVIEW_CASE),
    "reviews.findings_index": ("/reviews/cases/{case}/findings", OWN_JUDGEMENTS),
    "reviews.judgement": ("/reviews/cases/{case}/findings/{criterion}", OWN_JUDGEMENTS),
    "reviews.consolidation": ("/reviews/cases/{case}/consolidation", ALL_JUDGEMENTS),
    "reviews.consolidate": ("/reviews/cases/{case}/consolidation/{criterion}", CHAIR_ONLY),
    "reviews.outcome": ("/reviews/cases/{case}/outcome", CHAIR_ONLY),
    "reviews.send_report": ("/reviews/cases/{case}/send", CHAIR_ONLY),
    "reviews.site_visit": (
        "/reviews/cases/{case}/site-visit",
        {"GET": SITE_VISIT_READ, "POST": SITE_VISIT_WRITE},
    ),
    "reviews.report_page": ("/cases/{case}/report", SITE_VISIT_READ),
    "reviews.factual_comments": ("/cases/{case}/report/comments", CHAIR_ONLY),
    "reviews.respond": ("/cases/{case}/report/comments/{factual_comment}/respond", CHAIR_ONLY),
    "reviews.finalise": ("/cases/{case}/report/finalise", CHAIR_ONLY),
    # decisions, appeals, follow-up (qaportal.decisions); the world's case is a draft, so the
    # agency's and provider's actions are refused by state (409) after access is checked.
    "decisions.decision": ("/cases/{case}/decision", DECISION_READ),
    "decisions.record_decision": ("/cases/{case}/decision", AGENCY_DECISION_WORK),
    "decisions.appeal": ("/cases/{case}/decision/appeal", PANEL_OBJECTION),
    "decisions.committee": ("/cases/{case}/decision/committee", AGENCY_DECISION_WORK),
    "decisions.appeal_outcome": ("/cases/{case}/decision/appeal-outcome", AGENCY_DECISION_WORK),
    "decisions.answer_condition": (
        "/cases/{case}/decision/conditions/{condition}/answer",
        PROVIDER_CONDITION_WORK,
    ),
    "decisions.assess_condition": (
        "/cases/{case}/decision/conditions/{condition}/assess",
        AGENCY_DECISION_WORK,
    ),
    "decisions.act": ("/cases/{case}/decision/close", AGENCY_DECISION_WORK),
    "decisions.settings": ("/agencies/{agency}/decision-settings", AGENCY_ADMIN_ONLY),
    "reviews.settings": ("/agencies/{agency}/review-settings", AGENCY_ADMIN_ONLY),
    "decisions.complaints": (
        "/cases/{case}/complaints",
        {"GET": DECISION_READ, "POST": PROVIDER_CONDITION_WORK},
    ),
    "decisions.respond": ("/cases/{case}/complaints/{complaint}/respond", AGENCY_DECISION_WORK),
    # generated documents (qaportal.reporting); the world's document is a self-assessment,
    # which the panel does not read and nobody publishes (refused by kind, 409, after access)
    "reporting.documents": ("/cases/{case}/documents", CASE_READ),
    "reporting.generate": ("/cases/{case}/documents/generate", AGENCY_CASE_WORK),
    "reporting.retry": ("/cases/{case}/documents/jobs/{report_job}/retry", AGENCY_CASE_WORK),
    "reporting.download": (
        "/cases/{case}/documents/{report_document}/download",
        rule([AA, AO, PA, PE], forbidden=[PR], hidden=[RV, X]),
    ),
    "reporting.publish": ("/cases/{case}/documents/{report_document}/publish", AGENCY_CASE_WORK),
    "reporting.withdraw": (
        "/cases/{case}/documents/{report_document}/withdraw",
        AGENCY_CASE_WORK,
    ),
    # the public verification page (no sign-in; rate-limited, tests/test_report_verification.py)
    "reporting.verify": ("/verify", {"GET": public(200), "POST": public(422)}),
    "reporting.verify_code": ("/verify/QAR-0000-0000", public(404)),
    # the public register (no sign-in; nothing is published in the world: a 404 for the
    # provider and decision pages, tests/test_register.py publishes) and the agency's steps
    "register.index": ("/register", public(200)),
    "register.provider": ("/register/providers/{provider}", public(404)),
    "register.decision": ("/register/decisions/0", public(404)),
    "register.report": ("/register/decisions/0/report", public(404)),
    "register.publish": ("/cases/{case}/register/publish", AGENCY_DECISION_WORK),
    "register.withdraw": ("/cases/{case}/register/withdraw", AGENCY_DECISION_WORK),
    # Issue 11 exports: the ELM accreditation of a published decision (public; 404 when
    # unpublished); the agency's DEQAR CSV of its own published reports (its staff).
    "register_exports.accreditation": ("/register/decisions/0/accreditation.jsonld", public(404)),
    "register_exports.deqar_csv": (
        "/agencies/{agency}/register/deqar.csv",
        rule([AA, AO], forbidden=[RV], hidden=[PA, PE, X]),
    ),
    # feedback (provider side)
    "feedback.campaigns": ("/orgs/{provider}/feedback", PROVIDER_STAFF_WORK),
    "feedback.new_campaign": ("/orgs/{provider}/feedback/new", PROVIDER_STAFF_WORK),
    "feedback.trend": ("/orgs/{provider}/feedback/specifications/{spec}", PROVIDER_STAFF_WORK),
    "feedback.campaign": ("/feedback/campaigns/{campaign}", CAMPAIGN),
    "feedback.results_page": ("/feedback/campaigns/{campaign}/results", CAMPAIGN),
    "feedback.export_answers": ("/feedback/campaigns/{campaign}/answers.csv", CAMPAIGN),
    "feedback.export_aggregates": ("/feedback/campaigns/{campaign}/aggregates.csv", CAMPAIGN),
    "feedback.invite": ("/feedback/campaigns/{campaign}/invitations", CAMPAIGN),
    "feedback.codes": ("/feedback/campaigns/{campaign}/codes", CAMPAIGN),
    "feedback.remind": ("/feedback/campaigns/{campaign}/reminders", CAMPAIGN),
    "feedback.close": ("/feedback/campaigns/{campaign}/close", CAMPAIGN),
    "feedback.attach": ("/feedback/campaigns/{campaign}/attach", CAMPAIGN),
    "feedback.attach_status": ("/feedback/campaigns/{campaign}/attach/{job}", CAMPAIGN),
    "feedback.attach_retry": ("/feedback/campaigns/{campaign}/attach/{job}/retry", CAMPAIGN),
    "feedback.settings": ("/agencies/{agency}/feedback-settings", AGENCY_ADMIN_ONLY),
    # feedback (respondents, no account)
    "feedback.redeem": ("/f/{token}", public(303)),
    "feedback.survey": ("/f", public(200)),
    "feedback.submit": ("/f", public(400)),
    "feedback.enter_code": ("/f/code", public(422)),
    "feedback.thanks": ("/f/thanks", public(200)),
}


def observe_mode() -> bool:
    return os.environ.get("QAPORTAL_ACCESS_OBSERVE") == "1"


# ----- running ----------------------------------------------------------------------------


def _client(app: Flask, world: World, persona: str) -> Any:
    client = app.test_client()
    email = PERSONAS[persona]
    if email:
        page = client.get("/login")
        match = CSRF_RE.search(page.get_data(as_text=True))
        assert match, f"no sign-in form for {persona}: {page.status_code} {page.location}"
        token = match.group(1)
        response = client.post(
            "/login", data={"csrf_token": token, "email": email, "password": world.password}
        )
        assert response.status_code == 302, f"{persona} could not sign in"
    return client


def _request(client: Any, method: str, url: str) -> Any:
    if method == "GET":
        response = client.get(url)
    else:
        page = client.get("/dashboard", follow_redirects=True).get_data(as_text=True)
        token = CSRF_RE.search(page).group(1)
        response = client.open(url, method=method, data={"csrf_token": token})
    # A streamed response keeps its request context until it is read and closed.
    response.get_data()
    response.close()
    return response


def _outcome(response: Any) -> Any:
    status = response.status_code
    location = response.headers.get("Location", "")
    # Flask-Login sends the unauthenticated to sign in with a next= back to the page
    # (signing out also ends on the sign-in page, but without one).
    if status in (301, 302, 303) and "/login" in location and "next=" in location:
        return "login"
    if status in (401, 403, 404, 405) or status >= 500:
        return status
    return "ok"


def _routes(app: Flask) -> dict[str, list[str]]:
    routes: dict[str, list[str]] = {}
    for rule_ in app.url_map.iter_rules():
        if rule_.endpoint == "static":
            continue
        methods = sorted(rule_.methods - {"HEAD", "OPTIONS"})
        routes.setdefault(rule_.endpoint, []).extend(methods)
    return routes


def test_every_route_is_in_the_matrix(app: Flask) -> None:
    missing = sorted(set(_routes(app)) - set(MATRIX))
    stale = sorted(set(MATRIX) - set(_routes(app)))
    assert not missing, f"routes missing from the access matrix: {missing}"
    assert not stale, f"matrix entries without a route: {stale}"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    # Hundreds of sign-ins from one address: the rate limits are tested elsewhere.
    return {**app_config, "RATELIMIT_ENABLED": False}


@pytest.fixture
def world(app: Flask) -> World:
    return build_world(app)


def _url(template: str, world: World) -> str:
    return template.format(token="0" * 43, **world.ids)


def _check(app: Flask, world: World, method: str, template: str, expected: dict[str, Any]) -> None:
    """Denied personas first, on the shared world. A persona allowed to change state gets a
    world of its own, so that one persona's change cannot decide another's answer."""
    results = {}
    for persona in ALL:
        if method == "GET" or expected[persona] != "ok":
            response = _request(_client(app, world, persona), method, _url(template, world))
            results[persona] = (_outcome(response), response.status_code)
    for persona in ALL:
        if method != "GET" and expected[persona] == "ok":
            fresh = build_world(app, reset=True)
            response = _request(_client(app, fresh, persona), method, _url(template, fresh))
            results[persona] = (_outcome(response), response.status_code)
    for persona, want in expected.items():
        got, status = results[persona]
        where = f"{method} {_url(template, world)} as {persona}"
        if isinstance(want, str) and want.startswith("same"):
            assert got not in (403, 405, "login") and status < 500, f"{where}: {status}"
            assert status == results["anonymous"][1], f"{where}: public route answers differ"
            if ":" in want:
                assert status == int(want.split(":")[1]), f"{where}: {status}"
        else:
            assert got == want, f"{where}: expected {want}, got {status}"


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_route_access(app: Flask, world: World, endpoint: str) -> None:
    template, expectations = MATRIX[endpoint]
    for method in _routes(app)[endpoint]:
        # Either one set of expectations for every method, or one per method.
        _check(app, world, method, template, expectations.get(method, expectations))


# Once submitted, the agency and the seated panel read what the provider wrote; nobody else
# gains anything (the reviewer who has not declared still gets 404).
SUBMITTED_READS = {
    "cases.self_assessment": rule([AA, AO, PA, PE, PR], hidden=[RV, X]),
    "cases.coverage": rule([AA, AO, PA, PE, PR], hidden=[RV, X]),
    "cases.submit": rule([AA, AO, PA, PE, PR], hidden=[RV, X]),
    "cases.criterion": rule([AA, AO, PA, PE, PR], hidden=[RV, X]),
    "evidence.index": rule([AA, AO, PA, PE, PR], hidden=[RV, X]),
    "evidence.download": rule([AA, AO, PA, PE, PR], hidden=[RV, X]),
}


def test_agency_reads_the_self_assessment_once_submitted(app: Flask, world: World) -> None:
    mark_case_submitted(app, world)
    for endpoint, expected in SUBMITTED_READS.items():
        _check(app, world, "GET", MATRIX[endpoint][0], expected)


# At factual check the provider's staff read the draft report and comment on it; the rest
# is unchanged (individual judgements stay hidden from the provider).
AT_FACTUAL_CHECK = {
    "reviews.report_page": ("GET", rule([AA, AO, PA, PE, PR], hidden=[RV, X])),
    "reviews.factual_comments": ("POST", rule([PA, PE], forbidden=[AA, AO, PR], hidden=[RV, X])),
    "reviews.consolidation": ("GET", ALL_JUDGEMENTS),
    "reviews.judgement": ("GET", OWN_JUDGEMENTS),
}


def test_provider_reads_the_draft_report_at_factual_check(app: Flask, world: World) -> None:
    from qaportal.cases.models import Case, CaseState
    from qaportal.db import get_session

    def at_factual_check(w: World) -> None:
        with app.app_context():
            db = get_session()
            db.get(Case, w.ids["case"]).state = CaseState.FACTUAL_CHECK
            db.commit()

    at_factual_check(world)
    for endpoint, (method, expected) in AT_FACTUAL_CHECK.items():
        template = MATRIX[endpoint][0]
        results = {}
        for persona in ALL:
            w = world
            if method != "GET" and expected[persona] == "ok":
                w = build_world(app, reset=True)
                at_factual_check(w)
            response = _request(_client(app, w, persona), method, _url(template, w))
            results[persona] = _outcome(response)
        assert results == expected, endpoint


def test_observe(app: Flask, world: World) -> None:
    """QAPORTAL_ACCESS_OBSERVE=1 prints what every persona gets on every route."""
    if not observe_mode():
        pytest.skip("set QAPORTAL_ACCESS_OBSERVE=1 to print the observed matrix")
    for endpoint, methods in sorted(_routes(app).items()):
        url = MATRIX[endpoint][0].format(token="0" * 43, **world.ids)
        for method in methods:
            row = []
            for persona in ALL:
                try:
                    response = _request(_client(app, world, persona), method, url)
                except AssertionError:
                    row.append(f"{persona}=nologin")
                    continue
                row.append(f"{persona}={response.status_code}")
            print(f"{endpoint:40} {method:5} {url:60} {' '.join(row)}")
