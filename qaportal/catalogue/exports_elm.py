"""European Learning Model (ELM v3) JSON-LD of a published micro-credential specification.

The specification becomes an ``elm:LearningAchievementSpecification`` (and ``elm:Qualification``,
the class of EQF/NQF levels and ``isPartialQualification``) with its learning outcomes, the
learning activity (form of participation, workload), the assessment (type, mode,
supervision, grading scheme), the awarding opportunity (awarding bodies with their
identifiers, addresses and region codes; the issuer's countries/regions) and the provider as
``elm:Organisation``. Every Annex I element the provider fixed travels as its structured ELM
property, with the EU vocabularies' concepts (:mod:`qaportal.catalogue.vocabularies`, data in
``vocab/``). The mapping is documented in ``qaportal/catalogue/README.md``; the EDC
credential template built on it is :mod:`qaportal.catalogue.exports_edc`, what it cannot
carry for lack of data :mod:`qaportal.catalogue.export_gaps`.

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

from qaportal.catalogue import vocabularies as vocab
from qaportal.catalogue.completeness import is_provider_body
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
VC_CONTEXT_URL = "https://www.w3.org/2018/credentials/v1"
ELM = "http://data.europa.eu/snb/model/elm/"
MEDIA_TYPE = "application/ld+json"

# ----- controlled vocabularies (the concept data is in vocab/eu-vocabularies.json) -----------

COUNTRY_SCHEME = vocab.scheme_iri("country")
LANGUAGE_SCHEME = vocab.scheme_iri("language")
EQF_SCHEME = vocab.scheme_iri("eqf")
ISCED_F_SCHEME = vocab.scheme_iri("isced_f")

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
    ELM + "Qualification",
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


def _location(
    code: str, base: str, *, full_address: str | None = None, lang: str = "en"
) -> dict[str, Any] | None:
    """A country, an ISO 3166-2 subdivision or a NUTS region as an ELM Location: the Address
    with its country (and the postal address when known), the region's ``spatialCode``
    (NUTS where one exists, else ISO 3166-2) and its name."""
    found = vocab.place(code)
    if found is None:
        return None
    country = country_concept(found.country)
    if country is None:
        return None
    address: dict[str, Any] = {"@type": "Address", "countryCode": country}
    if full_address:
        address["fullAddress"] = _note(full_address, lang)
    location: dict[str, Any] = {"@type": "Location", "address": address}
    if found.spatial_code is not None:
        location["spatialCode"] = found.spatial_code
        location["geographicName"] = {"en": found.name or code.upper()}
    return location


def _locations(
    codes: list[str], base: str, *, full_address: str | None = None, lang: str = "en"
) -> list[dict[str, Any]]:
    return [
        loc
        for loc in (_location(c, base, full_address=full_address, lang=lang) for c in codes)
        if loc
    ]


def _legal_identifier(
    notation: str | None, country: str | None, iri: str | None = None
) -> dict[str, Any] | None:
    """A ``LegalIdentifier``; ELM needs the country that issued it, so none without one.
    ``iri`` names it, so that an organisation described twice in one document (publisher
    and issuer) still has one registration, as the shapes require."""
    spatial = country_concept(country) if notation and country else None
    if spatial is None:
        return None
    node: dict[str, Any] = {"@type": "LegalIdentifier", "notation": notation, "spatial": spatial}
    if iri:
        node["@id"] = iri
    return node


def _homepage(url: str | None) -> dict[str, Any] | None:
    url = (url or "").strip()
    if not url.lower().startswith(("http://", "https://")):
        return None
    return {"@type": "WebResource", "contentURL": url}


def _organisation(
    iri: str,
    legal_name: str,
    lang: str,
    locations: list[dict[str, Any]],
    *,
    acronym: str | None = None,
    identifiers: list[dict[str, Any]] | None = None,
    registration: dict[str, Any] | None = None,
    vat: dict[str, Any] | None = None,
    homepage: dict[str, Any] | None = None,
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
    if vat:
        node["vatIdentifier"] = vat
    if homepage:
        node["homepage"] = homepage
    return node


def _provider_node(org: Organisation, base: str, lang: str) -> dict[str, Any]:
    codes = [org.region] if org.region else ([org.country] if org.country else [])
    locations = _locations(codes, base, full_address=org.street_address, lang=lang)
    identifiers = []
    if org.erasmus_code:
        identifiers.append(
            {"@type": "Identifier", "notation": org.erasmus_code, "schemeName": "Erasmus code"}
        )
    if org.deqar_id:
        identifiers.append(
            {"@type": "Identifier", "notation": org.deqar_id, "schemeName": "DEQAR institution ID"}
        )
    iri = provider_iri(base, org.id)
    return _organisation(
        iri,
        org.legal_name,
        lang,
        locations,
        acronym=org.acronym,
        identifiers=identifiers,
        registration=_legal_identifier(org.legal_id, org.country, f"{iri}#legal-id"),
        vat=_legal_identifier(
            org.vat_id, vocab.vat_country(org.vat_id) or org.country, f"{iri}#vat-id"
        ),
        homepage=_homepage(org.website),
    )


def _awarding_body_node(
    body: dict[str, Any],
    iri: str,
    lang: str,
    fallback_codes: list[str],
) -> dict[str, Any]:
    """An awarding body other than the provider, with what the provider entered about it."""
    region = (body.get("region") or "").strip()
    country = (body.get("country") or "").strip().upper() or None
    place = vocab.place(region) if region else None
    country = country or (place.country if place else None)
    codes = [region] if place else ([country] if country else [])
    address = (body.get("address") or "").strip() or None
    if address and not codes:
        codes = fallback_codes[:1]
    locations = _locations(codes, "", full_address=address, lang=lang) or _locations(
        fallback_codes, ""
    )
    return _organisation(
        iri,
        body["name"].strip(),
        lang,
        locations,
        registration=_legal_identifier(body.get("legal_id"), country, f"{iri}-legal-id"),
        vat=_legal_identifier(
            body.get("vat_id"), vocab.vat_country(body.get("vat_id")) or country, f"{iri}-vat-id"
        ),
        homepage=_homepage(body.get("url")),
    )


def _duration(hours: int | None) -> str | None:
    return f"PT{hours}H" if hours else None


def _decimal(value: Decimal | None) -> str | None:
    if value is None:
        return None
    text = f"{Decimal(value).normalize():f}"
    return text


# ----- the document ------------------------------------------------------------------------


def _provider_as_body(org: Organisation, body: dict[str, Any], base: str, lang: str) -> dict:
    """The provider as an awarding body: what the provider entered for the body wins, the
    organisation's profile fills what it left out."""
    node = _provider_node(org, base, lang)
    country = (body.get("country") or "").strip().upper() or org.country
    # Same names as the profile's identifiers: the entered values replace them here, so the
    # organisation keeps one registration and one VAT identifier, as the shapes require.
    if body.get("legal_id"):
        node["registration"] = _legal_identifier(
            body["legal_id"], country, f"{node['@id']}#legal-id"
        )
    if body.get("vat_id"):
        node["vatIdentifier"] = _legal_identifier(
            body["vat_id"], vocab.vat_country(body["vat_id"]) or country, f"{node['@id']}#vat-id"
        )
    if body.get("url") and _homepage(body["url"]):
        node["homepage"] = _homepage(body["url"])
    region = (body.get("region") or "").strip() or None
    address = (body.get("address") or "").strip() or org.street_address
    if region or body.get("address"):
        codes = [region] if region else [c for c in (org.region or org.country,) if c]
        node["location"] = (
            _locations(codes, base, full_address=address, lang=lang) or node["location"]
        )
    return {k: v for k, v in node.items() if v is not None}


