"""Open Badges 3.0 and ELM v3 exports of published specifications, and their download routes.

No network: the OB3 schema is validated with a registry that refuses to retrieve anything,
and the ELM JSON-LD is expanded with the shipped context in place of its URL.
"""

from __future__ import annotations

import json
import socket
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft201909Validator
from jsonschema.exceptions import ValidationError
from pyshacl import validate as shacl_validate
from rdflib import RDF, Graph, URIRef
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from qaportal.audit.services import Actor
from qaportal.catalogue import exports_elm, exports_ob3
from qaportal.catalogue.models import Specification, SpecificationVersion, VersionStatus
from qaportal.catalogue.services import (
    OutcomeData,
    SpecificationData,
    create_specification,
    publish,
)
from qaportal.db import get_session
from qaportal.orgs.models import Organisation
from qaportal.paths import DATA_DIR

SHARED = Path(__file__).resolve().parents[2] / "shared" / "standards"
PACKAGED = DATA_DIR / "standards"
ELM = "http://data.europa.eu/snb/model/elm/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
LOCAL_HOSTS = {"127.0.0.1", "::1", "localhost"}

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib.*")


def standards_file(name: str) -> Path:
    """The reference copy in ../shared/standards when present, else the shipped copy."""
    shared = SHARED / name
    return shared if shared.exists() else PACKAGED / name


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection beyond this machine fails the test (the database may be local TCP)."""
    real_connect = socket.socket.connect

    def connect(sock: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if sock.family in (socket.AF_INET, socket.AF_INET6) and host not in LOCAL_HOSTS:
            raise AssertionError(f"network access attempted: {address!r}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)


# ----- specifications to export ------------------------------------------------------------


def full_data(
    title: str = "Applied data analysis with Python", **overrides: Any
) -> SpecificationData:
    """Every Annex I element, mandatory and optional."""
    values: dict[str, Any] = dict(
        title=title,
        issuer_regions=["DE", "DE-BY"],
        awarding_bodies=[
            {"name": "University of Demoville", "url": "https://university.example.org"},
            {"name": "Bavarian Data Academy", "url": "https://academy.example.org"},
        ],
        outcomes=[
            OutcomeData(
                "Analyse tabular data sets with pandas and report the findings",
                "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d",
            ),
            OutcomeData("Evaluate the quality of a data set and document its limitations"),
            OutcomeData(
                "Design reproducible analysis notebooks for a team",
                "http://data.europa.eu/esco/skill/25f0ea33-1e0f-4d6b-9a3c-6ac0d2b2b7e3",
            ),
        ],
        ects=Decimal("5"),
        hours=140,
        eqf_level=6,
        qf_ehea_cycle="first",
        assessment_type="Graded individual project with an oral defence of 20 minutes",
        participation_form="blended",
        participation_detail="Six online weeks and two onsite workshops",
        quality_assurance="Internal QA system of the university, accredited by the national agency",
        prerequisites="Basic programming in any language",
        supervision="onsite_with_id",
        grading_scheme="German grading scale 1.0 (best) to 4.0 (pass)",
        integration="stackable",
        stackable_towards="Certificate in Data Science (30 ECTS)",
        further_information="Offered every semester; materials in English.",
        languages=["en", "de"],
        isced_f="0613",
        price_note="EUR 450; free for enrolled students",
    )
    values.update(overrides)
    return SpecificationData(**values)


def minimal_data(title: str = "Welding safety basics", **overrides: Any) -> SpecificationData:
    """Only the mandatory elements, no ECTS (hours only), no EQF level (not applicable)."""
    values: dict[str, Any] = dict(
        title=title,
        issuer_regions=["FI"],
        awarding_bodies=[{"name": "Nordic Vocational Training Centre"}],
        outcomes=[OutcomeData("Apply the safety rules of arc welding in a workshop")],
        hours=16,
        level_not_applicable=True,
        assessment_type="Practical test observed by an instructor",
        participation_form="onsite",
        quality_assurance="EQAVET-based internal quality assurance of the centre",
    )
    values.update(overrides)
    return SpecificationData(**values)


def provider(session: Any, acronym: str) -> Organisation:
    return session.execute(select(Organisation).filter_by(acronym=acronym)).scalar_one()


def create_published(
    session: Any, org: Organisation, data: SpecificationData
) -> SpecificationVersion:
    actor = Actor.system("test")
    version = create_specification(session, org, data, actor)
    publish(session, version, actor)
    session.commit()
    return version


def create_draft(session: Any, org: Organisation, data: SpecificationData) -> SpecificationVersion:
    version = create_specification(session, org, data, Actor.system("test"))
    session.commit()
    return version


def published_versions(session: Any) -> list[SpecificationVersion]:
    return list(
        session.execute(
            select(SpecificationVersion)
            .where(SpecificationVersion.status == VersionStatus.PUBLISHED)
            .options(
                selectinload(SpecificationVersion.outcomes),
                selectinload(SpecificationVersion.specification).selectinload(
                    Specification.provider
                ),
            )
        ).scalars()
    )


@pytest.fixture
def catalogue(app: Any, demo: Any) -> dict[str, str]:
    """The demo data plus a full and a minimal published specification and a draft."""
    with app.app_context():
        session = get_session()
        udv, nvtc = provider(session, "UDV"), provider(session, "NVTC")
        udv.legal_id = "HRB 123456"  # exported as an ELM LegalIdentifier
        udv.deqar_id = "DEQARINST9999"
        full = create_published(session, udv, full_data())
        minimal = create_published(session, nvtc, minimal_data())
        draft = create_draft(session, udv, full_data("Draft only: machine learning"))
        return {
            "full": full.specification.public_id,
            "minimal": minimal.specification.public_id,
            "draft": draft.specification.public_id,
        }


# ----- OB3: JSON Schema, offline ----------------------------------------------------------


def _no_retrieval(uri: str) -> Resource:
    raise NoSuchResource(ref=uri)


def ob3_validator() -> Draft201909Validator:
    """The 1EdTech schema with a registry that fails loudly instead of downloading."""
    schema = json.loads(standards_file("ob_v3p0_achievementcredential_schema.json").read_text())
    Draft201909Validator.check_schema(schema)
    registry: Registry = Registry(retrieve=_no_retrieval)  # type: ignore[call-arg]
    return Draft201909Validator(
        schema, registry=registry, format_checker=Draft201909Validator.FORMAT_CHECKER
    )


def assert_valid_ob3(document: dict[str, Any]) -> None:
    errors = sorted(ob3_validator().iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_every_published_specification_validates_as_ob3(app: Any, catalogue: Any) -> None:
    with app.app_context():
        versions = published_versions(get_session())
        assert len(versions) >= 2
        for version in versions:
            template = exports_ob3.build_credential_template(version, app.config["BASE_URL"])
            assert_valid_ob3(template)
            assert template["@context"][:2] == [
                "https://www.w3.org/ns/credentials/v2",
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
            ]
            # the Edubadges profile terms, inline: nothing to fetch (tests/test_ob3_structured.py)
            assert template["@context"][2:] == [exports_ob3.extension_context()]
            achievement = template["credentialSubject"]["achievement"]
            assert achievement["achievementType"] == "MicroCredential"
            assert achievement["name"] == version.title
            assert achievement["id"].endswith(version.specification.public_id)


def test_ob3_carries_the_annex_i_elements(app: Any, catalogue: Any) -> None:
    with app.app_context():
        version = next(
            v
            for v in published_versions(get_session())
            if v.specification.public_id == catalogue["full"]
        )
        a = exports_ob3.build_achievement(version, "https://qa.example.org")
    assert a["id"] == f"https://qa.example.org/catalogue/{catalogue['full']}"
    assert a["creditsAvailable"] == 5
    assert a["inLanguage"] == "en"
    assert a["fieldOfStudy"] == "0613 Software and applications development and analysis"
    assert a["creator"]["type"] == ["Profile"]
    assert a["creator"]["name"] == "University of Demoville"
    assert a["creator"]["address"]["addressCountryCode"] == "DE"
    esco = [x for x in a["alignment"] if x["targetType"] == "ext:ESCOSkill"]
    assert [x["targetUrl"] for x in esco] == [
        "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d",
        "http://data.europa.eu/esco/skill/25f0ea33-1e0f-4d6b-9a3c-6ac0d2b2b7e3",
    ]
    assert any(x["targetUrl"] == "http://data.europa.eu/snb/eqf/6" for x in a["alignment"])
    assert "Analyse tabular data sets" in a["criteria"]["narrative"]
    assert "oral defence" in a["criteria"]["narrative"]
    assert "Bavarian Data Academy" in a["description"]
    assert a["resultDescription"][0]["name"].startswith("German grading scale")


def test_credential_template_leaves_issued_elements_as_placeholders(
    app: Any, catalogue: Any
) -> None:
    with app.app_context():
        version = next(
            v
            for v in published_versions(get_session())
            if v.specification.public_id == catalogue["full"]
        )
        template = exports_ob3.build_credential_template(version, app.config["BASE_URL"])
    assert "proof" not in template
    subject = template["credentialSubject"]
    assert subject["identifier"][0]["identityHash"] == "{{learner-identity-hash}}"
    assert subject["result"][0]["value"] == "{{grade-achieved}}"
    assert template["id"] == "urn:uuid:{{credential-uuid}}"
    assert template["issuer"]["id"] == subject["achievement"]["creator"]["id"]


def test_ob3_schema_check_really_rejects(app: Any, catalogue: Any) -> None:
    """The validator is not a rubber stamp: a wrong context or achievement type fails."""
    with app.app_context():
        version = published_versions(get_session())[0]
        template = exports_ob3.build_credential_template(version, app.config["BASE_URL"])
    broken = json.loads(json.dumps(template))
    broken["@context"][1] = "https://example.org/other-context.json"
    with pytest.raises(ValidationError):
        ob3_validator().validate(broken)
    broken = json.loads(json.dumps(template))
    del broken["credentialSubject"]["achievement"]["criteria"]
    with pytest.raises(ValidationError):
        ob3_validator().validate(broken)


def test_ob3_validator_never_downloads_a_remote_reference() -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$ref": "https://example.org/remote.json",
    }
    validator = Draft201909Validator(schema, registry=Registry(retrieve=_no_retrieval))  # type: ignore[call-arg]
    with pytest.raises(Exception, match=r"example\.org/remote\.json"):
        validator.validate({})


# ----- ELM: JSON-LD expanded offline, SHACL ------------------------------------------------


def elm_graph(document: dict[str, Any]) -> Graph:
    local = exports_elm.with_local_context(document)
    assert isinstance(local["@context"], dict)  # the URL is gone, the shipped context is in
    assert exports_elm.ELM_CONTEXT_URL not in json.dumps(local)
    return Graph().parse(data=json.dumps(local), format="json-ld")


def shapes_graph() -> Graph:
    """Both shapes files; the AMS ``sh:pattern``s (Java syntax) translated for Python, as the
    register does, since organisations now carry a ``homepage`` those patterns check."""
    from rdflib import Literal
    from rdflib.namespace import SH

    from qaportal.register.elm import python_pattern

    shapes = Graph()
    for name in ("elm-edc-generic-full.shacl.ttl", "elm-ams-accreditation.shacl.ttl"):
        shapes.parse(standards_file(name), format="turtle")
    for shape, pattern in list(shapes.subject_objects(SH.pattern)):
        shapes.remove((shape, SH.pattern, pattern))
        shapes.add((shape, SH.pattern, Literal(python_pattern(str(pattern)))))
    return shapes


def shacl(graph: Graph) -> tuple[bool, str]:
    conforms, _report, text = shacl_validate(
        graph, shacl_graph=shapes_graph(), inference="none", do_owl_imports=False
    )
    return bool(conforms), text


def _node_keys(node: Any, context: dict[str, Any]) -> list[str]:
    """Keys of the document that the context does not define (they would be dropped)."""
    unknown = []
    if isinstance(node, dict):
        for key, value in node.items():
            if not key.startswith("@") and key not in context:
                unknown.append(key)
            if key not in (
                "title",
                "description",
                "noteLiteral",
                "prefLabel",
                "legalName",
                "altLabel",
                "geographicName",
            ):
                unknown += _node_keys(value, context)
    elif isinstance(node, list):
        for item in node:
            unknown += _node_keys(item, context)
    return unknown


def classes_in(graph: Graph) -> set[str]:
    return {str(o) for o in graph.objects(None, RDF.type)}


def elm_document(app: Any, public_id: str) -> dict[str, Any]:
    with app.app_context():
        version = next(
            v for v in published_versions(get_session()) if v.specification.public_id == public_id
        )
        return exports_elm.build_learning_achievement_specification(version, app.config["BASE_URL"])


def test_elm_export_conforms_to_the_shapes_and_holds_every_emitted_class(
    app: Any, catalogue: Any
) -> None:
    document = elm_document(app, catalogue["full"])
    assert document["@context"] == exports_elm.ELM_CONTEXT_URL
    assert not _node_keys(document, exports_elm.local_context())
    graph = elm_graph(document)
    conforms, report = shacl(graph)
    assert conforms, report
    found = classes_in(graph)
    # Every class the export can emit is really there, as a full ELM/DC/SKOS IRI; nothing
    # was left unexpanded (a term missing from the context would not come out as an IRI).
    assert set(exports_elm.EMITTED_CLASSES) <= found, set(exports_elm.EMITTED_CLASSES) - found
    assert found <= set(exports_elm.EMITTED_CLASSES), found - set(exports_elm.EMITTED_CLASSES)
    spec = URIRef(document["@id"])
    assert (spec, RDF.type, URIRef(ELM + "LearningAchievementSpecification")) in graph
    outcomes = list(graph.objects(spec, URIRef(ELM + "learningOutcome")))
    assert len(outcomes) == 3
    assert URIRef("http://data.europa.eu/snb/eqf/6") in set(
        graph.objects(spec, URIRef(ELM + "EQFLevel"))
    )
    assert URIRef("http://data.europa.eu/snb/isced-f/0613") in set(
        graph.objects(spec, URIRef(ELM + "ISCEDFCode"))
    )
    languages = set(graph.objects(spec, URIRef("http://purl.org/dc/terms/language")))
    assert URIRef("http://publications.europa.eu/resource/authority/language/ENG") in languages
    assert URIRef("http://publications.europa.eu/resource/authority/language/DEU") in languages
    countries = set(graph.objects(None, URIRef(ELM + "countryCode")))
    assert URIRef("http://publications.europa.eu/resource/authority/country/DEU") in countries


def test_minimal_specification_conforms_too(app: Any, catalogue: Any) -> None:
    document = elm_document(app, catalogue["minimal"])
    graph = elm_graph(document)
    conforms, report = shacl(graph)
    assert conforms, report
    found = classes_in(graph)
    for cls in ("LearningAchievementSpecification", "LearningOutcome", "Organisation", "Note"):
        assert ELM + cls in found


def test_shacl_reports_a_broken_mandatory_property(app: Any, catalogue: Any) -> None:
    """The shapes are really applied: dropping the provider's mandatory legal name, or an
    address's mandatory country, or using a concept from the wrong controlled vocabulary
    (ISCED-F, ESCO skills) is a violation."""
    document = elm_document(app, catalogue["full"])

    broken = json.loads(json.dumps(document))
    del broken["publisher"]["legalName"]
    conforms, report = shacl(elm_graph(broken))
    assert not conforms
    assert "legalName" in report

    broken = json.loads(json.dumps(document))
    del broken["publisher"]["location"][0]["address"]["countryCode"]
    conforms, report = shacl(elm_graph(broken))
    assert not conforms
    assert "countryCode" in report

    broken = json.loads(json.dumps(document))
    broken["thematicArea"]["inScheme"]["@id"] = "http://example.org/not-isced-f"
    conforms, report = shacl(elm_graph(broken))
    assert not conforms
    assert "isced-f" in report

    broken = json.loads(json.dumps(document))
    broken["learningOutcome"][0]["relatedESCOSkill"]["inScheme"]["@id"] = "http://example.org/x"
    conforms, report = shacl(elm_graph(broken))
    assert not conforms


def test_shipped_standards_match_the_reference_copies() -> None:
    for path in sorted(PACKAGED.iterdir()):
        shared = SHARED / path.name
        if shared.exists():
            assert path.read_bytes() == shared.read_bytes(), path.name


# ----- download routes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "content_type", "check"),
    [
        ("ob3.json", "application/json", "Achievement"),
        ("ob3-credential-template.json", "application/vc+ld+json", "AchievementCredential"),
        ("elm.jsonld", "application/ld+json", "LearningAchievementSpecification"),
    ],
)
def test_public_download_routes(
    client: Any, catalogue: Any, suffix: str, content_type: str, check: str
) -> None:
    public_id = catalogue["full"]
    response = client.get(f"/catalogue/{public_id}/{suffix}")
    assert response.status_code == 200
    assert response.mimetype == content_type
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert public_id in disposition
    body = json.loads(response.get_data(as_text=True))
    assert check in json.dumps(body)
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_ob3_download_validates(app: Any, client: Any, catalogue: Any) -> None:
    body = client.get(f"/catalogue/{catalogue['minimal']}/ob3-credential-template.json").get_json()
    assert_valid_ob3(body)


def test_draft_and_unknown_specifications_have_no_exports(client: Any, catalogue: Any) -> None:
    for suffix in ("ob3.json", "ob3-credential-template.json", "elm.jsonld"):
        assert client.get(f"/catalogue/{catalogue['draft']}/{suffix}").status_code == 404
        assert client.get(f"/catalogue/no-such-id/{suffix}").status_code == 404


def test_exports_follow_the_published_version_not_a_newer_draft(
    app: Any, client: Any, catalogue: Any
) -> None:
    from qaportal.catalogue.services import load_by_public_id, new_version, save_draft

    with app.app_context():
        session = get_session()
        spec = load_by_public_id(session, catalogue["full"])
        assert spec is not None
        draft = new_version(session, spec, Actor.system("test"))
        save_draft(session, draft, full_data("Renamed in a draft"), Actor.system("test"))
        session.commit()
    body = client.get(f"/catalogue/{catalogue['full']}/ob3.json").get_json()
    assert body["name"] == "Applied data analysis with Python"
    assert body["version"] == "1"


def test_export_addresses_are_the_public_pages(app: Any, catalogue: Any) -> None:
    """The IRIs the exports mint are the public catalogue pages (kept in step with the routes)."""
    from flask import url_for

    base = app.config["BASE_URL"]
    with app.test_request_context():
        detail = url_for("catalogue.public_detail", public_id=catalogue["full"])
        provider_page = url_for("catalogue.provider_public", org_id=7)
    assert exports_elm.specification_iri(base, catalogue["full"]) == base + detail
    assert exports_elm.provider_iri(base, 7) == base + provider_page


def test_public_pages_of_the_exports_resolve(client: Any, catalogue: Any) -> None:
    body = client.get(f"/catalogue/{catalogue['full']}/ob3.json").get_json()
    path = body["id"].removeprefix("http://localhost")
    assert client.get(path).status_code == 200
    assert client.get(body["creator"]["id"].removeprefix("http://localhost")).status_code == 200


def test_note_subjects_resolve_to_the_published_vocabulary(
    app: Any, client: Any, catalogue: Any
) -> None:
    response = client.get("/catalogue/vocabulary/annex-i")
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    vocabulary = elm_graph(response.get_json())
    conforms, report = shacl(vocabulary)
    assert conforms, report
    concepts = set(vocabulary.subjects(RDF.type, URIRef(SKOS + "Concept")))
    assert len(concepts) == len(exports_elm.NOTE_SUBJECTS)
    graph = elm_graph(elm_document(app, catalogue["full"]))
    subjects = set(graph.objects(None, URIRef("http://purl.org/dc/terms/subject")))
    assert subjects and subjects <= concepts


# ----- the language of the texts ----------------------------------------------------------


def _tagged_literals(graph: Graph) -> dict[str, set[str]]:
    """Language tag -> the texts carrying it (every language-tagged literal of the graph)."""
    tagged: dict[str, set[str]] = {}
    for literal in graph.objects():
        language = getattr(literal, "language", None)
        if language:
            tagged.setdefault(language, set()).add(str(literal))
    return tagged


def test_a_finnish_providers_english_texts_are_tagged_en_not_fi(
    app: Any, client: Any, demo: Any
) -> None:
    """Taught in Finnish, described in English: every text of the provider is tagged ``en``,
    the language of instruction stays Finnish; the profile's own language tags its name."""
    description = "Offered twice a year at the Tampere workshop; taught in Finnish."
    with app.app_context():
        session = get_session()
        nvtc = provider(session, "NVTC")
        assert nvtc.country == "FI"
        version = create_published(
            session,
            nvtc,
            minimal_data(
                "Welding inspection basics",
                languages=["fi"],
                text_language="en",
                further_information=description,
            ),
        )
        public_id = version.specification.public_id
    document = elm_document(app, public_id)
    graph = elm_graph(document)
    conforms, report = shacl(graph)
    assert conforms, report
    tagged = _tagged_literals(graph)
    assert description in tagged["en"] and "Welding inspection basics" in tagged["en"]
    assert "fi" not in tagged  # nothing the provider wrote is claimed to be Finnish
    assert "Nordic Vocational Training Centre" in tagged["en"]  # no profile language: the spec's
    spec = URIRef(document["@id"])
    assert set(graph.objects(spec, URIRef("http://purl.org/dc/terms/language"))) == {
        URIRef("http://publications.europa.eu/resource/authority/language/FIN")
    }

    with app.app_context():
        session = get_session()
        version = next(
            v for v in published_versions(session) if v.specification.public_id == public_id
        )
        template = exports_ob3.build_credential_template(version, app.config["BASE_URL"])
        assert_valid_ob3(template)
        achievement = template["credentialSubject"]["achievement"]
        assert achievement["inLanguage"] == "en"
        assert description in achievement["description"]
        # The profile says its name is Finnish ("Pohjoismainen…" would be): tagged so in ELM.
        provider(session, "NVTC").text_language = "fi"
        session.commit()
    graph = elm_graph(elm_document(app, public_id))
    assert shacl(graph)[0]
    tagged = _tagged_literals(graph)
    assert "Nordic Vocational Training Centre" in tagged["fi"]
    assert description in tagged["en"] and description not in tagged["fi"]
    # the public page marks the texts' language as well
    page = client.get(f"/catalogue/{public_id}").get_data(as_text=True)
    assert '<dd lang="en">Welding inspection basics</dd>' in page


