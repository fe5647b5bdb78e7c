"""The provider and the micro-credentials of a case's scope, as the printed documents show
them: the provider's profile, and each micro-credential with its Annex I elements labelled
and ordered as the catalogue's pages show them (templates/catalogue/_macros.html), as plain
data."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import and_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from qaportal.cases.models import Case, CaseScope
from qaportal.catalogue import services as catalogue
from qaportal.catalogue.labels import FIELD_LABELS
from qaportal.catalogue.models import Specification, SpecificationVersion
from qaportal.orgs import geo
from qaportal.orgs.labels import provider_type_label
from qaportal.orgs.models import Organisation


@dataclass(frozen=True)
class Fact:
    """One labelled value (an Annex I element, an identifier of the provider)."""

    label: str
    value: str
    lang: str | None = None  # the language of a provider-written value


@dataclass(frozen=True)
class ProviderProfile:
    name: str
    legal_name: str
    acronym: str
    country: str
    facts: list[Fact]


@dataclass(frozen=True)
class ScopeItem:
    """A micro-credential of the case's scope with its Annex I elements."""

    public_id: str
    version: int
    title: str
    text_language: str
    mandatory: list[Fact]
    outcomes: list[str]
    optional: list[Fact]


def provider_profile(org: Organisation) -> ProviderProfile:
    facts = [
        Fact(_("Legal name"), org.legal_name),
        Fact(_("Acronym"), org.acronym or ""),
        Fact(_("Type of provider"), provider_type_label(org.provider_type)),
        Fact(_("Country"), geo.country_name(org.country) if org.country else ""),
        Fact(_("Region"), geo.region_name(org.region) if org.region else ""),
        Fact(_("Website"), org.website or ""),
        Fact(_("DEQAR identifier"), org.deqar_id or ""),
        Fact(_("Erasmus code"), org.erasmus_code or ""),
        Fact(_("Legal or VAT identifier"), org.legal_id or ""),
    ]
    return ProviderProfile(
        org.display_name,
        org.legal_name,
        org.acronym or "",
        geo.country_name(org.country) if org.country else "",
        [f for f in facts if f.value],
    )


def scope_versions(session: Session, case: Case) -> list[SpecificationVersion]:
    """The newest version of each micro-credential in scope (as the self-assessment's
    completeness check reads it), with what the ELM export reads eager-loaded."""
    latest = catalogue.newest_version_numbers()
    return list(
        session.execute(
            select(SpecificationVersion)
            .join(
                latest,
                and_(
                    latest.c.specification_id == SpecificationVersion.specification_id,
                    latest.c.number == SpecificationVersion.number,
                ),
            )
            .join(CaseScope, CaseScope.specification_id == SpecificationVersion.specification_id)
            .where(CaseScope.case_id == case.id)
            .options(
                selectinload(SpecificationVersion.outcomes),
                joinedload(SpecificationVersion.specification).joinedload(Specification.provider),
            )
            .order_by(SpecificationVersion.title, SpecificationVersion.id)
        )
        .unique()
        .scalars()
    )


def _workload(v: SpecificationVersion) -> str:
    parts = []
    if v.ects is not None:
        parts.append(_("%(n)s ECTS", n=f"{Decimal(v.ects).normalize():f}"))
    if v.hours is not None:
        parts.append(ngettext("%(num)d hour", "%(num)d hours", v.hours))
    return " · ".join(parts)


def _level(v: SpecificationVersion) -> str:
    if v.level_not_applicable:
        return _("No EQF level or QF-EHEA cycle applies")
    parts = []
    if v.eqf_level:
        parts.append(_("EQF level %(n)d", n=v.eqf_level))
    if v.qf_ehea_cycle:
        parts.append(
            _("QF-EHEA") + ": " + catalogue.display_value("qf_ehea_cycle", v.qf_ehea_cycle)
        )
    return " · ".join(parts)


def _codes(values: list[str], name: Any) -> str:
    return ", ".join(f"{name(code)} ({code})" for code in values or [])


def scope_item(v: SpecificationVersion) -> ScopeItem:
    """The Annex I elements of one version, labelled and ordered as the catalogue's pages
    show them (templates/catalogue/_macros.html, ``spec_facts``)."""
    tl = v.text_language or "en"
    bodies = "; ".join(
        f"{b.get('name', '')} <{b['url']}>" if b.get("url") else b.get("name", "")
        for b in v.awarding_bodies or []
    )
    participation = catalogue.display_value("participation_form", v.participation_form)
    if participation and v.participation_detail:
        participation = f"{participation} ({v.participation_detail})"
    mandatory = [
        Fact(str(FIELD_LABELS["title"]), v.title or "—", tl),
        Fact(str(FIELD_LABELS["issuer_regions"]), _codes(v.issuer_regions, geo.region_name)),
        Fact(str(FIELD_LABELS["awarding_bodies"]), bodies),
        Fact(_("Notional workload"), _workload(v)),
        Fact(_("Level"), _level(v)),
        Fact(str(FIELD_LABELS["assessment_type"]), v.assessment_type or "", tl),
        Fact(str(FIELD_LABELS["participation_form"]), participation),
        Fact(str(FIELD_LABELS["quality_assurance"]), v.quality_assurance or "", tl),
    ]
    mandatory = [Fact(f.label, f.value or "—", f.lang) for f in mandatory]
    integration = catalogue.display_value("integration", v.integration)
    if integration and v.stackable_towards:
        integration = f"{integration}: {v.stackable_towards}"
    optional = [
        Fact(str(FIELD_LABELS["prerequisites"]), v.prerequisites or "", tl),
        Fact(
            str(FIELD_LABELS["supervision"]), catalogue.display_value("supervision", v.supervision)
        ),
        Fact(str(FIELD_LABELS["grading_scheme"]), v.grading_scheme or "", tl),
        Fact(str(FIELD_LABELS["integration"]), integration),
        Fact(str(FIELD_LABELS["languages"]), _codes(v.languages, geo.language_name)),
        Fact(str(FIELD_LABELS["text_language"]), f"{geo.language_name(tl)} ({tl})"),
        Fact(str(FIELD_LABELS["isced_f"]), v.isced_f or ""),
        Fact(str(FIELD_LABELS["price_note"]), v.price_note or "", tl),
        Fact(str(FIELD_LABELS["further_information"]), v.further_information or "", tl),
    ]
    return ScopeItem(
        v.specification.public_id,
        v.number,
        v.title or v.specification.public_id,
        tl,
        mandatory,
        [o.statement for o in v.outcomes],
        [f for f in optional if f.value],
    )
