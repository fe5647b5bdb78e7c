"""The answer models built from what the catalogue and the register return: the one place
that decides which field of a published object the API shows, and under which name."""

from __future__ import annotations

import re
from typing import Any

from flask import g, url_for

from qaportal.api.schemas import (
    AwardingBody,
    Condition,
    Decision,
    LearningOutcome,
    Provider,
    ProviderRef,
    Report,
    SpecificationDetail,
    SpecificationSummary,
)
from qaportal.catalogue.models import CatalogueEntry, FacetKind, SpecificationVersion
from qaportal.catalogue.validation import country_of
from qaportal.register.queries import PublishedDecision, RegisterProvider


def external(endpoint: str, **values: Any) -> str:
    return url_for(endpoint, _external=True, **values)


# Digits, so that ``int`` converters build it too; long enough not to occur in a host name.
_MARK = 918273645501
_PLAIN_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def link(endpoint: str, name: str, value: int | str) -> str:
    """``external(endpoint, name=value)`` for the links of every listed item. Building each
    through the URL map cost as much as the rest of a page's answer; the address is built
    once per request and endpoint, and the id put in. Values that a converter could quote
    (anything but letters, digits, ``-`` and ``_``) still go through ``url_for``."""
    if not isinstance(value, int) and not _PLAIN_RE.match(value):
        return external(endpoint, **{name: value})
    templates: dict[tuple[str, str], list[str]] = g.setdefault("api_link_templates", {})
    parts = templates.get((endpoint, name))
    if parts is None:
        parts = external(endpoint, **{name: _MARK}).split(str(_MARK))
        if len(parts) != 2:
            return external(endpoint, **{name: value})
        templates[endpoint, name] = parts
    return f"{parts[0]}{value}{parts[1]}"


def provider_ref(org: Any) -> ProviderRef:
    return ProviderRef(
        id=org.id, name=org.display_name, country=org.country, provider_type=org.provider_type
    )


def _summary_fields(public_id: str, provider: Any, status: str) -> dict[str, Any]:
    return {
        "id": public_id,
        "provider": provider_ref(provider),
        "accreditation": status,
        "url": link("api.specification", "public_id", public_id),
        "html_url": link("catalogue.public_detail", "public_id", public_id),
    }


def specification_summary(entry: CatalogueEntry, status: str) -> SpecificationSummary:
    facets = sorted((f.kind, f.value) for f in entry.facets)
    return SpecificationSummary(
        **_summary_fields(entry.public_id, entry.provider, status),
        title=entry.title,
        eqf_level=entry.eqf_level,
        ects=float(entry.ects) if entry.ects is not None else None,
        hours=entry.hours,
        participation_form=entry.participation_form,
        countries=[v for k, v in facets if k == FacetKind.COUNTRY],
        languages=[v for k, v in facets if k == FacetKind.LANGUAGE],
        published_at=entry.published_at,
    )


def specification_detail(
    version: SpecificationVersion, status: str, decision_id: int | None
) -> SpecificationDetail:
    spec = version.specification
    regions = list(version.issuer_regions or [])
    return SpecificationDetail(
        **_summary_fields(spec.public_id, spec.provider, status),
        title=version.title,
        eqf_level=version.eqf_level,
        ects=float(version.ects) if version.ects is not None else None,
        hours=version.hours,
        participation_form=version.participation_form,
        countries=sorted({country_of(code) for code in regions}),
        languages=sorted({code.lower() for code in version.languages or []}),
        published_at=version.published_at,
        version=version.number,
        regions=regions,
        awarding_bodies=[
            AwardingBody(name=b.get("name", ""), url=b.get("url") or None)
            for b in version.awarding_bodies or []
        ],
        level_not_applicable=version.level_not_applicable,
        qf_ehea_cycle=version.qf_ehea_cycle,
        assessment_type=version.assessment_type,
        participation_detail=version.participation_detail,
        quality_assurance=version.quality_assurance,
        prerequisites=version.prerequisites,
        supervision=version.supervision,
        grading_scheme=version.grading_scheme,
        integration=version.integration,
        stackable_towards=version.stackable_towards,
        further_information=version.further_information,
        text_language=version.text_language,
        isced_f=version.isced_f,
        price_note=version.price_note,
        learning_outcomes=[
            LearningOutcome(statement=o.statement, esco_uri=o.esco_uri) for o in version.outcomes
        ],
        accredited_under=external("api.decision", decision_id=decision_id)
        if decision_id is not None
        else None,
        elm_url=external("catalogue_io.elm", public_id=spec.public_id),
        ob3_url=external("catalogue_io.ob3_achievement", public_id=spec.public_id),
    )


def report(decision: PublishedDecision) -> Report | None:
    report = decision.report
    if report is None:
        return None
    code = report.verification_code
    return Report(
        id=report.document_id,
        version=report.version,
        decision_id=decision.id,
        case_reference=decision.case_reference,
        provider_id=decision.provider_id,
        provider_name=decision.provider_name,
        locale=report.locale,
        sha256=report.sha256,
        size=report.size,
        published_at=report.published_at,
        verification_url=link("reporting.verify_code", "code", code) if code else None,
        download_url=link("register.report", "decision_id", decision.id),
    )


def decision(decision: PublishedDecision) -> Decision:
    return Decision(
        id=decision.id,
        case_reference=decision.case_reference,
        provider_id=decision.provider_id,
        provider_name=decision.provider_name,
        country=decision.country,
        provider_type=decision.provider_type,
        agency_id=decision.agency_id,
        agency_name=decision.agency_name,
        outcome=decision.outcome,
        status=decision.status,
        decided_on=decision.decided_on,
        valid_from=decision.valid_from,
        valid_until=decision.valid_until,
        validity=decision.validity(),
        framework_code=decision.framework_code,
        framework_name=decision.framework_name,
        summary=decision.summary,
        conditions=[
            Condition(id=c.id, text=c.text, due_on=c.due_on, status=c.status)
            for c in decision.conditions
        ],
        report=report(decision),
        specification_ids=list(decision.specification_ids),
        published_at=decision.published_at,
        url=link("api.decision", "decision_id", decision.id),
        html_url=link("register.decision", "decision_id", decision.id),
    )


def provider(provider: RegisterProvider) -> Provider:
    current = provider.current
    return Provider(
        id=provider.id,
        name=provider.name,
        country=provider.country,
        provider_type=provider.provider_type,
        website=provider.website,
        accredited=provider.accredited,
        current_decision_id=current.id if current else None,
        decisions=[decision(d) for d in provider.decisions],
        url=link("api.provider", "provider_id", provider.id),
        html_url=link("register.provider", "provider_id", provider.id),
    )
