"""EU controlled vocabularies for the catalogue exports, carried as data.

The concept URIs live in ``vocab/eu-vocabularies.json`` (each table names its concept
scheme and its source); nothing is fetched at run time. This module turns them into ELM
``skos:Concept`` nodes, each with its ``skos:ConceptScheme``, and answers the questions the
ELM export asks: which learning setting, which mode, which supervision concept, which
spatial code (NUTS where one exists, else ISO 3166-2), which NQF level concept.

The Open Badges export may read it; it changes only with the vocabulary data.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pycountry

from qaportal.catalogue import validation

VOCAB_DIR = Path(__file__).resolve().parent / "vocab"
VC_TERMS_FILE = VOCAB_DIR / "vc-v1-terms.jsonld"

# The editor's ESCO check (http or https, any case); the export writes the canonical form.
ESCO_SKILL_RE = validation.ESCO_SKILL_RE
canonical_esco_uri = validation.canonical_esco_uri
ISO_3166_2_RE = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")
NUTS_RE = re.compile(r"^[A-Z]{2}[0-9A-Z]{1,3}$")


@lru_cache(maxsize=1)
def data() -> dict[str, Any]:
    return json.loads((VOCAB_DIR / "eu-vocabularies.json").read_text(encoding="utf-8"))


def scheme_iri(name: str) -> str:
    """A concept scheme by its short name (``eqf``, ``qdr``, ``nuts``, …) or table name."""
    table = data().get(name)
    if isinstance(table, dict) and "scheme" in table:
        return str(table["scheme"])
    return str(data()["schemes"][name])


def scheme_node(iri: str) -> dict[str, Any]:
    return {"@id": iri, "@type": "ConceptScheme"}


def concept_node(
    iri: str,
    schemes: str | list[str],
    label: str | None = None,
    notation: str | None = None,
    lang: str = "en",
) -> dict[str, Any]:
    """An ELM ``Concept`` in one or more schemes (the EU scheme first)."""
    in_schemes = [schemes] if isinstance(schemes, str) else schemes
    node: dict[str, Any] = {
        "@id": iri,
        "@type": "Concept",
        "inScheme": scheme_node(in_schemes[0])
        if len(in_schemes) == 1
        else [scheme_node(s) for s in in_schemes],
    }
    if label:
        node["prefLabel"] = {lang: label}
    if notation:
        node["notation"] = notation
    return node


def table_concept(table: str, key: str) -> dict[str, Any] | None:
    """The EU concept ``key`` of a vocabulary table, or None when the table has no confirmed
    EU identifier for it."""
    entry = data()[table]["concepts"].get(key)
    if entry is None or not entry.get("iri"):
        return None
    return concept_node(
        entry["iri"], data()[table]["scheme"], entry["label"], entry.get("notation")
    )


def table_label(table: str, key: str) -> str | None:
    entry = data()[table]["concepts"].get(key)
    return entry["label"] if entry else None


# ----- learning setting, mode, supervision -----------------------------------------------------


def learning_setting_key(provider_type: str | None) -> str | None:
    """``formal`` or ``non_formal`` for a provider type (Annex I has no such element)."""
    if not provider_type:
        return None
    return data()["learning_setting_by_provider_type"].get(str(provider_type))


def learning_setting_concept(provider_type: str | None) -> dict[str, Any] | None:
    key = learning_setting_key(provider_type)
    return table_concept("learning_setting", key) if key else None


def mode_concept(form: str | None) -> dict[str, Any] | None:
    """The "mode of learning and assessment" concept of a form of participation."""
    return table_concept("learning_assessment_mode", str(form)) if form else None


# Where the assessment takes place follows from how it is supervised when the provider says;
# unsupervised or unstated assessments take the form of participation of the course.
ASSESSMENT_MODE_BY_SUPERVISION = {"supervised_online": "online", "onsite_with_id": "onsite"}


def assessment_mode_concept(supervision: str | None, form: str | None) -> dict[str, Any] | None:
    key = ASSESSMENT_MODE_BY_SUPERVISION.get(str(supervision)) if supervision else None
    return mode_concept(key or form)


def supervision_concept(supervision: str, annex_i_scheme: str) -> dict[str, Any]:
    """The supervision/identity-verification concept: the EU one when its identifier is in the
    data, else the portal's Annex I concept (``<annex_i_scheme>#supervision-…``)."""
    found = table_concept("supervision_verification", supervision)
    if found is not None:
        return found
    label = table_label("supervision_verification", supervision) or supervision
    slug = supervision.replace("_", "-")
    return concept_node(f"{annex_i_scheme}#supervision-{slug}", annex_i_scheme, label)


