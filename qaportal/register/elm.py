"""European Learning Model (ELM v3) ``Accreditation`` of a published register decision.

A published decision becomes an ``elm:Accreditation`` (the Accreditation Metadata Schema,
AMS) with:

- ``dcType``: the EU "Accreditation type" concept (institutional quality assurance, or
  programme quality assurance when the decision names micro-credentials in its scope);
- ``decision``: the DEQAR decision concept (the IRIs EQAR's own AMS export uses,
  ``https://data.deqar.eu/decision/…``);
- ``report``: the published accreditation report as a ``WebResource``;
- ``organisation``: the provider, ``accreditingAgent``: the agency (both ``Organisation``);
- ``limitField`` (ISCED-F) and ``limitEQFLevel`` (EQF) from the published micro-credentials
  in the decision's scope;
- ``dateIssued`` (decided on), ``valid`` (valid from), ``expiryDate`` (valid until) and
  ``reviewDate`` (valid until, else valid from + six years, DEQAR's default validity).

Every concept states ``Concept`` and its ``ConceptScheme``; the IRIs are data in
``qaportal/data/vocabularies/accreditation.json`` and the catalogue's helpers (countries,
EQF, ISCED-F): nothing is fetched at run time.

Validation (tests; documented in ``qaportal/register/EXPORTS.md``): the AMS SHACL shapes shipped in
``qaportal/data/standards/elm-ams-accreditation.shacl.ttl`` are closed and written for a
Java regex engine; :func:`shapes_graph` translates their ``sh:pattern`` values into Python
``re`` syntax when loading them (see :func:`python_pattern`), because pyshacl compiles them
with ``re`` and would otherwise fail on ``(?i)`` in mid-pattern and on ``\\p{L}``.

Reads only :class:`~qaportal.register.queries.PublishedDecision` (never an unpublished
decision) plus the provider's and agency's public profile and published specifications.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qaportal.catalogue import exports_elm
from qaportal.catalogue.models import SpecificationVersion, VersionStatus
from qaportal.orgs.models import Organisation
from qaportal.paths import DATA_DIR
from qaportal.register.queries import PublishedDecision, current_accreditation_for_specs

if TYPE_CHECKING:
    # rdflib and pyshacl come with the test extra: validating is for tests and tools, the
    # portal itself only builds the JSON-LD.
    from rdflib import Graph

VOCABULARY_FILE = DATA_DIR / "vocabularies" / "accreditation.json"
AMS_SHAPES_FILE = exports_elm.STANDARDS_DIR / "elm-ams-accreditation.shacl.ttl"
GENERIC_SHAPES_FILE = exports_elm.STANDARDS_DIR / "elm-edc-generic-full.shacl.ttl"
MEDIA_TYPE = exports_elm.MEDIA_TYPE
DEFAULT_VALIDITY_YEARS = 6  # DEQAR: a report without valid_to counts as valid six years


@lru_cache(maxsize=1)
def vocabularies() -> dict[str, Any]:
    return json.loads(VOCABULARY_FILE.read_text(encoding="utf-8"))


# ----- public addresses --------------------------------------------------------------------


def decision_url(base_url: str, decision_id: int) -> str:
    """The decision's stable public page in the register (never changes on re-issue)."""
    return f"{base_url.rstrip('/')}/register/decisions/{decision_id}"


def report_url(base_url: str, decision_id: int) -> str:
    """The public download of the decision's published report (its current version)."""
    return f"{decision_url(base_url, decision_id)}/report"


def accreditation_url(base_url: str, decision_id: int) -> str:
    return f"{decision_url(base_url, decision_id)}/accreditation.jsonld"


def agency_iri(base_url: str, agency_id: int) -> str:
    return f"{base_url.rstrip('/')}/register#agency-{agency_id}"


# ----- dates -------------------------------------------------------------------------------


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def valid_until_or_default(decision: PublishedDecision) -> dt.date:
    """The end of validity, or DEQAR's default of six years from the start."""
    if decision.valid_until is not None:
        return decision.valid_until
    return add_years(decision.valid_from or decision.decided_on, DEFAULT_VALIDITY_YEARS)


