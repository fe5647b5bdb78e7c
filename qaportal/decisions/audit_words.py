"""What the decisions domain's audit events say (see :mod:`qaportal.audit.words`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import LazyString, lazy_pgettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from qaportal.audit.words import (
    names_by_id,
    register_actions,
    register_details,
    register_object_kind,
)
from qaportal.cases.models import Case
from qaportal.decisions.labels import eqa_label, outcome_label
from qaportal.decisions.models import (
    Appeal,
    Complaint,
    Decision,
    DecisionCondition,
    EqaStatus,
    Outcome,
)


def _reference_of(case_id: Any) -> Any:
    """The reference of the case an object belongs to, as a correlated subquery."""
    return select(Case.reference).where(Case.id == case_id).scalar_subquery()


_CONDITION_CASE = (
    select(Case.reference)
    .join(Decision, Decision.case_id == Case.id)
    .where(Decision.id == DecisionCondition.decision_id)
    .scalar_subquery()
)


def _expiry_notices(v: Mapping[str, Any]) -> str:
    return ngettext(
        "%(actor)s sent %(num)d notice of a decision about to expire",
        "%(actor)s sent %(num)d notices of decisions about to expire",
        v["decisions"],
        actor=v["actor"],
    )


def register_audit_words() -> None:
    # The objects are named after their case: "decision “QA-2026-0003”".
    register_object_kind(
        "decision",
        lazy_pgettext("audit object", "decision"),
        names_by_id(Decision.id, _reference_of(Decision.case_id)),
    )
    register_object_kind(
        "appeal",
        lazy_pgettext("audit object", "appeal"),
        names_by_id(Appeal.id, _reference_of(Appeal.case_id)),
    )
    register_object_kind(
        "complaint",
        lazy_pgettext("audit object", "complaint"),
        names_by_id(Complaint.id, _reference_of(Complaint.case_id)),
    )
    register_object_kind(
        "condition",
        lazy_pgettext("audit object", "condition"),
        names_by_id(DecisionCondition.id, _CONDITION_CASE),
    )
    register_actions(
        {
            "decision.recorded": _l(
                "%(actor)s recorded the decision on %(reference)s: %(outcome)s"
            ),
            "decision.revised": _l("%(actor)s revised the decision on %(reference)s: %(outcome)s"),
            "decision.appealed": _l("%(actor)s appealed against the decision on %(reference)s"),
            "appeal.committee_named": _l("%(actor)s named the appeal committee for %(reference)s"),
            "complaint.lodged": _l("%(actor)s lodged a complaint about %(reference)s"),
            "complaint.answered": _l("%(actor)s answered the complaint about %(reference)s"),
            "condition.answered": _l("%(actor)s answered a condition of %(reference)s"),
            "condition.assessed": _l("%(actor)s assessed a condition of %(reference)s"),
            "decision.settings_changed": _l(
                "%(actor)s changed the decision settings of %(object)s"
            ),
            "decision.expiry_notices_sent": _expiry_notices,
        }
    )
    register_details(
        labels={
            "outcome": _l("Outcome"),
            "status": _l("Status"),
            "valid_from": _l("Valid from"),
            "valid_until": _l("Valid until"),
            "conditions": _l("Conditions"),
            "replaces": None,  # the previous decision's id
            "met": _l("Met"),
            "decisions": _l("Decisions"),
            "new_file": _l("New file uploaded"),
        },
        values={
            "outcome": {o.value: LazyString(outcome_label, o) for o in Outcome},
            "status": {s.value: LazyString(eqa_label, s) for s in EqaStatus},
        },
    )
