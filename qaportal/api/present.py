"""What the API shows of the catalogue's and the register's published objects, and under
which name: the one place that maps them to the answer models of
:mod:`qaportal.api.schemas`.

Lists are built as plain dicts, straight from the rows, and validated against the page's
model in one call (:func:`qaportal.api.http.answer`): constructing a pydantic model per row
in Python cost more than the rest of a page's answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import url_for

from qaportal.api.rows import Facets
from qaportal.catalogue.models import SpecificationVersion
from qaportal.catalogue.search import AccreditationFilter
from qaportal.catalogue.validation import country_of
from qaportal.register.queries import PublishedDecision, RegisterProvider
from qaportal.web.worklist import Formats

JSON = dict[str, Any]


def external(endpoint: str, **values: Any) -> str:
    return url_for(endpoint, _external=True, **values)


def link(urls: Formats, endpoint: str, name: str, value: int | str) -> str:
    """The absolute address of a listed item: through one :class:`Formats` per answer, the
    route is built once per endpoint and each item's id put in (building every link through
    the URL map cost as much as the rest of a page)."""
    return urls.url(endpoint, name, value, external=True)


def _name(legal_name: str, acronym: str | None) -> str:
    # The rule of Organisation.display_name, applied to plain columns.
    return f"{legal_name} ({acronym})" if acronym else legal_name


# ----- specifications ----------------------------------------------------------------------


def _summary_fields(urls: Formats, public_id: str, provider: JSON, status: str) -> JSON:
    return {
        "id": public_id,
        "provider": provider,
        "accreditation": status,
        "url": link(urls, "api.specification", "public_id", public_id),
        "html_url": link(urls, "catalogue.public_detail", "public_id", public_id),
    }


def specification_summaries(urls: Formats, rows: Sequence[Any], facets: Facets) -> list[JSON]:
    """The rows of :func:`qaportal.api.rows.specification_page`, as list items. A provider
    listed on several rows is described once and shared by its items."""
    providers: dict[int, JSON] = {}
    statuses = {True: _status(True), False: _status(False)}
    no_values: list[str] = []
    items = []
    # Unpacked in the order of rows.COLUMNS: reading a row's fields by name cost more than
    # the rest of an item.
    for (
        entry_id,
        public_id,
        title,
        eqf_level,
        ects,
        hours,
        participation_form,
        published_at,
        provider_id,
        legal_name,
        acronym,
        country,
        provider_type,
        accredited,
    ) in rows:
        provider = providers.get(provider_id)
        if provider is None:
            provider = providers[provider_id] = {
                "id": provider_id,
                "name": _name(legal_name, acronym),
                "country": country,
                "provider_type": provider_type,
            }
        items.append(
            {
                "id": public_id,
                "provider": provider,
                "accreditation": statuses[bool(accredited)],
                "url": link(urls, "api.specification", "public_id", public_id),
                "html_url": link(urls, "catalogue.public_detail", "public_id", public_id),
                "title": title,
                "eqf_level": eqf_level,
                "ects": float(ects) if ects is not None else None,
                "hours": hours,
                "participation_form": participation_form,
                "countries": facets.countries.get(entry_id, no_values),
                "languages": facets.languages.get(entry_id, no_values),
                "published_at": published_at,
            }
        )
    return items


def _status(accredited: bool) -> str:
    return AccreditationFilter.ACCREDITED if accredited else AccreditationFilter.NOT_YET


def specification_detail(
    version: SpecificationVersion, status: str, decision_id: int | None
) -> JSON:
    spec = version.specification
    org = spec.provider
    provider = {
        "id": org.id,
        "name": org.display_name,
        "country": org.country,
        "provider_type": org.provider_type,
    }
    regions = list(version.issuer_regions or [])
    return {
        **_summary_fields(Formats(), spec.public_id, provider, status),
        "title": version.title,
        "eqf_level": version.eqf_level,
        "ects": float(version.ects) if version.ects is not None else None,
        "hours": version.hours,
        "participation_form": version.participation_form,
        "countries": sorted({country_of(code) for code in regions}),
        "languages": sorted({code.lower() for code in version.languages or []}),
        "published_at": version.published_at,
        "version": version.number,
        "regions": regions,
        "awarding_bodies": [
            {"name": b.get("name", ""), "url": b.get("url") or None}
            for b in version.awarding_bodies or []
        ],
        "level_not_applicable": version.level_not_applicable,
        "qf_ehea_cycle": version.qf_ehea_cycle,
        "assessment_type": version.assessment_type,
        "participation_detail": version.participation_detail,
        "quality_assurance": version.quality_assurance,
        "prerequisites": version.prerequisites,
        "supervision": version.supervision,
        "grading_scheme": version.grading_scheme,
        "integration": version.integration,
        "stackable_towards": version.stackable_towards,
        "further_information": version.further_information,
        "text_language": version.text_language,
        "isced_f": version.isced_f,
        "price_note": version.price_note,
        "learning_outcomes": [
            {"statement": o.statement, "esco_uri": o.esco_uri} for o in version.outcomes
        ],
        "accredited_under": external("api.decision", decision_id=decision_id)
        if decision_id is not None
        else None,
        "elm_url": external("catalogue_io.elm", public_id=spec.public_id),
        "ob3_url": external("catalogue_io.ob3_achievement", public_id=spec.public_id),
    }


# ----- the register ------------------------------------------------------------------------


def report(urls: Formats, decision: PublishedDecision) -> JSON | None:
    report = decision.report
    if report is None:
        return None
    code = report.verification_code
    return {
        "id": report.document_id,
        "version": report.version,
        "decision_id": decision.id,
        "case_reference": decision.case_reference,
        "provider_id": decision.provider_id,
        "provider_name": decision.provider_name,
        "locale": report.locale,
        "sha256": report.sha256,
        "size": report.size,
        "published_at": report.published_at,
        "verification_url": link(urls, "reporting.verify_code", "code", code) if code else None,
        "download_url": link(urls, "register.report", "decision_id", decision.id),
    }


def decision(urls: Formats, decision: PublishedDecision) -> JSON:
    return {
        "id": decision.id,
        "case_reference": decision.case_reference,
        "provider_id": decision.provider_id,
        "provider_name": decision.provider_name,
        "country": decision.country,
        "provider_type": decision.provider_type,
        "agency_id": decision.agency_id,
        "agency_name": decision.agency_name,
        "outcome": decision.outcome,
        "status": decision.status,
        "decided_on": decision.decided_on,
        "valid_from": decision.valid_from,
        "valid_until": decision.valid_until,
        "validity": decision.validity(),
        "framework_code": decision.framework_code,
        "framework_name": decision.framework_name,
        "summary": decision.summary,
        "conditions": [
            {"id": c.id, "text": c.text, "due_on": c.due_on, "status": c.status}
            for c in decision.conditions
        ],
        "report": report(urls, decision),
        "specification_ids": list(decision.specification_ids),
        "published_at": decision.published_at,
        "url": link(urls, "api.decision", "decision_id", decision.id),
        "html_url": link(urls, "register.decision", "decision_id", decision.id),
    }


def provider(urls: Formats, provider: RegisterProvider) -> JSON:
    current = provider.current
    return {
        "id": provider.id,
        "name": provider.name,
        "country": provider.country,
        "provider_type": provider.provider_type,
        "website": provider.website,
        "accredited": provider.accredited,
        "current_decision_id": current.id if current else None,
        "decisions": [decision(urls, d) for d in provider.decisions],
        "url": link(urls, "api.provider", "provider_id", provider.id),
        "html_url": link(urls, "register.provider", "provider_id", provider.id),
    }
