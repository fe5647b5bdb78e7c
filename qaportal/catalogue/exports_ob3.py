"""Open Badges 3.0 exports of a published micro-credential specification.

- :func:`build_achievement`: the OB3 ``Achievement`` describing the micro-credential.
- :func:`build_credential_template`: an unsigned ``AchievementCredential`` around it. The
  elements of an *issued* credential (identification of the learner, date of issuing, grade
  achieved) are placeholders ``{{…}}`` for the issuing system to fill in; no proof is added.

Annex I elements with a place in OB3 core use it (alignments, ``creditsAvailable``,
``resultDescription``, ``inLanguage``, ``Profile.otherIdentifier``). Those OB3 core cannot
carry (form of participation, type of assessment, supervision, identity verification, ECTS,
workload in hours) follow the Dutch Edubadges micro-credential profile for OB3: the extra
type ``EducredentialAchievement`` and its properties. Every awarding body, not only the
first (the issuer), is listed under ``awardingBody``, the ELM property. Both are defined by
the JSON-LD context in ``ob3_context/``, which the documents carry inline (nothing to fetch).

Both documents validate against the 1EdTech JSON Schema shipped in ``qaportal/data/standards``.
The Annex I → OB3 mapping, element by element, is documented in
``qaportal/catalogue/README.md``.

Pure functions: no Flask request; the caller loads the version with its specification,
provider and outcomes.
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import pycountry

from qaportal.catalogue.completeness import is_provider_body
from qaportal.catalogue.exports_elm import (
    CYCLE_TEXT,
    INTEGRATION_TEXT,
    PARTICIPATION_TEXT,
    SUPERVISION_TEXT,
    isced_f_label,
    provider_iri,
    specification_iri,
    text_language,
)
from qaportal.catalogue.models import (
    Integration,
    ParticipationForm,
    QfEheaCycle,
    SpecificationVersion,
    Supervision,
)
from qaportal.catalogue.nqf import framework_for
from qaportal.orgs.models import Organisation

OB3_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
OB3_SCHEMA_ID = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json-ld/"
    "ob_v3p0_achievementcredential_schema.json"
)
MEDIA_TYPE = "application/json"
CREDENTIAL_MEDIA_TYPE = "application/vc+ld+json"

# Placeholders of the issued-credential elements in the template.
PLACEHOLDER_CREDENTIAL_ID = "urn:uuid:{{credential-uuid}}"
PLACEHOLDER_LEARNER_HASH = "{{learner-identity-hash}}"
PLACEHOLDER_SALT = "{{learner-identity-salt}}"
PLACEHOLDER_GRADE = "{{grade-achieved}}"

ESCO_FRAMEWORK = "ESCO (European Skills, Competences, Qualifications and Occupations)"
EQF_FRAMEWORK = "European Qualifications Framework"
ISCED_F_FRAMEWORK = "ISCED-F 2013"
QF_EHEA_FRAMEWORK = "Framework of Qualifications for the European Higher Education Area"
# The EHEA's page on the QF-EHEA and its cycle descriptors: the cycles have no concept URIs.
QF_EHEA_URL = "https://www.ehea.info/page-qualification-frameworks"

# --- the Edubadges micro-credential profile for OB3 -------------------------------------
# Names and value vocabularies of educredentials/obv3-examples (contexts/educredential.json,
# schemas/microcredential.json), the OB3 form of the Edubadges metadata model (SURF).
OB3_CONTEXT_DIR = Path(__file__).with_name("ob3_context")
EXTENSION_TYPE = "EducredentialAchievement"
EXTENSION_PROPERTIES = (
    "participationType",
    "assessmentType",
    "supervisionType",
    "identityChecked",
    "ECTS",
    "timeInvestment",
)
# The profile has one value for onsite and blended and none for "other": the exact form
# stays in criteria.narrative and tag.
PARTICIPATION_TYPE = {
    ParticipationForm.ONLINE: "online",
    ParticipationForm.ONSITE: "onsite or blended",
    ParticipationForm.BLENDED: "onsite or blended",
    ParticipationForm.WORK_BASED: "work experience",
}
ASSESSMENT_TYPES = (
    "testing",
    "application of a skill",
    "portfolio",
    "recognition of prior learning",
)
SUPERVISION_TYPE = {
    Supervision.UNSUPERVISED_NO_ID: "unsupervised with no identity verification",
    Supervision.SUPERVISED_NO_ID: "supervised with no identity verification",
    Supervision.SUPERVISED_ONLINE: "supervised online",
    Supervision.ONSITE_WITH_ID: "onsite with identity verification",
}
# Annex I reads "supervised online or onsite with identity verification": the identity
# verification qualifies both, so supervised online counts as checked.
IDENTITY_CHECKED = {
    Supervision.UNSUPERVISED_NO_ID: False,
    Supervision.SUPERVISED_NO_ID: False,
    Supervision.SUPERVISED_ONLINE: True,
    Supervision.ONSITE_WITH_ID: True,
}


@lru_cache(maxsize=1)
def extension_context() -> dict[str, Any]:
    """The inner ``@context`` of the Edubadges profile terms, as the documents embed it."""
    path = OB3_CONTEXT_DIR / "edubadges-microcredential.context.jsonld"
    return json.loads(path.read_text(encoding="utf-8"))["@context"]


@lru_cache(maxsize=1)
def extension_schema() -> dict[str, Any]:
    """JSON Schema of the profile properties on an ``Achievement`` (value vocabularies)."""
    path = OB3_CONTEXT_DIR / "edubadges-microcredential.schema.json"
    return json.loads(path.read_text(encoding="utf-8"))


def document_context() -> list[Any]:
    return [*OB3_CONTEXT, extension_context()]


def _number(value: Decimal) -> int | float:
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def _iso(moment: Any) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _clean(value: Any) -> str | None:
    text = " ".join(str(value).split()) if value else ""
    return text or None


def _address(country: str | None, region: str | None, street: str | None) -> dict[str, Any]:
    address: dict[str, Any] = {"type": ["Address"]}
    if country:
        address["addressCountryCode"] = country.upper()
        found = pycountry.countries.get(alpha_2=country.upper())
        if found is not None:
            address["addressCountry"] = found.name
    if region:
        address["addressRegion"] = region
    if street:
        address["streetAddress"] = street
    return address


def _identifiers(pairs: list[tuple[str, str | None]]) -> list[dict[str, Any]]:
    return [
        {"type": "IdentifierEntry", "identifier": value, "identifierType": kind}
        for kind, value in pairs
        if value
    ]


def provider_profile(
    org: Organisation, base_url: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The provider as an OB3 ``Profile`` (creator of the achievement, issuer of credentials).

    ``body`` is the provider's own entry among the awarding bodies: what it states wins, the
    organisation profile fills what it leaves out.
    """
    body = body or {}
    profile: dict[str, Any] = {
        "id": provider_iri(base_url, org.id),
        "type": ["Profile"],
        "name": org.legal_name,
    }
    url = _clean(body.get("url")) or org.website
    if url:
        profile["url"] = url
    country = _clean(body.get("country")) or org.country
    region = _clean(body.get("region")) or org.region
    street = _clean(body.get("address")) or getattr(org, "street_address", None)
    if country or region or street:
        profile["address"] = _address(country, region, street)
    others = _identifiers(
        [
            ("ext:ErasmusCode", org.erasmus_code),
            ("ext:DEQARInstitutionId", org.deqar_id),
            ("ext:LegalIdentifier", _clean(body.get("legal_id")) or org.legal_id),
            ("ext:VATIdentifier", _clean(body.get("vat_id")) or getattr(org, "vat_id", None)),
        ]
    )
    if others:
        profile["otherIdentifier"] = others
    return profile


