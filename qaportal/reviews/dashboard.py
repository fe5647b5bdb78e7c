"""Panel work on each dashboard: the few most urgent tasks, and all of them counted by
kind. A reviewer's invitations (declarations to make) and panels, judgements due, the
chair's consolidation, report to send and responses to write; an officer's panels short of
a chair or a student member and open objections; a provider's open objection windows and
factual checks. Two statements per source (a GROUP BY and a LIMIT), whatever the number of
cases."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import Date, Integer, and_, bindparam, func, literal_column, select, union_all
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from qaportal.auth.models import AGENCY_STAFF_ROLES, PROVIDER_ROLES, Membership, Role, User
from qaportal.cases.models import Case, CaseDeadline, CaseFramework, CaseState
from qaportal.db import UTCDateTime, utcnow
from qaportal.frameworks.models import Criterion
from qaportal.orgs.models import Organisation
from qaportal.reviews import settings as review_settings
from qaportal.reviews.labels import role_label
from qaportal.reviews.models import (
    LIVE,
    FactualComment,
    Judgement,
    MemberStatus,
    ObjectionStatus,
    PanelJudgement,
    PanelMember,
    PanelObjection,
    PanelReport,
    PanelRole,
    ReviewSettings,
)
from qaportal.web.dashboard import Item, Task
from qaportal.web.i18n import moment
from qaportal.web.worklist import Formats, Kind, Tallier, Texts, plus_days, shown, tallier

_WAS_DUE, _DUE = _l("It was due on %(date)s."), _l("Due on %(date)s.")

# The stages in which a panel works; a due date of another stage is not the reviewer's.
_REVIEW_STAGES = (CaseState.IN_REVIEW, CaseState.FACTUAL_CHECK)


def _stage_due() -> Any:
    """Joins a case's current stage's due date (an outer join: not every stage has one)."""
    return and_(CaseDeadline.case_id == Case.id, CaseDeadline.stage == Case.state)


def _kind(name: str) -> Any:
    # A literal in the SQL text, not a bound parameter: PostgreSQL must know its type.
    return literal_column(f"'{name}'").label("kind")


def _today() -> Any:
    return bindparam("today", type_=Date)


def _by_due(c: Any) -> list[Any]:
    """Overdue first (they have the earliest due dates), then by due date, undated last."""
    return [c.due_on.is_(None), c.due_on, c.case_id]


class _Lines:
    """Builds lines with their stage's due date, overdue ones highlighted; each text looked
    up once and each date formatted once per panel, not once per line."""

    def __init__(self) -> None:
        self.today, self.formats = utcnow().date(), Formats()
        self.texts = Texts()

    def dated(self, task: Task, due: dt.date | None) -> Task:
        if due is None:
            return task
        overdue = due < self.today
        text = self.texts(_WAS_DUE if overdue else _DUE) % {"date": self.formats.date(due)}
        detail = " ".join(part for part in (task.detail, text) if part)
        # Someone has to act on an overdue stage: never "waiting".
        return Task(task.label, task.url, detail, task.waiting and not overdue, overdue)

    def case_line(
        self, label: Any, endpoint: str, detail: Any = "", anchor: str = "", waiting: bool = False
    ) -> Any:
        """A line about a case (row columns ``case_id``, ``reference``, ``due_on`` and
        whatever ``label`` and ``detail`` name), linking to ``endpoint``; the texts (lazy)
        are translated at the first such line."""

        def build(row: Any) -> Task:
            values = row._asdict()
            url = self.formats.url(endpoint, "case_id", row.case_id) + anchor
            text = self.texts.fill(detail, values) if detail else ""
            task = Task(self.texts.fill(label, values), url, text, waiting)
            return self.dated(task, row.due_on)

        return build


# ----- panels ---------------------------------------------------------------------------------


@cache
def _assignments() -> Tallier:
    """The live seats of the reviewer ``user_id`` on panels of the agency ``agency_id`` whose
    cases are in review, by status: invitations to answer and panels to review on. Only then
    do these lines ask something of the reviewer: judgements are recorded in review only, and
    an invitation answered later joins a panel that has reported. The chair's work at the
    factual check is the findings' (:func:`_findings_work`)."""
    today = _today()
    query = (
        select(
            PanelMember.id.label("member_id"),
            Case.id.label("case_id"),
            Case.reference,
            Organisation.legal_name.label("provider"),
            PanelMember.role,
            PanelMember.status.label("kind"),
            PanelMember.invited_at,
            CaseDeadline.due_on,
        )
        .join(Case, Case.id == PanelMember.case_id)
        .join(Organisation, Organisation.id == Case.provider_id)
        .outerjoin(CaseDeadline, _stage_due())
        .where(
            PanelMember.user_id == bindparam("user_id"),
            PanelMember.status.in_(list(LIVE)),
            Case.agency_id == bindparam("agency_id"),
            Case.state == CaseState.IN_REVIEW,
        )
    )
    return tallier(
        query,
        group=lambda c: c.kind,
        # Overdue panels first, then invitations (the case waits on the answer), then the
        # panels by due date.
        order_by=lambda c: [
            sql_case((c.due_on < today, 0), else_=1),
            sql_case((c.due_on < today, c.due_on), else_=None),  # the most overdue first
            sql_case((c.kind == MemberStatus.INVITED, 0), else_=1),
            *_by_due(c),
            c.invited_at,
        ],
        overdue=lambda c: c.due_on < today,
        each=[MemberStatus.INVITED, MemberStatus.ACTIVE],
    )


