"""An unsigned European Digital Credential (EDC, ELM v3) template per published specification.

The credential a provider issues with Europass's EDC tools or a national issuer: the
specification (:func:`qaportal.catalogue.exports_elm.build_learning_achievement_specification`)
becomes the ``specifiedBy`` of the learner's ``LearningAchievement``; what only an issued
credential knows (Annex I: identification of the learner, date of issuing, grade achieved;
the credential's own id and signing date) is a ``{{placeholder}}`` the issuer replaces. The
template has no proof: the issuing system seals it.

Credential-level properties follow the Europass EDC JSON Schema (ELM 3.2):
:data:`MANDATORY_CREDENTIAL_PROPERTIES`. The ``VerifiableCredential`` terms (``issuer``,
``credentialSubject``, ``validFrom``, …) come from the W3C VC 1.1 context, named by URL like
the ELM context; :func:`with_local_contexts` swaps in the shipped copies for offline expansion.
"""

from __future__ import annotations

from typing import Any

from qaportal.catalogue import exports_elm
from qaportal.catalogue import vocabularies as vocab
from qaportal.catalogue.models import SpecificationVersion, Supervision

MEDIA_TYPE = "application/ld+json"
EDC_SCHEMA = "http://data.europa.eu/snb/model/ap/edc-generic-full"

# What the issuer fills in, and what each placeholder stands for (documented in the README).
PLACEHOLDERS = {
    "credential-uuid": "a UUID for this credential",
    "learner-uuid": "a UUID for the learner within the issuer's records",
    "learner-full-name": "the learner's full name (Annex I: identification of the learner)",
    "learner-given-name": "the learner's given name(s)",
    "learner-family-name": "the learner's family name(s)",
    "issued": "date and time the credential is sealed (xsd:dateTime)",
    "valid-from": "date and time from which the credential is valid (xsd:dateTime)",
    "awarding-date": "date and time of awarding (Annex I: date of issuing, xsd:dateTime)",
    "grade-achieved": "the grade achieved (Annex I), on the specification's grading scheme",
}

# (JSON key, expanded IRI) of the credential-level properties the Europass EDC schema requires.
MANDATORY_CREDENTIAL_PROPERTIES = (
    ("credentialProfiles", exports_elm.ELM + "credentialProfiles"),
    ("displayParameter", exports_elm.ELM + "displayParameter"),
    ("issuer", "https://www.w3.org/2018/credentials#issuer"),
    ("credentialSubject", "https://www.w3.org/2018/credentials#credentialSubject"),
    ("issued", "https://www.w3.org/2018/credentials#issued"),
    ("validFrom", "https://www.w3.org/2018/credentials#validFrom"),
    ("credentialSchema", "https://www.w3.org/2018/credentials#credentialSchema"),
)

# Classes the template adds to those of the specification (full IRIs).
TEMPLATE_CLASSES = (
    "https://www.w3.org/2018/credentials#VerifiableCredential",
    exports_elm.ELM + "EuropeanDigitalCredential",
    exports_elm.ELM + "DisplayParameter",
    exports_elm.ELM + "Person",
    exports_elm.ELM + "LearningAchievement",
    exports_elm.ELM + "LearningAssessment",
    exports_elm.ELM + "AwardingProcess",
    exports_elm.ELM + "ShaclValidator2017",
)


def placeholder(name: str) -> str:
    assert name in PLACEHOLDERS, name
    return "{{" + name + "}}"


def with_local_contexts(document: dict[str, Any]) -> dict[str, Any]:
    """A copy whose context URLs (W3C VC 1.1, ELM) are replaced by the shipped copies."""
    result = exports_elm.with_local_context(document)
    contexts = result["@context"] if isinstance(result["@context"], list) else [result["@context"]]
    result["@context"] = [
        vocab.vc_terms_context() if c == exports_elm.VC_CONTEXT_URL else c for c in contexts
    ]
    return result


def build_credential_template(
    version: SpecificationVersion,
    base_url: str,
    *,
    accreditation: dict[str, Any] | None = None,
) -> dict[str, Any]:
    specification = exports_elm.build_learning_achievement_specification(
        version, base_url, accreditation=accreditation
    )
    del specification["@context"]
    iri = specification["@id"]
    provider = specification["publisher"]
    lang = exports_elm.text_language(version)
    credential = f"urn:epass:credential:{placeholder('credential-uuid')}"

    assessment: dict[str, Any] = {
        "@id": f"{credential}#assessment",
        "@type": "LearningAssessment",
        "title": {"en": "Assessment"},
        "specifiedBy": {"@id": specification["provenBy"]["@id"]},
        "grade": {"@type": "Note", "noteLiteral": {lang: placeholder("grade-achieved")}},
    }
    if version.supervision:
        # ELM records supervision and identity verification on the assessment taken.
        assessment["idVerification"] = vocab.supervision_concept(
            Supervision(version.supervision).value,
            exports_elm.vocabulary_iri(base_url),
        )
    achievement = {
        "@id": f"{credential}#achievement",
        "@type": "LearningAchievement",
        "title": specification["title"],
        "specifiedBy": specification,
        "awardedBy": {
            "@id": f"{credential}#awarding",
            "@type": "AwardingProcess",
            "awardingBody": specification["awardingOpportunity"]["awardingBody"],
            "awardingDate": placeholder("awarding-date"),
        },
        "provenBy": assessment,
    }
    language = exports_elm.language_concept(lang)
    display: dict[str, Any] = {
        "@id": f"{credential}#display",
        "@type": "DisplayParameter",
        "title": specification["title"],
    }
    if language is not None:
        display["primaryLanguage"] = language
        display["language"] = [language]
    return {
        "@context": [exports_elm.VC_CONTEXT_URL, exports_elm.ELM_CONTEXT_URL],
        "@id": credential,
        "@type": ["VerifiableCredential", "EuropeanDigitalCredential"],
        "credentialProfiles": [vocab.credential_profile_concept()],
        "credentialSchema": [{"@id": EDC_SCHEMA, "@type": "ShaclValidator2017"}],
        "displayParameter": display,
        # By reference: the provider is described once, as the specification's publisher.
        "issuer": {"@id": provider["@id"]},
        "issued": placeholder("issued"),
        "validFrom": placeholder("valid-from"),
        "credentialSubject": {
            "@id": f"urn:epass:person:{placeholder('learner-uuid')}",
            "@type": "Person",
            "fullName": {lang: placeholder("learner-full-name")},
            "givenName": {lang: placeholder("learner-given-name")},
            "familyName": {lang: placeholder("learner-family-name")},
            "hasClaim": [achievement],
        },
        # The specification's own address, so an issuer can trace the template back.
        "identifier": [
            {
                "@type": "Identifier",
                "notation": iri,
                "schemeName": "qaportal specification (template source)",
            }
        ],
    }


def filename(version: SpecificationVersion) -> str:
    return f"{version.specification.public_id}-edc-credential-template.jsonld"