def awarding_body_profiles(version: SpecificationVersion, base_url: str) -> list[dict[str, Any]]:
    """Every awarding body as an OB3 ``Profile``, in the provider's order; the provider when
    none is named. The provider's entry is its full profile; another body's ``id`` is a
    fragment of the specification's address (the same as in the ELM export)."""
    org = version.specification.provider
    iri = specification_iri(base_url, version.specification.public_id)
    profiles = []
    for index, body in enumerate(version.awarding_bodies or [], start=1):
        name = _clean(body.get("name"))
        if not name:
            continue
        if is_provider_body(body, org):
            profiles.append(provider_profile(org, base_url, body))
            continue
        profile: dict[str, Any] = {
            "id": f"{iri}#awarding-body-{index}",
            "type": ["Profile"],
            "name": name,
        }
        if _clean(body.get("url")):
            profile["url"] = _clean(body.get("url"))
        country, region = _clean(body.get("country")), _clean(body.get("region"))
        if not (country or region):
            country, region = _issuer_location(version)
        street = _clean(body.get("address"))
        if country or region or street:
            profile["address"] = _address(country, region, street)
        others = _identifiers(
            [
                ("ext:LegalIdentifier", _clean(body.get("legal_id"))),
                ("ext:VATIdentifier", _clean(body.get("vat_id"))),
            ]
        )
        if others:
            profile["otherIdentifier"] = others
        profiles.append(profile)
    return profiles or [provider_profile(org, base_url)]


