"""The machine-readable report embedded in the PDF (a PDF/A-3 associated file): the case, the
decision and its conditions, the panel's consolidated findings per criterion, and the scope
in the terms of the European Learning Model (one ELM ``LearningAchievementSpecification``
per micro-credential, as the catalogue's ELM export writes it).

Codes, not labels: values are the stored vocabularies (DEQAR's decision and status terms,
the criterion's scale values), so that a register can read the file without our
translations. Bump :data:`SCHEMA_VERSION` on any change a reader would notice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app, has_app_context

from qaportal.cases.models import Case
from qaportal.catalogue import exports_elm
from qaportal.reporting.documents import data

SCHEMA = "https://qaportal.eu/schema/accreditation-report"
SCHEMA_VERSION = "1.0"


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _base_url() -> str:
    if has_app_context():
        return str(current_app.config.get("BASE_URL") or "http://localhost")
    return "http://localhost"


def decision_json(decision: data.DecisionInfo | None) -> dict[str, Any] | None:
    if decision is None:
        return None
    return {
        "outcome": decision.outcome,
        "eqa_status": decision.eqa_status,
        "rationale": decision.rationale,
        "decided_on": _day(decision.decided_on),
        "valid_from": _day(decision.valid_from),
        "valid_until": _day(decision.valid_until),
        "appeal_closes_on": _day(decision.appeal_closes_on),
        "conditions": [
            {"text": c.text, "criterion": c.criterion or None, "due_on": _day(c.due_on)}
            for c in decision.conditions
        ],
    }


def header_json(case: Case) -> dict[str, Any]:
    provider, agency = case.provider, case.agency
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "agency": {"name": agency.legal_name, "acronym": agency.acronym, "country": agency.country},
        "provider": {
            "name": provider.legal_name,
            "acronym": provider.acronym,
            "country": provider.country,
            "region": provider.region,
            "provider_type": provider.provider_type.value if provider.provider_type else None,
            "website": provider.website,
            "deqar_id": provider.deqar_id,
            "erasmus_code": provider.erasmus_code,
            "legal_id": provider.legal_id,
        },
        "case": {
            "reference": case.reference,
            "title": case.title or None,
            "state": case.state.value,
            "submitted_on": _day(case.submitted_at.date() if case.submitted_at else None),
        },
    }


def report_json(
    case: Case,
    *,
    decision: data.DecisionInfo | None,
    criteria: list[data.CriterionRow],
    panel: list[data.PanelSeat],
    outcome: data.PanelOutcome | None,
    versions: list[Any],
) -> dict[str, Any]:
    base = _base_url()
    return {
        **header_json(case),
        "decision": decision_json(decision),
        "panel": {
            "recommended_outcome": outcome.outcome if outcome else None,
            "summary": outcome.summary if outcome else None,
            "members": [{"name": s.name, "role": s.role_code} for s in panel],
        },
        "criteria": [
            {
                "framework": row.framework,
                "code": row.code,
                "title": row.title,
                "self_rating": row.self_rating_value or None,
                "judgement": row.panel_level_value or None,
                "judgement_label": row.panel_level or None,
                "rationale": row.rationale,
                "recommendations": row.recommendations,
            }
            for row in criteria
        ],
        "scope": [
            exports_elm.build_learning_achievement_specification(version, base)
            for version in versions
        ],
    }
