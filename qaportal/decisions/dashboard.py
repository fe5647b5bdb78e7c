"""Decision work on each dashboard, counted by kind with the most urgent few listed: an
officer's decisions to record, appeals to handle, conditions to assess, cases to close or
follow up, expiring accreditations and the count of this year's decisions; a provider's
conditions to answer, open appeal windows and expiring accreditations.

Four statements at most (the agencies' settings, the work counted by a GROUP BY and cut by a
LIMIT, and for an officer the year's count), whatever the number of cases; the statements
themselves are built once and run with the request's values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import (
    Date,
    and_,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from qaportal.access.policy import can
from qaportal.auth.models import AGENCY_STAFF_ROLES, PROVIDER_ROLES, Membership, User
from qaportal.cases.models import Case, CaseDeadline, CaseState
from qaportal.db import UTCDateTime, utcnow
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
from qaportal.web.dashboard import Item, Link, Task, TaskGroup
from qaportal.web.i18n import moment
from qaportal.web.worklist import Formats, Kind, Tallier, Texts, shown, tallier

_STATES = (
    CaseState.DECISION_PENDING,
    CaseState.DECIDED,
    CaseState.APPEAL,
    CaseState.FOLLOW_UP,
    CaseState.CLOSED,
    CaseState.PUBLISHED,
)
_LONGEST_NOTICE_DAYS = 60 * 31  # the settings allow up to 60 months
_WAS_DUE, _DUE = _l("It was due on %(date)s."), _l("Due on %(date)s.")


# Built once: the dashboard runs them on every request.
_SETTINGS = select(
    DecisionSettings.agency_id, DecisionSettings.appeal_days, DecisionSettings.expiry_notice_months
)


def _notice(months: int) -> dt.timedelta:
    return dt.timedelta(days=round(months * 30.44))


class _Windows:
    """The agencies' appeal windows and expiry notices as parameters of the statement: per
    agency, when a decision taken before it has its appeal window closed, and up to when a
    validity end is "soon". Computed here from the settings (a small table, read once) so
    that the comparison stays plain SQL on both databases, without date arithmetic."""

    def __init__(self, session: Session, now: dt.datetime) -> None:
        self.days = {
            agency: (appeal, notice)
            for agency, appeal, notice in session.connection().execute(_SETTINGS)
        }
        self.now = now

    def appeal_days(self, agency_id: int) -> int:
        return self.days.get(agency_id, (DEFAULT_APPEAL_DAYS, 0))[0]

    def _values(self, appeal: int, notice: int) -> tuple[dt.datetime, dt.date]:
        return self.now - dt.timedelta(days=appeal), self.now.date() + _notice(notice)

    def params(self, agencies: tuple[int, ...], own: int | None = None) -> dict[str, Any]:
        """Parameters of :func:`_work`: ``cutoff`` and ``notice_until`` of the agency
        ``own`` (or of the defaults), and of each of ``agencies``."""
        today = self.now.date()
        default = (DEFAULT_APPEAL_DAYS, DEFAULT_EXPIRY_NOTICE_MONTHS)
        cutoff, notice = self._values(*self.days.get(own, default) if own else default)
        params: dict[str, Any] = {
            "cutoff": cutoff,
            "notice_until": notice,
            "today": today,
            "horizon": today + dt.timedelta(days=_LONGEST_NOTICE_DAYS),
        }
        for agency in agencies:
            params[f"cutoff_{agency}"], params[f"notice_until_{agency}"] = self._values(
                *self.days[agency]
            )
        return params


def _per_agency(name: str, agencies: tuple[int, ...], type_: Any) -> Any:
    fallback = bindparam(name, type_=type_)
    if not agencies:
        return fallback
    whens = {agency: bindparam(f"{name}_{agency}", type_=type_) for agency in agencies}
    return sql_case(whens, value=Case.agency_id, else_=fallback)


@lru_cache(maxsize=64)
def _work(provider_side: bool, agencies: tuple[int, ...]) -> Tallier:
    """The decision work of the agency or the provider ``org_id``, by kind. ``agencies``:
    those with settings of their own among the cases' agencies (a provider's cases may be
    with several); see :meth:`_Windows.params` for the values."""
    today = bindparam("today", type_=Date)
    cutoff = _per_agency("cutoff", agencies, UTCDateTime())
    notice_until = _per_agency("notice_until", agencies, Date())
    to_answer = DecisionCondition.status.in_([ConditionStatus.OPEN, ConditionStatus.NOT_MET])
    cases: Any = (
        select(
            Case.id.label("case_id"),
            Case.reference,
            Organisation.legal_name.label("provider"),
            Case.state,
            Case.agency_id,
            Decision.decided_at,
            Decision.valid_until,
            Decision.outcome,
            CaseDeadline.due_on,
            func.count(DecisionCondition.id).label("conditions"),
            func.coalesce(func.sum(sql_case((to_answer, 1), else_=0)), 0).label("to_answer"),
            func.coalesce(
                func.sum(
                    sql_case((DecisionCondition.status == ConditionStatus.ANSWERED, 1), else_=0)
                ),
                0,
            ).label("to_assess"),
            func.min(sql_case((to_answer, DecisionCondition.due_on), else_=None)).label("next_due"),
            (Decision.decided_at < cutoff).label("appeal_closed"),
            and_(
                Decision.valid_until.between(today, notice_until),
                or_(Decision.outcome.is_(None), Decision.outcome != Outcome.NEGATIVE),
            ).label("expiring"),
        )
        .join(Organisation, Organisation.id == Case.provider_id)
        .outerjoin(
            Decision,
            and_(Decision.case_id == Case.id, Decision.status == DecisionStatus.CURRENT),
        )
        .outerjoin(DecisionCondition, DecisionCondition.decision_id == Decision.id)
        .outerjoin(
            CaseDeadline, and_(CaseDeadline.case_id == Case.id, CaseDeadline.stage == Case.state)
        )
        .where(
            Case.state.in_(_STATES),
            # Closed cases matter only while their accreditation nears its end.
            or_(
                Case.state.notin_([CaseState.CLOSED, CaseState.PUBLISHED]),
                Decision.valid_until.between(today, bindparam("horizon", type_=Date)),
            ),
        )
        .group_by(
            Case.id,
            Case.reference,
            Organisation.legal_name,
            Case.state,
            Case.agency_id,
            Decision.decided_at,
            Decision.valid_until,
            Decision.outcome,
            CaseDeadline.due_on,
        )
    )
    column = Case.provider_id if provider_side else Case.agency_id
    cases = cases.where(column == bindparam("org_id"))
    c = cases.cte("decided").c

    names: list[str] = []

    def kind(name: str, count: Any, due: Any, where: Any) -> Any:
        names.append(name)
        # The kind is a literal in the SQL text: PostgreSQL must know its type.
        return select(
            literal_column(f"'{name}'").label("kind"),
            c.case_id,
            c.reference,
            c.provider,
            c.agency_id,
            c.decided_at,
            c.valid_until,
            c.conditions,
            count.label("n"),
            due.label("due"),
        ).where(where)

    state = c.state
    if not provider_side:
        decided = and_(state == CaseState.DECIDED, c.appeal_closed.is_(True))
        branches = [
            kind("record", c.conditions, c.due_on, state == CaseState.DECISION_PENDING),
            kind("appeal", c.conditions, c.due_on, state == CaseState.APPEAL),
            kind(
                "assess", c.to_assess, c.due_on, and_(state == CaseState.FOLLOW_UP, c.to_assess > 0)
            ),
            kind("follow", c.conditions, c.due_on, and_(decided, c.conditions > 0)),
            kind("close", c.conditions, c.due_on, and_(decided, c.conditions == 0)),
        ]
    else:
        open_window = and_(
            state == CaseState.DECIDED,
            c.decided_at.is_not(None),
            c.appeal_closed.is_(False),
        )
        branches = [
            kind(
                "answer",
                c.to_answer,
                c.next_due,
                and_(state == CaseState.FOLLOW_UP, c.to_answer > 0),
            ),
            # No due date: the appeal window is the provider's right, not a duty.
            kind("decided", c.conditions, cast(null(), Decision.valid_until.type), open_window),
        ]
    branches.append(kind("expiring", c.conditions, c.valid_until, c.expiring.is_(True)))
    return tallier(
        select(union_all(*branches).subquery()),
        group=lambda w: w.kind,
        # Due first (overdue ones first of all), then the decision taken longest ago.
        order_by=lambda w: [w.due.is_(None), w.due, w.decided_at, w.case_id],
        overdue=lambda w: w.due < today,
        each=names,
    )


_THIS_YEAR = (
    select(func.count(Decision.id))
    .join(Case, Case.id == Decision.case_id)
    .where(
        Case.agency_id == bindparam("agency_id"),
        Decision.status != DecisionStatus.PENDING,
        Decision.decided_on >= bindparam("start", type_=Date),
    )
)


def decisions_this_year(session: Session, agency_id: int) -> int:
    start = dt.date(utcnow().year, 1, 1)
    params = {"agency_id": agency_id, "start": start}
    return session.connection().execute(_THIS_YEAR, params).scalar_one()


class _Lines:
    """Lines of the groups, each text looked up and each date formatted once per panel."""

    def __init__(self, today: dt.date) -> None:
        self.today, self.formats, self.texts = today, Formats(), Texts()
        self.expires = _(
            "Accreditation of %(provider)s (%(reference)s) expires on %(date)s: "
            "re-accreditation due"
        )

    def url(self, row: Any) -> str:
        return self.formats.url("decisions.decision", "case_id", row.case_id)

    def line(
        self, label: Any, detail: Any = "", *, staged: bool = False, **extra: Callable[[Any], Any]
    ) -> Callable[[Any], Task]:
        """A row's line; ``staged``: with the due date of the case's stage, highlighted
        once past. The texts (lazy) are translated at the first such line."""

        def build(row: Any) -> Task:
            values = {"reference": row.reference, "provider": row.provider, "n": row.n}
            values.update({name: value(row) for name, value in extra.items()})
            title, text = self.texts.fill(label, values), self.texts.fill(detail, values)
            if not (staged and row.due):
                return Task(title, self.url(row), text)
            late = row.due < self.today
            due = self.texts(_WAS_DUE if late else _DUE) % {"date": self.formats.date(row.due)}
            text = " ".join(part for part in (text, due) if part)
            return Task(title, self.url(row), text, urgent=late)

        return build

    def expiry(self, row: Any) -> Task:
        date = self.formats.date(row.valid_until)
        values = {"provider": row.provider, "reference": row.reference, "date": date}
        return Task(self.expires % values, self.url(row))

    def expiring_kind(self) -> Kind:
        return Kind(
            lambda n: ngettext(
                "%(num)d accreditation expiring soon", "%(num)d accreditations expiring soon", n
            ),
            self.expiry,
            url_for("cases.index"),
        )


def _cases(state: CaseState) -> str:
    return url_for("cases.index", state=state.value)


def _agency_tasks(session: Session, membership: Membership) -> list[Item]:
    windows = _Windows(session, utcnow())
    org_id = membership.organisation_id
    found = _work(False, ())(session, org_id=org_id, **windows.params((), own=org_id))
    lines = _Lines(windows.now.date())
    kinds: dict[str, Kind] = {
        "record": Kind(
            lambda n: ngettext(
                "Decisions to record: %(num)d case", "Decisions to record: %(num)d cases", n
            ),
            lines.line(
                _l("Record the decision on %(reference)s"),
                _l("%(provider)s: the panel report is final."),
                staged=True,
            ),
            _cases(CaseState.DECISION_PENDING),
        ),
        "appeal": Kind(
            lambda n: ngettext("%(num)d appeal to handle", "%(num)d appeals to handle", n),
            lines.line(
                _l("Handle the appeal on %(reference)s"),
                _l("%(provider)s appeals against the decision."),
                staged=True,
            ),
            _cases(CaseState.APPEAL),
        ),
        "assess": Kind(
            lambda n: ngettext(
                "%(num)d case with answered conditions to assess",
                "%(num)d cases with answered conditions to assess",
                n,
            ),
            lines.line(
                lambda v: ngettext(
                    "Assess %(num)d answered condition of %(reference)s",
                    "Assess %(num)d answered conditions of %(reference)s",
                    v["n"],
                    **v,
                ),
                _l("%(provider)s has answered."),
                staged=True,
            ),
            _cases(CaseState.FOLLOW_UP),
        ),
        "follow": Kind(
            lambda n: ngettext(
                "%(num)d decided case to take into follow-up",
                "%(num)d decided cases to take into follow-up",
                n,
            ),
            lines.line(
                _l("Start the follow-up of %(reference)s"), _l("The appeal window has closed.")
            ),
            _cases(CaseState.DECIDED),
        ),
        "close": Kind(
            lambda n: ngettext(
                "%(num)d decided case to close", "%(num)d decided cases to close", n
            ),
            lines.line(_l("Close %(reference)s"), _l("The appeal window has closed.")),
            _cases(CaseState.DECIDED),
        ),
        "expiring": lines.expiring_kind(),
    }
    tasks = shown(found, kinds)
    count = decisions_this_year(session, membership.organisation_id)
    # A count linking to the list, not a task: no status of its own
    tasks.append(
        TaskGroup(
            _("Decisions this year: %(n)d", n=count), url_for("cases.index"), count, waiting=True
        )
    )
    return tasks


def _provider_tasks(session: Session, membership: Membership) -> list[Item]:
    windows = _Windows(session, utcnow())
    agencies = tuple(sorted(windows.days))
    found = _work(True, agencies)(
        session, org_id=membership.organisation_id, **windows.params(agencies)
    )
    today = windows.now.date()
    lines = _Lines(today)
    answer = lines.line(
        lambda v: ngettext(
            "Answer %(num)d condition of %(reference)s by %(date)s",
            "Answer %(num)d conditions of %(reference)s by %(date)s",
            v["n"],
            **v,
        ),
        date=lambda row: lines.formats.date(row.due) if row.due else "—",
    )

    def closes(row: Any) -> str:
        end = row.decided_at + dt.timedelta(days=windows.appeal_days(row.agency_id))
        return moment(end)

    def conditions(row: Any) -> Task:
        task = answer(row)
        if row.due is not None and row.due < today:
            return Task(task.label, task.url, task.detail, urgent=True)
        return task

    kinds: dict[str, Kind] = {
        "answer": Kind(
            lambda n: ngettext(
                "Conditions to answer: %(num)d case", "Conditions to answer: %(num)d cases", n
            ),
            conditions,
            _cases(CaseState.FOLLOW_UP),
        ),
        "decided": Kind(
            lambda n: ngettext(
                "%(num)d decision open to appeal", "%(num)d decisions open to appeal", n
            ),
            lines.line(
                _l("%(reference)s is decided"),
                _l("The appeal window is open until %(date)s."),
                date=closes,
            ),
            _cases(CaseState.DECIDED),
        ),
        "expiring": lines.expiring_kind(),
    }
    return shown(found, kinds)


def decision_tasks(session: Session, user: User, membership: Membership) -> list[Item]:
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
