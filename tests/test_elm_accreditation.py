"""ELM ``Accreditation`` JSON-LD of published decisions, validated with pyshacl against the
AMS shapes (their Java regular expressions translated on loading) and the EDC generic
controlled-vocabulary shapes; the catalogue's ELM and OB3 exports reference it."""

from __future__ import annotations

import json
import re
import warnings
from typing import Any

import pytest
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.namespace import SH

from qaportal.db import get_session, utcnow
from qaportal.register import elm
from qaportal.register.models import RegisterPublication
from tests.test_catalogue_exports import assert_valid_ob3, no_network  # noqa: F401
from tests.test_deqar import build_register_world

ELM = Namespace("http://data.europa.eu/snb/model/elm/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
DC = Namespace("http://purl.org/dc/terms/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib.*")


@pytest.fixture
def register_world(app: Any, demo: Any) -> dict[str, Any]:
    return build_register_world(app)


def _document(client: Any, decision_id: int) -> dict[str, Any]:
    response = client.get(f"/register/decisions/{decision_id}/accreditation.jsonld")
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/ld+json"
    return json.loads(response.get_data(as_text=True))


def _accreditations(graph: Graph) -> list[Any]:
    return list(graph.subjects(RDF.type, ELM.Accreditation))


def test_the_accreditation_validates_and_really_holds_its_parts(
    client: Any, register_world: Any
) -> None:
    decision_id = register_world["decision"]
    graph = elm.to_graph(_document(client, decision_id))
    nodes = _accreditations(graph)
    assert nodes == [URIRef(f"http://localhost:5000/register/decisions/{decision_id}")] or (
        len(nodes) == 1 and str(nodes[0]).endswith(f"/register/decisions/{decision_id}")
    )
    node = nodes[0]

    agent = graph.value(node, ELM.accreditingAgent)
    provider = graph.value(node, ELM.organisation)
    assert (agent, RDF.type, ELM.Organisation) in graph
    assert (provider, RDF.type, ELM.Organisation) in graph
    assert agent != provider

    kind = graph.value(node, DC.type)
    assert (kind, RDF.type, SKOS.Concept) in graph
    scheme = graph.value(kind, SKOS.inScheme)
    assert str(scheme) == "http://data.europa.eu/snb/accreditation/25831c2"
    assert (scheme, RDF.type, SKOS.ConceptScheme) in graph
    # The decision named micro-credentials: programme quality assurance.
    assert str(kind) == "http://data.europa.eu/snb/accreditation/820101cba6"

    decision = graph.value(node, ELM.decision)
    assert str(decision).endswith("positive_with_conditions_or_restrictions")
    report = graph.value(node, ELM.report)
    assert (report, RDF.type, ELM.WebResource) in graph
    assert str(graph.value(report, ELM.contentUrl)).endswith(f"/decisions/{decision_id}/report")

    fields = {str(c) for c in graph.objects(node, ELM.limitField)}
    levels = {str(c) for c in graph.objects(node, ELM.limitEQFLevel)}
    assert fields == {"http://data.europa.eu/snb/isced-f/0613"}
    assert levels == {"http://data.europa.eu/snb/eqf/5", "http://data.europa.eu/snb/eqf/6"}
    for concept in fields | levels:
        assert (URIRef(concept), RDF.type, SKOS.Concept) in graph

    assert str(graph.value(node, DC.issued)).startswith("2026-02-20")
    # No end of validity was set: the review falls six years after the start.
    assert str(graph.value(node, ELM.reviewDate)).startswith("2032-03-01")
    assert graph.value(node, ELM.expiryDate) is None

    conforms, report_text = elm.validate(graph)
    assert conforms, report_text


@pytest.mark.parametrize("missing", ["accreditingAgent", "organisation", "dcType"])
def test_a_missing_mandatory_part_fails(client: Any, register_world: Any, missing: str) -> None:
    document = _document(client, register_world["decision"])
    del document[missing]
    graph = elm.to_graph(document)
    assert _accreditations(graph), "the broken document must still hold the Accreditation"
    conforms, report_text = elm.validate(graph)
    assert not conforms
    assert "MinCountConstraintComponent" in report_text


def test_unpublished_withdrawn_and_unknown_decisions_have_no_export(
    client: Any, register_world: Any
) -> None:
    for decision_id in (register_world["hidden"], register_world["withdrawn"], 999999):
        response = client.get(f"/register/decisions/{decision_id}/accreditation.jsonld")
        assert response.status_code == 404


# ----- the Java patterns of the AMS shapes -------------------------------------------------


def test_the_shipped_shapes_patterns_are_java_and_are_translated() -> None:
    raw = Graph().parse(elm.AMS_SHAPES_FILE, format="turtle")
    patterns = [str(p) for p in raw.objects(None, SH.pattern)]
    assert patterns
    refused = []
    for pattern in patterns:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)  # Java's nested classes
                re.compile(pattern)
        except re.error:
            refused.append(pattern)
    assert refused, "the shipped shapes no longer need a translation: drop python_pattern"
    translated = [str(p) for p in elm.ams_shapes_graph().objects(None, SH.pattern)]
    assert len(translated) == len(patterns)
    for pattern in translated:
        re.compile(pattern)
        assert r"\p{" not in pattern and "^(?i)" not in pattern
    qdr = next(p for p in translated if "http|https" in p)
    assert re.match(qdr, "HTTPS://agency.example.org/über")
    assert not re.match(qdr, "ftp://agency.example.org/")


