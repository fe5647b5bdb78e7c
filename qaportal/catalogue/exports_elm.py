"""European Learning Model (ELM v3) JSON-LD of a published micro-credential specification.

The specification becomes an ``elm:LearningAchievementSpecification`` with its learning
outcomes, the learning activity (form of participation, workload), the assessment
(type, supervision, grading scheme), the awarding opportunity (awarding bodies and the
issuer's countries/regions) and the provider as ``elm:Organisation``. Controlled values use
the EU vocabularies' URIs (EU Publications Office authority tables for countries and
languages; ``data.europa.eu/snb`` for EQF, ISCED-F, credit systems, learning modes; ESCO
skills). The mapping is documented in ``qaportal/catalogue/README.md``.

The document names the published context URL (like EDC credentials do); the portal never
fetches it: :func:`with_local_context` swaps in the copy shipped in
``qaportal/data/standards`` for offline expansion (the tests do this).

Pure functions: no Flask request, no database access beyond the loaded objects (the caller
loads the version with its specification, provider and outcomes).
"""

from __future__ import annotations

import copy
import csv
import json
from decimal import Decimal
from functools import lru_cache
from typing import Any

import pycountry

from qaportal.catalogue.models import (
    Integration,
    ParticipationForm,
    QfEheaCycle,
    SpecificationVersion,
    Supervision,
)
from qaportal.orgs.models import Organisation
from qaportal.paths import DATA_DIR

STANDARDS_DIR = DATA_DIR / "standards"
ELM_CONTEXT_URL = "http://data.europa.eu/snb/model/context/edc-ap"
ELM = "http://data.europa.eu/snb/model/elm/"
MEDIA_TYPE = "application/ld+json"

# ----- controlled vocabularies ---------------------------------------------------------

COUNTRY_SCHEME = "http://publications.europa.eu/resource/authority/country"
LANGUAGE_SCHEME = "http://publications.europa.eu/resource/authority/language"
EQF_SCHEME = "http://data.europa.eu/snb/eqf/25831c2"
ISCED_F_SCHEME = "http://data.europa.eu/snb/isced-f/25831c2"
CREDIT_SCHEME = "http://data.europa.eu/snb/education-credit/25831c2"
ECTS_CONCEPT = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
MODE_SCHEME = "http://data.europa.eu/snb/learning-assessment/25831c2"
ESCO_SKILL_SCHEME = "http://data.europa.eu/esco/concept-scheme/skills"
ESCO_SKILL_PREFIX = "http://data.europa.eu/esco/skill/"

# "Mode of learning and assessment" (data.europa.eu/snb/learning-assessment); "other" has
# no concept and is described in a note instead.
PARTICIPATION_MODES: dict[ParticipationForm, tuple[str, str]] = {
    ParticipationForm.ONLINE: (
        "http://data.europa.eu/snb/learning-assessment/920fbb3cbe",
        "Online",
    ),
    ParticipationForm.ONSITE: (
        "http://data.europa.eu/snb/learning-assessment/9191af2ed9",
        "Presential",
    ),
    ParticipationForm.BLENDED: (
        "http://data.europa.eu/snb/learning-assessment/e92d221e4d",
        "Blended",
    ),
    ParticipationForm.WORK_BASED: (
        "http://data.europa.eu/snb/learning-assessment/729f3bed4b",
        "Workbased",
    ),
}

# English wording of Annex I used in the exports (data, not the visitor's UI language).
SUPERVISION_TEXT = {
    Supervision.UNSUPERVISED_NO_ID: "Unsupervised with no identity verification",
    Supervision.SUPERVISED_NO_ID: "Supervised with no identity verification",
    Supervision.SUPERVISED_ONLINE: "Supervised online",
    Supervision.ONSITE_WITH_ID: "Onsite with identity verification",
}
INTEGRATION_TEXT = {
    Integration.STAND_ALONE: "Stand-alone, independent micro-credential",
    Integration.INTEGRATED: "Integrated into another credential",
    Integration.STACKABLE: "Stackable towards another credential",
}
CYCLE_TEXT = {
    QfEheaCycle.SHORT: "QF-EHEA short cycle",
    QfEheaCycle.FIRST: "QF-EHEA first cycle",
    QfEheaCycle.SECOND: "QF-EHEA second cycle",
    QfEheaCycle.THIRD: "QF-EHEA third cycle",
}
PARTICIPATION_TEXT = {
    ParticipationForm.ONLINE: "Online",
    ParticipationForm.ONSITE: "Onsite",
    ParticipationForm.BLENDED: "Blended",
    ParticipationForm.WORK_BASED: "Work-based",
    ParticipationForm.OTHER: "Other",
}

