"""Translated labels of the catalogue's fields and choices, shared by forms, pages and diffs."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from qaportal.catalogue.models import (
    Integration,
    ParticipationForm,
    QfEheaCycle,
    Supervision,
    VersionStatus,
)

FIELD_LABELS = {
    "title": _l("Title"),
    "issuer_regions": _l("Country(ies)/region(s) of the issuer"),
    "awarding_bodies": _l("Awarding body(ies)"),
    "outcomes": _l("Learning outcomes"),
    "ects": _l("ECTS credits"),
    "hours": _l("Hours of notional workload"),
    "eqf_level": _l("EQF level"),
    "nqf_level": _l("NQF level (national framework of the provider's country)"),
    "max_duration_weeks": _l("Maximum duration (weeks)"),
    "level_not_applicable": _l("No EQF level or QF-EHEA cycle applies"),
    "qf_ehea_cycle": _l("QF-EHEA cycle"),
    "assessment_type": _l("Type of assessment"),
    "participation_form": _l("Form of participation"),
    "participation_detail": _l("Form of participation: details"),
    "quality_assurance": _l("Type of quality assurance"),
    "prerequisites": _l("Prerequisites"),
    "supervision": _l("Supervision and identity verification during assessment"),
    "grading_scheme": _l("Grading scheme"),
    "integration": _l("Integration / stackability"),
    "stackable_towards": _l("Stackable towards"),
    "further_information": _l("Further information"),
    "languages": _l("Language(s) of instruction"),
    "text_language": _l("Language of these texts"),
    "isced_f": _l("Field of study (ISCED-F 2013)"),
    "price_note": _l("Price / funding"),
}

# The parts of one awarding body (keys of SpecificationVersion.awarding_bodies).
AWARDING_BODY_LABELS = {
    "name": _l("Name"),
    "url": _l("Web address"),
    "legal_id": _l("Legal identifier"),
    "vat_id": _l("VAT identifier"),
    "country": _l("Country"),
    "region": _l("Region"),
    "address": _l("Postal address"),
}

PARTICIPATION_LABELS = {
    ParticipationForm.ONLINE: _l("Online"),
    ParticipationForm.ONSITE: _l("Onsite"),
    ParticipationForm.BLENDED: _l("Blended"),
    ParticipationForm.WORK_BASED: _l("Work-based"),
    ParticipationForm.OTHER: _l("Other"),
}

CYCLE_LABELS = {
    QfEheaCycle.SHORT: _l("Short cycle"),
    QfEheaCycle.FIRST: _l("First cycle"),
    QfEheaCycle.SECOND: _l("Second cycle"),
    QfEheaCycle.THIRD: _l("Third cycle"),
}

SUPERVISION_LABELS = {
    Supervision.UNSUPERVISED_NO_ID: _l("Unsupervised, no identity verification"),
    Supervision.SUPERVISED_NO_ID: _l("Supervised, no identity verification"),
    Supervision.SUPERVISED_ONLINE: _l("Supervised online"),
    Supervision.ONSITE_WITH_ID: _l("Onsite, with identity verification"),
}

INTEGRATION_LABELS = {
    Integration.STAND_ALONE: _l("Stand-alone, independent micro-credential"),
    Integration.INTEGRATED: _l("Integrated into another credential"),
    Integration.STACKABLE: _l("Stackable towards another credential"),
}

STATUS_LABELS = {
    VersionStatus.DRAFT: _l("Draft"),
    VersionStatus.PUBLISHED: _l("Published"),
    VersionStatus.SUPERSEDED: _l("Superseded"),
    VersionStatus.RETIRED: _l("Retired"),
}

CHOICE_LABELS = {
    "participation_form": PARTICIPATION_LABELS,
    "qf_ehea_cycle": CYCLE_LABELS,
    "supervision": SUPERVISION_LABELS,
    "integration": INTEGRATION_LABELS,
}


def text_language_choices() -> list[tuple[str, str]]:
    """The official EU languages as ``(code, name)``, named and sorted in the UI language."""
    from babel import Locale
    from flask_babel import get_locale

    from qaportal.catalogue.validation import TEXT_LANGUAGES

    locale = get_locale() or Locale("en")
    named = []
    for code in TEXT_LANGUAGES:
        name = locale.languages.get(code) or code
        named.append((code, name[:1].upper() + name[1:]))
    return sorted(named, key=lambda pair: pair[1].casefold())