_INVITE = _l("Answer the invitation to the panel of %(reference)s (%(provider)s)")
_DECLARE = _l("As %(role)s. Declare any conflict of interest first: the case opens once you have.")
_REVIEW, _SEAT = _l("Review %(reference)s (%(provider)s)"), _l("You sit on the panel as %(role)s.")


def _reviewer_tasks(session: Session, user: User, membership: Membership) -> list[Item]:
    lines = _Lines()
    found = _assignments()(
        session, user_id=user.id, agency_id=membership.organisation_id, today=lines.today
    )
    # Each text translated at its first line (most dashboards show one kind, or none).
    texts, role = lines.texts, cache(role_label)

    def invitation(r: Any) -> Task:
        return Task(
            texts(_INVITE) % {"reference": r.reference, "provider": r.provider},
            lines.formats.url("reviews.invitation", "member_id", r.member_id),
            texts(_DECLARE) % {"role": role(r.role)},
        )

    def panel(r: Any) -> Task:
        task = Task(
            texts(_REVIEW) % {"reference": r.reference, "provider": r.provider},
            lines.formats.url("reviews.case_workspace", "case_id", r.case_id),
            texts(_SEAT) % {"role": role(r.role)},
        )
        return lines.dated(task, r.due_on)

    workspace = url_for("reviews.workspace")
    return shown(
        found,
        {
            MemberStatus.INVITED: Kind(
                lambda n: ngettext(
                    "Declarations to make: %(num)d invitation to a panel",
                    "Declarations to make: %(num)d invitations to panels",
                    n,
                ),
                invitation,
                workspace,
            ),
            MemberStatus.ACTIVE: Kind(
                lambda n: ngettext(
                    "Your assignments: %(num)d panel", "Your assignments: %(num)d panels", n
                ),
                panel,
                workspace,
            ),
        },
    )


@cache
def _panel_gaps() -> Tallier:
    """The cases in review of the agency ``agency_id`` whose panel lacks a chair, a student
    member, or has open objections (a case may be in several of these groups)."""
    live = and_(PanelMember.case_id == Case.id, PanelMember.status.in_(list(LIVE)))
    objections = (
        select(func.count(PanelObjection.id))
        .where(PanelObjection.case_id == Case.id, PanelObjection.status == ObjectionStatus.OPEN)
        .correlate(Case)
        .scalar_subquery()
    )
    gaps = (
        select(
            Case.id.label("case_id"),
            Case.reference,
            Organisation.legal_name.label("provider"),
            CaseDeadline.due_on,
            func.coalesce(
                func.sum(sql_case((PanelMember.role == PanelRole.CHAIR, 1), else_=0)), 0
            ).label("chairs"),
            func.coalesce(
                func.sum(sql_case((PanelMember.role == PanelRole.STUDENT, 1), else_=0)), 0
            ).label("students"),
            objections.label("objections"),
        )
        .join(Organisation, Organisation.id == Case.provider_id)
        .outerjoin(PanelMember, live)
        .outerjoin(CaseDeadline, _stage_due())
        .where(Case.agency_id == bindparam("agency_id"), Case.state == CaseState.IN_REVIEW)
        .group_by(Case.id, Case.reference, Organisation.legal_name, CaseDeadline.due_on)
        .cte("gaps")
    )
    g = gaps.c

    def branch(kind: str, where: Any) -> Any:
        return select(
            _kind(kind), g.case_id, g.reference, g.provider, g.due_on, g.objections.label("n")
        ).where(where)

    # A case short of a chair and of a student counts in both groups.
    work = union_all(
        branch("objection", g.objections > 0),
        branch("chair", g.chairs == 0),
        branch("student", g.students == 0),
    )
    return tallier(
        select(work.subquery()),
        group=lambda c: c.kind,
        order_by=_by_due,
        overdue=lambda c: c.due_on < _today(),
        each=["objection", "chair", "student"],
    )


