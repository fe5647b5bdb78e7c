"""Panel work on each dashboard: a reviewer's invitations and panels, judgements due, the
chair's consolidation, report to send and responses to write; an officer's panels short of a
chair or a student and open objections; a provider's open objection window and factual check.
One query per source, whatever the number of cases."""

from __future__ import annotations

import datetime as dt

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from qaportal.auth.models import AGENCY_STAFF_ROLES, PROVIDER_ROLES, Membership, Role, User
from qaportal.cases.models import CaseState
from qaportal.db import utcnow
from qaportal.reviews import queries
from qaportal.reviews.labels import role_label
from qaportal.reviews.models import MemberStatus, PanelRole
from qaportal.reviews.services import DEFAULT_OBJECTION_DAYS
from qaportal.web.dashboard import Task, register_tasks


def _window() -> dt.timedelta:
    return dt.timedelta(
        days=int(current_app.config.get("PANEL_OBJECTION_DAYS", DEFAULT_OBJECTION_DAYS))
    )


def _reviewer_tasks(session: Session, user: User, membership: Membership) -> list[Task]:
    tasks = []
    for a in queries.assignments(session, user.id, membership.organisation_id):
        if a.status == MemberStatus.INVITED:
            tasks.append(
                Task(
                    _(
                        "Answer the invitation to the panel of %(reference)s (%(provider)s)",
                        reference=a.reference,
                        provider=a.provider,
                    ),
                    url_for("reviews.invitation", member_id=a.member_id),
                    _(
                        "As %(role)s. Declare any conflict of interest first: the case opens "
                        "once you have.",
                        role=role_label(a.role),
                    ),
                )
            )
        else:
            tasks.append(
                Task(
                    _(
                        "Review %(reference)s (%(provider)s)",
                        reference=a.reference,
                        provider=a.provider,
                    ),
                    url_for("reviews.case_workspace", case_id=a.case_id),
                    _("You sit on the panel as %(role)s.", role=role_label(a.role)),
                )
            )
    return tasks


def _agency_tasks(session: Session, membership: Membership) -> list[Task]:
    tasks = []
    for gap in queries.agency_panel_gaps(
        session, membership.organisation_id, [CaseState.IN_REVIEW]
    ):
        url = url_for("reviews.panel", case_id=gap.case_id)
        if gap.open_objections:
            tasks.append(
                Task(
                    _(
                        "Answer %(n)d objection(s) to the panel of %(reference)s",
                        n=gap.open_objections,
                        reference=gap.reference,
                    ),
                    url,
                    _("%(provider)s objects to a panel member.", provider=gap.provider),
                )
            )
        ref = gap.reference
        if not gap.chairs and not gap.students:
            label = _(
                "The panel of %(reference)s lacks a chair and a student member", reference=ref
            )
        elif not gap.chairs:
            label = _("The panel of %(reference)s lacks a chair", reference=ref)
        elif not gap.students:
            label = _("The panel of %(reference)s lacks a student member (ESG 2.4)", reference=ref)
        else:
            continue
        tasks.append(
            Task(
                label,
                url,
                _("%(provider)s, in review.", provider=gap.provider),
            )
        )
    return tasks


def _provider_tasks(session: Session, membership: Membership) -> list[Task]:
    window = _window()
    return [
        Task(
            _("The review panel of %(reference)s has been announced", reference=a.reference),
            url_for("reviews.members", case_id=a.case_id),
            _(
                "You may object to a member, with a reason, until %(date)s.",
                date=(a.announced_at + window).strftime("%Y-%m-%d %H:%M UTC"),
            ),
        )
        for a in queries.provider_announcements(
            session, membership.organisation_id, utcnow() - window
        )
    ]


@register_tasks
def panel_tasks(session: Session, user: User, membership: Membership) -> list[Task]:
    org = membership.organisation
    if membership.role == Role.REVIEWER and org.is_agency:
        return _reviewer_tasks(session, user, membership)
    if membership.role in AGENCY_STAFF_ROLES and org.is_agency:
        return _agency_tasks(session, membership)
    if membership.role in PROVIDER_ROLES and org.is_provider:
        return _provider_tasks(session, membership)
    return []


def _findings_tasks(session: Session, user: User, membership: Membership) -> list[Task]:
    tasks = []
    for w in queries.findings_work(session, user.id, membership.organisation_id):
        ref = w.reference
        chair = w.role == PanelRole.CHAIR
        if w.state == CaseState.IN_REVIEW:
            if w.judged < w.criteria:
                tasks.append(
                    Task(
                        _(
                            "Judge %(n)d criteria left on %(reference)s",
                            n=w.criteria - w.judged,
                            reference=ref,
                        ),
                        url_for("reviews.findings_index", case_id=w.case_id),
                    )
                )
            if chair and w.consolidated < w.criteria:
                tasks.append(
                    Task(
                        _(
                            "Consolidate the panel's judgement of %(n)d criteria of %(reference)s",
                            n=w.criteria - w.consolidated,
                            reference=ref,
                        ),
                        url_for("reviews.consolidation", case_id=w.case_id),
                    )
                )
            elif chair:
                tasks.append(
                    Task(
                        _("Send the draft report of %(reference)s to the provider", reference=ref),
                        url_for("reviews.consolidation", case_id=w.case_id),
                    )
                )
        elif chair and w.unanswered:
            tasks.append(
                Task(
                    _(
                        "Respond to %(n)d factual-accuracy comment(s) on %(reference)s",
                        n=w.unanswered,
                        reference=ref,
                    ),
                    url_for("reviews.report_page", case_id=w.case_id) + "#comments",
                )
            )
        elif chair and w.comments_submitted:
            tasks.append(
                Task(
                    _("Finalise the panel report of %(reference)s", reference=ref),
                    url_for("reviews.report_page", case_id=w.case_id),
                )
            )
        elif chair:
            tasks.append(
                Task(
                    _("%(reference)s: the provider checks the draft report", reference=ref),
                    url_for("reviews.report_page", case_id=w.case_id),
                    waiting=True,
                )
            )
    return tasks


def _provider_factual_tasks(session: Session, membership: Membership) -> list[Task]:
    today = utcnow().date()
    return [
        Task(
            _(
                "Check the draft panel report of %(reference)s for factual errors",
                reference=c.reference,
            ),
            url_for("reviews.report_page", case_id=c.case_id) + "#comments",
            _("Answer by %(date)s.", date=c.due_on.isoformat()) if c.due_on else "",
            urgent=c.due_on is not None and c.due_on < today,
        )
        for c in queries.provider_factual_checks(session, membership.organisation_id)
    ]


@register_tasks
def findings_tasks(session: Session, user: User, membership: Membership) -> list[Task]:
    org = membership.organisation
    if membership.role == Role.REVIEWER and org.is_agency:
        return _findings_tasks(session, user, membership)
    if membership.role in PROVIDER_ROLES and org.is_provider:
        return _provider_factual_tasks(session, membership)
    return []
