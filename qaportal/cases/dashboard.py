"""The accreditation cases on each dashboard panel: the few most urgent cases (overdue
first, then what asks for the user's action, then by due date) and every open case counted
by stage, overdue ones highlighted, each stage linking to the case list filtered to it. A
provider's drafts and an agency's submissions to screen are to do; the other stages are
under way unless overdue.

One statement per panel (a GROUP BY and a LIMIT, built once), however many cases there are."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import cache
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Date, Select, and_, bindparam, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session, aliased

from qaportal.access.policy import can
from qaportal.auth.models import AGENCY_STAFF_ROLES, Membership, Role, User
from qaportal.cases import workflow
from qaportal.cases.access import CaseAction
from qaportal.cases.models import Case, CaseDeadline, CaseState
from qaportal.db import utcnow
from qaportal.orgs.models import Organisation
from qaportal.web.dashboard import Item, Link, Task, TaskGroup
from qaportal.web.worklist import Formats, Tallier, tallier

# Finished cases leave the dashboard; the case list keeps them.
_FINISHED = frozenset({CaseState.CLOSED, CaseState.WITHDRAWN})
_PROVIDER_ROLES = frozenset({Role.PROVIDER_ADMIN, Role.PROVIDER_EDITOR})
_ORDER = list(CaseState)


def open_cases(provider_side: bool) -> Select[Any]:
    """The open cases of the organisation ``org_id`` (a provider's, or those with an
    agency) with the current stage's due date."""
    provider, agency = aliased(Organisation), aliased(Organisation)
    column = Case.provider_id if provider_side else Case.agency_id
    return (
        select(
            Case.id,
            Case.reference,
            provider.legal_name.label("provider"),
            agency.legal_name.label("agency"),
            Case.state,
            Case.created_at,
            Case.submitted_at,
            CaseDeadline.due_on,
        )
        .join(provider, provider.id == Case.provider_id)
        .join(agency, agency.id == Case.agency_id)
        # A due date counts only for the stage the case is in.
        .outerjoin(
            CaseDeadline, and_(CaseDeadline.case_id == Case.id, CaseDeadline.stage == Case.state)
        )
        .where(column == bindparam("org_id"), Case.state.not_in(_FINISHED))
    )


@cache
def stage_tallier(provider_side: bool) -> Tallier:
    """The open cases counted by stage, and the most urgent few: overdue first, then those
    asking for the user's action, then by due date."""
    today = bindparam("today", type_=Date)
    todo = CaseState.DRAFT if provider_side else CaseState.SUBMITTED
    return tallier(
        open_cases(provider_side),
        group=lambda c: c.state,
        order_by=lambda c: [
            sql_case((c.due_on < today, 0), else_=1),
            sql_case((c.due_on < today, c.due_on), else_=None),  # the most overdue first
            sql_case((c.state == todo, 0), else_=1),
            c.due_on.is_(None),
            c.due_on,
            c.created_at.desc(),
            c.id.desc(),
        ],
        overdue=lambda c: c.due_on < today,
    )


class _Lines:
    """Builds a stage's lines with each text looked up once per panel, not once per case."""

    def __init__(self, agency_side: bool, today: dt.date) -> None:
        self.agency_side = agency_side
        self.today = today
        self.formats = Formats()
        self.overdue = _("Overdue: %(task)s")
        self.was_due = _("It was due on %(date)s.")
        self.due = _("Due on %(date)s.")

    def builder(self, state: CaseState) -> Callable[[Any], Task]:
        return self._agency(state) if self.agency_side else self._provider(state)

    def _agency(self, state: CaseState) -> Callable[[Any], Task]:
        if state == CaseState.SUBMITTED:
            label, detail = _("Screen %(reference)s from %(provider)s"), _("Submitted on %(date)s.")
            return lambda r: self._task(
                r,
                label % {"reference": r.reference, "provider": r.provider},
                detail % {"date": self.formats.date(r.submitted_at)},
                waiting=False,
            )
        if state == CaseState.DRAFT:
            label = _("%(reference)s: %(provider)s is writing its self-assessment")
            detail = _("It appears here to be screened once the provider submits it.")
            return lambda r: self._task(
                r, label % {"reference": r.reference, "provider": r.provider}, detail
            )
        label = _("%(reference)s from %(provider)s: %(state)s")
        name = workflow.state_label(state)
        return lambda r: self._task(
            r, label % {"reference": r.reference, "provider": r.provider, "state": name}, ""
        )

    def _provider(self, state: CaseState) -> Callable[[Any], Task]:
        if state == CaseState.DRAFT:
            label = _("Continue the self-assessment of %(reference)s")
            detail = _("A draft for %(agency)s: the agency reads it once you submit it.")
            return lambda r: self._task(
                r,
                label % {"reference": r.reference},
                detail % {"agency": r.agency},
                waiting=False,
                url=self.formats.url("cases.self_assessment", "case_id", r.id),
            )
        label = _("%(reference)s: %(state)s")
        name = workflow.state_label(state)
        detail = _next_for_provider(state)
        return lambda r: self._task(
            r,
            label % {"reference": r.reference, "state": name},
            detail % {"agency": r.agency} if detail else "",
        )

    def _task(
        self, row: Any, label: str, detail: str, *, waiting: bool = True, url: str = ""
    ) -> Task:
        url = url or self.formats.url("cases.show", "case_id", row.id)
        if row.due_on is None:
            return Task(label, url, detail, waiting=waiting)
        date = self.formats.date(row.due_on)
        if row.due_on < self.today:
            # Someone has to act on an overdue stage (do the work or chase it): never "waiting".
            detail = " ".join(p for p in (detail, self.was_due % {"date": date}) if p)
            return Task(self.overdue % {"task": label}, url, detail, urgent=True)
        detail = " ".join(p for p in (detail, self.due % {"date": date}) if p)
        return Task(label, url, detail, waiting=waiting)


