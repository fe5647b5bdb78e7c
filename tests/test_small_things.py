"""Smaller things a user noticed: the questionnaire version in answers.csv, attributes
rendered as "None", Markdown on the coverage page, an empty survey answer, and WTForms'
deprecations treated as errors."""

from __future__ import annotations

import csv
import io
import re
import warnings

import pytest
from sqlalchemy import select
from wtforms import Form, SelectField

from qaportal.db import get_session
from qaportal.feedback.models import Campaign
from qaportal.orgs.models import Organisation
from tests.casekit import criterion_def, lock_version, make_world
from tests.conftest import login, post_form
from tests.feedback_support import (
    AGENCY_ADMIN,
    UDV_ADMIN,
    answer_directly,
    count_responses,
    csrf_of,
    likert,
    make_campaign,
    make_codes,
    make_specification,
    open_survey,
    used_invitations,
)

# An attribute whose value is the text None: what Jinja/WTForms print for a Python None.
NONE_ATTRIBUTE = re.compile(r"""\s([\w:.-]+)=(["'])None\2""")


def _org_id(app, acronym: str) -> int:
    with app.app_context():
        return (
            get_session()
            .execute(select(Organisation.id).where(Organisation.acronym == acronym))
            .scalar_one()
        )


# ----- answers.csv --------------------------------------------------------------------------


def test_answers_csv_shows_the_questionnaire_version_people_see(app, client, demo):
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    answer_directly(app, campaign_id, [likert(overall_satisfaction=4) for _ in range(5)])
    with app.app_context():
        version = get_session().get(Campaign, campaign_id).questionnaire_version
        number = version.number
    login(client, UDV_ADMIN, demo.password)
    campaign_page = client.get(f"/feedback/campaigns/{campaign_id}").get_data(as_text=True)
    assert f"(version {number})" in campaign_page

    export = client.get(f"/feedback/campaigns/{campaign_id}/answers.csv")
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True))))
    column = rows[0].index("questionnaire version")
    # the label of the campaign page, never the bare row id behind it
    assert [r[column] for r in rows[2:]] == [f"version {number}"] * 5


# ----- no attribute rendered as "None" ------------------------------------------------------


def _assert_no_none_attribute(client, url: str, *, status: int = 200) -> None:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    html = response.get_data(as_text=True)
    assert "<form" in html or "<main" in html, url
    found = NONE_ATTRIBUTE.findall(html)
    assert not found, (url, sorted({name for name, _quote in found}))


def test_no_attribute_is_rendered_as_none(app, client, demo):
    anonymous = [
        "/",
        "/login",
        "/password-reset",
        "/catalogue",
        "/catalogue?q=data&eqf=6&form=online",
        "/catalogue?ects_min=lots&ects_max=-3",  # field errors: aria-invalid and -describedby
        "/f",
    ]
    for url in anonymous:
        _assert_no_none_attribute(client, url)
    errors = client.get("/catalogue?ects_min=lots").get_data(as_text=True)
    assert 'aria-invalid="true"' in errors and 'aria-describedby="ects_min-errors"' in errors

    agency, udv = _org_id(app, "DAQA"), _org_id(app, "UDV")
    login(client, AGENCY_ADMIN, demo.password)
    for url in [
        "/dashboard",
        "/account",
        "/account/password",
        f"/agencies/{agency}/providers",
        f"/agencies/{agency}/providers/new",
        f"/agencies/{agency}/reviewers",
        f"/agencies/{agency}/reviewers/invite",
        f"/agencies/{agency}/feedback-settings",
        f"/agencies/{agency}/framework-requirements",
        f"/agencies/{agency}/audit",
        f"/agencies/{agency}/outbox",
    ]:
        _assert_no_none_attribute(client, url)
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/dashboard"))})

    login(client, UDV_ADMIN, demo.password)
    for url in [
        "/dashboard",
        f"/orgs/{udv}/edit",
        f"/orgs/{udv}/staff",
        f"/orgs/{udv}/catalogue",
        f"/orgs/{udv}/catalogue/new",
        f"/orgs/{udv}/catalogue/import",
        f"/orgs/{udv}/feedback/new",
        f"/providers/{udv}/cases/new",
    ]:
        _assert_no_none_attribute(client, url)
    # a form sent back with field errors
    refused = post_form(client, f"/orgs/{udv}/feedback/new", {"title": ""})
    assert refused.status_code in (200, 422)
    html = refused.get_data(as_text=True)
    assert 'aria-invalid="true"' in html
    assert not NONE_ATTRIBUTE.findall(html)


# ----- Markdown on the internal-QA coverage page --------------------------------------------


def test_coverage_page_renders_the_narratives_markdown(app, client, demo):
    world = make_world(
        app,
        criteria=[criterion_def("Q1", "Quality of the credential", qa_elements=["course"])],
    )
    login(client, "editor@university.example.org", demo.password)
    url = f"/cases/{world.case_id}/criteria/{world.criteria['Q1']}"
    narrative = (
        "We **check** every credential.\n\n- against Annex I\n- once a year\n\n"
        "<script>alert(1)</script>"
    )
    saved = post_form(
        client,
        url,
        {
            "lock_version": lock_version(client.get(url).get_data(as_text=True)),
            "q_narrative": narrative,
        },
    )
    assert saved.status_code == 302

    page = client.get(f"/cases/{world.case_id}/coverage").get_data(as_text=True)
    assert "<strong>check</strong>" in page
    assert "<li>against Annex I</li>" in page and "<li>once a year</li>" in page
    assert "**" not in page
    # Typed HTML is the writer's text: shown once escaped, never live, never escaped twice.
    assert "<script>alert(1)" not in page and "&amp;lt;" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# ----- an empty survey answer ---------------------------------------------------------------


def test_an_empty_survey_answer_is_refused_and_the_code_still_works(app, demo):
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    (token,) = make_codes(app, campaign_id, 1)
    respondent = app.test_client()
    page = open_survey(respondent, token)
    assert "Send my answers" in page.get_data(as_text=True)

    # Every field present but blank, as a browser sends an untouched form.
    blank = {"q_comments_best": "", "q_comments_improve": "   "}
    refused = respondent.post("/f", data={"csrf_token": csrf_of(page), **blank})
    assert refused.status_code == 422
    assert "You have not answered any question." in refused.get_data(as_text=True)
    assert count_responses(app, campaign_id) == 0
    assert used_invitations(app, campaign_id) == 0

    # The same code still opens the survey and takes a real answer.
    again = respondent.get("/f")
    assert "Send my answers" in again.get_data(as_text=True)
    sent = respondent.post("/f", data={"csrf_token": csrf_of(again), "q_support": "4"})
    assert sent.status_code == 303
    assert count_responses(app, campaign_id) == 1
    assert used_invitations(app, campaign_id) == 1


# ----- warnings ------------------------------------------------------------------------------


def test_warnings_from_our_code_fail_the_run():
    """pyproject.toml's filterwarnings: a warning issued by a qaportal module is an error."""
    code = compile("import warnings\nwarnings.warn('old API', DeprecationWarning)", "x.py", "exec")
    with pytest.raises(DeprecationWarning, match="old API"):
        exec(code, {"__name__": "qaportal.somewhere"})  # noqa: S102 - a fixed snippet
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(code, {"__name__": "somebody_else"})  # noqa: S102 - not ours: not an error


def test_select_choices_as_tuples_fail_the_run():
    """WTForms attributes this deprecation to itself; the run still refuses it."""

    class TupleForm(Form):
        pick = SelectField(choices=[("a", "A")])

    with pytest.raises(DeprecationWarning, match="choices as tuples"):
        TupleForm()