def test_texts_in_another_language_are_tagged_with_it(app: Any, demo: Any) -> None:
    with app.app_context():
        session = get_session()
        version = create_published(
            session,
            provider(session, "UDV"),
            full_data("Datenanalyse mit Python", languages=["en"], text_language="de"),
        )
        public_id = version.specification.public_id
        template = exports_ob3.build_credential_template(version, app.config["BASE_URL"])
    assert_valid_ob3(template)
    assert template["credentialSubject"]["achievement"]["inLanguage"] == "de"
    graph = elm_graph(elm_document(app, public_id))
    assert shacl(graph)[0]
    assert "Datenanalyse mit Python" in _tagged_literals(graph)["de"]


def test_the_profile_form_sets_the_language_of_the_providers_name(
    app: Any, client: Any, catalogue: Any, demo: Any
) -> None:
    from tests.conftest import login, post_form
    from tests.test_orgs import udv_profile

    with app.app_context():
        udv = provider(get_session(), "UDV").id
    login(client, "admin@university.example.org", demo.password)
    saved = post_form(
        client,
        f"/orgs/{udv}/edit",
        udv_profile(legal_name="Universität Demostadt", text_language="de"),
    )
    assert saved.status_code == 302
    form = client.get(f"/orgs/{udv}/edit").get_data(as_text=True)
    assert 'value="de" selected' in form or 'selected value="de"' in form
    tagged = _tagged_literals(elm_graph(elm_document(app, catalogue["full"])))
    assert "Universität Demostadt" in tagged["de"]
    assert "Applied data analysis with Python" in tagged["en"]  # the specification's own
    refused = post_form(client, f"/orgs/{udv}/edit", udv_profile(text_language="tlh"))
    assert refused.status_code != 302
    with app.app_context():
        assert provider(get_session(), "UDV").text_language == "de"