@pytest.mark.parametrize(
    ("url", "conforms"), [("https://agency.example.org", True), ("ftp://agency.example.org", False)]
)
def test_the_translated_url_pattern_really_checks(
    client: Any, register_world: Any, url: str, conforms: bool
) -> None:
    """An agency homepage goes through the AMS URL pattern (only Python-compiled after
    translation): an https address passes, an ftp one does not."""
    document = _document(client, register_world["decision"])
    document["accreditingAgent"]["homepage"] = {"@type": "WebResource", "contentURL": url}
    graph = elm.to_graph(document)
    assert (None, FOAF.homepage, None) in graph
    assert elm.validate(graph)[0] is conforms


# ----- references from the catalogue -------------------------------------------------------


def test_catalogue_exports_reference_the_accreditation(
    app: Any, client: Any, register_world: Any
) -> None:
    decision_id = register_world["decision"]
    public_id = register_world["full"]
    response = client.get(f"/catalogue/{public_id}/elm.jsonld")
    assert response.status_code == 200
    document = json.loads(response.get_data(as_text=True))
    graph = elm.to_graph(document)
    spec = next(graph.subjects(RDF.type, ELM.LearningAchievementSpecification))
    accreditation = graph.value(spec, ELM.accreditation)
    assert accreditation is not None
    assert str(accreditation).endswith(f"/register/decisions/{decision_id}")
    assert (accreditation, RDF.type, ELM.Accreditation) in graph
    conforms, report_text = elm.validate(graph)
    assert conforms, report_text

    ob3 = json.loads(client.get(f"/catalogue/{public_id}/ob3.json").get_data(as_text=True))
    targets = [a["targetUrl"] for a in ob3.get("alignment", [])]
    assert any(t.endswith(f"/register/decisions/{decision_id}") for t in targets)
    template = client.get(f"/catalogue/{public_id}/ob3-credential-template.json")
    assert_valid_ob3(json.loads(template.get_data(as_text=True)))

    # Withdrawn from the register: the catalogue's exports stop naming it.
    with app.app_context():
        db = get_session()
        publication = db.query(RegisterPublication).filter_by(decision_id=decision_id).one()
        publication.withdrawn_at = utcnow()
        db.commit()
    document = json.loads(client.get(f"/catalogue/{public_id}/elm.jsonld").get_data(as_text=True))
    assert "accreditation" not in document
    ob3 = json.loads(client.get(f"/catalogue/{public_id}/ob3.json").get_data(as_text=True))
    assert not any("/register/decisions/" in a["targetUrl"] for a in ob3.get("alignment", []))
    assert client.get(f"/register/decisions/{decision_id}/accreditation.jsonld").status_code == 404