def _issuer_location(version: SpecificationVersion) -> tuple[str | None, str | None]:
    """Where Annex I places the issuer, for an awarding body entered without a place (as
    the ELM export does): the country of the first issuer code, and the first region given
    in that country."""
    codes = [c.strip().upper() for c in version.issuer_regions or [] if c.strip()]
    if not codes:
        return None, None
    country = codes[0].split("-")[0]
    regions = [c for c in codes if c.startswith(f"{country}-")]
    return country, (regions[0] if regions else None)


def _provider_entry(version: SpecificationVersion) -> dict[str, Any] | None:
    org = version.specification.provider
    for body in version.awarding_bodies or []:
        if is_provider_body(body, org):
            return body
    return None


def _criteria_narrative(version: SpecificationVersion) -> str:
    """How the achievement is earned, in Markdown (OB3 allows Markdown in narratives)."""
    lines = ["Learners earn this micro-credential by achieving these learning outcomes:", ""]
    lines += [f"{n}. {o.statement}" for n, o in enumerate(version.outcomes, start=1)]
    if version.assessment_type:
        lines += ["", f"**Type of assessment:** {version.assessment_type}"]
    if version.supervision:
        text = SUPERVISION_TEXT[Supervision(version.supervision)]
        lines += ["", f"**Supervision and identity verification during assessment:** {text}"]
    if version.participation_form:
        form = PARTICIPATION_TEXT[ParticipationForm(version.participation_form)]
        if version.participation_detail:
            form = f"{form} ({version.participation_detail})"
        lines += ["", f"**Form of participation:** {form}"]
    workload = []
    if version.ects is not None:
        workload.append(f"{Decimal(version.ects).normalize():f} ECTS credits")
    if version.hours:
        workload.append(f"{version.hours} hours")
    if workload:
        lines += ["", f"**Notional workload:** {' / '.join(workload)}"]
    weeks = getattr(version, "max_duration_weeks", None)
    if weeks:
        lines += ["", f"**Maximum duration:** {weeks} weeks"]
    if version.prerequisites:
        lines += ["", f"**Prerequisites:** {version.prerequisites}"]
    return "\n".join(lines)


def _description(version: SpecificationVersion) -> str:
    org = version.specification.provider
    parts = [f"A micro-credential offered by {org.legal_name}"]
    if version.eqf_level:
        parts[0] += f" at EQF level {version.eqf_level}"
    parts[0] += "."
    bodies = [b.get("name", "").strip() for b in version.awarding_bodies or []]
    bodies = [b for b in bodies if b]
    if bodies:
        parts.append(f"Awarded by: {', '.join(bodies)}.")
    if version.issuer_regions:
        parts.append(f"Country/region of the issuer: {', '.join(version.issuer_regions)}.")
    if version.qf_ehea_cycle:
        parts.append(f"Level: {CYCLE_TEXT[QfEheaCycle(version.qf_ehea_cycle)]}.")
    if version.quality_assurance:
        parts.append(f"Type of quality assurance: {version.quality_assurance}")
    if version.integration:
        text = INTEGRATION_TEXT[Integration(version.integration)]
        if version.stackable_towards:
            text = f"{text}: {version.stackable_towards}"
        parts.append(f"Integration/stackability: {text}.")
    if version.further_information:
        parts.append(version.further_information)
    return "\n\n".join(parts)


