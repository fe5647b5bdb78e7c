"""Open Badges 3.0 exports of a published micro-credential specification.

- :func:`build_achievement`: the OB3 ``Achievement`` describing the micro-credential.
- :func:`build_credential_template`: an unsigned ``AchievementCredential`` around it. The
  elements of an *issued* credential (identification of the learner, date of issuing, grade
  achieved) are placeholders ``{{…}}`` for the issuing system to fill in; no proof is added.

Both validate against the 1EdTech JSON Schema shipped in ``qaportal/data/standards``. The
Annex I → OB3 mapping is documented in ``qaportal/catalogue/README.md``.

Pure functions: no Flask request; the caller loads the version with its specification,
provider and outcomes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

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


def _number(value: Decimal) -> int | float:
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def _iso(moment: Any) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def provider_profile(org: Organisation, base_url: str) -> dict[str, Any]:
    """The provider as an OB3 ``Profile`` (creator of the achievement, issuer of credentials)."""
    profile: dict[str, Any] = {
        "id": provider_iri(base_url, org.id),
        "type": ["Profile"],
        "name": org.legal_name,
    }
    if org.website:
        profile["url"] = org.website
    if org.country:
        address: dict[str, Any] = {"type": ["Address"], "addressCountryCode": org.country}
        if org.region:
            address["addressRegion"] = org.region
        profile["address"] = address
    identifiers = [
        ("ext:ErasmusCode", org.erasmus_code),
        ("ext:DEQARInstitutionId", org.deqar_id),
        ("ext:LegalIdentifier", org.legal_id),
    ]
    others = [
        {"type": "IdentifierEntry", "identifier": value, "identifierType": kind}
        for kind, value in identifiers
        if value
    ]
    if others:
        profile["otherIdentifier"] = others
    return profile


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
                "targetFramework": "European Qualifications Framework",
                "targetType": "ext:EQFLevel",
            }
        )
    if version.isced_f:
        alignments.append(
            {
                "type": ["Alignment"],
                "targetName": isced_f_label(version.isced_f) or version.isced_f,
                "targetUrl": f"http://data.europa.eu/snb/isced-f/{version.isced_f}",
                "targetCode": version.isced_f,
                "targetFramework": "ISCED-F 2013",
                "targetType": "ext:ISCEDF",
            }
        )
    return alignments


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
        "type": ["Achievement"],
        "achievementType": "MicroCredential",
        "name": version.title,
        "description": _description(version),
        "criteria": {"id": iri, "narrative": _criteria_narrative(version)},
        "creator": provider_profile(spec.provider, base_url),
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
    return achievement


def achievement_document(
    version: SpecificationVersion,
    base_url: str,
    *,
    accreditation: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The Achievement as a stand-alone JSON-LD document."""
    achievement = build_achievement(version, base_url, accreditation=accreditation)
    return {"@context": list(OB3_CONTEXT), **achievement}


def build_credential_template(
    version: SpecificationVersion,
    base_url: str,
    *,
    accreditation: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An unsigned OB3 ``AchievementCredential`` for this specification.

    ``validFrom`` holds the date the version was published: replace it, like the other
    placeholders, with the date of issuing when a credential is issued.
    """
    spec = version.specification
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
        "@context": list(OB3_CONTEXT),
        "id": PLACEHOLDER_CREDENTIAL_ID,
        "type": ["VerifiableCredential", "AchievementCredential"],
        "name": version.title,
        "description": achievement["description"],
        "issuer": provider_profile(spec.provider, base_url),
        "validFrom": _iso(published),
        "credentialSubject": subject,
        "credentialSchema": [{"id": OB3_SCHEMA_ID, "type": "1EdTechJsonSchemaValidator2019"}],
    }


def filename(version: SpecificationVersion, kind: str) -> str:
    return f"{version.specification.public_id}-{kind}.json"
