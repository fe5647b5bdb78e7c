"""Provider staff describe micro-credentials: drafts, Annex I completeness, publication,
versions, history and diffs, optimistic locking. Real database, CSRF on."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from qaportal.audit.models import AuditEvent
from qaportal.audit.services import Actor
from qaportal.catalogue import services
from qaportal.catalogue.completeness import Status, check_completeness, leading_verb
from qaportal.catalogue.models import (
    ImmutableVersionError,
    LearningOutcome,
    Specification,
    VersionStatus,
)
from qaportal.catalogue.services import OutcomeData
from qaportal.db import get_session
from tests.catalogue_kit import (
    AGENCY_OFFICER,
    UDV_ADMIN,
    UDV_EDITOR,
    complete_data,
    complete_form,
    make_spec,
    org_id,
    spec_by_title,
    versions,
)
from tests.conftest import login, post_form


def _actions(app) -> list[str]:
    with app.app_context():
        return list(
            get_session().execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars()
        )


# ----- drafts and field validation ---------------------------------------------------------


def test_incomplete_draft_saves_and_shows_what_is_missing(app, client, demo):
    udv = org_id(app, "UDV")
    login(client, UDV_EDITOR, demo.password)
    response = post_form(
        client,
        f"/orgs/{udv}/catalogue/new",
        {"title": "Quantum Computing Primer", "ects": "3", "save": "Save draft"},
    )
    assert response.status_code == 302
    spec_id = spec_by_title(app, "Quantum Computing Primer")
    assert versions(app, spec_id) == [(1, VersionStatus.DRAFT, "Quantum Computing Primer")]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Annex I completeness" in page
    assert "Missing" in page
    assert "State at least one learning outcome" in page
    assert "Name the body or bodies that award the micro-credential." in page
    assert "recorded on each issued credential, not part of the specification" in page
    assert "Publish version 1" not in page  # no publish button while something is missing
    assert "specification.created" in _actions(app)


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("ects", "-1", "ECTS credits must be more than 0 and at most 180."),
        ("ects", "1000", "ECTS credits must be more than 0 and at most 180."),
        ("ects", "abc", "Enter a number of ECTS credits"),
        ("hours", "0", "Hours must be between 1 and 5000."),
        ("eqf_level", "9", "The EQF level must be a whole number from 1 to 8."),
        ("issuer_regions", "XX", "XX is not an ISO 3166-1 country code"),
        ("issuer_regions", "DE, DE-XX", "DE-XX is not an ISO 3166-2 region code."),
        ("languages", "en, qq", "qq is not an ISO 639 language code"),
        ("isced_f", "12345", "An ISCED-F 2013 field code has 2 to 4 digits"),
        ("title", "T" * 301, "Field cannot be longer than 300 characters."),
        ("outcomes-0-esco_uri", "https://example.org/skill/1", "An ESCO skill URI is http"),
        (
            "outcomes-0-esco_uri",
            "http://data.europa.eu/esco/skill/1234",
            "followed by the skill&#39;s identifier",
        ),
        (
            "outcomes-0-esco_uri",
            "http://data.europa.eu/esco/occupation/0464b062-cea6-4164-b10d-956c61956ae7",
            "An ESCO skill URI is http",
        ),
        ("max_duration_weeks", "521", "from 1 to 520"),
        ("nqf_level", "9", "The national framework DQR has levels 1 to 8."),
        ("awarding_bodies-0-vat_id", "123", "A VAT identifier starts with the two-letter"),
        ("awarding_bodies-0-region", "DE-XX", "DE-XX is not an ISO 3166-2 region code."),
        ("awarding_bodies-0-url", "not a url", "Enter a web address starting with https://"),
    ],
)
def test_impossible_values_get_field_messages_and_keep_what_was_typed(
    app, client, demo, field, typed, message
):
    udv = org_id(app, "UDV")
    login(client, UDV_EDITOR, demo.password)
    form = complete_form(title="Kept Title Of The Form")
    form[field] = typed
    response = post_form(client, f"/orgs/{udv}/catalogue/new", form)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert message in body
    # The message sits beside its field (described-by) and in the summary at the top.
    field_id = field
    assert f'id="{field_id}-errors"' in body
    assert 'class="error-summary"' in body
    # What the user typed is still there.
    if field != "title":
        assert "Kept Title Of The Form" in body
    assert typed in body
    assert "Configure multi-factor authentication for the accounts of a team" in body
    assert spec_by_title(app, "Kept Title Of The Form") is None


def test_level_given_and_declared_not_applicable_is_refused(app, client, demo):
    udv = org_id(app, "UDV")
    login(client, UDV_EDITOR, demo.password)
    response = post_form(
        client, f"/orgs/{udv}/catalogue/new", complete_form(level_not_applicable="y")
    )
    assert "Either give a level or state that none applies" in response.get_data(as_text=True)


def test_add_another_outcome_adds_a_row_and_saves_nothing(app, client, demo):
    udv = org_id(app, "UDV")
    login(client, UDV_EDITOR, demo.password)
    form = complete_form(title="Row Adding Test")
    form.pop("save")
    form["outcomes-2-statement"] = "Explain the basics of encryption to colleagues"
    form["add_outcome"] = "Add another outcome"
    response = post_form(client, f"/orgs/{udv}/catalogue/new", form)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="outcomes-3-statement"' in body
    assert "Explain the basics of encryption to colleagues" in body
    assert spec_by_title(app, "Row Adding Test") is None


# ----- completeness ------------------------------------------------------------------------


def test_completeness_statuses_and_messages(app):
    with app.app_context():
        report = check_completeness(complete_data())
        assert report.is_complete and not report.weak
        assert {e.status for e in report.elements} == {Status.PRESENT}

        weak = check_completeness(
            complete_data(
                outcomes=[OutcomeData("Knowledge of firewalls"), OutcomeData("Analyse logs")],
                ects=Decimal("5"),
                hours=40,
                assessment_type="Exam",
                quality_assurance="ISO",
            )
        )
        assert weak.is_complete  # weak warns, it does not block
        outcomes = [str(m) for m in weak.element("outcomes").messages]
        assert weak.status_of("outcomes") == Status.WEAK
        assert "Outcome 1 does not start with an action verb" in outcomes[0] or any(
            "Outcome 1 does not start with an action verb" in m for m in outcomes
        )
        assert any("Outcome 2 is very short" in m for m in outcomes)
        assert weak.status_of("workload") == Status.WEAK
        assert "8.0 hours per credit" in str(weak.element("workload").messages[0])
        assert weak.status_of("assessment_type") == Status.WEAK
        assert weak.status_of("quality_assurance") == Status.WEAK

        zero = check_completeness(complete_data(ects=None, hours=0))
        assert zero.status_of("workload") == Status.WEAK
        assert "zero" in str(zero.element("workload").messages[0])

        missing = check_completeness(
            complete_data(outcomes=[], eqf_level=None, participation_form=None, issuer_regions=[])
        )
        assert not missing.is_complete
        assert {e.key for e in missing.missing} == {
            "outcomes",
            "level",
            "participation_form",
            "issuer_regions",
        }

        not_applicable = check_completeness(
            complete_data(eqf_level=None, level_not_applicable=True)
        )
        assert not_applicable.status_of("level") == Status.PRESENT
        both = check_completeness(complete_data(level_not_applicable=True))
        assert both.status_of("level") == Status.WEAK
        cycle = check_completeness(complete_data(eqf_level=6, qf_ehea_cycle="second"))
        assert cycle.status_of("level") == Status.WEAK

        hours_only = check_completeness(complete_data(ects=None, hours=30))
        assert hours_only.status_of("workload") == Status.PRESENT

        optional = {o.key: o.provided for o in report.optional}
        assert optional["languages"] is True and optional["prerequisites"] is False


@pytest.mark.parametrize(
    ("statement", "verb"),
    [
        ("Analyse open data sets", "analyse"),
        ("Learners will be able to design a small survey", "design"),
        ("On completion, the student can evaluate sources", "evaluate"),
        ("Be able to apply the GDPR to a case", "apply"),
        ("Applies safety rules in the workshop", "applies"),
        ("Knowledge of safety rules", None),
        ("Understanding of statistics", None),
    ],
)
def test_outcomes_start_with_an_action_verb(statement, verb):
    assert leading_verb(statement) == verb


# ----- publication, immutability, versions -----------------------------------------------


def test_publish_only_when_complete(app, client, demo):
    udv = org_id(app, "UDV")
    spec_id, public_id = make_spec(app, "UDV", complete_data(outcomes=[]), publish=False)
    login(client, UDV_EDITOR, demo.password)
    show = f"/orgs/{udv}/catalogue/{spec_id}"
    page = client.get(show).get_data(as_text=True)
    lock = re.search(r'name="lock_version" value="(\d+)"', page)
    assert lock is None  # no publish form while incomplete
    response = post_form(client, show + "/publish", {"lock_version": "1"}, token_from=show)
    assert response.status_code == 302
    assert versions(app, spec_id)[0][1] == VersionStatus.DRAFT
    page = client.get(show).get_data(as_text=True)
    assert "cannot be published" in page
    assert client.get(f"/catalogue/{public_id}").status_code == 404


def test_save_and_publish_with_no_outcomes_shows_field_message_and_keeps_the_draft(
    app, client, demo
):
    udv = org_id(app, "UDV")
    login(client, UDV_EDITOR, demo.password)
    form = complete_form(title="Outcome-less Draft")
    form.pop("save")
    form["outcomes-0-statement"] = ""
    form["outcomes-1-statement"] = ""
    form["save_publish"] = "Save and publish"
    response = post_form(client, f"/orgs/{udv}/catalogue/new", form)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "State at least one learning outcome" in body
    assert 'href="#outcomes"' in body  # the summary links to the outcomes fieldset
    assert 'value="Outcome-less Draft"' in body
    spec_id = spec_by_title(app, "Outcome-less Draft")
    assert versions(app, spec_id) == [(1, VersionStatus.DRAFT, "Outcome-less Draft")]
    # The page now posts to the draft's edit URL with its current lock version.
    assert f'action="/orgs/{udv}/catalogue/{spec_id}/edit"' in body


def test_publish_edit_creates_version_2_history_and_diff(app, client, demo):
    udv = org_id(app, "UDV")
    login(client, UDV_ADMIN, demo.password)
    form = complete_form(title="Cloud Basics")
    form.pop("save")
    form["save_publish"] = "Save and publish"
    response = post_form(client, f"/orgs/{udv}/catalogue/new", form)
    assert response.status_code == 302
    spec_id = spec_by_title(app, "Cloud Basics")
    assert versions(app, spec_id) == [(1, VersionStatus.PUBLISHED, "Cloud Basics")]
    show = f"/orgs/{udv}/catalogue/{spec_id}"

    # Published versions cannot be edited: the edit page sends you back.
    assert client.get(show + "/edit").status_code == 302

    response = post_form(client, show + "/new-version", {}, token_from=show)
    assert response.headers["Location"].endswith(show + "/edit")
    assert versions(app, spec_id) == [
        (1, VersionStatus.PUBLISHED, "Cloud Basics"),
        (2, VersionStatus.DRAFT, "Cloud Basics"),
    ]
    edit_page = client.get(show + "/edit").get_data(as_text=True)
    lock = re.search(r'name="lock_version" type="hidden" value="(\d+)"', edit_page) or re.search(
        r'id="lock_version" name="lock_version" type="hidden" value="(\d+)"', edit_page
    )
    lock_value = re.search(r'name="lock_version"[^>]*value="(\d+)"', edit_page).group(1)
    assert lock or lock_value
    form = complete_form(
        title="Cloud Computing Basics",
        lock_version=lock_value,
        **{"outcomes-2-statement": "Estimate the monthly cost of a small cloud deployment"},
    )
    form.pop("save")
    form["save_publish"] = "Save and publish"
    response = post_form(client, show + "/edit", form, token_from=show + "/edit")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert versions(app, spec_id) == [
        (1, VersionStatus.SUPERSEDED, "Cloud Basics"),
        (2, VersionStatus.PUBLISHED, "Cloud Computing Basics"),
    ]
    history = client.get(show + "/history?a=1&b=2").get_data(as_text=True)
    assert "Version 1" in history and "Version 2" in history
    assert "<del>Cloud Basics</del>" in history
    assert "<ins>Cloud Computing Basics</ins>" in history
    assert "<ins>Estimate the monthly cost of a small cloud deployment</ins>" in history
    assert "added" in history
    actions = _actions(app)
    for action in (
        "specification.created",
        "specification.published",
        "specification.version_started",
        "specification.draft_saved",
    ):
        assert action in actions


def test_published_version_is_immutable_in_the_orm(app, demo):
    spec_id, _ = make_spec(app, "UDV")
    with app.app_context():
        db = get_session()
        spec = services.load_specification(db, spec_id)
        published = services.published_of(spec)
        published.title = "Changed behind the service's back"
        with pytest.raises(ImmutableVersionError):
            db.flush()
        db.rollback()
        spec = services.load_specification(db, spec_id)
        published = services.published_of(spec)
        published.outcomes[0].statement = "Another statement"
        with pytest.raises(ImmutableVersionError):
            db.flush()
        db.rollback()
        spec = services.load_specification(db, spec_id)
        published = services.published_of(spec)
        published.outcomes.append(LearningOutcome(position=9, statement="Sneaked in"))
        with pytest.raises(ImmutableVersionError):
            db.flush()
        db.rollback()
        spec = services.load_specification(db, spec_id)
        with pytest.raises(services.NotEditable):
            services.save_draft(db, services.published_of(spec), complete_data(), Actor.system("t"))


def test_diff_between_versions_field_by_field(app, demo):
    spec_id, _ = make_spec(app, "UDV")
    with app.app_context():
        db = get_session()
        actor = Actor.system("t")
        spec = services.load_specification(db, spec_id)
        draft = services.new_version(db, spec, actor)
        data = services.SpecificationData.from_version(draft)
        data.ects = Decimal("2.5")
        data.hours = 70
        data.outcomes[0] = OutcomeData(data.outcomes[0].statement + " to the IT desk")
        data.outcomes.pop(1)
        services.save_draft(db, draft, data, actor)
        diff = services.diff_versions(services.published_of(spec), draft)
        changed = {c.key: (c.old, c.new) for c in diff.changed_fields}
        assert changed == {"ects": ("2", "2.5"), "hours": ("55", "70")}
        kinds = [o.kind for o in diff.outcomes]
        assert kinds == ["changed", "removed"]


# ----- optimistic locking ------------------------------------------------------------------


def test_conflicting_save_shows_both_versions_and_keeps_my_input(app, demo):
    udv = org_id(app, "UDV")
    spec_id, _ = make_spec(app, "UDV", complete_data(title="Locking Test"), publish=False)
    edit = f"/orgs/{udv}/catalogue/{spec_id}/edit"
    alice, bob = app.test_client(), app.test_client()
    login(alice, UDV_ADMIN, demo.password)
    login(bob, UDV_EDITOR, demo.password)
    lock_re = re.compile(r'name="lock_version"[^>]*value="(\d+)"')
    alice_lock = lock_re.search(alice.get(edit).get_data(as_text=True)).group(1)
    bob_lock = lock_re.search(bob.get(edit).get_data(as_text=True)).group(1)
    assert alice_lock == bob_lock

    r = post_form(alice, edit, complete_form(title="Alice's Title", lock_version=alice_lock))
    assert r.status_code == 302

    r = post_form(bob, edit, complete_form(title="Bob's Title", lock_version=bob_lock))
    assert r.status_code == 409
    body = r.get_data(as_text=True)
    assert "Someone else saved this draft while you were editing" in body
    assert "Your version" in body and "The saved version" in body
    assert "Bob&#39;s Title" in body and "Alice&#39;s Title" in body
    assert 'value="Bob&#39;s Title"' in body  # the form still holds what Bob typed
    assert versions(app, spec_id)[0][2] == "Alice's Title"

    # Saving again from the conflict page replaces the saved version, deliberately.
    new_lock = lock_re.search(body).group(1)
    assert new_lock != bob_lock
    r = post_form(bob, edit, complete_form(title="Bob's Title", lock_version=new_lock))
    assert r.status_code == 302
    assert versions(app, spec_id)[0][2] == "Bob's Title"


def test_stale_lock_in_the_service_raises_conflict_with_both_sides(app, demo):
    spec_id, _ = make_spec(app, "UDV", complete_data(title="Service Lock"), publish=False)
    with app.app_context():
        db = get_session()
        actor = Actor.system("t")
        draft = services.draft_of(services.load_specification(db, spec_id))
        stale = draft.lock_version
        services.save_draft(
            db, draft, complete_data(title="First"), actor, expected_lock_version=stale
        )
        with pytest.raises(services.EditConflict) as caught:
            services.save_draft(
                db, draft, complete_data(title="Second"), actor, expected_lock_version=stale
            )
        assert caught.value.mine.title == "Second"
        assert caught.value.theirs.title == "First"
        assert [c.key for c in caught.value.differences if c.changed] == ["title"]


# ----- retire and roles --------------------------------------------------------------------


def test_retire_takes_it_out_of_the_public_catalogue(app, client, demo):
    udv = org_id(app, "UDV")
    spec_id, public_id = make_spec(app, "UDV", complete_data(title="Retire Me"))
    show = f"/orgs/{udv}/catalogue/{spec_id}"
    assert client.get(f"/catalogue/{public_id}").status_code == 200

    login(client, UDV_EDITOR, demo.password)
    assert post_form(client, show + "/retire", {}, token_from=show).status_code == 403

    client.post("/logout", data={"csrf_token": ""})
    admin = app.test_client()
    login(admin, UDV_ADMIN, demo.password)
    assert post_form(admin, show + "/retire", {}, token_from=show).status_code == 302
    assert versions(app, spec_id) == [(1, VersionStatus.RETIRED, "Retire Me")]
    assert app.test_client().get(f"/catalogue/{public_id}").status_code == 404
    assert "specification.retired" in _actions(app)
    with app.app_context():
        assert get_session().get(Specification, spec_id).retired_at is not None


def test_agency_staff_read_but_cannot_change(app, client, demo):
    udv = org_id(app, "UDV")
    spec_id, _ = make_spec(app, "UDV", complete_data(title="Agency Reads This"), publish=False)
    login(client, AGENCY_OFFICER, demo.password)
    listing = client.get(f"/orgs/{udv}/catalogue")
    assert listing.status_code == 200
    assert "Agency Reads This" in listing.get_data(as_text=True)
    assert "Describe a new micro-credential" not in listing.get_data(as_text=True)
    show = f"/orgs/{udv}/catalogue/{spec_id}"
    assert client.get(show).status_code == 200
    assert client.get(show + "/history").status_code == 200
    assert client.get(show + "/edit").status_code == 403
    assert client.get(f"/orgs/{udv}/catalogue/new").status_code == 403
    for action in ("publish", "new-version", "retire"):
        assert post_form(client, f"{show}/{action}", {}, token_from=show).status_code == 403


def test_demo_catalogue_is_seeded_once_and_complete(app, demo):
    from qaportal.demo import seed_demo

    with app.app_context():
        seed_demo()  # a second run adds nothing
        db = get_session()
        specs = db.execute(select(Specification)).scalars().all()
        assert len(specs) == 8
        for acronym in ("UDV", "NVTC"):
            provider_specs = [
                services.load_specification(db, s.id)
                for s in specs
                if s.provider.acronym == acronym
            ]
            published = [
                services.published_of(s) for s in provider_specs if services.published_of(s)
            ]
            drafts = [services.draft_of(s) for s in provider_specs if services.draft_of(s)]
            assert len(published) == 3 and len(drafts) == 1
            for version in published:
                assert check_completeness(version).is_complete


# ----- the language of the texts ----------------------------------------------------------


def _selected_text_language(page: str) -> list[str]:
    select_html = re.search(r'<select[^>]*name="text_language".*?</select>', page, re.S)
    assert select_html, "no text language select"
    options = re.findall(r"<option[^>]*>", select_html.group(0))
    return [re.search(r'value="([^"]*)"', o).group(1) for o in options if " selected" in o]


def test_text_language_is_chosen_kept_and_checked(app, client, demo):
    nvtc = org_id(app, "NVTC")
    login(client, "admin@vet.example.org", demo.password)
    new = client.get(f"/orgs/{nvtc}/catalogue/new").get_data(as_text=True)
    # the demo centre describes its courses in English: a new one starts there too
    assert _selected_text_language(new) == ["en"]
    assert ">Finnish<" in new and ">Swedish<" in new  # names, not bare codes

    # an unknown language is a field error; what was typed stays
    refused = post_form(
        client,
        f"/orgs/{nvtc}/catalogue/new",
        complete_form("Sähkötyöturvallisuus", text_language="xx", languages="fi"),
    )
    assert refused.status_code in (200, 400, 422)  # the form again, not a redirect
    page = refused.get_data(as_text=True)
    assert "xx is not the two-letter code of an official EU language" in page
    assert 'value="Sähkötyöturvallisuus"' in page
    assert spec_by_title(app, "Sähkötyöturvallisuus") is None

    saved = post_form(
        client,
        f"/orgs/{nvtc}/catalogue/new",
        complete_form("Sähkötyöturvallisuus", text_language="fi", languages="fi, sv"),
    )
    assert saved.status_code == 302
    spec_id = spec_by_title(app, "Sähkötyöturvallisuus")
    with app.app_context():
        version = services.latest_of(get_session().get(Specification, spec_id))
        assert (version.text_language, version.languages) == ("fi", ["fi", "sv"])
    edit = client.get(f"/orgs/{nvtc}/catalogue/{spec_id}/edit").get_data(as_text=True)
    assert _selected_text_language(edit) == ["fi"]


def test_text_language_names_follow_the_interface_language(app, client, demo):
    udv = org_id(app, "UDV")
    login(client, UDV_ADMIN, demo.password)
    page = client.get(f"/orgs/{udv}/catalogue/new", headers={"Accept-Language": "fr"})
    text = page.get_data(as_text=True)
    assert ">Finnois<" in text or ">finnois<" in text
