"""The accreditation cases on each dashboard panel: what a provider has to write, what an
agency has to screen, and where the other cases stand; stages past their due date first."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from flask import url_for
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from qaportal.access.policy import can
from qaportal.auth.models import AGENCY_STAFF_ROLES, Membership, Role, User
from qaportal.cases import services, workflow
from qaportal.cases.access import CaseAction
from qaportal.cases.models import CaseState
from qaportal.db import utcnow
from qaportal.web.dashboard import Link, Task

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


def case_tasks(session: Session, user: User, membership: Membership) -> list[Task]:
    org = membership.organisation
    if membership.role in _PROVIDER_ROLES and org.is_provider:
        build = _provider_task
    elif membership.role in AGENCY_STAFF_ROLES and org.is_agency:
        build = _agency_task
    else:
        return []
    if not can(user, CaseAction.CASE_LIST, org):
        return []
    today = utcnow().date()
    # One query for all the organisation's cases, with the current stage's due date.
    cases = [c for c in services.list_cases(session, org) if c.state not in _FINISHED]
    overdue, todo, waiting = [], [], []
    for case in cases:
        task = _with_due_date(build(case), case, today)
        if case.overdue(today):
            overdue.append(task)
        elif task.waiting:
            waiting.append(task)
        else:
            todo.append(task)
    # Overdue stages first, then what asks for the user's action; each newest-first.
    return overdue + todo + waiting


def _with_due_date(task: Task, case: services.CaseSummary, today: dt.date) -> Task:
    if case.due_on is None:
        return task
    date = format_date(case.due_on)
    if case.overdue(today):
        # Someone has to act on an overdue stage (do the work or chase it): never "waiting".
        return replace(
            task,
            label=_("Overdue: %(task)s", task=task.label),
            detail=" ".join(
                part for part in (task.detail, _("It was due on %(date)s.", date=date)) if part
            ),
            waiting=False,
            urgent=True,
        )
    return replace(
        task,
        detail=" ".join(part for part in (task.detail, _("Due on %(date)s.", date=date)) if part),
    )


def case_links(user: User, membership: Membership) -> list[Link]:
    org, org_id = membership.organisation, membership.organisation_id
    links = []
    if can(user, CaseAction.CASE_LIST, org):
        links.append(Link(_("Accreditation cases"), url_for("cases.index")))
    if can(user, CaseAction.CASE_OPEN, org):
        links.append(
            Link(_("Apply for accreditation"), url_for("cases.open_case", provider_id=org_id))
        )
    if can(user, CaseAction.AGENCY_MANAGE_FRAMEWORKS, org):
        links.append(
            Link(_("Framework requirements"), url_for("cases.requirements", agency_id=org_id))
        )
    return links


def apply_step(user: User, membership: Membership) -> Link | None:
    org = membership.organisation
    if not (org.is_provider and can(user, CaseAction.CASE_OPEN, org)):
        return None
    url = url_for("cases.open_case", provider_id=membership.organisation_id)
    return Link(_("Apply for accreditation"), url)


def case_list_step(user: User, membership: Membership) -> Link | None:
    if not can(user, CaseAction.CASE_LIST, membership.organisation):
        return None
    return Link(_("See all accreditation cases"), url_for("cases.index"))
