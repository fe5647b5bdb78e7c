"""What the cases domain's audit events say (see :mod:`qaportal.audit.words`)."""

from __future__ import annotations

from flask_babel import LazyString, lazy_pgettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from qaportal.audit.words import (
    names_by_id,
    register_actions,
    register_details,
    register_object_kind,
    register_object_values,
)
from qaportal.cases import assessment, screening
from qaportal.cases.deadlines import stage_label
from qaportal.cases.models import Answer, Case, CaseState
from qaportal.cases.workflow import state_label
from qaportal.frameworks.models import Criterion

# An answer is known by its case and criterion: "QA-2026-0001, P1.1".
_ANSWER_NAME = (
    select(Case.reference + ", " + Criterion.code)
    .where(Case.id == Answer.case_id, Criterion.id == Answer.criterion_id)
    .scalar_subquery()
)


def register_audit_words() -> None:
    register_object_kind(
        "case", lazy_pgettext("audit object", "case"), names_by_id(Case.id, Case.reference)
    )
    register_object_kind(
        "answer", lazy_pgettext("audit object", "answer"), names_by_id(Answer.id, _ANSWER_NAME)
    )
    register_object_values("answer", ("rating", "figures"), assessment.answer_words)
    register_actions(
        {
            "case.opened": _l("%(actor)s opened %(object)s"),
            "case.submit": _l("%(actor)s submitted %(object)s"),
            "case.return": _l("%(actor)s returned %(object)s to the provider"),
            "case.screen": _l("%(actor)s finished screening %(object)s"),
            "case.send_draft_report": _l(
                "%(actor)s sent the draft report of %(object)s to the provider"
            ),
            "case.finalise_report": _l("%(actor)s finalised the report of %(object)s"),
            "case.decide": _l("%(actor)s marked %(object)s as decided"),
            "case.appeal": _l("%(actor)s appealed against the decision on %(object)s"),
            "case.decide_appeal": _l("%(actor)s closed the appeal on %(object)s"),
            "case.start_follow_up": _l("%(actor)s started the follow-up of %(object)s"),
            "case.close": _l("%(actor)s closed %(object)s"),
            "case.withdraw": _l("%(actor)s withdrew %(object)s"),
            "case.deadline_set": _l("%(actor)s set a deadline for %(object)s: %(stage)s"),
            "case.screening_saved": _l("%(actor)s saved the screening of %(object)s"),
            "case.reminders_sent": _l("%(actor)s sent the deadline reminders"),
            "answer.saved": _l("%(actor)s saved the answer to criterion %(criterion)s of %(case)s"),
            "agency.framework_requirements_updated": _l(
                "%(actor)s changed the frameworks %(object)s requires"
            ),
        }
    )
    states = {s.value: LazyString(state_label, s) for s in CaseState}
    checks = {code: LazyString(screening.label, code) for code in screening.CODES}
    register_details(
        labels={
            "reference": None,  # the case's name already says it
            "framework_versions": None,
            "scope": None,
            "changes": None,  # per framework id: the requirement before and after
            "narrative_chars": _l("Characters written"),
            "rating": _l("Rating"),
            "figures": _l("Figures"),
            "stage": _l("Stage"),
            "unmet": _l("Not met"),
            "contact_email": _l("Contact email"),
            "due_soon": _l("Due soon"),
            "overdue": _l("Overdue"),
            "messages": _l("Messages"),
            "days_ahead": _l("Days ahead"),
        },
        values={
            "from": states,
            "to": states,
            "stage": {s.value: LazyString(stage_label, s) for s in CaseState},
            "changed": checks,
            "unmet": checks,
        },
    )