def _datetime(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


# ----- concepts ----------------------------------------------------------------------------


def accreditation_type_concept(decision: PublishedDecision) -> dict[str, Any]:
    table = vocabularies()["accreditation_type"]
    key = "programme_quality" if decision.specification_ids else "institutional_quality"
    concept = table["concepts"][key]
    return exports_elm._concept(concept["iri"], table["scheme"], concept["label"])


def decision_concept(outcome: str) -> dict[str, Any] | None:
    table = vocabularies()["decision"]
    concept = table["concepts"].get(outcome)
    if concept is None:
        return None
    return exports_elm._concept(concept["iri"], table["scheme"], concept["label"])


# ----- the document ------------------------------------------------------------------------


def _agency_node(agency: Organisation, base: str) -> dict[str, Any]:
    codes = [agency.country] if agency.country else []
    locations = [loc for loc in (exports_elm._location(c, base) for c in codes) if loc]
    identifiers = []
    if agency.deqar_id:
        identifiers.append(
            {"@type": "Identifier", "notation": agency.deqar_id, "schemeName": "DEQAR agency ID"}
        )
    return exports_elm._organisation(
        agency_iri(base, agency.id),
        agency.legal_name,
        agency.text_language or "en",
        locations,
        acronym=agency.acronym,
        identifiers=identifiers,
    )


def accreditation_node(
    decision: PublishedDecision,
    *,
    base_url: str,
    provider: Organisation,
    agency: Organisation,
    specifications: Sequence[SpecificationVersion] = (),
    provider_by_reference: bool = False,
) -> dict[str, Any]:
    """The ``Accreditation`` node (no ``@context``). ``provider_by_reference`` names the
    provider by its IRI only, for documents that describe it elsewhere (the catalogue's)."""
    base = base_url.rstrip("/")
    url = decision_url(base, decision.id)
    lang = exports_elm.profile_language(provider, "en")
    provider_node = exports_elm._provider_node(provider, base, lang)
    node: dict[str, Any] = {
        "@id": url,
        "@type": "Accreditation",
        "identifier": {
            "@type": "Identifier",
            "notation": decision.case_reference,
            "schemeName": f"{decision.agency_name} case reference",
        },
        "dcType": accreditation_type_concept(decision),
        "title": {"en": f"Accreditation of {decision.provider_name} by {decision.agency_name}"},
        "organisation": {"@id": provider_node["@id"]} if provider_by_reference else provider_node,
        "accreditingAgent": _agency_node(agency, base),
        "dateIssued": _datetime(decision.decided_on),
        "reviewDate": _datetime(valid_until_or_default(decision)),
        "landingPage": {
            "@type": "WebResource",
            "contentURL": url,
            "title": {"en": "Decision in the public register"},
        },
        "status": "released",
    }
    if decision.summary.strip():
        node["description"] = {"en": decision.summary.strip()}
    concept = decision_concept(decision.outcome)
    if concept is not None:
        node["decision"] = concept
    if decision.report is not None:
        report: dict[str, Any] = {
            "@type": "WebResource",
            "contentURL": report_url(base, decision.id),
            "title": {"en": "Accreditation report"},
        }
        language = exports_elm.language_concept(decision.report.locale.split("_")[0])
        if language is not None:
            report["language"] = language
        node["report"] = report
    if decision.valid_from is not None:
        node["valid"] = _datetime(decision.valid_from)
    if decision.valid_until is not None:
        node["expiryDate"] = _datetime(decision.valid_until)
    fields = sorted({v.isced_f for v in specifications if v.isced_f})
    levels = sorted({v.eqf_level for v in specifications if v.eqf_level})
    if fields:
        node["limitField"] = [exports_elm.isced_f_concept(code) for code in fields]
    if levels:
        node["limitEQFLevel"] = [exports_elm.eqf_concept(level) for level in levels]
    if decision.conditions:
        node["additionalNote"] = [
            exports_elm._note(f"Condition (due {c.due_on.isoformat()}): {c.text}", "en")
            for c in decision.conditions
        ]
    return node


def accreditation_jsonld(
    decision: PublishedDecision,
    *,
    base_url: str,
    provider: Organisation,
    agency: Organisation,
    specifications: Sequence[SpecificationVersion] = (),
) -> dict[str, Any]:
    """A stand-alone JSON-LD document (context by URL, like the catalogue's ELM export)."""
    node = accreditation_node(
        decision,
        base_url=base_url,
        provider=provider,
        agency=agency,
        specifications=specifications,
    )
    return {"@context": exports_elm.ELM_CONTEXT_URL, **node}


def published_scope(session: Session, spec_ids: Sequence[int]) -> list[SpecificationVersion]:
    """The published versions of the specifications a decision names."""
    if not spec_ids:
        return []
    return list(
        session.execute(
            select(SpecificationVersion).where(
                SpecificationVersion.specification_id.in_(list(spec_ids)),
                SpecificationVersion.status == VersionStatus.PUBLISHED,
            )
        ).scalars()
    )


def accreditation_document(
    session: Session, decision: PublishedDecision, base_url: str
) -> dict[str, Any]:
    """Load what the document names (one statement each) and build it."""
    provider = session.get(Organisation, decision.provider_id)
    agency = session.get(Organisation, decision.agency_id)
    assert provider is not None and agency is not None  # a published decision has both
    return accreditation_jsonld(
        decision,
        base_url=base_url,
        provider=provider,
        agency=agency,
        specifications=published_scope(session, decision.specification_ids),
    )


def filename(decision: PublishedDecision) -> str:
    return f"accreditation-{decision.id}.jsonld"


# ----- references from the catalogue's exports ---------------------------------------------


def catalogue_accreditation(
    session: Session, version: SpecificationVersion, base_url: str
) -> dict[str, Any] | None:
    """The ELM ``Accreditation`` node under which this specification is offered, if any
    (for the catalogue's ``LearningAchievementSpecification``)."""
    decision = current_accreditation_for_specs(session, [version.specification_id]).get(
        version.specification_id
    )
    if decision is None:
        return None
    agency = session.get(Organisation, decision.agency_id)
    assert agency is not None
    return accreditation_node(
        decision,
        base_url=base_url,
        provider=version.specification.provider,
        agency=agency,
        specifications=published_scope(session, decision.specification_ids),
        provider_by_reference=True,
    )


def ob3_alignment(
    session: Session, version: SpecificationVersion, base_url: str
) -> dict[str, Any] | None:
    """An OB3 ``Alignment`` pointing at the register decision that accredits the
    specification, if any (for the catalogue's ``Achievement``)."""
    decision = current_accreditation_for_specs(session, [version.specification_id]).get(
        version.specification_id
    )
    if decision is None:
        return None
    until = decision.valid_until.isoformat() if decision.valid_until else None
    name = f"Accredited by {decision.agency_name} ({decision.outcome})"
    if until:
        name += f", valid until {until}"
    return {
        "type": ["Alignment"],
        "targetName": name[:300],
        "targetUrl": decision_url(base_url, decision.id),
        "targetCode": decision.case_reference,
        "targetFramework": f"Public register of {decision.agency_name}",
        "targetType": "ext:QualityAssuranceDecision",
    }


# ----- SHACL: the AMS shapes, their Java patterns translated --------------------------------

# Java character-class unions that Python's ``re`` reads differently: ``[%[\p{L}\p{Nl}\p{Nd}]]``
# (percent, or any letter, letter-number or decimal digit) and ``[[A-Fa-f0-9]\:\.]`` (hex
# digit, colon or dot). ``\w`` adds the underscore to the first, which the URL grammar the
# pattern mimics allows in that position anyway.
_JAVA_CLASSES = (
    (r"[%[\p{L}\p{Nl}\p{Nd}]]", r"[%\w]"),
    (r"[[A-Fa-f0-9]\:\.]", r"[A-Fa-f0-9:.]"),
)


def python_pattern(pattern: str) -> str:
    """A Java ``sh:pattern`` rewritten for Python's ``re``: inline flags moved to the front
    (Java allows ``^(?i)…``, Python 3.11+ refuses flags after the start) and the ``\\p{…}``
    class unions replaced by their Python equivalents."""
    flags = ""
    for flag in re.findall(r"\(\?([a-z]+)\)", pattern):
        flags += flag
    pattern = re.sub(r"\(\?[a-z]+\)", "", pattern)
    for java, python in _JAVA_CLASSES:
        pattern = pattern.replace(java, python)
    return (f"(?{flags})" if flags else "") + pattern


@lru_cache(maxsize=1)
def ams_shapes_graph() -> Graph:
    """The AMS shapes as shipped, with every ``sh:pattern`` translated for Python."""
    from rdflib import Graph, Literal
    from rdflib.namespace import SH

    graph = Graph()
    graph.parse(AMS_SHAPES_FILE, format="turtle")
    for shape, pattern in list(graph.subject_objects(SH.pattern)):
        graph.remove((shape, SH.pattern, pattern))
        graph.add((shape, SH.pattern, Literal(python_pattern(str(pattern)))))
    return graph


@lru_cache(maxsize=1)
def shapes_graph() -> Graph:
    """The EDC generic controlled-vocabulary shapes plus the translated AMS shapes."""
    from rdflib import Graph

    graph = Graph()
    graph.parse(GENERIC_SHAPES_FILE, format="turtle")
    for triple in ams_shapes_graph():
        graph.add(triple)
    return graph


def to_graph(document: dict[str, Any]) -> Graph:
    """The document expanded offline with the shipped context."""
    from rdflib import Graph

    local = exports_elm.with_local_context(document)
    return Graph().parse(data=json.dumps(local), format="json-ld")


def validate(graph: Graph) -> tuple[bool, str]:
    from pyshacl import validate as shacl_validate

    conforms, _report, text = shacl_validate(
        graph, shacl_graph=shapes_graph(), inference="none", do_owl_imports=False
    )
    return bool(conforms), str(text)