def _next_for_provider(state: CaseState) -> str:
    """What comes next on a provider's case (``%(agency)s`` names the agency)."""
    texts = {
        CaseState.SUBMITTED: lambda: _("%(agency)s screens it next."),
        CaseState.IN_REVIEW: lambda: _(
            "The review panel of %(agency)s assesses it; its draft report comes to you for "
            "a factual-accuracy check."
        ),
        CaseState.FACTUAL_CHECK: lambda: _(
            "The draft panel report awaits your factual-accuracy check; the panel then "
            "finalises it."
        ),
        CaseState.DECISION_PENDING: lambda: _("%(agency)s decides next."),
        CaseState.DECIDED: lambda: _(
            "Read the decision; you may appeal while the appeal window is open."
        ),
        CaseState.APPEAL: lambda: _("The appeals committee of %(agency)s decides next."),
        CaseState.FOLLOW_UP: lambda: _("Answer each condition of the decision with evidence."),
        CaseState.PUBLISHED: lambda: _("The report is published."),
    }
    text = texts.get(state)
    return text() if text else ""


def _group_label(state: CaseState, count: int, agency_side: bool) -> str:
    if agency_side and state == CaseState.SUBMITTED:
        return ngettext(
            "%(num)d case awaiting screening", "%(num)d cases awaiting screening", count
        )
    if agency_side and state == CaseState.DRAFT:
        return ngettext(
            "%(num)d self-assessment being written by its provider",
            "%(num)d self-assessments being written by their providers",
            count,
        )
    if state == CaseState.DRAFT:
        return ngettext(
            "%(num)d self-assessment to write", "%(num)d self-assessments to write", count
        )
    name = workflow.state_label(state)
    return ngettext(
        "%(state)s: %(num)d case",
        "%(state)s: %(num)d cases",
        count,
        state=name[:1].upper() + name[1:],
    )


def case_tasks(session: Session, user: User, membership: Membership) -> list[Item]:
    org = membership.organisation
    if membership.role in _PROVIDER_ROLES and org.is_provider:
        agency_side, todo = False, CaseState.DRAFT
    elif membership.role in AGENCY_STAFF_ROLES and org.is_agency:
        agency_side, todo = True, CaseState.SUBMITTED
    else:
        return []
    if not can(user, CaseAction.CASE_LIST, org):
        return []
    today = utcnow().date()
    found = stage_tallier(not agency_side)(session, org_id=org.id, today=today)
    lines = _Lines(agency_side, today)
    builders: dict[CaseState, Callable[[Any], Task]] = {}
    items: list[Item] = []
    for row in found.first:
        if row.state not in builders:
            builders[row.state] = lines.builder(row.state)
        items.append(builders[row.state](row))
    url = lines.formats.url  # the case list filtered by state, built once
    for state in sorted(found.groups, key=_ORDER.index):
        count, overdue = found.groups[state]
        items.append(
            TaskGroup(
                _group_label(state, count, agency_side),
                url("cases.index", "state", state.value),
                count,
                overdue,
                waiting=state != todo,
                overdue_url=url("cases.index", "state", state.value, overdue=1) if overdue else "",
            )
        )
    return items


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
