"""The accreditation cases on each dashboard panel: what a provider has to write, what an
agency has to screen, and where the other cases stand."""

from __future__ import annotations

from flask import url_for
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from qaportal.access.policy import Action, can
from qaportal.auth.models import AGENCY_STAFF_ROLES, Membership, Role, User
from qaportal.cases import services, workflow
from qaportal.cases.models import CaseState
from qaportal.web.dashboard import Task, register_tasks

# Finished cases leave the dashboard; the case list keeps them.
_FINISHED = frozenset({CaseState.CLOSED, CaseState.WITHDRAWN})
_PROVIDER_ROLES = frozenset({Role.PROVIDER_ADMIN, Role.PROVIDER_EDITOR})


def _provider_task(case: services.CaseSummary) -> Task:
    if case.state == CaseState.DRAFT:
        return Task(
            _("Continue the self-assessment of %(reference)s", reference=case.reference),
            url_for("cases.self_assessment", case_id=case.id),
            _(
                "A draft for %(agency)s: the agency reads it once you submit it.",
                agency=case.agency,
            ),
        )
    if case.state == CaseState.SUBMITTED:
        detail = _("%(agency)s screens it next.", agency=case.agency)
    else:
        detail = ""
    return Task(
        _(
            "%(reference)s is %(state)s",
            reference=case.reference,
            state=workflow.state_label(case.state),
        ),
        url_for("cases.show", case_id=case.id),
        detail,
        waiting=True,
    )


def _agency_task(case: services.CaseSummary) -> Task:
    url = url_for("cases.show", case_id=case.id)
    if case.state == CaseState.SUBMITTED:
        submitted = format_date(case.submitted_at) if case.submitted_at else ""
        return Task(
            _(
                "Screen %(reference)s from %(provider)s",
                reference=case.reference,
                provider=case.provider,
            ),
            url,
            _("Submitted on %(date)s.", date=submitted),
        )
    if case.state == CaseState.DRAFT:
        return Task(
            _(
                "%(reference)s: %(provider)s is writing its self-assessment",
                reference=case.reference,
                provider=case.provider,
            ),
            url,
            _("It appears here to be screened once the provider submits it."),
            waiting=True,
        )
    return Task(
        _(
            "%(reference)s from %(provider)s is %(state)s",
            reference=case.reference,
            provider=case.provider,
            state=workflow.state_label(case.state),
        ),
        url,
        waiting=True,
    )


@register_tasks
def case_tasks(session: Session, user: User, membership: Membership) -> list[Task]:
    org = membership.organisation
    if membership.role in _PROVIDER_ROLES and org.is_provider:
        build = _provider_task
    elif membership.role in AGENCY_STAFF_ROLES and org.is_agency:
        build = _agency_task
    else:
        return []
    if not can(user, Action.CASE_LIST, org):
        return []
    cases = [c for c in services.list_cases(session, org) if c.state not in _FINISHED]
    tasks = [build(c) for c in cases]
    # What asks for the user's action comes first; the rest keeps the newest-first order.
    return [t for t in tasks if not t.waiting] + [t for t in tasks if t.waiting]
