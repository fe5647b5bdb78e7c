"""Learner and peer feedback: questionnaires, campaigns, invitations, answering, anonymity."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from io import BytesIO
from pathlib import Path

import jsonschema
import pytest
import yaml
from sqlalchemy import func, inspect, select

from qaportal.audit.models import AuditEvent
from qaportal.auth.tokens import hash_token
from qaportal.db import get_session, utcnow
from qaportal.feedback import questionnaire as qn
from qaportal.feedback import services
from qaportal.feedback.models import (
    Campaign,
    FeedbackAnswer,
    FeedbackInvitation,
    FeedbackKind,
    FeedbackResponse,
)
from qaportal.models import Base
from qaportal.notifications.models import OutboxMessage
from qaportal.paths import FORMS_DIR
from tests.conftest import login, post_form
from tests.feedback_support import (
    AGENCY_ADMIN,
    AGENCY_OFFICER,
    CODE_RE,
    LINK_RE,
    NVTC_ADMIN,
    REVIEWER,
    UDV_ADMIN,
    UDV_EDITOR,
    answer_directly,
    count_responses,
    csrf_of,
    likert,
    make_campaign,
    make_codes,
    make_specification,
    open_survey,
    provider,
    set_closes_at,
    used_invitations,
)

QUESTIONNAIRES = sorted((Path(FORMS_DIR) / "questionnaires").glob("*.yaml"))


# ----- questionnaires as data ----------------------------------------------------------------


def test_questionnaire_files_validate_against_the_forms_schema():
    schema = json.loads((Path(FORMS_DIR) / "schema" / "definition.schema.json").read_text())
    assert {p.stem for p in QUESTIONNAIRES} >= {"learner-feedback", "peer-feedback"}
    for path in QUESTIONNAIRES:
        data = yaml.safe_load(path.read_text())
        errors = list(jsonschema.Draft202012Validator(schema).iter_errors(data))
        assert errors == [], (path, [e.message for e in errors])
        parsed = qn.parse(data)
        assert parsed.likert_items and any(i.is_text for i in parsed.items)


def test_forms_check_command_accepts_the_questionnaires(app):
    runner = app.test_cli_runner()
    if "forms" not in app.cli.list_commands(None):
        pytest.skip("the `qaportal forms` command is not there yet")
    result = runner.invoke(args=["forms", "check"])
    assert result.exit_code == 0, result.output
    assert "ok  forms/questionnaires/learner-feedback.yaml" in result.output
    assert "ok  forms/questionnaires/peer-feedback.yaml" in result.output


def _read(code: str) -> qn.Questionnaire:
    path = Path(FORMS_DIR) / "questionnaires" / f"{code}.yaml"
    return qn.parse(yaml.safe_load(path.read_text()))


def test_learner_questionnaire_covers_the_required_topics():
    learner = _read("learner-feedback")
    codes = {i.code for i in learner.items}
    for needed in (
        "outcomes_clear",
        "workload_match",
        "assessment_valid",
        "assessment_fair",
        "relevance_work",
        "teaching_quality",
        "materials_quality",
        "support",
        "accessibility",
        "overall_satisfaction",
    ):
        assert needed in codes
    assert {i.type for i in learner.items} == {qn.LIKERT, qn.SINGLE, qn.MULTIPLE, qn.TEXT}
    peer = _read("peer-feedback")
    peer_type = peer.item("peer_type")
    assert peer_type is not None and peer_type.breakdown
    assert peer_type.option_codes == {"provider", "employer", "social_partner", "other"}


def test_campaign_keeps_the_questionnaire_version_it_started_with(app, demo):
    spec = make_specification(app, "Data literacy")
    campaign_id = make_campaign(app, [spec])
    answer_directly(app, campaign_id, [likert(outcomes_clear=4)])
    with app.app_context():
        db = get_session()
        campaign = db.get(Campaign, campaign_id)
        assert campaign.questionnaire_version.framework.kind.value == "questionnaire"
        response = db.execute(select(FeedbackResponse)).scalar_one()
        assert response.questionnaire_version_id == campaign.questionnaire_version_id


# ----- campaigns -------------------------------------------------------------------------------


def _provider_id(app) -> int:
    with app.app_context():
        return provider().id


def _campaign_form(spec_id: int, **overrides: str) -> dict[str, str]:
    today = utcnow().date()
    data = {
        "kind": "learner",
        "title": "Data literacy, spring cohort",
        "specifications": str(spec_id),
        "opens_on": today.isoformat(),
        "closes_on": (today + dt.timedelta(days=14)).isoformat(),
    }
    data.update(overrides)
    return data


def test_provider_staff_open_a_campaign(app, client, demo):
    spec = make_specification(app, "Data literacy")
    login(client, UDV_EDITOR, demo.password)
    org_id = _provider_id(app)
    response = post_form(client, f"/orgs/{org_id}/feedback/new", _campaign_form(spec))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with app.app_context():
        db = get_session()
        campaign = db.execute(select(Campaign)).scalar_one()
        assert campaign.title == "Data literacy, spring cohort"
        assert campaign.specification_ids == [spec]
        assert campaign.status().value == "open"
        actions = db.execute(select(AuditEvent.action)).scalars().all()
        assert "feedback.campaign_created" in actions
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Data literacy" in page
    assert client.get(f"/orgs/{org_id}/feedback").status_code == 200


def test_campaign_with_impossible_dates_is_refused(app, client, demo):
    spec = make_specification(app, "Data literacy")
    login(client, UDV_ADMIN, demo.password)
    org_id = _provider_id(app)
    today = utcnow().date()
    response = post_form(
        client,
        f"/orgs/{org_id}/feedback/new",
        _campaign_form(
            spec,
            opens_on=today.isoformat(),
            closes_on=(today - dt.timedelta(days=3)).isoformat(),
        ),
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "The closing date must not be before the opening date." in body
    other = make_specification(app, "Welding basics", "Nordic Vocational Training Centre")
    response = post_form(client, f"/orgs/{org_id}/feedback/new", _campaign_form(other))
    assert response.status_code == 200
    with app.app_context():
        assert get_session().execute(select(func.count()).select_from(Campaign)).scalar_one() == 0


# ----- invitations by email ------------------------------------------------------------------


def _upload(client, campaign_id: int, content: bytes) -> object:
    return post_form(
        client,
        f"/feedback/campaigns/{campaign_id}/invitations",
        {"file": (BytesIO(content), "addresses.csv")},
        content_type="multipart/form-data",
    )


def _outbox(app) -> list[OutboxMessage]:
    with app.app_context():
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        return list(get_session().execute(query).scalars())


def test_address_file_with_bad_rows_names_them_and_sends_nothing(app, client, demo):
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    login(client, UDV_ADMIN, demo.password)
    before = len(_outbox(app))
    content = (
        b"name,email\n"
        b"Ann,ann@example.org\n"
        b"Bob,not-an-address\n"
        b"Cy,\n"
        b"Dee,ANN@example.org\n"
        b"Eve,eve@example.org\n"
    )
    response = _upload(client, campaign_id, content)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Nothing was sent" in page
    assert "<td>3</td><td>not-an-address</td>" in page
    assert "<td>4</td><td></td><td>The address is missing.</td>" in page
    assert "The address is also on row 2." in page
    assert len(_outbox(app)) == before
    with app.app_context():
        count = select(func.count()).select_from(FeedbackInvitation)
        assert get_session().execute(count).scalar_one() == 0

    for bad, message in (
        (b"\xff\xfe\x00bad", "not UTF-8"),
        (b"name,phone\nAnn,123\n", "header"),
        (b"\n\n", "no addresses"),
    ):
        response = _upload(client, campaign_id, bad)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    assert len(_outbox(app)) == before

    fixed = b"email\nann@example.org\neve@example.org\n"
    response = _upload(client, campaign_id, fixed)
    assert response.status_code == 302
    messages = _outbox(app)[before:]
    assert sorted(m.to_address for m in messages) == ["ann@example.org", "eve@example.org"]
    tokens = [LINK_RE.search(m.body_text).group(1) for m in messages]
    with app.app_context():
        stored = get_session().execute(select(FeedbackInvitation)).scalars().all()
        hashes = {i.token_hash for i in stored}
        assert hashes == {hash_token(t) for t in tokens}
        for invitation in stored:  # only the hash is kept
            for column in inspect(FeedbackInvitation).columns:
                assert getattr(invitation, column.key) not in tokens
    # an address invited before is refused the second time, with its row
    response = _upload(client, campaign_id, b"email\nzed@example.org\nann@example.org\n")
    assert response.status_code == 422
    assert "This address was already invited." in response.get_data(as_text=True)
    assert len(_outbox(app)) == before + 2


def test_tokens_are_long_random_and_single_use(app, client, demo):
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    tokens = make_codes(app, campaign_id, 3)
    assert len(set(tokens)) == 3
    for token in tokens:
        assert len(token) == services.CODE_LENGTH  # printed codes: 84.6 bits
    assert len(services.new_token()) * 5 >= 128  # emailed links


# ----- printable codes ------------------------------------------------------------------------


def test_printable_codes_page_shows_codes_once_and_they_work(app, client, demo):
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    login(client, UDV_ADMIN, demo.password)
    response = post_form(client, f"/feedback/campaigns/{campaign_id}/codes", {"count": "4"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    codes = [c.replace("<wbr>", "") for c in CODE_RE.findall(page)]
    assert len(codes) == 4
    assert "<script" not in page
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    # typed by hand: lower case, with spaces instead of dashes
    respondent = app.test_client()
    entry = respondent.get("/f")
    assert "Your code" in entry.get_data(as_text=True)
    typed = codes[0].lower().replace("-", " ")
    response = respondent.post("/f/code", data={"csrf_token": csrf_of(entry), "code": typed})
    assert response.status_code == 303
    survey = respondent.get("/f")
    assert survey.status_code == 200
    assert "Spring cohort" in survey.get_data(as_text=True)
    refused = post_form(client, f"/feedback/campaigns/{campaign_id}/codes", {"count": "0"})
    assert refused.status_code == 422


# ----- answering ------------------------------------------------------------------------------


def _submit(client, page, **answers: object):
    data: dict[str, object] = {"csrf_token": csrf_of(page)}
    data.update(answers)
    return client.post("/f", data=data)


def test_link_is_exchanged_and_leaves_the_address_bar(app, demo):
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    (token,) = make_codes(app, campaign_id, 1)
    client = app.test_client()
    response = client.get(f"/f/{token}")
    assert response.status_code == 303
    assert response.headers["Location"] == "/f"
    assert token not in response.headers["Location"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    page = client.get("/f")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert token not in body
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "The learning outcomes were stated clearly before I started." in body
    assert 'type="radio"' in body and "<textarea" in body and 'type="checkbox"' in body


def test_answers_are_stored_once_and_anonymously(app, demo):
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    (token,) = make_codes(app, campaign_id, 1)
    client = app.test_client()
    page = open_survey(client, token)
    with app.app_context():
        audit_count = select(func.count()).select_from(AuditEvent)
        audit_before = get_session().execute(audit_count).scalar_one()
    response = _submit(
        client,
        page,
        q_outcomes_clear="5",
        q_support="2",
        q_workload_compared="more",
        q_purpose=["current_job", "further_study"],
        q_comments_best="The projects.",
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    assert response.headers["Location"].endswith("/f/thanks")
    assert "Thank you" in client.get("/f/thanks").get_data(as_text=True)
    assert count_responses(app, campaign_id) == 1
    assert used_invitations(app, campaign_id) == 1
    with app.app_context():
        db = get_session()
        response_row = db.execute(select(FeedbackResponse)).scalar_one()
        assert uuid.UUID(response_row.id).version == 4
        assert type(response_row.submitted_on) is dt.date
        answers = {
            (a.item_code, a.choice): (a.value, a.text)
            for a in db.execute(select(FeedbackAnswer)).scalars()
        }
        assert answers == {
            ("outcomes_clear", ""): (5, None),
            ("support", ""): (2, None),
            ("workload_compared", "more"): (None, None),
            ("purpose", "current_job"): (None, None),
            ("purpose", "further_study"): (None, None),
            ("comments_best", ""): (None, "The projects."),
        }
        # nothing about the respondent went into the audit trail
        assert db.execute(audit_count).scalar_one() == audit_before


def test_double_submission_stores_exactly_one_response(app, demo):
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    (token,) = make_codes(app, campaign_id, 1)
    client = app.test_client()
    page = open_survey(client, token)
    csrf = csrf_of(page)
    saved_cookie = client.get_cookie("qaportal_session").value
    first = client.post("/f", data={"csrf_token": csrf, "q_outcomes_clear": "4"})
    assert first.status_code == 303
    # second tab / back button: the pass is gone from the session
    second = client.post("/f", data={"csrf_token": csrf, "q_outcomes_clear": "1"})
    assert second.status_code == 400
    assert "Your survey session has ended" in second.get_data(as_text=True)
    # replayed request, with the cookie as it was before the first submission
    client.set_cookie("qaportal_session", saved_cookie)
    replay = client.post("/f", data={"csrf_token": csrf, "q_outcomes_clear": "1"})
    assert replay.status_code == 410
    assert "already been used" in replay.get_data(as_text=True)
    # the link itself is now used up
    again = app.test_client()
    again.get(f"/f/{token}")
    assert again.get("/f").status_code == 410
    assert count_responses(app, campaign_id) == 1


def test_concurrent_use_of_one_invitation_stores_one_response(app, demo):
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    (token,) = make_codes(app, campaign_id, 1)
    with app.app_context():
        invitation_id = services.redeem(get_session(), token).id
    engine = app.extensions["qaportal.engine"]
    from sqlalchemy.orm import Session

    with Session(engine) as first, Session(engine) as second:
        # both requests found it unused…
        seen_first = services.usable_invitation(first, invitation_id, campaign_id)
        seen_second = services.usable_invitation(second, invitation_id, campaign_id)
        services.submit_response(first, seen_first, likert(outcomes_clear=3))
        first.commit()
        with pytest.raises(services.LinkProblem) as problem:  # …only one may use it
            services.submit_response(second, seen_second, likert(outcomes_clear=5))
        assert problem.value.reason == "used"
        second.rollback()
    assert count_responses(app, campaign_id) == 1


def test_unknown_used_closed_and_future_links_get_friendly_pages(app, demo):
    spec = make_specification(app, "Data literacy")
    campaign_id = make_campaign(app, [spec])
    used, closing = make_codes(app, campaign_id, 2)
    answer_directly(app, campaign_id, [likert(support=3)])  # uses a third code
    client = app.test_client()

    client.get("/f/" + "A" * 32)
    page = client.get("/f")
    assert page.status_code == 404
    assert "We do not recognise this link" in page.get_data(as_text=True)

    client.get("/f/not-even-a-token")
    assert client.get("/f").status_code == 404

    with app.app_context():
        db = get_session()
        invitation = services.redeem(db, used)
        services.submit_response(db, invitation, likert(support=4))
        db.commit()
    client.get(f"/f/{used}")
    page = client.get("/f")
    assert page.status_code == 410
    assert "already been used" in page.get_data(as_text=True)

    set_closes_at(app, campaign_id, utcnow() - dt.timedelta(minutes=1))
    client.get(f"/f/{closing}")
    page = client.get("/f")
    assert page.status_code == 410
    assert "This survey has closed" in page.get_data(as_text=True)

    future = make_campaign(app, [spec], opens_on=utcnow().date() + dt.timedelta(days=5))
    (token,) = make_codes(app, future, 1)
    client.get(f"/f/{token}")
    page = client.get("/f")
    assert "has not opened yet" in page.get_data(as_text=True)
    assert token not in page.get_data(as_text=True)


def test_answer_out_of_range_or_for_unknown_item_is_refused(app, demo):
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    (token,) = make_codes(app, campaign_id, 1)
    client = app.test_client()
    page = open_survey(client, token)
    response = _submit(client, page, q_outcomes_clear="9", q_support="4")
    assert response.status_code == 422
    assert "Choose one of the answers offered." in response.get_data(as_text=True)
    response = _submit(client, page, q_outcomes_clear="4", q_made_up_item="5")
    assert response.status_code == 422
    assert "questions this survey does not have (made_up_item)" in response.get_data(as_text=True)
    response = _submit(client, page, q_purpose=["current_job", "bribery"])
    assert response.status_code == 422
    assert count_responses(app, campaign_id) == 0
    assert used_invitations(app, campaign_id) == 0
    # and the service refuses the same on its own
    with app.app_context():
        campaign = services.load_campaign(get_session(), campaign_id)
        questionnaire = qn.for_version(campaign.questionnaire_version)
        for bad in (likert(outcomes_clear=0), likert(no_such_item=3)):
            with pytest.raises(services.SubmissionError):
                services.check_answers(questionnaire, campaign.specification_ids, bad)
    response = _submit(client, page, q_outcomes_clear="4")
    assert response.status_code == 303
    assert count_responses(app, campaign_id) == 1


def test_overlong_comment_is_refused_and_other_answers_kept(app, demo):
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    (token,) = make_codes(app, campaign_id, 1)
    client = app.test_client()
    page = open_survey(client, token)
    response = _submit(
        client,
        page,
        q_outcomes_clear="2",
        q_workload_compared="less",
        q_comments_best="Fine.",
        q_comments_improve="x" * 2001,
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "longer than 2000 characters" in body
    assert '<input checked id="q_outcomes_clear-1"' in body  # the answer "2" is kept
    assert '<input checked id="q_workload_compared-1"' in body
    assert "Fine.</textarea>" in body
    assert count_responses(app, campaign_id) == 0
    response = _submit(client, page, q_outcomes_clear="2", q_comments_improve="x" * 2000)
    assert response.status_code == 303


# ----- anonymity --------------------------------------------------------------------------------


def test_no_column_links_a_response_to_an_invitation():
    responses = Base.metadata.tables["feedback_responses"]
    answers = Base.metadata.tables["feedback_answers"]
    invitations = Base.metadata.tables["feedback_invitations"]
    assert set(responses.c.keys()) == {
        "id",
        "campaign_id",
        "questionnaire_version_id",
        "specification_id",
        "submitted_on",
    }
    assert str(responses.c.submitted_on.type) == "DATE"  # a day, no time
    assert str(responses.c.id.type).startswith("VARCHAR")  # a random UUID, not a sequence
    for table in (responses, answers):
        assert all(fk.column.table is not invitations for fk in table.foreign_keys)
        assert not any("invitation" in c or "token" in c or "email" in c for c in table.c.keys())  # noqa: SIM118
    assert all(fk.column.table not in (responses, answers) for fk in invitations.foreign_keys)
    # the invitation knows only *that* it was used, not when
    assert "used" in invitations.c and not any(
        c.startswith("used_") or c.startswith("response")
        for c in invitations.c.keys()  # noqa: SIM118
    )
    assert "id" not in answers.c  # no autoincrement id in insertion order


def test_closing_deletes_invitations_and_addresses(app, client, demo):
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    login(client, UDV_ADMIN, demo.password)
    assert _upload(client, campaign_id, b"email\nann@example.org\n").status_code == 302
    page = f"/feedback/campaigns/{campaign_id}"
    response = post_form(client, f"{page}/close", {}, token_from=page)
    assert response.status_code == 302
    with app.app_context():
        db = get_session()
        # the invitations (addresses and all) are gone; only their counts stay
        assert db.execute(select(FeedbackInvitation)).first() is None
        campaign = db.get(Campaign, campaign_id)
        assert campaign.status().value == "closed"
        assert (campaign.invited_by_email, campaign.invitations_used) == (1, 0)
        assert "feedback.campaign_closed" in db.execute(select(AuditEvent.action)).scalars().all()
    page = client.get(f"/feedback/campaigns/{campaign_id}").get_data(as_text=True)
    assert "Invited by email</th><td>1</td>" in page


def test_sweep_command_deletes_invitations_of_campaigns_closed_by_date(app, client, demo):
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    login(client, UDV_ADMIN, demo.password)
    assert _upload(client, campaign_id, b"email\nann@example.org\n").status_code == 302
    set_closes_at(app, campaign_id, utcnow() - dt.timedelta(hours=1))
    result = app.test_cli_runner().invoke(args=["feedback", "sweep"])
    assert result.exit_code == 0, result.output
    assert "1 closed campaigns swept" in result.output
    with app.app_context():
        assert get_session().execute(select(FeedbackInvitation)).first() is None


# ----- reminders --------------------------------------------------------------------------------


def test_reminders_go_only_to_those_who_have_not_answered(app, client, demo):
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    login(client, UDV_ADMIN, demo.password)
    response = _upload(client, campaign_id, b"email\nann@example.org\nbob@example.org\n")
    assert response.status_code == 302
    first = {m.to_address: LINK_RE.search(m.body_text).group(1) for m in _outbox(app)}
    respondent = app.test_client()
    page = open_survey(respondent, first["ann@example.org"])
    assert _submit(respondent, page, q_support="5").status_code == 303

    # too soon: nobody is reminded
    url = f"/feedback/campaigns/{campaign_id}/reminders"
    post_form(client, url, {}, token_from=f"/feedback/campaigns/{campaign_id}")
    assert len(_outbox(app)) == 2
    with app.app_context():
        db = get_session()
        for invitation in db.execute(select(FeedbackInvitation)).scalars():
            invitation.last_sent_at = utcnow() - dt.timedelta(days=4)
        db.commit()
    response = post_form(client, url, {}, token_from=f"/feedback/campaigns/{campaign_id}")
    assert response.status_code == 302
    messages = _outbox(app)
    assert len(messages) == 3
    assert messages[-1].to_address == "bob@example.org"
    assert "Reminder" in messages[-1].subject
    new_token = LINK_RE.search(messages[-1].body_text).group(1)
    # the reminder's link replaces the old one
    old = app.test_client()
    old.get(f"/f/{first['bob@example.org']}")
    assert old.get("/f").status_code == 404
    assert open_survey(app.test_client(), new_token).status_code == 200
    with app.app_context():
        actions = get_session().execute(select(AuditEvent.action)).scalars().all()
        assert "feedback.reminders_sent" in actions


def test_remind_command(app, client, demo):
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    login(client, UDV_ADMIN, demo.password)
    assert _upload(client, campaign_id, b"email\nann@example.org\n").status_code == 302
    result = app.test_cli_runner().invoke(args=["feedback", "remind", "--interval-days", "0"])
    assert result.exit_code == 0, result.output
    assert "1 reminders queued" in result.output
    assert len(_outbox(app)) == 2


# ----- access -------------------------------------------------------------------------------------


def _staff_urls(campaign_id: int, org_id: int, spec_id: int) -> list[tuple[str, str]]:
    c = f"/feedback/campaigns/{campaign_id}"
    return [
        ("GET", f"/orgs/{org_id}/feedback"),
        ("GET", f"/orgs/{org_id}/feedback/new"),
        ("GET", f"/orgs/{org_id}/feedback/specifications/{spec_id}"),
        ("GET", c),
        ("POST", f"{c}/close"),
        ("GET", f"{c}/invitations"),
        ("POST", f"{c}/reminders"),
        ("GET", f"{c}/codes"),
        ("GET", f"{c}/results"),
        ("GET", f"{c}/answers.csv"),
        ("GET", f"{c}/aggregates.csv"),
        ("GET", f"{c}/attach"),
    ]


def _status(client, method: str, url: str) -> int:
    if method == "GET":
        return client.get(url).status_code
    return post_form(client, url, {}, token_from="/dashboard").status_code


@pytest.mark.parametrize(
    ("email", "org_level", "campaign_level"),
    [
        (UDV_ADMIN, {200}, {200, 302}),
        (UDV_EDITOR, {200}, {200, 302}),
        (NVTC_ADMIN, {404}, {404}),  # another provider: nothing exists
        (AGENCY_ADMIN, {403}, {404}),  # the agency sees the provider, not its campaigns
        (AGENCY_OFFICER, {403}, {404}),
        (REVIEWER, {404}, {404}),
    ],
)
def test_access_matrix_of_staff_routes(app, demo, email, org_level, campaign_level):
    spec = make_specification(app, "Data literacy")
    campaign_id = make_campaign(app, [spec])
    org_id = _provider_id(app)
    client = app.test_client()
    for method, url in _staff_urls(campaign_id, org_id, spec):
        if method == "GET":
            assert client.get(url).status_code in (302,), url  # anonymous: sign in first
    login(client, email, demo.password)
    for method, url in _staff_urls(campaign_id, org_id, spec):
        status = _status(client, method, url)
        expected = org_level if url.startswith("/orgs/") else campaign_level
        assert status in expected, (email, method, url, status)


def test_agency_settings_access_and_validation(app, demo):
    with app.app_context():
        agency_id = provider().managing_agency_id
    url = f"/agencies/{agency_id}/feedback-settings"
    anonymous = app.test_client()
    assert anonymous.get(url).status_code == 302
    for email, expected in ((AGENCY_OFFICER, 403), (UDV_ADMIN, 404), (REVIEWER, 403)):
        client = app.test_client()
        login(client, email, demo.password)
        assert client.get(url).status_code == expected, email
    client = app.test_client()
    login(client, AGENCY_ADMIN, demo.password)
    assert client.get(url).status_code == 200
    response = post_form(client, url, {"min_responses": "1"})
    assert response.status_code == 422
    assert post_form(client, url, {"min_responses": "7"}).status_code == 302
    with app.app_context():
        assert services.threshold_for(get_session(), agency_id, 5) == 7


def test_respondents_reach_the_survey_only_with_a_token(app, demo):
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    client = app.test_client()
    page = client.get("/f")
    assert page.status_code == 200
    assert "Your code" in page.get_data(as_text=True)
    assert "Send my answers" not in page.get_data(as_text=True)
    response = client.post("/f", data={"csrf_token": csrf_of(page), "q_support": "5"})
    assert response.status_code == 400
    assert client.get("/f/thanks").status_code == 200
    assert count_responses(app, campaign_id) == 0
    # a forged CSRF token changes nothing either
    (token,) = make_codes(app, campaign_id, 1)
    open_survey(client, token)
    assert client.post("/f", data={"csrf_token": "forged", "q_support": "5"}).status_code == 400
    assert count_responses(app, campaign_id) == 0


def test_provider_dashboard_links_to_feedback(app, client, demo):
    login(client, UDV_ADMIN, demo.password)
    assert "/feedback" in client.get("/dashboard").get_data(as_text=True)


def test_kind_enum_values():
    assert {k.value for k in FeedbackKind} == {"learner", "peer"}


@pytest.mark.postgres
def test_row_versions_point_to_a_crowd_of_invitations(app, demo):
    """PostgreSQL stamps every row a transaction writes with its id (xmin): the response and
    the invitation it used share one. Decoy re-writes make that a crowd, not a pointer."""
    from sqlalchemy import text

    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    answer_directly(app, campaign_id, [likert(support=3) for _ in range(12)])
    with app.app_context():
        db = get_session()
        crowds = db.execute(
            text(
                "SELECT r.id, count(i.id) FROM feedback_responses r "
                "LEFT JOIN feedback_invitations i ON i.xmin = r.xmin "
                "GROUP BY r.id"
            )
        ).all()
        assert len(crowds) == 12
        # the latest responses share their transaction with several used invitations
        assert max(n for _rid, n in crowds) > 1
        assert sum(1 for _rid, n in crowds if n == 1) < 12
        # after closing, no invitation shares a row version with any response
        campaign = db.get(Campaign, campaign_id)
        services.close_campaign(db, campaign, services_actor())
        db.commit()
        linked = db.execute(
            text(
                "SELECT count(*) FROM feedback_responses r "
                "JOIN feedback_invitations i ON i.xmin = r.xmin"
            )
        ).scalar_one()
        assert linked == 0


def services_actor():
    from qaportal.audit.services import Actor

    return Actor.system("test")


def test_decoys_are_other_used_invitations_of_the_campaign_spread_at_random(app, demo):
    """Each submission re-writes up to DECOY_TOUCHES *other used* invitations of its own
    campaign (never an unused one, never another campaign's), drawn across all of them."""
    from sqlalchemy import text

    from qaportal.feedback.models import DECOY_TOUCHES, FeedbackInvitation

    spec = make_specification(app, "Data literacy")
    campaign_id, other_id = make_campaign(app, [spec]), make_campaign(app, [spec], title="B")
    answer_directly(app, campaign_id, [likert(support=3) for _ in range(30)])
    answer_directly(app, other_id, [likert(support=4) for _ in range(10)])
    make_codes(app, campaign_id, 10)  # unused invitations, interleaved in the id range
    with app.app_context():
        db = get_session()
        rows = db.execute(
            select(FeedbackInvitation.id, FeedbackInvitation.campaign_id, FeedbackInvitation.used)
        ).all()
        used = {i for i, c, u in rows if c == campaign_id and u}
        own = next(i for i, c, u in rows if c == campaign_id and not u)
        # the statement only re-writes rows; a trigger records which ones it wrote
        db.execute(text("CREATE TEMP TABLE touched (id INTEGER, was_used BOOLEAN)"))
        if db.get_bind().dialect.name == "sqlite":
            db.execute(
                text(
                    "CREATE TEMP TRIGGER record_touch AFTER UPDATE ON feedback_invitations "
                    "BEGIN INSERT INTO touched VALUES (old.id, old.used); END"
                )
            )
        else:
            db.execute(
                text(
                    "CREATE FUNCTION pg_temp.record_touch() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN INSERT INTO touched VALUES (OLD.id, OLD.used); RETURN NEW; END $$"
                )
            )
            db.execute(
                text(
                    "CREATE TRIGGER record_touch AFTER UPDATE ON feedback_invitations "
                    "FOR EACH ROW EXECUTE FUNCTION pg_temp.record_touch()"
                )
            )
        seen: set[int] = set()
        for _ in range(40):
            db.execute(text("DELETE FROM touched"))
            count = services._touch_decoys(db, campaign_id, own)
            touched = db.execute(text("SELECT id, was_used FROM touched")).all()
            assert 0 < count <= DECOY_TOUCHES and len(touched) == count
            assert all(was_used for _id, was_used in touched)
            ids = {i for i, _u in touched}
            assert ids <= used and own not in ids
            seen |= ids
        db.rollback()
    # 40 draws of up to 8 among 30: far more than the lowest few are ever picked
    assert len(seen) >= 20