def _nqf_alignment(version: SpecificationVersion) -> dict[str, Any] | None:
    level = getattr(version, "nqf_level", None)
    country = version.specification.provider.country
    framework = framework_for(country)
    if not level or framework is None or level not in framework.levels:
        return None  # the editor and the completeness check report an unusable level
    return {
        "type": ["Alignment"],
        "targetName": framework.level_label(level),
        "targetUrl": framework.level_uri(level),
        "targetCode": str(level),
        "targetFramework": f"{framework.name} ({framework.country})",
        "targetType": "ext:NQFLevel",
    }


def _alignments(version: SpecificationVersion) -> list[dict[str, Any]]:
    alignments = []
    for outcome in version.outcomes:
        if outcome.esco_uri:
            alignments.append(
                {
                    "type": ["Alignment"],
                    "targetName": outcome.statement[:300],
                    "targetUrl": outcome.esco_uri,
                    "targetFramework": ESCO_FRAMEWORK,
                    "targetType": "ext:ESCOSkill",
                }
            )
    if version.eqf_level:
        alignments.append(
            {
                "type": ["Alignment"],
                "targetName": f"EQF level {version.eqf_level}",
                "targetUrl": f"http://data.europa.eu/snb/eqf/{version.eqf_level}",
                "targetCode": str(version.eqf_level),
                "targetFramework": EQF_FRAMEWORK,
                "targetType": "ext:EQFLevel",
            }
        )
    nqf = _nqf_alignment(version)
    if nqf is not None:
        alignments.append(nqf)
    if version.qf_ehea_cycle:
        cycle = QfEheaCycle(version.qf_ehea_cycle)
        alignments.append(
            {
                "type": ["Alignment"],
                "targetName": CYCLE_TEXT[cycle],
                "targetUrl": QF_EHEA_URL,
                "targetCode": cycle.value,
                "targetFramework": QF_EHEA_FRAMEWORK,
                "targetType": "ext:QFEHEACycle",
            }
        )
    if version.isced_f:
        alignments.append(
            {
                "type": ["Alignment"],
                "targetName": isced_f_label(version.isced_f) or version.isced_f,
                "targetUrl": f"http://data.europa.eu/snb/isced-f/{version.isced_f}",
                "targetCode": version.isced_f,
                "targetFramework": ISCED_F_FRAMEWORK,
                "targetType": "ext:ISCEDF",
            }
        )
    return alignments


def assessment_type_term(text: str | None) -> str | None:
    """The profile's ``assessmentType`` term the provider's text names, if it names one.

    The type of assessment is free text; it maps only when it is a term of the profile or
    starts with one followed by a separator ("Portfolio: …", "Testing – a written exam").
    Anything else would be a guess, so it stays in ``criteria.narrative`` alone.
    """
    wanted = " ".join((text or "").split()).casefold().rstrip(".")
    for term in ASSESSMENT_TYPES:
        if wanted == term:
            return term
        rest = wanted.removeprefix(term)
        if rest != wanted and rest[:2] in {": ", " -", " –", " —", " (", ", ", "; "}:
            return term
    return None


def profile_properties(version: SpecificationVersion) -> dict[str, Any]:
    """The Edubadges micro-credential properties this specification fills."""
    props: dict[str, Any] = {}
    if version.participation_form:
        participation = PARTICIPATION_TYPE.get(ParticipationForm(version.participation_form))
        if participation:
            props["participationType"] = participation
    assessment = assessment_type_term(version.assessment_type)
    if assessment:
        props["assessmentType"] = assessment
    if version.supervision:
        supervision = Supervision(version.supervision)
        props["supervisionType"] = SUPERVISION_TYPE[supervision]
        props["identityChecked"] = IDENTITY_CHECKED[supervision]
    if version.ects is not None:
        props["ECTS"] = _number(version.ects)
    if version.hours:
        props["timeInvestment"] = int(version.hours)
    return props


