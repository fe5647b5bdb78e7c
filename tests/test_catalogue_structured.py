"""Annex I elements as structured data (issue 12): NQF level, maximum duration, awarding
bodies with identifiers and address, ESCO skill links of the right form, the provider's VAT
identifier and address. Through the editor as a browser posts it, on the real database."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from qaportal.audit.services import Actor
from qaportal.catalogue import export_gaps, services
from qaportal.catalogue.completeness import (
    check_completeness,
    is_provider_body,
    resolved_awarding_bodies,
)
from qaportal.catalogue.demo_data import DEMO_SPECIFICATIONS
from qaportal.catalogue.models import Specification, SpecificationVersion
from qaportal.catalogue.nqf import NQF_FRAMEWORKS, QDR_FRAMEWORK_BASE, framework_for, nqf_problem
from qaportal.catalogue.services import OutcomeData
from qaportal.catalogue.validation import esco_problem
from qaportal.db import get_session
from qaportal.demo import PROVIDERS
from qaportal.orgs.models import Organisation
from tests.catalogue_kit import (
    UDV_ADMIN,
    UDV_EDITOR,
    complete_data,
    complete_form,
    make_spec,
    org_id,
    spec_by_title,
)
from tests.conftest import login, post_form

SKILL = "http://data.europa.eu/esco/skill/1973c966-f236-40c9-b2d4-5d71a89019be"


def _structured_form(title: str, **changes: str) -> dict[str, str]:
    form = complete_form(
        title=title,
        nqf_level="5",
        max_duration_weeks="12",
        **{
            "awarding_bodies-0-legal_id": "5299000DEMOVILLE0099",
            "awarding_bodies-0-vat_id": "de 999 999-999",
            "awarding_bodies-0-country": "de",
            "awarding_bodies-0-region": "de-by",
            "awarding_bodies-0-address": "Universitätsplatz 1, 80000 Demoville, Germany",
            "awarding_bodies-1-name": "Demoville Chamber of Industry and Commerce",
            "awarding_bodies-1-url": "",
            "awarding_bodies-1-legal_id": "IHK-42",
            "awarding_bodies-1-vat_id": "",
            "awarding_bodies-1-country": "DE",
            "awarding_bodies-1-region": "",
            "awarding_bodies-1-address": "",
            # https and upper case: stored in the form ESCO publishes
            "outcomes-0-esco_uri": "https://data.europa.eu/esco/skill/"
            + SKILL.rsplit("/", 1)[1].upper(),
        },
    )
    form.update(changes)
    return form


def _latest(app, spec_id: int) -> SpecificationVersion:
    with app.app_context():
        db = get_session()
        version = db.execute(
            select(SpecificationVersion)
            .where(SpecificationVersion.specification_id == spec_id)
            .order_by(SpecificationVersion.number.desc())
            .limit(1)
        ).scalar_one()
        version.outcomes  # noqa: B018 - loaded before the session goes
        db.expunge(version)
        return version


def _spec_count(app) -> int:
    with app.app_context():
        return get_session().execute(select(func.count(Specification.id))).scalar_one()


def _value_of(page: str, name: str) -> str:
    """The value attribute of the input called ``name`` (as a browser would show it)."""
    import re

    match = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', page)
    assert match, f"no input {name}"
    value = re.search(r'\bvalue="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else ""


# ----- the editor: what is typed is stored and shown back ---------------------------------


def test_structured_fields_round_trip_through_the_editor(app, client, demo):
    udv = org_id(app, "UDV")
    login(client, UDV_EDITOR, demo.password)
    response = post_form(
        client, f"/orgs/{udv}/catalogue/new", _structured_form("Structured Annex I Course")
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    spec_id = spec_by_title(app, "Structured Annex I Course")
    version = _latest(app, spec_id)
    assert version.nqf_level == 5
    assert version.max_duration_weeks == 12
    assert version.awarding_bodies == [
        {
            "name": "University of Demoville",
            "url": "https://university.example.org",
            "legal_id": "5299000DEMOVILLE0099",
            "vat_id": "DE999999999",
            "country": "DE",
            "region": "DE-BY",
            "address": "Universitätsplatz 1, 80000 Demoville, Germany",
        },
        # keys not entered are absent, not empty strings
        {
            "name": "Demoville Chamber of Industry and Commerce",
            "legal_id": "IHK-42",
            "country": "DE",
        },
    ]
    assert version.outcomes[0].esco_uri == SKILL

    page = client.get(f"/orgs/{udv}/catalogue/{spec_id}/edit").get_data(as_text=True)
    assert _value_of(page, "nqf_level") == "5"
    assert _value_of(page, "max_duration_weeks") == "12"
    assert _value_of(page, "awarding_bodies-0-legal_id") == "5299000DEMOVILLE0099"
    assert _value_of(page, "awarding_bodies-0-vat_id") == "DE999999999"
    assert _value_of(page, "awarding_bodies-0-country") == "DE"
    assert _value_of(page, "awarding_bodies-0-region") == "DE-BY"
    assert _value_of(page, "awarding_bodies-0-address") == (
        "Universitätsplatz 1, 80000 Demoville, Germany"
    )
    assert _value_of(page, "awarding_bodies-1-legal_id") == "IHK-42"
    assert _value_of(page, "outcomes-0-esco_uri") == SKILL

    shown = client.get(f"/orgs/{udv}/catalogue/{spec_id}").get_data(as_text=True)
    assert "NQF level 5" in shown
    assert "12 weeks" in shown
    assert "VAT DE999999999" in shown

    # Saving the draft again with a changed value keeps the others.
    form = _structured_form("Structured Annex I Course", nqf_level="6", max_duration_weeks="")
    form["lock_version"] = _value_of(page, "lock_version")
    response = post_form(client, f"/orgs/{udv}/catalogue/{spec_id}/edit", form)
    assert response.status_code == 302
    version = _latest(app, spec_id)
    assert (version.nqf_level, version.max_duration_weeks) == (6, None)
    assert version.awarding_bodies[0]["vat_id"] == "DE999999999"


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("nqf_level", "abc", "Enter a whole number, e.g. 6."),
        ("nqf_level", "9", "The national framework DQR has levels 1 to 8."),
        ("max_duration_weeks", "0", "from 1 to 520"),
        ("max_duration_weeks", "9999", "from 1 to 520"),
        ("awarding_bodies-0-vat_id", "123456789", "A VAT identifier starts with the two-letter"),
        ("awarding_bodies-0-country", "DE-BY", "The country is a two-letter ISO 3166-1 code"),
        ("awarding_bodies-0-country", "XX", "XX is not an ISO 3166-1 country code"),
        ("awarding_bodies-0-region", "DE", "The region is a subdivision code such as DE-BY."),
        ("awarding_bodies-0-region", "FI-18", "The region FI-18 is not in DE."),
        ("awarding_bodies-1-name", "", "The awarding body needs a name."),
        (
            "outcomes-0-esco_uri",
            "http://data.europa.eu/esco/skill/not-a-uuid",
            "An ESCO skill URI is http://data.europa.eu/esco/skill/",
        ),
        (
            "outcomes-0-esco_uri",
            "http://data.europa.eu/esco/occupation/0464b062-cea6-4164-b10d-956c61956ae7",
            "An ESCO skill URI is http://data.europa.eu/esco/skill/",
        ),
    ],
)
def test_bad_structured_input_is_refused_beside_its_field_keeping_what_was_typed(
    app, client, demo, field, typed, message
):
    udv = org_id(app, "UDV")
    login(client, UDV_EDITOR, demo.password)
    before = _spec_count(app)
    form = _structured_form("Refused Structured Course", **{field: typed})
    response = post_form(client, f"/orgs/{udv}/catalogue/new", form)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in html.unescape(page)
    assert f'id="{field}-errors"' in page
    # Everything typed comes back, the faulty value included; nothing is stored.
    assert _value_of(page, field) == typed
    assert _value_of(page, "title") == "Refused Structured Course"
    assert _value_of(page, "awarding_bodies-0-address") == (
        "Universitätsplatz 1, 80000 Demoville, Germany"
    )
    assert _spec_count(app) == before


# ----- NQF level: only with the provider country's framework ------------------------------


def _set_country(app, acronym: str, country: str | None) -> None:
    with app.app_context():
        db = get_session()
        org = db.execute(select(Organisation).where(Organisation.acronym == acronym)).scalar_one()
        org.country, org.region = country, None
        db.commit()


@pytest.mark.parametrize(
    ("country", "message"),
    [
        ("BE", "No national qualifications framework is known for BE"),
        (None, "An NQF level needs the provider's country"),
    ],
)
def test_nqf_level_without_the_countrys_framework_is_refused(app, client, demo, country, message):
    udv = org_id(app, "UDV")
    _set_country(app, "UDV", country)
    login(client, UDV_EDITOR, demo.password)
    before = _spec_count(app)
    response = post_form(
        client, f"/orgs/{udv}/catalogue/new", _structured_form("NQF Without Framework")
    )
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert message in page
    assert 'id="nqf_level-errors"' in page
    assert _value_of(page, "nqf_level") == "5"
    assert _spec_count(app) == before

    # Without an NQF level the same form is accepted.
    response = post_form(
        client, f"/orgs/{udv}/catalogue/new", _structured_form("NQF Left Empty", nqf_level="")
    )
    assert response.status_code == 302


def test_the_editor_names_the_providers_framework_and_checks_it_with_other_fields(
    app, client, demo
):
    udv = org_id(app, "UDV")
    login(client, UDV_EDITOR, demo.password)
    page = client.get(f"/orgs/{udv}/catalogue/new").get_data(as_text=True)
    assert "A level of the DQR, 1 to 8" in page
    response = post_form(
        client,
        f"/orgs/{udv}/catalogue/new",
        _structured_form("Two Problems At Once", nqf_level="9", ects="-1"),
    )
    page = html.unescape(response.get_data(as_text=True))
    # Both at once: the NQF level is not left for a second round after the form passes.
    assert "The national framework DQR has levels 1 to 8." in page
    assert "ECTS credits must be more than 0" in page
    assert _value_of(page, "nqf_level") == "9"


def test_services_refuse_an_nqf_level_outside_the_framework(app, demo):
    with app.app_context():
        db = get_session()
        nvtc = db.execute(select(Organisation).where(Organisation.acronym == "NVTC")).scalar_one()
        with pytest.raises(services.InvalidSpecification) as refused:
            services.create_specification(
                db, nvtc, complete_data("Too High", nqf_level=9), Actor.system("test")
            )
        assert list(refused.value.problems) == ["nqf_level"]
        assert "NQF Finland has levels 1 to 8" in refused.value.problems["nqf_level"][0]
        db.rollback()
        version = services.create_specification(
            db, nvtc, complete_data("Level Eight", nqf_level=8), Actor.system("test")
        )
        assert version.nqf_level == 8


def test_nqf_frameworks_are_data_with_levels_and_concept_uris():
    assert framework_for("de") is NQF_FRAMEWORKS["DE"]
    assert NQF_FRAMEWORKS["IE"].levels == range(1, 11)
    assert NQF_FRAMEWORKS["GR"].scheme_uri == QDR_FRAMEWORK_BASE + "EL"
    for country, framework in NQF_FRAMEWORKS.items():
        assert framework.country == country and len(country) == 2
        assert framework.levels[0] == 1
        uris = {framework.level_uri(n) for n in framework.levels}
        assert len(uris) == len(framework.levels)
        assert all(u.startswith(framework.scheme_uri + "/") for u in uris)
        assert nqf_problem(country, framework.levels[-1]) is None
        assert nqf_problem(country, framework.levels[-1] + 1) is not None
    with pytest.raises(ValueError):
        NQF_FRAMEWORKS["DE"].level_uri(9)
    assert nqf_problem("DE", None) is None and nqf_problem(None, None) is None


# ----- what the exports need: told, not blocking ---------------------------------------------


def test_completeness_names_identifiers_the_exports_lack_and_takes_the_providers_own(app, demo):
    with app.app_context():
        db = get_session()
        udv = db.execute(select(Organisation).where(Organisation.acronym == "UDV")).scalar_one()
        data = complete_data(
            awarding_bodies=[
                {"name": "University of Demoville"},  # the provider: its profile fills in
                {"name": "Partner Academy", "url": "https://partner.example.org"},
            ]
        )
        report = check_completeness(data, udv)
        gaps = [str(g.message) for g in report.export_gaps]
        assert report.is_complete  # gaps never block publication
        assert not any(g.startswith("University of Demoville") for g in gaps)
        assert any(g.startswith("Partner Academy: no legal identifier") for g in gaps)
        assert any(g.startswith("Partner Academy: no country or region") for g in gaps)
        resolved = resolved_awarding_bodies(data.awarding_bodies, udv)
        assert resolved[0]["legal_id"] == udv.legal_id == "5299000DEMOVILLE0099"
        assert resolved[0]["vat_id"] == "DE999999999"
        assert resolved[0]["address"] == udv.street_address
        assert "legal_id" not in resolved[1]

        # Without identifiers in the profile the provider is told where to enter them.
        udv.legal_id = None
        gaps = [str(g.message) for g in check_completeness(data, udv).export_gaps]
        assert any("enter it here or in the organisation profile" in g for g in gaps)
        # An NQF level and a maximum duration are optional: never a gap.
        assert not any("NQF" in g or "duration" in g for g in gaps)
        db.rollback()


def test_the_check_the_gaps_and_the_exports_recognise_the_provider_alike(app, demo):
    """One answer to "is this awarding body the provider?": by legal name, acronym or
    display name, case and spacing ignored; such a body takes the profile's identifiers in
    the completeness check and in the ELM gaps alike."""
    with app.app_context():
        db = get_session()
        udv = db.execute(select(Organisation).where(Organisation.acronym == "UDV")).scalar_one()
        names = [udv.display_name, f"  {udv.legal_name.upper()} ", "udv", "Partner Academy"]
        assert [is_provider_body({"name": n}, udv) for n in names] == [True, True, True, False]
        data = complete_data(awarding_bodies=[{"name": n} for n in names])
        resolved = resolved_awarding_bodies(data.awarding_bodies, udv)
        assert [b.get("legal_id") for b in resolved] == [udv.legal_id] * 3 + [None]
        report = check_completeness(data, udv)
        gaps = [str(g.message) for g in report.export_gaps]
        assert [g.split(":")[0] for g in gaps if "no legal identifier" in g] == [
            "Partner Academy"
        ], gaps
        registration = {
            str(g.message)
            for g in export_gaps.missing_export_properties(data, udv)
            if g.property == "registration"
        }
        assert registration == {"Partner Academy: no legal identifier."}
        db.rollback()


def test_completeness_names_the_elm_properties_left_out_once(app, demo):
    """The ELM export's own gaps reach the provider, without repeating a mandatory element
    already reported missing."""
    with app.app_context():
        db = get_session()
        udv = db.execute(select(Organisation).where(Organisation.acronym == "UDV")).scalar_one()
        report = check_completeness(complete_data(grading_scheme=None), udv)
        gaps = [(g.key, str(g.message)) for g in report.export_gaps]
        assert ("grading_scheme", "No grading scheme: ELM gradingScheme is left out.") in gaps
        report = check_completeness(complete_data(ects=None, hours=None), udv)
        assert not report.is_complete
        assert not any(
            key in ("ects", "hours") for key, _ in [(g.key, g.message) for g in report.export_gaps]
        )
        assert check_completeness(complete_data(grading_scheme="Pass/fail"), udv)
        db.rollback()


def test_show_page_lists_what_the_exports_lack(app, client, demo):
    spec_id, _ = make_spec(
        app,
        "UDV",
        complete_data(
            "Partnered Course",
            awarding_bodies=[{"name": "University of Demoville"}, {"name": "Partner Academy"}],
        ),
        publish=False,
    )
    login(client, UDV_ADMIN, demo.password)
    page = client.get(f"/orgs/{org_id(app, 'UDV')}/catalogue/{spec_id}").get_data(as_text=True)
    assert "Not yet in the exports" in page
    assert "Partner Academy: no legal identifier" in page


# ----- demo data and the provider profile --------------------------------------------------


def test_demo_data_carries_the_structured_elements(app, demo):
    with app.app_context():
        db = get_session()
        providers = {
            o.acronym: o
            for o in db.execute(
                select(Organisation).where(Organisation.acronym.in_(["UDV", "NVTC"]))
            )
            .scalars()
            .all()
        }
        for org in providers.values():
            assert org.vat_id and org.street_address and org.region and org.legal_id
        versions = db.execute(
            select(SpecificationVersion).join(Specification).order_by(SpecificationVersion.id)
        ).scalars()
        seen = {"nqf": 0, "duration": 0, "esco": 0, "vat": 0}
        for version in versions:
            country = version.specification.provider.country
            assert nqf_problem(country, version.nqf_level) is None
            seen["nqf"] += version.nqf_level is not None
            seen["duration"] += version.max_duration_weeks is not None
            seen["esco"] += sum(o.esco_uri is not None for o in version.outcomes)
            seen["vat"] += any(b.get("vat_id") for b in version.awarding_bodies)
            for outcome in version.outcomes:
                assert esco_problem(outcome.esco_uri) is None
        assert all(count >= 2 for count in seen.values()), seen
    assert {p["acronym"] for p in PROVIDERS} == {"UDV", "NVTC"}
    assert any("nqf_level" in s for s in DEMO_SPECIFICATIONS["UDV"])


def test_provider_profile_keeps_vat_identifier_and_address(app, client, demo):
    udv = org_id(app, "UDV")
    login(client, UDV_ADMIN, demo.password)
    profile = {
        "legal_name": "University of Demoville",
        "acronym": "UDV",
        "country": "DE",
        "region": "DE-BY",
        "provider_type": "hei",
        "website": "https://university.example.org",
        "deqar_id": "",
        "erasmus_code": "D DEMOVIL01",
        "legal_id": "HRB 4711",
        "vat_id": "de 123.456.789",
        "street_address": "Hauptstraße 7, 80001 Demoville, Germany",
    }
    response = post_form(client, f"/orgs/{udv}/edit", profile)
    assert response.status_code == 302
    with app.app_context():
        org = get_session().get(Organisation, udv)
        assert (org.vat_id, org.street_address) == (
            "DE123456789",
            "Hauptstraße 7, 80001 Demoville, Germany",
        )
    page = client.get(f"/orgs/{udv}").get_data(as_text=True)
    assert "DE123456789" in page and "Hauptstraße 7, 80001 Demoville, Germany" in page
    form = client.get(f"/orgs/{udv}/edit").get_data(as_text=True)
    assert _value_of(form, "vat_id") == "DE123456789"

    response = post_form(client, f"/orgs/{udv}/edit", {**profile, "vat_id": "123"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "A VAT identifier starts with the two-letter country prefix" in page
    assert _value_of(page, "vat_id") == "123"
    with app.app_context():
        assert get_session().get(Organisation, udv).vat_id == "DE123456789"


def test_rows_written_before_the_new_keys_still_edit(app, client, demo):
    """Old versions hold awarding bodies with only a name and a URL."""
    spec_id, _ = make_spec(
        app,
        "UDV",
        complete_data(
            "Old Row Course",
            awarding_bodies=[{"name": "University of Demoville", "url": "https://u.example.org"}],
            outcomes=[OutcomeData("Explain the structure of old awarding-body rows clearly")],
        ),
        publish=False,
    )
    login(client, UDV_EDITOR, demo.password)
    page = client.get(f"/orgs/{org_id(app, 'UDV')}/catalogue/{spec_id}/edit").get_data(as_text=True)
    assert _value_of(page, "awarding_bodies-0-url") == "https://u.example.org"
    assert _value_of(page, "awarding_bodies-0-legal_id") == ""
