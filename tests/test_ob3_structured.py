"""Annex I elements as structured data in the Open Badges 3.0 exports (issue 12, OB3 part).

For every demo specification, each element the provider entered is looked up at the place
``qaportal/catalogue/README.md`` documents for it (an alignment, ``creditsAvailable``, a
Profile identifier, an Edubadges profile property…), and the documents still pass the
1EdTech schema. The Edubadges profile terms are checked to expand to the profile's IRIs.
No network: the contexts are inline or not expanded at all.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from jsonschema import Draft201909Validator
from jsonschema.exceptions import ValidationError
from rdflib import Graph, Literal, URIRef

from qaportal.catalogue import exports_ob3
from qaportal.catalogue.models import SpecificationVersion
from qaportal.catalogue.nqf import framework_for
from qaportal.db import get_session
from tests.test_catalogue_exports import (
    assert_valid_ob3,
    create_published,
    full_data,
    minimal_data,
    no_network,  # noqa: F401  (autouse: any connection beyond localhost fails)
    provider,
    published_versions,
)

BASE = "https://qa.example.org"
EDUBADGES = "https://edubadges.nl/static/obv3-glossary.html#"
ELM_AWARDING_BODY = "http://data.europa.eu/snb/model/elm/awardingBody"
XSD = "http://www.w3.org/2001/XMLSchema#"

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib.*")

# The value vocabularies of the published profile (educredentials/obv3-examples,
# schemas/microcredential.json), written out here so a drifting copy is noticed.
PROFILE_PARTICIPATION = {
    "online",
    "onsite or blended",
    "volunteering",
    "work experience",
    "personalized learning activities",
}
PROFILE_SUPERVISION = {
    "unsupervised with no identity verification",
    "supervised with no identity verification",
    "supervised online",
    "onsite with identity verification",
}
PROFILE_ASSESSMENT = {
    "testing",
    "application of a skill",
    "portfolio",
    "recognition of prior learning",
}


def extension_validator() -> Draft201909Validator:
    schema = exports_ob3.extension_schema()
    Draft201909Validator.check_schema(schema)
    return Draft201909Validator(schema)


def alignment(achievement: dict[str, Any], target_type: str) -> list[dict[str, Any]]:
    return [a for a in achievement.get("alignment", []) if a["targetType"] == target_type]


def identifiers(profile: dict[str, Any]) -> dict[str, str]:
    return {e["identifierType"]: e["identifier"] for e in profile.get("otherIdentifier", [])}


def assert_elements_in_place(version: SpecificationVersion, template: dict[str, Any]) -> set[str]:
    """Every element ``version`` holds, at its documented place; returns the ones checked."""
    checked: set[str] = set()
    a = template["credentialSubject"]["achievement"]
    narrative = a["criteria"]["narrative"]
    org = version.specification.provider

    assert a["name"] == version.title
    for outcome in version.outcomes:
        assert outcome.statement in narrative
        if outcome.esco_uri:
            esco = alignment(a, "ext:ESCOSkill")
            assert outcome.esco_uri in [x["targetUrl"] for x in esco]
            checked.add("esco")
    if version.eqf_level:
        [eqf] = alignment(a, "ext:EQFLevel")
        assert eqf["targetUrl"] == f"http://data.europa.eu/snb/eqf/{version.eqf_level}"
        assert eqf["targetCode"] == str(version.eqf_level)
        assert eqf["targetFramework"] == "European Qualifications Framework"
        assert eqf["targetName"] == f"EQF level {version.eqf_level}"
        checked.add("eqf")
    else:
        assert not alignment(a, "ext:EQFLevel")
    if version.nqf_level:
        framework = framework_for(org.country)
        assert framework is not None
        [nqf] = alignment(a, "ext:NQFLevel")
        assert nqf["targetUrl"] == framework.level_uri(version.nqf_level)
        assert nqf["targetCode"] == str(version.nqf_level)
        assert framework.name in nqf["targetFramework"]
        checked.add("nqf")
    else:
        assert not alignment(a, "ext:NQFLevel")
    if version.qf_ehea_cycle:
        [cycle] = alignment(a, "ext:QFEHEACycle")
        assert cycle["targetCode"] == str(version.qf_ehea_cycle)
        checked.add("qf_ehea")
    if version.isced_f:
        [isced] = alignment(a, "ext:ISCEDF")
        assert isced["targetCode"] == version.isced_f
        assert isced["targetUrl"] == f"http://data.europa.eu/snb/isced-f/{version.isced_f}"
        assert isced["targetFramework"] == "ISCED-F 2013"
        assert isced["targetName"] and isced["targetName"] != version.isced_f  # a label
        assert a["fieldOfStudy"].startswith(version.isced_f)
        checked.add("isced_f")
    if version.ects is not None:
        assert Decimal(str(a["creditsAvailable"])) == version.ects
        assert Decimal(str(a["ECTS"])) == version.ects
        assert template["credentialSubject"]["creditsEarned"] == a["creditsAvailable"]
        checked.add("ects")
    else:
        assert "creditsAvailable" not in a and "ECTS" not in a
    if version.hours:
        assert a["timeInvestment"] == version.hours
        checked.add("hours")
    weeks = version.max_duration_weeks
    if weeks:
        assert f"**Maximum duration:** {weeks} weeks" in narrative
        checked.add("max_duration")
    if version.participation_form:
        form = str(version.participation_form)
        expected = {
            "online": "online",
            "onsite": "onsite or blended",
            "blended": "onsite or blended",
            "work_based": "work experience",
        }.get(form)
        assert a.get("participationType") == expected
        assert "**Form of participation:**" in narrative  # the exact form, onsite vs blended
        if version.participation_detail:
            assert version.participation_detail in narrative
        checked.add(f"participation:{form}")
    if version.assessment_type:
        assert version.assessment_type in narrative
        checked.add("assessment")
    if version.supervision:
        supervision = str(version.supervision)
        assert a["supervisionType"] == exports_ob3.SUPERVISION_TYPE[version.supervision]
        assert a["identityChecked"] is (supervision in {"supervised_online", "onsite_with_id"})
        checked.add(f"supervision:{supervision}")
    else:
        assert "supervisionType" not in a and "identityChecked" not in a
    if version.grading_scheme:
        [grading] = a["resultDescription"]
        assert grading["name"] == version.grading_scheme
        assert template["credentialSubject"]["result"][0]["resultDescription"] == grading["id"]
        checked.add("grading")
    if version.prerequisites:
        assert version.prerequisites in narrative
    assert a["inLanguage"] == version.text_language
    for code in version.languages or []:
        assert code.lower() in a["tag"]
    if version.quality_assurance:
        assert version.quality_assurance in a["description"]

    # The awarding bodies: each a Profile under awardingBody, the first is the issuer.
    bodies = [b for b in version.awarding_bodies or [] if b.get("name")]
    profiles = a["awardingBody"]
    assert template["issuer"] == profiles[0]
    assert len(profiles) == max(len(bodies), 1)
    for body, profile in zip(bodies, profiles, strict=True):
        is_provider = profile["id"] == a["creator"]["id"]
        assert profile["name"] == (org.legal_name if is_provider else body["name"])
        ids = identifiers(profile)
        legal = body.get("legal_id") or (org.legal_id if is_provider else None)
        vat = body.get("vat_id") or (org.vat_id if is_provider else None)
        street = body.get("address") or (org.street_address if is_provider else None)
        country = body.get("country") or (org.country if is_provider else None)
        region = body.get("region") or (org.region if is_provider else None)
        if legal:
            assert ids["ext:LegalIdentifier"] == legal
            checked.add("legal_id")
        if vat:
            assert ids["ext:VATIdentifier"] == vat
            checked.add("vat_id")
        if body.get("url"):
            assert profile["url"] == body["url"]
        if street:
            assert profile["address"]["streetAddress"] == street
            checked.add("address")
        if country:
            assert profile["address"]["addressCountryCode"] == country
        if region:
            assert profile["address"]["addressRegion"] == region
        if is_provider:
            assert profile == a["creator"]
        else:
            checked.add("second_body")
    return checked


def test_every_demo_element_is_at_its_documented_place(app: Any, demo: Any) -> None:
    validator = extension_validator()
    checked: set[str] = set()
    with app.app_context():
        versions = published_versions(get_session())
        assert len(versions) >= 6
        for version in versions:
            template = exports_ob3.build_credential_template(version, BASE)
            assert_valid_ob3(template)
            achievement = template["credentialSubject"]["achievement"]
            assert "EducredentialAchievement" in achievement["type"]
            errors = [e.message for e in validator.iter_errors(achievement)]
            assert not errors, (version.title, errors)
            checked |= assert_elements_in_place(version, template)
            document = exports_ob3.achievement_document(version, BASE)
            assert document["@context"][2] == exports_ob3.extension_context()
    # the demo exercises every mapping, so none of the branches above passed vacuously
    assert checked >= {
        "esco",
        "eqf",
        "nqf",
        "qf_ehea",
        "isced_f",
        "ects",
        "hours",
        "max_duration",
        "assessment",
        "grading",
        "legal_id",
        "vat_id",
        "address",
        "second_body",
        "participation:online",
        "participation:onsite",
        "participation:blended",
        "participation:work_based",
        "supervision:onsite_with_id",
        "supervision:supervised_online",
        "supervision:unsupervised_no_id",
        "supervision:supervised_no_id",
    }, checked


def test_the_providers_own_entry_wins_over_its_profile_and_the_profile_fills_the_gaps(
    app: Any, demo: Any
) -> None:
    with app.app_context():
        session = get_session()
        udv = provider(session, "UDV")
        udv.legal_id, udv.vat_id = "HRB 123456", "DE123456789"
        udv.street_address = "Hauptstraße 1, 80331 München"
        version = create_published(
            session,
            udv,
            full_data(
                "Identifiers of the awarding bodies",
                awarding_bodies=[
                    {"name": "University of Demoville", "vat_id": "DE000000001"},
                    {
                        "name": "Bavarian Data Academy",
                        "url": "https://academy.example.org",
                        "legal_id": "HRB 999",
                        "vat_id": "DE000000002",
                        "country": "DE",
                        "region": "DE-BY",
                        "address": "Akademiestraße 2, 90402 Nürnberg",
                    },
                ],
            ),
        )
        template = exports_ob3.build_credential_template(version, BASE)
    assert_valid_ob3(template)
    issuer, academy = template["credentialSubject"]["achievement"]["awardingBody"]
    assert template["issuer"] == issuer
    assert identifiers(issuer)["ext:LegalIdentifier"] == "HRB 123456"  # from the profile
    assert identifiers(issuer)["ext:VATIdentifier"] == "DE000000001"  # the entry's own
    assert "DE123456789" not in json.dumps(template)
    assert issuer["address"]["streetAddress"] == "Hauptstraße 1, 80331 München"
    assert academy["id"].endswith("#awarding-body-2")
    assert academy["name"] == "Bavarian Data Academy"
    assert identifiers(academy) == {
        "ext:LegalIdentifier": "HRB 999",
        "ext:VATIdentifier": "DE000000002",
    }
    assert academy["address"] == {
        "type": ["Address"],
        "addressCountryCode": "DE",
        "addressCountry": "Germany",
        "addressRegion": "DE-BY",
        "streetAddress": "Akademiestraße 2, 90402 Nürnberg",
    }


def test_another_first_awarding_body_is_the_issuer(app: Any, demo: Any) -> None:
    with app.app_context():
        session = get_session()
        version = create_published(
            session,
            provider(session, "UDV"),
            full_data(
                "Awarded by the chamber",
                awarding_bodies=[
                    {"name": "Demoville Chamber of Commerce", "legal_id": "IHK-42"},
                    {"name": "University of Demoville"},
                ],
            ),
        )
        template = exports_ob3.build_credential_template(version, BASE)
    assert_valid_ob3(template)
    achievement = template["credentialSubject"]["achievement"]
    assert template["issuer"]["name"] == "Demoville Chamber of Commerce"
    assert identifiers(template["issuer"]) == {"ext:LegalIdentifier": "IHK-42"}
    # entered without a place: where Annex I says the issuer is (the first issuer region)
    assert template["issuer"]["address"]["addressCountryCode"] == "DE"
    assert template["issuer"]["address"]["addressRegion"] == "DE-BY"
    assert achievement["creator"]["name"] == "University of Demoville"  # the provider
    assert achievement["awardingBody"][1] == achievement["creator"]


def test_forms_the_profile_has_no_term_for_stay_in_the_narrative(app: Any, demo: Any) -> None:
    with app.app_context():
        session = get_session()
        version = create_published(
            session,
            provider(session, "NVTC"),
            minimal_data(
                "Welding in a mobile workshop",
                participation_form="other",
                participation_detail="In a mobile workshop touring the region",
                assessment_type="Portfolio: three welded test pieces and a safety log",
            ),
        )
        achievement = exports_ob3.build_achievement(version, BASE)
    assert "participationType" not in achievement  # the profile has no "other"
    assert "In a mobile workshop touring the region" in achievement["criteria"]["narrative"]
    assert achievement["assessmentType"] == "portfolio"
    assert "three welded test pieces" in achievement["criteria"]["narrative"]
    assert "supervisionType" not in achievement  # not entered: nothing claimed
    assert achievement["timeInvestment"] == 16 and "ECTS" not in achievement


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("Testing", "testing"),
        ("testing.", "testing"),
        ("Portfolio: three artefacts", "portfolio"),
        ("Application of a skill – observed on the job", "application of a skill"),
        ("Recognition of prior learning (interview)", "recognition of prior learning"),
        ("Graded project report on a real data set, with an oral defence", None),
        ("Portfolios reviewed by peers", None),  # a word that merely starts like a term
        ("Written test", None),  # naming a test is not the profile's "testing" on its own
        ("", None),
    ],
)
def test_assessment_type_maps_only_when_the_text_names_a_profile_term(
    text: str, term: str | None
) -> None:
    assert exports_ob3.assessment_type_term(text) == term


def test_the_mappings_only_emit_values_of_the_profiles_vocabularies() -> None:
    assert set(exports_ob3.PARTICIPATION_TYPE.values()) <= PROFILE_PARTICIPATION
    assert set(exports_ob3.SUPERVISION_TYPE.values()) == PROFILE_SUPERVISION
    assert set(exports_ob3.ASSESSMENT_TYPES) == PROFILE_ASSESSMENT
    schema = exports_ob3.extension_schema()["properties"]
    assert set(schema["participationType"]["enum"]) == PROFILE_PARTICIPATION
    assert set(schema["supervisionType"]["enum"]) == PROFILE_SUPERVISION
    assert set(schema["assessmentType"]["enum"]) == PROFILE_ASSESSMENT


def test_the_extension_schema_rejects_values_outside_the_profile() -> None:
    validator = extension_validator()
    good = {"type": ["Achievement", "EducredentialAchievement"], "participationType": "online"}
    validator.validate(good)
    for bad in (
        {**good, "participationType": "blended"},
        {**good, "supervisionType": "Supervised online"},
        {**good, "identityChecked": "yes"},
        {**good, "ECTS": 0.25},
        {**good, "timeInvestment": 0},
        {**good, "type": ["Achievement"]},
    ):
        with pytest.raises(ValidationError):
            validator.validate(bad)


def test_the_inline_context_expands_to_the_profiles_iris(app: Any, demo: Any) -> None:
    """Only the extension terms are expanded (the W3C and 1EdTech contexts are not shipped):
    each lands on the Edubadges glossary IRI, the coded values on the glossary's concepts."""
    with app.app_context():
        version = next(
            v
            for v in published_versions(get_session())
            if v.title == "Sustainable Supply Chain Management"
        )
        achievement = exports_ob3.build_achievement(version, BASE)
    part = {
        k: achievement[k] for k in ("id", *exports_ob3.EXTENSION_PROPERTIES) if k in achievement
    }
    part["type"] = ["EducredentialAchievement"]
    part["awardingBody"] = [{"id": p["id"]} for p in achievement["awardingBody"]]
    document = {"@context": [{"id": "@id", "type": "@type"}, exports_ob3.extension_context()]}
    graph = Graph().parse(data=json.dumps({**document, **part}), format="json-ld")
    node = URIRef(achievement["id"])

    def value(term: str) -> Any:
        return graph.value(node, URIRef(EDUBADGES + term))

    assert value("participationType") == URIRef(EDUBADGES + "participation-type-onsite-or-blended")
    assert value("supervisionType") == URIRef(
        EDUBADGES + "supervision-type-onsite-with-identity-verification"
    )
    assert value("identityChecked") == Literal(True, datatype=URIRef(XSD + "boolean"))
    assert value("ects") == Literal(Decimal("3"), datatype=URIRef(XSD + "decimal"))
    assert value("timeInvestment") == Literal(80, datatype=URIRef(XSD + "integer"))
    assert (node, None, URIRef(EDUBADGES + "EducredentialAchievement")) in graph
    bodies = graph.value(node, URIRef(ELM_AWARDING_BODY))
    assert [str(b) for b in graph.items(bodies)] == [
        p["id"] for p in achievement["awardingBody"]
    ]  # an ordered list: the first is the issuer


def test_downloads_carry_the_extension(client: Any, demo: Any, app: Any) -> None:
    with app.app_context():
        version = next(
            v
            for v in published_versions(get_session())
            if v.title == "Heat Pump Installation and Maintenance"
        )
        public_id = version.specification.public_id
    for suffix in ("ob3.json", "ob3-credential-template.json"):
        body = client.get(f"/catalogue/{public_id}/{suffix}").get_json()
        assert body["@context"][2] == exports_ob3.extension_context()
        achievement = body.get("credentialSubject", {}).get("achievement", body)
        assert achievement["participationType"] == "work experience"
        assert achievement["supervisionType"] == "onsite with identity verification"
        assert achievement["timeInvestment"] == 160
    assert_valid_ob3(body)