def _agency_tasks(session: Session, membership: Membership) -> list[Item]:
    lines = _Lines()
    found = _panel_gaps()(session, agency_id=membership.organisation_id, today=lines.today)
    in_review = _l("%(provider)s, in review.")
    cases = url_for("cases.index", state=CaseState.IN_REVIEW.value)
    return shown(
        found,
        {
            "objection": Kind(
                lambda n: ngettext(
                    "%(num)d panel with objections to answer",
                    "%(num)d panels with objections to answer",
                    n,
                ),
                lines.case_line(
                    lambda v: ngettext(
                        "Answer %(num)d objection to the panel of %(reference)s",
                        "Answer %(num)d objections to the panel of %(reference)s",
                        v["n"],
                        **v,
                    ),
                    "reviews.panel",
                    _l("%(provider)s objects to a panel member."),
                ),
                cases,
            ),
            "chair": Kind(
                lambda n: ngettext(
                    "%(num)d panel without a chair", "%(num)d panels without a chair", n
                ),
                lines.case_line(
                    _l("The panel of %(reference)s lacks a chair"), "reviews.panel", in_review
                ),
                cases,
            ),
            "student": Kind(
                lambda n: ngettext(
                    "%(num)d panel short of a student member (ESG 2.4)",
                    "%(num)d panels short of a student member (ESG 2.4)",
                    n,
                ),
                lines.case_line(
                    _l("The panel of %(reference)s lacks a student member (ESG 2.4)"),
                    "reviews.panel",
                    in_review,
                ),
                cases,
            ),
        },
    )


@cache
def _announcements() -> Tallier:
    """The cases in review of the provider ``provider_id`` whose panel's objection window is
    still open at ``now``: the window is the case's agency's (its review settings), else
    ``default_days``; its length is a column, so the window is compared in SQL."""
    days = func.coalesce(ReviewSettings.objection_days, bindparam("default_days", type_=Integer))
    announced = (
        select(
            Case.id.label("case_id"),
            Case.reference,
            func.max(PanelMember.announced_at).label("announced_at"),
            days.label("objection_days"),
            _kind("announced"),
        )
        .join(PanelMember, PanelMember.case_id == Case.id)
        .outerjoin(ReviewSettings, ReviewSettings.agency_id == Case.agency_id)
        .where(
            Case.provider_id == bindparam("provider_id"),
            # Past review the panel has reported: an objection no longer changes anything.
            Case.state == CaseState.IN_REVIEW,
            PanelMember.status == MemberStatus.ACTIVE,
            PanelMember.announced_at.is_not(None),
            plus_days(PanelMember.announced_at, days) > bindparam("now", type_=UTCDateTime()),
        )
        .group_by(Case.id, Case.reference, ReviewSettings.objection_days)
    )
    return tallier(
        announced,
        group=lambda c: c.kind,
        # The window that closes first first.
        order_by=lambda c: [plus_days(c.announced_at, c.objection_days), c.case_id],
    )


def _provider_tasks(session: Session, membership: Membership) -> list[Item]:
    formats = Formats()
    found = _announcements()(
        session,
        provider_id=membership.organisation_id,
        now=utcnow(),
        default_days=review_settings.defaults().objection_days,
    )
    label = _("The review panel of %(reference)s has been announced")
    detail = _("You may object to a member, with a reason, until %(date)s.")

    def line(r: Any) -> Task:
        closes = r.announced_at + dt.timedelta(days=r.objection_days)
        return Task(
            label % {"reference": r.reference},
            formats.url("reviews.members", "case_id", r.case_id),
            detail % {"date": moment(closes)},
        )

    return shown(
        found,
        {
            "announced": Kind(
                lambda n: ngettext(
                    "%(num)d review panel announced: you may object to a member",
                    "%(num)d review panels announced: you may object to a member",
                    n,
                ),
                line,
                url_for("cases.index", state=CaseState.IN_REVIEW.value),
            )
        },
    )


