"""What the ELM export leaves out for lack of data (issue 12), for the completeness check.

:func:`missing_export_properties` names each ELM property that
:func:`qaportal.catalogue.exports_elm.build_learning_achievement_specification` or the EDC
template cannot emit because the provider has not entered what it needs, with the field to
fill in and a translated message. It reads the same vocabulary data as the export, so the
two cannot disagree about what is exportable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from qaportal.catalogue import vocabularies as vocab
from qaportal.catalogue.completeness import resolved_awarding_bodies
from qaportal.catalogue.models import Integration
from qaportal.orgs.models import Organisation


@dataclass(frozen=True)
class ExportGap:
    """An ELM property the export leaves out because the provider has not entered what it
    needs. ``element`` is the specification field (or ``provider``/``awarding_bodies``)."""

    property: str
    element: str
    message: Any  # a lazy, translated string


def missing_export_properties(spec: Any, provider: Organisation | None = None) -> list[ExportGap]:
    """ELM properties that :func:`build_learning_achievement_specification` (and the EDC
    template) leave out for lack of data, with a message naming what to enter. Works on a
    version or on unsaved form data (then pass ``provider``)."""
    if provider is None:
        provider = getattr(getattr(spec, "specification", None), "provider", None)
    gaps: list[ExportGap] = []

    def gap(prop: str, element: str, message: Any) -> None:
        gaps.append(ExportGap(prop, element, message))

    if not getattr(spec, "eqf_level", None) and not getattr(spec, "level_not_applicable", False):
        gap("EQFLevel", "eqf_level", _l("No EQF level: ELM EQFLevel is left out."))
    nqf_level = getattr(spec, "nqf_level", None)
    country = provider.country if provider is not None else None
    if nqf_level is not None and vocab.nqf_level_concept(country, nqf_level) is None:
        gap(
            "NQFLevel",
            "nqf_level",
            _l(
                "NQF level %(level)s cannot be exported: no national framework with that level "
                "is known for the provider's country (%(country)s).",
                level=nqf_level,
                country=country or "?",
            ),
        )
    if not getattr(spec, "isced_f", None):
        gap("ISCEDFCode", "isced_f", _l("No field of study (ISCED-F): ELM ISCEDFCode is left out."))
    if getattr(spec, "ects", None) is None:
        gap("creditPoint", "ects", _l("No ECTS credits: ELM creditPoint is left out."))
    if not getattr(spec, "hours", None):
        gap(
            "volumeOfLearning",
            "hours",
            _l("No hours of workload: ELM volumeOfLearning is left out."),
        )
    if not getattr(spec, "max_duration_weeks", None):
        gap(
            "maximumDuration",
            "max_duration_weeks",
            _l("No maximum duration: ELM maximumDuration is left out."),
        )
    form = getattr(spec, "participation_form", None)
    if vocab.mode_concept(form) is None:
        gap(
            "mode",
            "participation_form",
            _l(
                "The form of participation is missing or “other”: ELM mode (online, onsite, "
                "blended, work-based) is left out."
            ),
        )
    if provider is not None and vocab.learning_setting_concept(provider.provider_type) is None:
        gap(
            "learningSetting",
            "provider",
            _l(
                "The provider type is not set: ELM learningSetting (formal/non-formal) is left out."
            ),
        )
    if not (getattr(spec, "assessment_type", None) or "").strip():
        gap("dcType", "assessment_type", _l("No type of assessment: its ELM dc:type is left out."))
    if not getattr(spec, "supervision", None):
        gap(
            "idVerification",
            "supervision",
            _l("No supervision and identity verification: ELM idVerification is left out."),
        )
    if not getattr(spec, "integration", None):
        gap(
            "isPartialQualification",
            "integration",
            _l("No integration/stackability: ELM isPartialQualification is left out."),
        )
    elif getattr(spec, "integration", None) == Integration.STACKABLE and not getattr(
        spec, "stackable_towards", None
    ):
        gap(
            "isPartOf",
            "stackable_towards",
            _l("Stackable, but not towards what: ELM isPartOf is left out."),
        )
    if not getattr(spec, "grading_scheme", None):
        gap(
            "gradingScheme",
            "grading_scheme",
            _l("No grading scheme: ELM gradingScheme is left out."),
        )
    if not getattr(spec, "prerequisites", None):
        gap(
            "entryRequirement",
            "prerequisites",
            _l("No prerequisites: ELM entryRequirement is left out."),
        )
    if not getattr(spec, "languages", None):
        gap("language", "languages", _l("No language of instruction: ELM language is left out."))
    outcomes = list(getattr(spec, "outcomes", None) or [])
    uris = [(getattr(o, "esco_uri", None) or "").strip() for o in outcomes]
    for number, uri in enumerate(uris, start=1):
        if uri and not vocab.ESCO_SKILL_RE.match(uri):
            gap(
                "relatedESCOSkill",
                "outcomes",
                _l(
                    "Learning outcome %(number)d: “%(uri)s” is not an ESCO skill URI "
                    "(http://data.europa.eu/esco/skill/<UUID>); it is exported as relatedSkill.",
                    number=number,
                    uri=uri,
                ),
            )
    if outcomes and not any(uris):
        gap(
            "relatedESCOSkill",
            "outcomes",
            _l("No learning outcome is linked to an ESCO skill: ELM relatedESCOSkill is left out."),
        )
    gaps += _awarding_body_gaps(spec, provider)
    return gaps


def _awarding_body_gaps(spec: Any, provider: Organisation | None) -> list[ExportGap]:
    gaps: list[ExportGap] = []
    named = [
        b for b in getattr(spec, "awarding_bodies", None) or [] if (b.get("name") or "").strip()
    ]
    for body in resolved_awarding_bodies(named, provider):
        name = body["name"].strip()
        legal_id, region = body.get("legal_id"), body.get("region")
        country = body.get("country")
        if region and vocab.place(region) is not None:
            country = country or vocab.place(region).country  # type: ignore[union-attr]
        wanted = (
            ("registration", legal_id, _l("%(body)s: no legal identifier.", body=name)),
            ("vatIdentifier", body.get("vat_id"), _l("%(body)s: no VAT identifier.", body=name)),
            ("homepage", body.get("url"), _l("%(body)s: no web address.", body=name)),
            ("fullAddress", body.get("address"), _l("%(body)s: no postal address.", body=name)),
            ("spatialCode", region, _l("%(body)s: no region (NUTS or ISO 3166-2).", body=name)),
        )
        for prop, value, message in wanted:
            if not value:
                gaps.append(ExportGap(prop, "awarding_bodies", message))
        if legal_id and not country:
            gaps.append(
                ExportGap(
                    "registration",
                    "awarding_bodies",
                    _l(
                        "%(body)s: the legal identifier needs the country that issued it.",
                        body=name,
                    ),
                )
            )
    return gaps
