"""Decision work on each dashboard: an officer's decisions to record, appeals to handle,
conditions to assess, cases to close or follow up, expiring accreditations and the count of
this year's decisions; a provider's conditions to answer, open appeal windows and expiring
accreditations. One query for the cases (two for an officer, with the year's count),
whatever the number of cases."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from qaportal.access.policy import can
from qaportal.auth.models import AGENCY_STAFF_ROLES, PROVIDER_ROLES, Membership, User
from qaportal.cases.models import Case, CaseState
from qaportal.db import utcnow
from qaportal.decisions.access import DecisionAction
from qaportal.decisions.models import (
    DEFAULT_APPEAL_DAYS,
    DEFAULT_EXPIRY_NOTICE_MONTHS,
    ConditionStatus,
    Decision,
    DecisionCondition,
    DecisionSettings,
    DecisionStatus,
    Outcome,
)
from qaportal.orgs.models import Organisation
from qaportal.web.dashboard import Link, Task

_STATES = (
    CaseState.DECISION_PENDING,
    CaseState.DECIDED,
    CaseState.APPEAL,
    CaseState.FOLLOW_UP,
    CaseState.CLOSED,
    CaseState.PUBLISHED,
)
_LONGEST_NOTICE_DAYS = 60 * 31  # the settings allow up to 60 months


@dataclass(frozen=True)
class Row:
    case_id: int
    reference: str
    provider: str
    state: CaseState
    decided_at: dt.datetime | None
    valid_until: dt.date | None
    outcome: Outcome | None
    appeal_days: int
    notice_months: int
    conditions: int
    to_answer: int  # open or not met
    to_assess: int  # answered
    next_due: dt.date | None  # of the conditions still to answer

    @property
    def appeal_closes(self) -> dt.datetime | None:
        if self.decided_at is None:
            return None
        return self.decided_at + dt.timedelta(days=self.appeal_days)

    def expires_soon(self, today: dt.date) -> bool:
        if self.valid_until is None or self.outcome == Outcome.NEGATIVE:
            return False
        notice = dt.timedelta(days=round(self.notice_months * 30.44))
        return today <= self.valid_until <= today + notice


def rows(
    session: Session, *, agency_id: int | None = None, provider_id: int | None = None
) -> list[Row]:
    today = utcnow().date()
    to_answer = DecisionCondition.status.in_([ConditionStatus.OPEN, ConditionStatus.NOT_MET])
    stmt: Any = (
        select(
            Case.id,
            Case.reference,
            Organisation.legal_name,
            Case.state,
            Decision.decided_at,
            Decision.valid_until,
            Decision.outcome,
            func.coalesce(DecisionSettings.appeal_days, DEFAULT_APPEAL_DAYS),
            func.coalesce(DecisionSettings.expiry_notice_months, DEFAULT_EXPIRY_NOTICE_MONTHS),
            func.count(DecisionCondition.id),
            func.coalesce(func.sum(sql_case((to_answer, 1), else_=0)), 0),
            func.coalesce(
                func.sum(
                    sql_case((DecisionCondition.status == ConditionStatus.ANSWERED, 1), else_=0)
                ),
                0,
            ),
            func.min(sql_case((to_answer, DecisionCondition.due_on), else_=None)),
        )
        .join(Organisation, Organisation.id == Case.provider_id)
        .outerjoin(
            Decision,
            and_(Decision.case_id == Case.id, Decision.status == DecisionStatus.CURRENT),
        )
        .outerjoin(DecisionCondition, DecisionCondition.decision_id == Decision.id)
        .outerjoin(DecisionSettings, DecisionSettings.agency_id == Case.agency_id)
        .where(
            Case.state.in_(_STATES),
            # Closed cases matter only while their accreditation nears its end.
            or_(
                Case.state.notin_([CaseState.CLOSED, CaseState.PUBLISHED]),
                Decision.valid_until.between(
                    today, today + dt.timedelta(days=_LONGEST_NOTICE_DAYS)
                ),
            ),
        )
        .group_by(
            Case.id,
            Case.reference,
            Organisation.legal_name,
            Case.state,
            Decision.decided_at,
            Decision.valid_until,
            Decision.outcome,
            DecisionSettings.appeal_days,
            DecisionSettings.expiry_notice_months,
        )
        .order_by(Case.id)
    )
    if agency_id is not None:
        stmt = stmt.where(Case.agency_id == agency_id)
    if provider_id is not None:
        stmt = stmt.where(Case.provider_id == provider_id)
    return [Row(*row) for row in session.execute(stmt).all()]


def decisions_this_year(session: Session, agency_id: int) -> int:
    start = dt.date(utcnow().year, 1, 1)
    return session.execute(
        select(func.count(Decision.id))
        .join(Case, Case.id == Decision.case_id)
        .where(
            Case.agency_id == agency_id,
            Decision.status != DecisionStatus.PENDING,
            Decision.decided_on >= start,
        )
    ).scalar_one()


def _url(row: Row) -> str:
    return url_for("decisions.decision", case_id=row.case_id)


def _expiry(row: Row) -> Task:
    assert row.valid_until is not None
    return Task(
        _(
            "Accreditation of %(provider)s (%(reference)s) expires on %(date)s: "
            "re-accreditation due",
            provider=row.provider,
            reference=row.reference,
            date=format_date(row.valid_until),
        ),
        _url(row),
    )


def _agency_tasks(session: Session, membership: Membership) -> list[Task]:
    now = utcnow()
    tasks = []
    for row in rows(session, agency_id=membership.organisation_id):
        ref = row.reference
        if row.state == CaseState.DECISION_PENDING:
            tasks.append(
                Task(
                    _("Record the decision on %(reference)s", reference=ref),
                    _url(row),
                    _("%(provider)s: the panel report is final.", provider=row.provider),
                )
            )
        elif row.state == CaseState.APPEAL:
            tasks.append(
                Task(
                    _("Handle the appeal on %(reference)s", reference=ref),
                    _url(row),
                    _("%(provider)s appeals against the decision.", provider=row.provider),
                )
            )
        elif row.state == CaseState.FOLLOW_UP and row.to_assess:
            tasks.append(
                Task(
                    _(
                        "Assess %(n)d answered condition(s) of %(reference)s",
                        n=row.to_assess,
                        reference=ref,
                    ),
                    _url(row),
                    row.provider,
                )
            )
        elif row.state == CaseState.DECIDED and row.appeal_closes and row.appeal_closes < now:
            label = (
                _("Start the follow-up of %(reference)s", reference=ref)
                if row.conditions
                else _("Close %(reference)s", reference=ref)
            )
            tasks.append(Task(label, _url(row), _("The appeal window has closed.")))
        if row.expires_soon(now.date()):
            tasks.append(_expiry(row))
    count = decisions_this_year(session, membership.organisation_id)
    tasks.append(
        Task(
            _("Decisions this year: %(n)d", n=count),
            url_for("cases.index"),
            waiting=True,
        )
    )
    return tasks


def _provider_tasks(session: Session, membership: Membership) -> list[Task]:
    now = utcnow()
    tasks = []
    for row in rows(session, provider_id=membership.organisation_id):
        ref = row.reference
        if row.state == CaseState.FOLLOW_UP and row.to_answer:
            tasks.append(
                Task(
                    _(
                        "Answer %(n)d condition(s) of %(reference)s by %(date)s",
                        n=row.to_answer,
                        reference=ref,
                        date=format_date(row.next_due) if row.next_due else "—",
                    ),
                    _url(row),
                    urgent=bool(row.next_due and row.next_due < now.date()),
                )
            )
        elif row.state == CaseState.DECIDED and row.appeal_closes and now <= row.appeal_closes:
            tasks.append(
                Task(
                    _("%(reference)s is decided", reference=ref),
                    _url(row),
                    _(
                        "The appeal window is open until %(date)s.",
                        date=row.appeal_closes.strftime("%Y-%m-%d %H:%M UTC"),
                    ),
                )
            )
        if row.expires_soon(now.date()):
            tasks.append(_expiry(row))
    return tasks


def decision_tasks(session: Session, user: User, membership: Membership) -> list[Task]:
    org = membership.organisation
    if membership.role in AGENCY_STAFF_ROLES and org.is_agency:
        return _agency_tasks(session, membership)
    if membership.role in PROVIDER_ROLES and org.is_provider:
        return _provider_tasks(session, membership)
    return []


def decision_links(user: User, membership: Membership) -> list[Link]:
    org = membership.organisation
    if can(user, DecisionAction.SETTINGS, org):
        return [Link(_("Decision settings"), url_for("decisions.settings", agency_id=org.id))]
    return []