def panel_tasks(session: Session, user: User, membership: Membership) -> list[Item]:
    org = membership.organisation
    if membership.role == Role.REVIEWER and org.is_agency:
        return _reviewer_tasks(session, user, membership)
    if membership.role in AGENCY_STAFF_ROLES and org.is_agency:
        return _agency_tasks(session, membership)
    if membership.role in PROVIDER_ROLES and org.is_provider:
        return _provider_tasks(session, membership)
    return []


# ----- findings ---------------------------------------------------------------------------


@cache
def _findings_work() -> Tallier:
    """The seats of the reviewer ``user_id`` on cases of the agency ``agency_id`` in review
    or at factual check, each counted under every kind of work it still asks for (a chair
    may judge and consolidate the same case)."""

    def count(column: Any, *where: Any) -> Any:
        return (
            select(func.count(column)).where(*where).correlate(Case, PanelMember).scalar_subquery()
        )

    criteria = (
        select(func.count(Criterion.id))
        .join(CaseFramework, CaseFramework.framework_version_id == Criterion.framework_version_id)
        .where(CaseFramework.case_id == Case.id)
        .correlate(Case)
        .scalar_subquery()
    )
    seats = (
        select(
            Case.id.label("case_id"),
            Case.reference,
            Case.state,
            sql_case((PanelMember.role == PanelRole.CHAIR, 1), else_=0).label("chair"),
            criteria.label("criteria"),
            count(Judgement.id, Judgement.member_id == PanelMember.id).label("judged"),
            count(PanelJudgement.id, PanelJudgement.case_id == Case.id).label("consolidated"),
            sql_case((PanelReport.comments_submitted_at.is_(None), 0), else_=1).label("submitted"),
            count(
                FactualComment.id,
                FactualComment.case_id == Case.id,
                FactualComment.responded_at.is_(None),
            ).label("unanswered"),
            CaseDeadline.due_on,
        )
        .join(Case, Case.id == PanelMember.case_id)
        .outerjoin(PanelReport, PanelReport.case_id == Case.id)
        .outerjoin(CaseDeadline, _stage_due())
        .where(
            PanelMember.user_id == bindparam("user_id"),
            PanelMember.status == MemberStatus.ACTIVE,
            Case.agency_id == bindparam("agency_id"),
            Case.state.in_(_REVIEW_STAGES),
        )
        .cte("seats")
    )
    s = seats.c
    reviewing, checking = s.state == CaseState.IN_REVIEW, s.state == CaseState.FACTUAL_CHECK
    chair = s.chair == 1

    def branch(kind: str, left: Any, where: Any) -> Any:
        return select(_kind(kind), s.case_id, s.reference, left.label("n"), s.due_on).where(where)

    work = union_all(
        branch("judge", s.criteria - s.judged, and_(reviewing, s.judged < s.criteria)),
        branch(
            "consolidate",
            s.criteria - s.consolidated,
            and_(reviewing, chair, s.consolidated < s.criteria),
        ),
        branch("send", s.criteria, and_(reviewing, chair, s.consolidated >= s.criteria)),
        branch("respond", s.unanswered, and_(checking, chair, s.unanswered > 0)),
        branch(
            "finalise", s.unanswered, and_(checking, chair, s.unanswered == 0, s.submitted == 1)
        ),
        branch("checked", s.unanswered, and_(checking, chair, s.unanswered == 0, s.submitted == 0)),
    )
    return tallier(
        select(work.subquery()),
        group=lambda c: c.kind,
        order_by=_by_due,
        overdue=lambda c: c.due_on < _today(),
        each=["judge", "consolidate", "send", "respond", "finalise", "checked"],
    )