def credential_profile_concept() -> dict[str, Any]:
    concept = table_concept("credential_type", "generic")
    assert concept is not None  # shipped data
    return concept


def ects_concept() -> dict[str, Any]:
    concept = table_concept("education_credit", "ects")
    assert concept is not None  # shipped data
    return concept


# ----- places -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A region code as the export needs it: the country (ISO 3166-1 alpha-2) it lies in and
    its spatial-code concept (NUTS when one exists, else ISO 3166-2), or a country only."""

    country: str
    spatial_code: dict[str, Any] | None
    name: str | None


def place(code: str | None) -> Place | None:
    """Parse a country (``DE``), an ISO 3166-2 subdivision (``DE-BY``) or a NUTS code
    (``DE21``); None for anything else."""
    code = (code or "").strip().upper()
    if not code:
        return None
    if len(code) == 2:
        country = pycountry.countries.get(alpha_2=code)
        return Place(code, None, None) if country else None
    if ISO_3166_2_RE.match(code):
        subdivision = pycountry.subdivisions.get(code=code)
        if subdivision is None:
            return None
        nuts = data()["iso_to_nuts"].get(code)
        if nuts:
            return Place(code[:2], nuts_concept(nuts, subdivision.name), subdivision.name)
        return Place(code[:2], iso_3166_2_concept(code, subdivision.name), subdivision.name)
    if NUTS_RE.match(code):
        country = data()["nuts_country"].get(code[:2], code[:2])
        if pycountry.countries.get(alpha_2=country) is None:
            return None
        return Place(country, nuts_concept(code, None), None)
    return None


def nuts_concept(code: str, label: str | None) -> dict[str, Any]:
    return concept_node(data()["nuts_code_prefix"] + code, scheme_iri("nuts"), label, code)


def iso_3166_2_concept(code: str, label: str | None) -> dict[str, Any]:
    scheme = scheme_iri("iso_3166_2")
    return concept_node(f"{scheme}:{code}", scheme, label, code)


def vat_country(vat_id: str | None) -> str | None:
    """The ISO 3166-1 alpha-2 country of an EU VAT identifier's prefix (``EL`` is Greece)."""
    prefix = (vat_id or "").strip().upper()[:2]
    if len(prefix) != 2 or not prefix.isalpha():
        return None
    prefix = data()["nuts_country"].get(prefix, prefix)
    return prefix if pycountry.countries.get(alpha_2=prefix) else None


# ----- NQF ----------------------------------------------------------------------------------


def nqf_level_concept(country: str | None, level: int | None) -> dict[str, Any] | None:
    """The NQF level concept of the provider's country (``qaportal.catalogue.nqf``), in the
    Commission's qualification-framework scheme the EDC shapes require and in the country's
    own framework scheme; None when no framework is known or the level lies outside it."""
    if not country or level is None:
        return None
    try:
        from qaportal.catalogue.nqf import NQF_FRAMEWORKS
    except ImportError:  # the frameworks table has not landed yet
        return None
    framework = NQF_FRAMEWORKS.get(country.upper())
    if framework is None or level not in framework.levels:
        return None
    schemes = [scheme_iri("qdr")]
    if framework.scheme_uri and framework.scheme_uri not in schemes:
        schemes.append(framework.scheme_uri)
    return concept_node(
        framework.level_uri(level), schemes, framework.level_label(level), str(level)
    )


def vc_terms_context() -> dict[str, Any]:
    """The W3C VC 1.1 terms the EDC template uses (see ``vocab/vc-v1-terms.jsonld``)."""
    return json.loads(VC_TERMS_FILE.read_text(encoding="utf-8"))["@context"]