def _grading_scheme(version: SpecificationVersion, iri: str, lang: str) -> dict[str, Any] | None:
    if not version.grading_scheme:
        return None
    return {
        "@id": f"{iri}#grading-scheme",
        "@type": "GradingScheme",
        "title": {"en": "Grading scheme"},
        "description": {lang: version.grading_scheme},
    }


def _assessment_type(version: SpecificationVersion, iri: str, lang: str) -> dict[str, Any] | None:
    """The provider's type of assessment as the assessment's ``dc:type``: a concept of the
    specification's own (the Europass assessment-type list is too coarse for Annex I's free
    description), labelled with the provider's words."""
    text = (version.assessment_type or "").strip()
    if not text:
        return None
    return vocab.concept_node(f"{iri}#assessment-type", f"{iri}#assessment-types", text, lang=lang)


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
    vocab_iri = vocabulary_iri(base)

    def subject(key: str) -> dict[str, Any]:
        return _concept(f"{vocab_iri}#{key.replace('_', '-')}", vocab_iri, NOTE_SUBJECTS[key])

    provider_lang = profile_language(org, lang)
    provider = _provider_node(org, base, provider_lang)
    languages = [c for c in (language_concept(code) for code in version.languages or []) if c]
    issuer_codes = list(version.issuer_regions or [])
    issuer_locations = _locations(issuer_codes, base)

    # Awarding bodies: the provider itself (described once, as publisher), or further
    # organisations with what the provider entered about them.
    bodies: list[dict[str, Any]] = []
    provider_described = False
    for index, body in enumerate(version.awarding_bodies or [], start=1):
        name = (body.get("name") or "").strip()
        if not name:
            continue
        if is_provider_body(body, org):
            if not provider_described:
                provider = _provider_as_body(org, body, base, provider_lang)
                provider_described = True
            bodies.append({"@id": provider["@id"]})
        else:
            bodies.append(
                _awarding_body_node(body, f"{iri}#awarding-body-{index}", lang, issuer_codes)
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
        if vocab.ESCO_SKILL_RE.match(uri):
            node["relatedESCOSkill"] = vocab.concept_node(
                vocab.canonical_esco_uri(uri), vocab.scheme_iri("esco_skill")
            )
        elif uri:
            node["relatedSkill"] = {"@id": uri, "@type": "Concept"}
        outcomes.append(node)

    form = ParticipationForm(version.participation_form) if version.participation_form else None
    mode = vocab.mode_concept(form)
    setting = vocab.learning_setting_concept(org.provider_type)

    # The learning activity: form of participation, workload, languages.
    activity: dict[str, Any] = {
        "@id": f"{iri}#learning-activity",
        "@type": "LearningActivitySpecification",
        "title": {"en": "Learning activity leading to the micro-credential"},
    }
    if mode is not None:
        activity["mode"] = mode
    if form is not None:
        text = PARTICIPATION_TEXT[form]
        if version.participation_detail:
            text = f"{text}: {version.participation_detail}"
        activity["additionalNote"] = _note(text, "en", subject("participation"))
    if version.hours:
        activity["workload"] = _duration(version.hours)
    if languages:
        activity["language"] = languages

    # The assessment: type (dc:type), mode, supervision and identity verification, grading.
    supervision = Supervision(version.supervision) if version.supervision else None
    assessment: dict[str, Any] = {
        "@id": f"{iri}#assessment",
        "@type": "LearningAssessmentSpecification",
        "title": {"en": "Assessment"},
    }
    assessment_type = _assessment_type(version, iri, lang)
    if assessment_type is not None:
        assessment["dcType"] = assessment_type
        assessment["description"] = {lang: version.assessment_type}
    assessment_mode = vocab.assessment_mode_concept(supervision, form)
    if assessment_mode is not None:
        assessment["mode"] = assessment_mode
    if languages:
        assessment["language"] = languages
    if supervision is not None:
        assessment["additionalNote"] = _note(
            SUPERVISION_TEXT[supervision], "en", subject("supervision")
        )
    grading = _grading_scheme(version, iri, lang)
    if grading is not None:
        assessment["gradingScheme"] = grading

    notes = []
    if version.quality_assurance:
        notes.append(_note(version.quality_assurance, lang, subject("quality_assurance")))
    if version.qf_ehea_cycle:
        notes.append(
            _note(CYCLE_TEXT[QfEheaCycle(version.qf_ehea_cycle)], "en", subject("qf_ehea_cycle"))
        )
    integration = Integration(version.integration) if version.integration else None
    if integration is not None:
        text = INTEGRATION_TEXT[integration]
        if version.stackable_towards:
            text = f"{text}: {version.stackable_towards}"
        notes.append(_note(text, "en", subject("integration")))
    if version.further_information:
        notes.append(_note(version.further_information, lang, subject("further_information")))
    if version.price_note:
        notes.append(_note(version.price_note, lang, subject("price_note")))

    # A micro-credential is described as an ELM Qualification (the class that carries the
    # EQF/NQF level and isPartialQualification) as well as a learning achievement.
    document: dict[str, Any] = {
        "@context": ELM_CONTEXT_URL,
        "@id": iri,
        "@type": ["LearningAchievementSpecification", "Qualification"],
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
            "framework": vocab.ects_concept(),
            "point": _decimal(version.ects),
        }
    if version.hours:
        document["volumeOfLearning"] = _duration(version.hours)
    weeks = getattr(version, "max_duration_weeks", None)
    if weeks:
        document["maximumDuration"] = f"P{weeks}W"
    if version.eqf_level:
        document["eqfLevel"] = eqf_concept(version.eqf_level)
    nqf = vocab.nqf_level_concept(org.country, getattr(version, "nqf_level", None))
    if nqf is not None:
        document["nqfLevel"] = nqf
    if version.isced_f:
        document["thematicArea"] = isced_f_concept(version.isced_f)
    if mode is not None:
        document["mode"] = mode
    if setting is not None:
        document["learningSetting"] = setting
    if languages:
        document["language"] = languages
    if version.prerequisites:
        document["entryRequirement"] = _note(version.prerequisites, lang)
    if integration is not None:
        document["isPartialQualification"] = integration != Integration.STAND_ALONE
    if integration == Integration.STACKABLE and version.stackable_towards:
        document["isPartOf"] = {
            "@id": f"{iri}#stackable-towards",
            "@type": "LearningAchievementSpecification",
            "title": {lang: version.stackable_towards},
        }
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