def _findings_tasks(session: Session, user: User, membership: Membership) -> list[Item]:
    lines = _Lines()
    found = _findings_work()(
        session, user_id=user.id, agency_id=membership.organisation_id, today=lines.today
    )
    workspace = url_for("reviews.workspace")
    return shown(
        found,
        {
            "judge": Kind(
                lambda n: ngettext(
                    "Judgements due: %(num)d case with criteria left to judge",
                    "Judgements due: %(num)d cases with criteria left to judge",
                    n,
                ),
                lines.case_line(
                    _l("Judge %(n)d criteria left on %(reference)s"), "reviews.findings_index"
                ),
                workspace,
            ),
            "consolidate": Kind(
                lambda n: ngettext(
                    "%(num)d panel judgement to consolidate",
                    "%(num)d panel judgements to consolidate",
                    n,
                ),
                lines.case_line(
                    _l("Consolidate the panel's judgement of %(n)d criteria of %(reference)s"),
                    "reviews.consolidation",
                ),
                workspace,
            ),
            "send": Kind(
                lambda n: ngettext(
                    "%(num)d draft report to send to the provider",
                    "%(num)d draft reports to send to the provider",
                    n,
                ),
                lines.case_line(
                    _l("Send the draft report of %(reference)s to the provider"),
                    "reviews.consolidation",
                ),
                workspace,
            ),
            "respond": Kind(
                lambda n: ngettext(
                    "%(num)d report with factual-accuracy comments to answer",
                    "%(num)d reports with factual-accuracy comments to answer",
                    n,
                ),
                lines.case_line(
                    lambda v: ngettext(
                        "Respond to %(num)d factual-accuracy comment on %(reference)s",
                        "Respond to %(num)d factual-accuracy comments on %(reference)s",
                        v["n"],
                        **v,
                    ),
                    "reviews.report_page",
                    anchor="#comments",
                ),
                workspace,
            ),
            "finalise": Kind(
                lambda n: ngettext(
                    "%(num)d panel report to finalise", "%(num)d panel reports to finalise", n
                ),
                lines.case_line(
                    _l("Finalise the panel report of %(reference)s"), "reviews.report_page"
                ),
                workspace,
            ),
            "checked": Kind(
                lambda n: ngettext(
                    "%(num)d draft report with the provider for its factual check",
                    "%(num)d draft reports with the providers for their factual check",
                    n,
                ),
                lines.case_line(
                    _l("%(reference)s: the provider checks the draft report"),
                    "reviews.report_page",
                    waiting=True,
                ),
                workspace,
                waiting=True,
            ),
        },
    )


@cache
def _factual_checks() -> Tallier:
    """The cases of the provider ``provider_id`` whose draft report awaits its comments."""
    query = (
        select(Case.id.label("case_id"), Case.reference, CaseDeadline.due_on, _kind("check"))
        .join(PanelReport, PanelReport.case_id == Case.id)
        .outerjoin(
            CaseDeadline,
            and_(CaseDeadline.case_id == Case.id, CaseDeadline.stage == CaseState.FACTUAL_CHECK),
        )
        .where(
            Case.provider_id == bindparam("provider_id"),
            Case.state == CaseState.FACTUAL_CHECK,
            PanelReport.comments_submitted_at.is_(None),
        )
    )
    return tallier(
        query, group=lambda c: c.kind, order_by=_by_due, overdue=lambda c: c.due_on < _today()
    )


def _provider_factual_tasks(session: Session, membership: Membership) -> list[Item]:
    today, formats = utcnow().date(), Formats()
    found = _factual_checks()(session, provider_id=membership.organisation_id, today=today)
    label = _("Check the draft panel report of %(reference)s for factual errors")
    answer = _("Answer by %(date)s.")

    def line(r: Any) -> Task:
        return Task(
            label % {"reference": r.reference},
            formats.url("reviews.report_page", "case_id", r.case_id) + "#comments",
            answer % {"date": formats.date(r.due_on)} if r.due_on else "",
            urgent=r.due_on is not None and r.due_on < today,
        )

    return shown(
        found,
        {
            "check": Kind(
                lambda n: ngettext(
                    "%(num)d draft panel report to check for factual errors",
                    "%(num)d draft panel reports to check for factual errors",
                    n,
                ),
                line,
                url_for("cases.index", state=CaseState.FACTUAL_CHECK.value),
            )
        },
    )


def findings_tasks(session: Session, user: User, membership: Membership) -> list[Item]:
    org = membership.organisation
    if membership.role == Role.REVIEWER and org.is_agency:
        return _findings_tasks(session, user, membership)
    if membership.role in PROVIDER_ROLES and org.is_provider:
        return _provider_factual_tasks(session, membership)
    return []