def build_achievement(
    version: SpecificationVersion,
    base_url: str,
    *,
    accreditation: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The OB3 ``Achievement`` of one specification version (no ``@context``: it is embedded
    in credentials; :func:`achievement_document` adds one for a stand-alone download).
    ``accreditation`` is an ``Alignment`` to the register decision under which it is offered
    (:func:`qaportal.register.elm.ob3_alignment`)."""
    spec = version.specification
    iri = specification_iri(base_url, spec.public_id)
    achievement: dict[str, Any] = {
        "id": iri,
        "type": ["Achievement", EXTENSION_TYPE],
        "achievementType": "MicroCredential",
        "name": version.title,
        "description": _description(version),
        "criteria": {"id": iri, "narrative": _criteria_narrative(version)},
        "creator": provider_profile(spec.provider, base_url, _provider_entry(version)),
        "inLanguage": text_language(version),
        "version": str(version.number),
        "otherIdentifier": [
            {"type": "IdentifierEntry", "identifier": spec.public_id, "identifierType": "systemId"}
        ],
    }
    if version.ects is not None:
        achievement["creditsAvailable"] = _number(version.ects)
    if version.isced_f:
        label = isced_f_label(version.isced_f)
        achievement["fieldOfStudy"] = f"{version.isced_f} {label}" if label else version.isced_f
    alignments = _alignments(version)
    if accreditation is not None:
        alignments.append(accreditation)
    if alignments:
        achievement["alignment"] = alignments
    if version.grading_scheme:
        achievement["resultDescription"] = [
            {
                "id": f"{iri}#grading-scheme",
                "type": ["ResultDescription"],
                "name": version.grading_scheme,
                "resultType": "Result",
            }
        ]
    tags = ["micro-credential"]
    if version.eqf_level:
        tags.append(f"EQF {version.eqf_level}")
    if version.participation_form:
        tags.append(PARTICIPATION_TEXT[ParticipationForm(version.participation_form)].lower())
    tags += [code.lower() for code in version.languages or []]
    achievement["tag"] = tags
    # OB3 has one creator and one issuer; ELM's awardingBody (same IRI) lists all of them.
    achievement["awardingBody"] = awarding_body_profiles(version, base_url)
    achievement.update(profile_properties(version))
    return achievement


def achievement_document(
    version: SpecificationVersion,
    base_url: str,
    *,
    accreditation: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The Achievement as a stand-alone JSON-LD document."""
    achievement = build_achievement(version, base_url, accreditation=accreditation)
    return {"@context": document_context(), **achievement}


def build_credential_template(
    version: SpecificationVersion,
    base_url: str,
    *,
    accreditation: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An unsigned OB3 ``AchievementCredential`` for this specification.

    ``validFrom`` holds the date the version was published: replace it, like the other
    placeholders, with the date of issuing when a credential is issued. The ``issuer`` is
    the first awarding body (OB3 has one issuer per credential).
    """
    achievement = build_achievement(version, base_url, accreditation=accreditation)
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "hashed": True,
                "identityHash": PLACEHOLDER_LEARNER_HASH,
                "identityType": "emailAddress",
                "salt": PLACEHOLDER_SALT,
            }
        ],
        "achievement": achievement,
    }
    if version.grading_scheme:
        subject["result"] = [
            {
                "type": ["Result"],
                "resultDescription": achievement["resultDescription"][0]["id"],
                "value": PLACEHOLDER_GRADE,
            }
        ]
    if version.ects is not None:
        subject["creditsEarned"] = achievement["creditsAvailable"]
    published = version.published_at or version.updated_at or version.created_at
    return {
        "@context": document_context(),
        "id": PLACEHOLDER_CREDENTIAL_ID,
        "type": ["VerifiableCredential", "AchievementCredential"],
        "name": version.title,
        "description": achievement["description"],
        "issuer": achievement["awardingBody"][0],
        "validFrom": _iso(published),
        "credentialSubject": subject,
        "credentialSchema": [{"id": OB3_SCHEMA_ID, "type": "1EdTechJsonSchemaValidator2019"}],
    }


def filename(version: SpecificationVersion, kind: str) -> str:
    return f"{version.specification.public_id}-{kind}.json"