# Subjects of the notes that carry Annex I elements ELM has no dedicated property for. They
# form a small concept scheme published under the portal's own base URL.
NOTE_SUBJECTS = {
    "quality_assurance": "Type of quality assurance",
    "integration": "Integration/stackability options",
    "further_information": "Further information",
    "price_note": "Price and funding",
    "qf_ehea_cycle": "Level: QF-EHEA cycle",
    "supervision": "Supervision and identity verification during assessment",
    "participation": "Form of participation in the learning activity",
}

# Every ELM class this export can emit (full IRIs), for tests and documentation.
EMITTED_CLASSES = (
    ELM + "LearningAchievementSpecification",
    ELM + "LearningOutcome",
    ELM + "LearningActivitySpecification",
    ELM + "LearningAssessmentSpecification",
    ELM + "GradingScheme",
    ELM + "AwardingOpportunity",
    ELM + "Organisation",
    ELM + "Address",
    ELM + "Note",
    ELM + "CreditPoint",
    ELM + "Identifier",
    ELM + "LegalIdentifier",
    ELM + "WebResource",
    "http://purl.org/dc/terms/Location",
    "http://www.w3.org/2004/02/skos/core#Concept",
    "http://www.w3.org/2004/02/skos/core#ConceptScheme",
)


# ----- shipped standards ---------------------------------------------------------------


@lru_cache(maxsize=1)
def local_context() -> dict[str, Any]:
    """The ELM/EDC JSON-LD context shipped with the portal (the inner ``@context`` object)."""
    path = STANDARDS_DIR / "elm-edc-ap-context.jsonld"
    return json.loads(path.read_text(encoding="utf-8"))["@context"]


