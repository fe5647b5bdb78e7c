"""Words for the decision domain's values, in one place for every template and email."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from qaportal.decisions.models import AppealOutcome, ConditionStatus, EqaStatus, Outcome

_OUTCOMES = {
    Outcome.POSITIVE: _l("Positive"),
    Outcome.CONDITIONAL: _l("Positive with conditions"),
    Outcome.NEGATIVE: _l("Negative"),
}
_EQA = {
    EqaStatus.OBLIGATORY: _l("Part of an obligatory external QA system"),
    EqaStatus.VOLUNTARY: _l("Voluntary"),
}
_CONDITIONS = {
    ConditionStatus.OPEN: _l("to be answered"),
    ConditionStatus.ANSWERED: _l("answered, to be assessed"),
    ConditionStatus.MET: _l("met"),
    ConditionStatus.NOT_MET: _l("not met"),
}
_APPEALS = {AppealOutcome.UPHELD: _l("upheld"), AppealOutcome.REVISED: _l("revised")}


def outcome_label(value: Any) -> str:
    return str(_OUTCOMES.get(value, value))


def eqa_label(value: Any) -> str:
    return str(_EQA.get(value, value))


def condition_label(value: Any) -> str:
    return str(_CONDITIONS.get(value, value))


def appeal_label(value: Any) -> str:
    return str(_APPEALS.get(value, value))
