"""The "check your decision" step: what a decision will say and do, before it is stored.

Plain data for the check page, computed by the same rules :func:`services.decide` applies
(validity defaults, the agency's appeal window), so that the page shows what will be stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from qaportal.cases import workflow
from qaportal.cases.models import Case, CaseState
from qaportal.decisions import services
from qaportal.decisions.labels import eqa_label, outcome_label
from qaportal.decisions.models import EqaStatus, Outcome


@dataclass(frozen=True)
class ConditionPreview:
    text: str
    criterion: str | None  # "C1 Title", or None when it concerns no particular criterion
    due_on: dt.date | None


@dataclass(frozen=True)
class DecisionPreview:
    reference: str
    provider: str
    outcome: str  # translated label
    eqa_status: str  # translated label
    rationale: str
    negative: bool
    valid_from: dt.date | None
    valid_until: dt.date | None
    conditions: list[ConditionPreview]
    appeal_days: int
    state_after: str  # the case's state once recorded, as a word


def preview(
    session: Session, case: Case, data: services.DecisionData, *, today: dt.date
) -> DecisionPreview:
    """``data`` must have passed :func:`services.validate`."""
    criteria = {c.id: f"{c.code} {c.title}" for c in services.case_criteria(session, case)}
    start, until = services.validity(session, case, data, today)
    return DecisionPreview(
        reference=case.reference,
        provider=case.provider.display_name,
        outcome=str(outcome_label(Outcome(data.outcome))),
        eqa_status=str(eqa_label(EqaStatus(data.eqa_status))),
        rationale=data.rationale.strip(),
        negative=data.outcome == Outcome.NEGATIVE,
        valid_from=start,
        valid_until=until,
        conditions=[
            ConditionPreview(
                c.text.strip(), criteria.get(c.criterion_id) if c.criterion_id else None, c.due_on
            )
            for c in data.conditions
            if not c.blank
        ],
        appeal_days=services.settings_for(session, case.agency_id).appeal_days,
        state_after=workflow.state_label(CaseState.DECIDED),
    )