def with_local_context(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` whose context URL is replaced by the shipped context, so a
    JSON-LD processor expands it without any network access."""
    result = copy.deepcopy(document)
    context = result.get("@context")
    contexts = context if isinstance(context, list) else [context]
    result["@context"] = [local_context() if c == ELM_CONTEXT_URL else c for c in contexts]
    if len(result["@context"]) == 1:
        result["@context"] = result["@context"][0]
    return result


@lru_cache(maxsize=1)
def isced_f_labels() -> dict[str, str]:
    path = STANDARDS_DIR / "isced-f-2013.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row["label"] for row in csv.DictReader(handle)}


def isced_f_label(code: str | None) -> str | None:
    """English label of an ISCED-F 2013 code, including the generated "not further defined"
    (…0), "inter-disciplinary" (…8) and "not elsewhere classified" (…9) codes."""
    if not code:
        return None
    labels = isced_f_labels()
    if code in labels:
        return labels[code]
    parent = labels.get(code[:-1])
    if parent is None:
        return None
    suffix = code[-1]
    if suffix == "0":
        return f"{parent} not further defined"
    if suffix == "8":
        return f"Inter-disciplinary programmes and qualifications involving {parent.lower()}"
    if suffix == "9":
        return f"{parent} not elsewhere classified"
    return None


# ----- small helpers ---------------------------------------------------------------------


def specification_iri(base_url: str, public_id: str) -> str:
    """The stable, public address of a specification (its catalogue page)."""
    return f"{base_url.rstrip('/')}/catalogue/{public_id}"


def provider_iri(base_url: str, provider_id: int) -> str:
    """The stable, public address of a provider's catalogue page."""
    return f"{base_url.rstrip('/')}/providers/{provider_id}/catalogue"


def vocabulary_iri(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/catalogue/vocabulary/annex-i"


def text_language(version: SpecificationVersion) -> str:
    """BCP 47 tag for the specification's own texts: the language the provider says they
    are written in, which need not be a language of instruction."""
    found = _language(version.text_language or "")
    if found is not None:
        return getattr(found, "alpha_2", None) or found.alpha_3
    return "en"


def profile_language(org: Organisation, specification_language: str) -> str:
    """BCP 47 tag for the provider's name: its profile's language when it states one."""
    found = _language(org.text_language or "")
    if found is not None:
        return getattr(found, "alpha_2", None) or found.alpha_3
    return specification_language


def _language(code: str) -> Any:
    code = (code or "").strip().lower()
    if len(code) == 2:
        return pycountry.languages.get(alpha_2=code)
    if len(code) == 3:
        return pycountry.languages.get(alpha_3=code) or pycountry.languages.get(bibliographic=code)
    return None


def _country(code: str) -> Any:
    return pycountry.countries.get(alpha_2=(code or "").split("-", 1)[0].upper())


def _scheme(iri: str) -> dict[str, Any]:
    return {"@id": iri, "@type": "ConceptScheme"}


def _concept(
    iri: str, scheme: str, label: str | None = None, notation: str | None = None
) -> dict[str, Any]:
    node: dict[str, Any] = {"@id": iri, "@type": "Concept", "inScheme": _scheme(scheme)}
    if label:
        node["prefLabel"] = {"en": label}
    if notation:
        node["notation"] = notation
    return node


def country_concept(code: str) -> dict[str, Any] | None:
    country = _country(code)
    if country is None:
        return None
    return _concept(
        f"{COUNTRY_SCHEME}/{country.alpha_3}", COUNTRY_SCHEME, country.name, country.alpha_3
    )


def language_concept(code: str) -> dict[str, Any] | None:
    language = _language(code)
    if language is None:
        return None
    alpha_3 = language.alpha_3.upper()
    return _concept(f"{LANGUAGE_SCHEME}/{alpha_3}", LANGUAGE_SCHEME, language.name, alpha_3)


def eqf_concept(level: int) -> dict[str, Any]:
    return _concept(
        f"http://data.europa.eu/snb/eqf/{level}", EQF_SCHEME, f"Level {level}", str(level)
    )


def isced_f_concept(code: str) -> dict[str, Any]:
    return _concept(
        f"http://data.europa.eu/snb/isced-f/{code}", ISCED_F_SCHEME, isced_f_label(code), code
    )


def _note(text: str, lang: str, subject: dict[str, Any] | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {"@type": "Note", "noteLiteral": {lang: text}}
    if subject is not None:
        node["subject"] = subject
    return node


def _location(code: str, base: str) -> dict[str, Any] | None:
    """A country (ISO 3166-1) or region (ISO 3166-2) as an ELM Location with an Address."""
    country = country_concept(code)
    if country is None:
        return None
    location: dict[str, Any] = {
        "@type": "Location",
        "address": {"@type": "Address", "countryCode": country},
    }
    if "-" in code:
        region = pycountry.subdivisions.get(code=code.upper())
        location["geographicName"] = {"en": region.name if region else code.upper()}
    return location


def _organisation(
    iri: str,
    legal_name: str,
    lang: str,
    locations: list[dict[str, Any]],
    *,
    acronym: str | None = None,
    identifiers: list[dict[str, Any]] | None = None,
    registration: dict[str, Any] | None = None,
) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@id": iri,
        "@type": "Organisation",
        "legalName": {lang: legal_name},
        "location": locations,
    }
    if acronym and acronym != legal_name:
        node["altLabel"] = {lang: acronym}
    if identifiers:
        node["identifier"] = identifiers
    if registration:
        node["registration"] = registration
    return node


def _provider_node(org: Organisation, base: str, lang: str) -> dict[str, Any]:
    codes = [org.region] if org.region else ([org.country] if org.country else [])
    locations = [loc for loc in (_location(c, base) for c in codes) if loc]
    identifiers = []
    if org.erasmus_code:
        identifiers.append(
            {"@type": "Identifier", "notation": org.erasmus_code, "schemeName": "Erasmus code"}
        )
    if org.deqar_id:
        identifiers.append(
            {"@type": "Identifier", "notation": org.deqar_id, "schemeName": "DEQAR institution ID"}
        )
    registration = None
    country = country_concept(org.country) if org.country else None
    if org.legal_id and country is not None:
        registration = {"@type": "LegalIdentifier", "notation": org.legal_id, "spatial": country}
    return _organisation(
        provider_iri(base, org.id),
        org.legal_name,
        lang,
        locations,
        acronym=org.acronym,
        identifiers=identifiers,
        registration=registration,
    )


def _same_body(name: str, org: Organisation) -> bool:
    wanted = " ".join(name.split()).casefold()
    candidates = {org.legal_name, org.acronym or "", org.display_name}
    return wanted in {" ".join(c.split()).casefold() for c in candidates if c}


def _duration(hours: int | None) -> str | None:
    return f"PT{hours}H" if hours else None


def _decimal(value: Decimal | None) -> str | None:
    if value is None:
        return None
    text = f"{Decimal(value).normalize():f}"
    return text


# ----- the document ------------------------------------------------------------------------


def build_learning_achievement_specification(
    version: SpecificationVersion,
    base_url: str,
    *,
    accreditation: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """ELM v3 JSON-LD (context by URL) of one specification version. ``accreditation`` is
    the ELM ``Accreditation`` node under which it is offered (built by the register:
    :func:`qaportal.register.elm.catalogue_accreditation`)."""
    spec = version.specification
    org = spec.provider
    base = base_url.rstrip("/")
    lang = text_language(version)
    iri = specification_iri(base, spec.public_id)
    vocab = vocabulary_iri(base)

    def subject(key: str) -> dict[str, Any]:
        return _concept(f"{vocab}#{key.replace('_', '-')}", vocab, NOTE_SUBJECTS[key])

    provider = _provider_node(org, base, profile_language(org, lang))
    languages = [c for c in (language_concept(code) for code in version.languages or []) if c]
    issuer_locations = [
        loc for loc in (_location(code, base) for code in version.issuer_regions or []) if loc
    ]

    # Awarding bodies: the provider itself, or further organisations located where Annex I
    # says the issuer is (the issuer's countries/regions).
    bodies: list[dict[str, Any]] = []
    for index, body in enumerate(version.awarding_bodies or [], start=1):
        name = (body.get("name") or "").strip()
        if not name:
            continue
        if _same_body(name, org):
            bodies.append({"@id": provider["@id"]})  # described in full once, as publisher
        else:
            bodies.append(
                _organisation(
                    f"{iri}#awarding-body-{index}",
                    name,
                    lang,
                    issuer_locations or provider["location"],
                )
            )
    if not bodies:
        bodies.append({"@id": provider["@id"]})

    outcomes = []
    for number, outcome in enumerate(version.outcomes, start=1):
        node: dict[str, Any] = {
            "@id": f"{iri}#outcome-{number}",
            "@type": "LearningOutcome",
            "title": {lang: outcome.statement},
        }
        uri = (outcome.esco_uri or "").strip()
        if uri.startswith(ESCO_SKILL_PREFIX):
            node["relatedESCOSkill"] = {
                "@id": uri,
                "@type": "Concept",
                "inScheme": _scheme(ESCO_SKILL_SCHEME),
            }
        elif uri:
            node["relatedSkill"] = {"@id": uri, "@type": "Concept"}
        outcomes.append(node)

    # The learning activity: form of participation, workload, languages.
    activity: dict[str, Any] = {
        "@id": f"{iri}#learning-activity",
        "@type": "LearningActivitySpecification",
        "title": {"en": "Learning activity leading to the micro-credential"},
    }
    form = ParticipationForm(version.participation_form) if version.participation_form else None
    if form in PARTICIPATION_MODES:
        mode_iri, mode_label = PARTICIPATION_MODES[form]
        activity["mode"] = _concept(mode_iri, MODE_SCHEME, mode_label)
    if form is not None:
        text = PARTICIPATION_TEXT[form]
        if version.participation_detail:
            text = f"{text}: {version.participation_detail}"
        activity["additionalNote"] = _note(text, "en", subject("participation"))
    if version.hours:
        activity["workload"] = _duration(version.hours)
    if languages:
        activity["language"] = languages

    # The assessment: type, supervision and identity verification, grading scheme.
    assessment: dict[str, Any] = {
        "@id": f"{iri}#assessment",
        "@type": "LearningAssessmentSpecification",
        "title": {"en": "Assessment"},
    }
    if version.assessment_type:
        assessment["description"] = {lang: version.assessment_type}
    if languages:
        assessment["language"] = languages
    if version.supervision:
        assessment["additionalNote"] = _note(
            SUPERVISION_TEXT[Supervision(version.supervision)], "en", subject("supervision")
        )
    if version.grading_scheme:
        assessment["gradingScheme"] = {
            "@id": f"{iri}#grading-scheme",
            "@type": "GradingScheme",
            "title": {"en": "Grading scheme"},
            "description": {lang: version.grading_scheme},
        }

    notes = []
    if version.quality_assurance:
        notes.append(_note(version.quality_assurance, lang, subject("quality_assurance")))
    if version.qf_ehea_cycle:
        notes.append(
            _note(CYCLE_TEXT[QfEheaCycle(version.qf_ehea_cycle)], "en", subject("qf_ehea_cycle"))
        )
    if version.integration:
        text = INTEGRATION_TEXT[Integration(version.integration)]
        if version.stackable_towards:
            text = f"{text}: {version.stackable_towards}"
        notes.append(_note(text, "en", subject("integration")))
    if version.further_information:
        notes.append(_note(version.further_information, lang, subject("further_information")))
    if version.price_note:
        notes.append(_note(version.price_note, lang, subject("price_note")))

    document: dict[str, Any] = {
        "@context": ELM_CONTEXT_URL,
        "@id": iri,
        "@type": "LearningAchievementSpecification",
        "identifier": {
            "@type": "Identifier",
            "notation": spec.public_id,
            "schemeName": "qaportal specification",
        },
        "title": {lang: version.title},
        "homepage": {
            "@type": "WebResource",
            "contentURL": iri,
            "title": {"en": "Catalogue page"},
        },
        "learningOutcome": outcomes,
        "influencedBy": activity,
        "provenBy": assessment,
        "awardingOpportunity": {
            "@id": f"{iri}#awarding",
            "@type": "AwardingOpportunity",
            "awardingBody": bodies,
            "location": issuer_locations,
        },
        "publisher": provider,
        "status": "published",
    }
    if outcomes:
        summary = "\n".join(f"- {o.statement}" for o in version.outcomes)
        document["learningOutcomeSummary"] = _note(summary, lang)
    if version.ects is not None:
        document["creditPoint"] = {
            "@type": "CreditPoint",
            "framework": _concept(
                ECTS_CONCEPT, CREDIT_SCHEME, "European Credit Transfer System", "ECTS"
            ),
            "point": _decimal(version.ects),
        }
    if version.hours:
        document["volumeOfLearning"] = _duration(version.hours)
    if version.eqf_level:
        document["eqfLevel"] = eqf_concept(version.eqf_level)
    if version.isced_f:
        document["thematicArea"] = isced_f_concept(version.isced_f)
    if languages:
        document["language"] = languages
    if version.prerequisites:
        document["entryRequirement"] = _note(version.prerequisites, lang)
    if notes:
        document["additionalNote"] = notes
    if accreditation is not None:
        document["accreditation"] = [accreditation]
    return document


def annex_i_vocabulary(base_url: str) -> dict[str, Any]:
    """The small concept scheme naming the Annex I elements that the export carries in notes
    (published at :func:`vocabulary_iri`, so the notes' subjects resolve)."""
    vocab = vocabulary_iri(base_url)
    return {
        "@context": ELM_CONTEXT_URL,
        "@graph": [
            {
                "@id": vocab,
                "@type": "ConceptScheme",
                "prefLabel": {"en": "Annex I elements carried in notes (qaportal)"},
            },
            *(
                _concept(f"{vocab}#{key.replace('_', '-')}", vocab, label)
                for key, label in NOTE_SUBJECTS.items()
            ),
        ],
    }


def filename(version: SpecificationVersion) -> str:
    return f"{version.specification.public_id}-elm.jsonld"
