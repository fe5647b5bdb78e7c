"""Annex I elements as structured ELM (issue 12): every element a provider entered is found
in the expanded graph under its ELM property, with the EU vocabulary's concept; the EDC
credential template validates once its placeholders are filled.

No network: the JSON-LD is expanded with the shipped contexts, the shapes are the shipped
files (the AMS ``sh:pattern``s translated for Python as the register does).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import pytest
from pyshacl import validate as shacl_validate
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.term import Node

from qaportal.catalogue import export_gaps, exports_edc, exports_elm, vocabularies
from qaportal.catalogue.completeness import is_provider_body
from qaportal.catalogue.models import SpecificationVersion
from qaportal.catalogue.services import OutcomeData
from qaportal.db import get_session
from qaportal.register.elm import shapes_graph
from tests.test_catalogue_exports import (  # noqa: F401  (no_network is an autouse fixture)
    create_published,
    full_data,
    no_network,
    provider,
    published_versions,
)

ELM = "http://data.europa.eu/snb/model/elm/"
DC = "http://purl.org/dc/terms/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
ROV = "http://www.w3.org/ns/regorg#"
FOAF = "http://xmlns.com/foaf/0.1/"
CRED = "https://www.w3.org/2018/credentials#"
ESCO_1 = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"
ESCO_2 = "http://data.europa.eu/esco/skill/25f0ea33-1e0f-4d6b-9a3c-6ac0d2b2b7e3"

XSD_DURATION = URIRef("http://www.w3.org/2001/XMLSchema#duration")
XSD_STRING = URIRef("http://www.w3.org/2001/XMLSchema#string")
XSD_ANY_URI = URIRef("http://www.w3.org/2001/XMLSchema#anyURI")

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib.*")


def elm(term: str) -> URIRef:
    return URIRef(ELM + term)


def dc(term: str) -> URIRef:
    return URIRef(DC + term)


def skos(term: str) -> URIRef:
    return URIRef(SKOS + term)


# ----- data ----------------------------------------------------------------------------------


def structured_data() -> Any:
    """Every Annex I element including the issue 12 fields and awarding-body identifiers."""
    return full_data(
        "Structured export of every element",
        awarding_bodies=[
            {
                "name": "University of Demoville",
                "url": "https://university.example.org",
                "legal_id": "HRB 123456",
                "vat_id": "DE123456789",
                "region": "DE-BY",
                "address": "Universitätsplatz 1, 80333 München",
            },
            {
                "name": "Vienna Data Academy",
                "url": "https://academy.example.at",
                "legal_id": "FN 98765x",
                "vat_id": "ATU12345678",
                "country": "AT",
                "region": "AT-9",
                "address": "Ringstraße 1, 1010 Wien",
            },
            {"name": "Lisbon Partner Lab", "country": "PT", "region": "PT-11"},
        ],
        outcomes=[
            OutcomeData("Analyse tabular data sets with pandas and report the findings", ESCO_1),
            OutcomeData("Evaluate the quality of a data set and document its limitations"),
            OutcomeData("Design reproducible analysis notebooks for a team", ESCO_2),
        ],
        max_duration_weeks=12,
    )


@pytest.fixture
def exported(app: Any, demo: Any) -> dict[str, Any]:
    """The demo catalogue plus one specification with every element; the providers' profiles
    carry identifiers, addresses and homepages."""
    with app.app_context():
        session = get_session()
        udv, nvtc = provider(session, "UDV"), provider(session, "NVTC")
        udv.legal_id, udv.vat_id = "HRB 123456", "DE123456789"
        udv.street_address = "Universitätsplatz 1, 80333 München"
        udv.website = udv.website or "https://university.example.org"
        nvtc.vat_id, nvtc.street_address = "FI12345678", "Ammattikoulunkatu 1, 00100 Helsinki"
        nvtc.region = nvtc.region or "FI-18"
        version = create_published(session, udv, structured_data())
        session.commit()
        return {"structured": version.specification.public_id}


def versions(app: Any) -> list[SpecificationVersion]:
    return published_versions(get_session())


def graph_of(document: dict[str, Any]) -> Graph:
    local = exports_edc.with_local_contexts(document)
    text = json.dumps(local)
    assert exports_elm.ELM_CONTEXT_URL not in text and exports_elm.VC_CONTEXT_URL not in text
    return Graph().parse(data=text, format="json-ld")


def shacl(graph: Graph) -> tuple[bool, str]:
    conforms, _report, text = shacl_validate(
        graph, shacl_graph=shapes_graph(), inference="none", do_owl_imports=False
    )
    return bool(conforms), text


def reach(graph: Graph, start: Node, path: Iterable[URIRef]) -> set[Node]:
    nodes: set[Node] = {start}
    for predicate in path:
        nodes = {o for n in nodes for o in graph.objects(n, predicate)}
    return nodes


def concept_in(graph: Graph, concept: Node, scheme: str) -> bool:
    return (concept, RDF.type, skos("Concept")) in graph and (
        concept,
        skos("inScheme"),
        URIRef(scheme),
    ) in graph


# ----- the element → property table ---------------------------------------------------------

Expectation = tuple[str, list[URIRef], Node]


def expectations(version: SpecificationVersion) -> list[Expectation]:
    """(element, path from the specification, value the path must reach) for every element the
    provider entered: the picture of the Annex I → ELM mapping the README documents."""
    lang = exports_elm.text_language(version)
    org = version.specification.provider
    out: list[Expectation] = [("title", [dc("title")], Literal(version.title, lang=lang))]
    if version.eqf_level:
        out.append(
            (
                "eqf_level",
                [elm("EQFLevel")],
                URIRef(f"http://data.europa.eu/snb/eqf/{version.eqf_level}"),
            )
        )
    if version.isced_f:
        out.append(
            (
                "isced_f",
                [elm("ISCEDFCode")],
                URIRef(f"http://data.europa.eu/snb/isced-f/{version.isced_f}"),
            )
        )
    if version.ects is not None:
        point = f"{Decimal(version.ects).normalize():f}"
        out.append(
            ("ects", [elm("creditPoint"), elm("point")], Literal(point, datatype=XSD_STRING))
        )
        out.append(
            (
                "ects",
                [elm("creditPoint"), elm("framework")],
                URIRef("http://data.europa.eu/snb/education-credit/6fcec5c5af"),
            )
        )
    if version.hours:
        duration = Literal(f"PT{version.hours}H", datatype=XSD_DURATION)
        out.append(("hours", [elm("volumeOfLearning")], duration))
        out.append(("hours", [elm("influencedBy"), elm("workload")], duration))
    if version.max_duration_weeks:
        out.append(
            (
                "max_duration_weeks",
                [elm("maximumDuration")],
                Literal(f"P{version.max_duration_weeks}W", datatype=XSD_DURATION),
            )
        )
    mode = vocabularies.mode_concept(version.participation_form)
    if mode is not None:
        out.append(("participation_form", [elm("mode")], URIRef(mode["@id"])))
        out.append(("participation_form", [elm("influencedBy"), elm("mode")], URIRef(mode["@id"])))
    setting = vocabularies.learning_setting_concept(org.provider_type)
    if setting is not None:
        out.append(("provider_type", [elm("learningSetting")], URIRef(setting["@id"])))
    if version.assessment_type:
        out.append(
            (
                "assessment_type",
                [elm("provenBy"), dc("type"), skos("prefLabel")],
                Literal(version.assessment_type, lang=lang),
            )
        )
    if version.supervision or version.participation_form:
        assessment_mode = vocabularies.assessment_mode_concept(
            version.supervision, version.participation_form
        )
        if assessment_mode is not None:
            out.append(
                ("assessment mode", [elm("provenBy"), elm("mode")], URIRef(assessment_mode["@id"]))
            )
    if version.grading_scheme:
        out.append(
            (
                "grading_scheme",
                [elm("provenBy"), elm("gradingScheme"), dc("description")],
                Literal(version.grading_scheme, lang=lang),
            )
        )
    if version.prerequisites:
        out.append(
            (
                "prerequisites",
                [elm("entryRequirement"), elm("noteLiteral")],
                Literal(version.prerequisites, lang=lang),
            )
        )
    if version.integration:
        partial = version.integration != "stand_alone"
        out.append(("integration", [elm("isPartialQualification")], Literal(partial)))
        if version.integration == "stackable" and version.stackable_towards:
            out.append(
                (
                    "stackable_towards",
                    [elm("isPartOf"), dc("title")],
                    Literal(version.stackable_towards, lang=lang),
                )
            )
    for code in version.languages or []:
        concept = exports_elm.language_concept(code)
        assert concept is not None
        out.append(("languages", [dc("language")], URIRef(concept["@id"])))
    for outcome in version.outcomes:
        out.append(
            (
                "outcomes",
                [elm("learningOutcome"), dc("title")],
                Literal(outcome.statement, lang=lang),
            )
        )
        if outcome.esco_uri:
            out.append(
                (
                    "esco",
                    [elm("learningOutcome"), elm("relatedESCOSkill")],
                    URIRef(outcome.esco_uri),
                )
            )
    for text in (
        version.quality_assurance,
        version.further_information,
        version.price_note,
    ):
        if text:
            out.append(
                ("notes", [elm("additionalNote"), elm("noteLiteral")], Literal(text, lang=lang))
            )
    bodies = [elm("awardingOpportunity"), elm("awardingBody")]
    for body in version.awarding_bodies or []:
        own = is_provider_body(body, org)
        legal_id = body.get("legal_id") or (org.legal_id if own else None)
        vat_id = body.get("vat_id") or (org.vat_id if own else None)
        url = body.get("url") or (org.website if own else None)
        address = body.get("address") or (org.street_address if own else None)
        region = body.get("region") or (org.region if own else None)
        name_lang = exports_elm.profile_language(org, lang) if own else lang
        out.append(
            (
                "awarding body",
                [*bodies, URIRef(ROV + "legalName")],
                Literal(body["name"] if not own else org.legal_name, lang=name_lang),
            )
        )
        if legal_id:
            out.append(
                (
                    "legal_id",
                    [*bodies, URIRef(ROV + "registration"), skos("notation")],
                    Literal(legal_id),
                )
            )
        if vat_id:
            out.append(
                ("vat_id", [*bodies, elm("vatIdentifier"), skos("notation")], Literal(vat_id))
            )
        if url:
            out.append(
                (
                    "url",
                    [*bodies, URIRef(FOAF + "homepage"), elm("contentUrl")],
                    Literal(url, datatype=XSD_ANY_URI),
                )
            )
        if address:
            out.append(
                (
                    "address",
                    [
                        *bodies,
                        elm("location"),
                        elm("address"),
                        elm("fullAddress"),
                        elm("noteLiteral"),
                    ],
                    Literal(address, lang=name_lang),
                )
            )
        if region:
            place = vocabularies.place(region)
            assert place is not None and place.spatial_code is not None
            out.append(
                (
                    "region",
                    [*bodies, elm("location"), elm("spatialCode")],
                    URIRef(place.spatial_code["@id"]),
                )
            )
    for code in version.issuer_regions or []:
        place = vocabularies.place(code)
        assert place is not None
        country = exports_elm.country_concept(place.country)
        assert country is not None
        location = [elm("awardingOpportunity"), elm("location")]
        out.append(
            (
                "issuer_regions",
                [*location, elm("address"), elm("countryCode")],
                URIRef(country["@id"]),
            )
        )
        if place.spatial_code is not None:
            out.append(
                (
                    "issuer_regions",
                    [*location, elm("spatialCode")],
                    URIRef(place.spatial_code["@id"]),
                )
            )
    return out


def missing_in(graph: Graph, spec: URIRef, expected: list[Expectation]) -> list[str]:
    return [
        f"{element}: {value!r} not under {' / '.join(str(p) for p in path)}"
        for element, path, value in expected
        if value not in reach(graph, spec, path)
    ]


# ----- the specification export ---------------------------------------------------------------


def test_every_entered_element_is_under_its_elm_property(app: Any, exported: Any) -> None:
    """For each published demo specification and the fully entered one."""
    with app.app_context():
        found = versions(app)
        assert len(found) >= 7  # six demo specifications and the structured one
        for version in found:
            document = exports_elm.build_learning_achievement_specification(
                version, app.config["BASE_URL"]
            )
            graph = graph_of(document)
            spec = URIRef(document["@id"])
            expected = expectations(version)
            assert not missing_in(graph, spec, expected), (
                version.title,
                missing_in(graph, spec, expected),
            )
            conforms, report = shacl(graph)
            assert conforms, (version.title, report)


def test_structured_specification_carries_the_new_elements(app: Any, exported: Any) -> None:
    """The fully entered specification: the values themselves, not only their presence."""
    with app.app_context():
        version = next(
            v for v in versions(app) if v.specification.public_id == exported["structured"]
        )
        document = exports_elm.build_learning_achievement_specification(
            version, "https://qa.example.org"
        )
    graph = graph_of(document)
    spec = URIRef(document["@id"])
    assert (spec, RDF.type, elm("Qualification")) in graph
    assert (spec, RDF.type, elm("LearningAchievementSpecification")) in graph
    assert Literal("P12W", datatype=XSD_DURATION) in reach(graph, spec, [elm("maximumDuration")])
    assert Literal("PT140H", datatype=XSD_DURATION) in reach(graph, spec, [elm("volumeOfLearning")])
    assert reach(graph, spec, [elm("isPartialQualification")]) == {Literal(True)}
    # blended participation; assessment onsite with identity verification -> presential
    blended = URIRef("http://data.europa.eu/snb/learning-assessment/e92d221e4d")
    presential = URIRef("http://data.europa.eu/snb/learning-assessment/9191af2ed9")
    assert reach(graph, spec, [elm("mode")]) == {blended}
    assert reach(graph, spec, [elm("provenBy"), elm("mode")]) == {presential}
    setting = reach(graph, spec, [elm("learningSetting")])
    assert setting == {URIRef("http://data.europa.eu/snb/learning-setting/6fd4685715")}  # HEI
    assert concept_in(
        graph, next(iter(setting)), "http://data.europa.eu/snb/learning-setting/25831c2"
    )
    for skill in (ESCO_1, ESCO_2):
        assert concept_in(graph, URIRef(skill), "http://data.europa.eu/esco/concept-scheme/skills")
    # Regions: NUTS where one exists (Bavaria DE2, Vienna AT13), else ISO 3166-2 (Lisbon PT-11).
    codes = reach(
        graph,
        spec,
        [elm("awardingOpportunity"), elm("awardingBody"), elm("location"), elm("spatialCode")],
    )
    assert URIRef("http://data.europa.eu/nuts/code/DE2") in codes
    assert URIRef("http://data.europa.eu/nuts/code/AT13") in codes
    assert URIRef("urn:iso:std:iso:3166:-2:PT-11") in codes
    assert concept_in(
        graph,
        URIRef("http://data.europa.eu/nuts/code/AT13"),
        "http://data.europa.eu/nuts/scheme/2024",
    )
    # The VAT identifier's country comes from its prefix.
    academy = URIRef(document["@id"] + "#awarding-body-2")
    vat = next(iter(graph.objects(academy, elm("vatIdentifier"))))
    assert (
        vat,
        dc("spatial"),
        URIRef("http://publications.europa.eu/resource/authority/country/AUT"),
    ) in graph


def test_nqf_level_is_exported_from_the_provider_country_framework(app: Any, demo: Any) -> None:
    nqf = pytest.importorskip("qaportal.catalogue.nqf")
    framework = nqf.NQF_FRAMEWORKS["DE"]
    level = list(framework.levels)[-2]
    with app.app_context():
        session = get_session()
        version = create_published(
            session, provider(session, "UDV"), full_data("NQF levelled", nqf_level=level)
        )
        document = exports_elm.build_learning_achievement_specification(
            version, "https://qa.example.org"
        )
    graph = graph_of(document)
    levels = reach(graph, URIRef(document["@id"]), [elm("NQFLevel")])
    assert levels == {URIRef(framework.level_uri(level))}
    assert concept_in(graph, next(iter(levels)), "http://data.europa.eu/snb/qdr/25831c2")
    conforms, report = shacl(graph)
    assert conforms, report


def test_shapes_reject_a_concept_from_the_wrong_vocabulary(app: Any, exported: Any) -> None:
    """The new concepts are checked, not waved through: a learning setting or an EQF level
    outside its EU scheme is a violation."""
    with app.app_context():
        version = next(
            v for v in versions(app) if v.specification.public_id == exported["structured"]
        )
        document = exports_elm.build_learning_achievement_specification(
            version, "https://qa.example.org"
        )
    broken = json.loads(json.dumps(document))
    broken["learningSetting"]["inScheme"]["@id"] = "http://example.org/settings"
    conforms, report = shacl(graph_of(broken))
    assert not conforms and "learning-setting" in report
    broken = json.loads(json.dumps(document))
    broken["eqfLevel"]["inScheme"]["@id"] = "http://example.org/levels"
    conforms, report = shacl(graph_of(broken))
    assert not conforms and "eqf" in report


# ----- completeness of the export -------------------------------------------------------------


def test_missing_export_properties_name_what_to_enter(app: Any, exported: Any) -> None:
    with app.app_context():
        by_title = {v.title: v for v in versions(app)}
        full = by_title["Structured export of every element"]
        gaps = {(g.property, g.element) for g in export_gaps.missing_export_properties(full)}
        # Everything for the ELM properties was entered, except the NQF level and one body's
        # identifiers (the Lisbon lab has neither legal nor VAT identifier, address or site).
        assert not {p for p, e in gaps if e != "awarding_bodies"} - {"NQFLevel"}
        lisbon = [
            str(g.message)
            for g in export_gaps.missing_export_properties(full)
            if g.element == "awarding_bodies"
        ]
        assert any("Lisbon Partner Lab: no VAT identifier" in m for m in lisbon)
        assert any("Lisbon Partner Lab: no legal identifier" in m for m in lisbon)

        care = by_title["Digital Skills for Care Workers"]  # no ISCED-F, no grading scheme
        props = {g.property for g in export_gaps.missing_export_properties(care)}
        assert {"ISCEDFCode", "gradingScheme"} <= props
        assert ("maximumDuration" in props) == (not care.max_duration_weeks)
        assert "EQFLevel" not in props  # "not applicable" was stated


# ----- the EDC credential template -------------------------------------------------------------

FILLED = {
    "credential-uuid": "2f0f4a4e-1d7b-4c1b-9a51-6a0c0f7e2b11",
    "learner-uuid": "8d2b6c55-5f43-4e6e-9f53-3a1b2c3d4e5f",
    "learner-full-name": "Maria Muster",
    "learner-given-name": "Maria",
    "learner-family-name": "Muster",
    "issued": "2026-12-01T10:00:00Z",
    "valid-from": "2026-12-01T00:00:00Z",
    "awarding-date": "2026-11-30T00:00:00Z",
    "grade-achieved": "1.3",
}


def unknown_keys(node: Any, terms: dict[str, Any]) -> list[str]:
    """Keys no context defines (language maps' keys are languages, not terms)."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key.startswith("@"):
                found += unknown_keys(value, terms)
                continue
            if key not in terms:
                found.append(key)
            definition = terms.get(key)
            if not (isinstance(definition, dict) and definition.get("@container") == "@language"):
                found += unknown_keys(value, terms)
    elif isinstance(node, list):
        for item in node:
            found += unknown_keys(item, terms)
    return found


def fill(template: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(template)
    for name, value in FILLED.items():
        text = text.replace("{{" + name + "}}", value)
    assert "{{" not in text
    return json.loads(text)


def test_edc_template_leaves_the_issued_elements_as_placeholders(app: Any, exported: Any) -> None:
    with app.app_context():
        version = next(
            v for v in versions(app) if v.specification.public_id == exported["structured"]
        )
        template = exports_edc.build_credential_template(version, "https://qa.example.org")
    assert "proof" not in template
    assert template["@context"] == [exports_elm.VC_CONTEXT_URL, exports_elm.ELM_CONTEXT_URL]
    # Every key is a term of the two contexts: JSON-LD would drop an unknown one silently.
    terms = {**exports_elm.local_context(), **vocabularies.vc_terms_context()}
    assert not unknown_keys(template, terms)
    text = json.dumps(template)
    assert set(exports_edc.PLACEHOLDERS) == {
        name for name in exports_edc.PLACEHOLDERS if "{{" + name + "}}" in text
    }
    subject = template["credentialSubject"]
    assert subject["fullName"] == {"en": "{{learner-full-name}}"}
    assert template["issued"] == "{{issued}}"


def test_filled_edc_template_validates_and_holds_the_mandatory_properties(
    app: Any, exported: Any
) -> None:
    """Filled in, each template conforms to the EDC generic (controlled-vocabulary) shapes and
    the AMS shapes, and carries every credential-level property the Europass EDC schema
    requires, as full IRIs on the credential node."""
    with app.app_context():
        for version in versions(app):
            template = exports_edc.build_credential_template(version, app.config["BASE_URL"])
            graph = graph_of(fill(template))
            conforms, report = shacl(graph)
            assert conforms, (version.title, report)
            credential = URIRef("urn:epass:credential:" + FILLED["credential-uuid"])
            assert (credential, RDF.type, elm("EuropeanDigitalCredential")) in graph
            assert (credential, RDF.type, URIRef(CRED + "VerifiableCredential")) in graph
            for key, iri in exports_edc.MANDATORY_CREDENTIAL_PROPERTIES:
                assert list(graph.objects(credential, URIRef(iri))), (version.title, key)
            assert set(exports_edc.TEMPLATE_CLASSES) <= {
                str(o) for o in graph.objects(None, RDF.type)
            }
            # The claim is specified by the specification and every element is still there.
            claim = reach(graph, credential, [URIRef(CRED + "credentialSubject"), elm("hasClaim")])
            spec = URIRef(
                exports_elm.specification_iri(
                    app.config["BASE_URL"], version.specification.public_id
                )
            )
            assert reach(graph, next(iter(claim)), [elm("specifiedBy")]) == {spec}
            assert not missing_in(graph, spec, expectations(version))
            if version.supervision:
                checks = reach(graph, next(iter(claim)), [elm("provenBy"), elm("idVerification")])
                labels = {
                    str(label) for c in checks for label in graph.objects(c, skos("prefLabel"))
                }
                assert labels == {exports_elm.SUPERVISION_TEXT[version.supervision]}


def test_edc_shapes_reject_a_template_without_credential_profile(app: Any, exported: Any) -> None:
    with app.app_context():
        version = versions(app)[0]
        template = fill(exports_edc.build_credential_template(version, app.config["BASE_URL"]))
    del template["credentialProfiles"]
    conforms, report = shacl(graph_of(template))
    assert not conforms and "credentialProfiles" in report
    template = fill(exports_edc.build_credential_template(version, app.config["BASE_URL"]))
    del template["displayParameter"]["primaryLanguage"]
    conforms, report = shacl(graph_of(template))
    assert not conforms and "primaryLanguage" in report


def test_edc_template_download(client: Any, exported: Any) -> None:
    public_id = exported["structured"]
    response = client.get(f"/catalogue/{public_id}/elm-credential-template.jsonld")
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{public_id}-edc-credential-template.jsonld"'
    )
    body = response.get_json()
    assert body["@type"] == ["VerifiableCredential", "EuropeanDigitalCredential"]
    assert body["credentialSubject"]["hasClaim"][0]["specifiedBy"]["title"] == {
        "en": "Structured export of every element"
    }
    assert client.get("/catalogue/no-such-id/elm-credential-template.jsonld").status_code == 404
