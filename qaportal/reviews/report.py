"""The draft panel report and the provider's factual-accuracy check.

The chair sends the draft report (workflow action ``send_draft_report``: every criterion has a
consolidated judgement, a recommended outcome is set, the site visit is recorded); the case
is then at factual check with a due date. The provider submits its comments once (none at all
means "no factual errors"); the chair answers each and finalises the report (``finalise_report``,
once the comments are in or the due date has passed, and every comment is answered).

What the provider reads is :func:`draft_report`: the consolidated judgements, the outcome and
summary, and the visit's date, format and participants; never a member's judgement, a name
attached to one, or the visit's internal notes. Services: no request; the caller commits.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from qaportal.audit.services import Actor, record
from qaportal.auth.models import User
from qaportal.cases.models import Case, CaseDeadline, CaseState
from qaportal.cases.workflow import case_url, recipients
from qaportal.db import utcnow
from qaportal.notifications.services import enqueue
from qaportal.reviews import findings
from qaportal.reviews.models import (
    FactualComment,
    MemberStatus,
    PanelJudgement,
    PanelMember,
    PanelReport,
    PanelRole,
    SiteVisit,
)
from qaportal.reviews.settings import settings_for

# The provider reads the draft report from factual check on.
REPORT_STATES = frozenset(
    {
        CaseState.FACTUAL_CHECK,
        CaseState.DECISION_PENDING,
        CaseState.DECIDED,
        CaseState.PUBLISHED,
        CaseState.APPEAL,
        CaseState.FOLLOW_UP,
        CaseState.CLOSED,
    }
)


class MissingKind(enum.StrEnum):
    REPORT = "report"


@dataclass(frozen=True)
class Missing:
    """What keeps the report from moving on; ``anchor`` points into the chair's page. The
    other fields let the generic transition page (qaportal/cases/views.py) list it too."""

    message: Any
    anchor: str = ""
    kind: MissingKind = MissingKind.REPORT
    criterion_id: int | None = None
    specification_id: int | None = None


# ----- guards and effects of the workflow rows (qaportal/cases/workflow.py) -------------------


def send_problems(session: Session, case: Case) -> list[Missing]:
    problems = [
        Missing(
            _l("%(code)s %(title)s: no consolidated judgement.", code=c.code, title=c.title),
            f"criterion-{c.id}",
        )
        for c in findings.consolidation(session, case).missing
    ]
    report = findings.report_of(session, case)
    if report is None or report.outcome is None:
        problems.append(Missing(_l("The panel's recommended outcome is not set."), "outcome"))
    if findings.site_visit(session, case) is None:
        problems.append(Missing(_l("The site visit is not recorded."), "site-visit"))
    return problems


def factual_due(session: Session, case: Case) -> dt.date | None:
    return session.execute(
        select(CaseDeadline.due_on).where(
            CaseDeadline.case_id == case.id, CaseDeadline.stage == CaseState.FACTUAL_CHECK
        )
    ).scalar_one_or_none()


def finalise_problems(session: Session, case: Case, today: dt.date | None = None) -> list[Missing]:
    today = today or utcnow().date()
    report = findings.report_of(session, case)
    problems = []
    if report is None or report.comments_submitted_at is None:
        due = factual_due(session, case)
        if due is None or today <= due:
            problems.append(
                Missing(
                    _l(
                        "The provider has not yet submitted its factual-accuracy comments, "
                        "and its time to do so has not passed."
                    ),
                    "comments",
                )
            )
    unanswered = session.execute(
        select(FactualComment.id).where(
            FactualComment.case_id == case.id, FactualComment.responded_at.is_(None)
        )
    ).all()
    if unanswered:
        problems.append(
            Missing(
                lazy_ngettext(
                    "%(num)d comment of the provider awaits the panel's response.",
                    "%(num)d comments of the provider await the panel's response.",
                    len(unanswered),
                ),
                "comments",
            )
        )
    return problems


def on_send(session: Session, case: Case, user: User, _reason: str) -> None:
    """The draft report leaves the panel: stamp it, and give the factual check a due date
    unless the agency set one already."""
    report = findings.report_of(session, case)
    assert report is not None  # the guard asked for its outcome
    report.sent_at = utcnow()
    if factual_due(session, case) is None:
        days = settings_for(session, case.agency_id).factual_check_days
        due = utcnow().date() + dt.timedelta(days=days)
        session.add(
            CaseDeadline(
                case_id=case.id, stage=CaseState.FACTUAL_CHECK, due_on=due, set_by_id=user.id
            )
        )
        record(
            session,
            Actor(user.id, user.email),
            "case.deadline_set",
            object_type="case",
            object_id=case.id,
            organisation_id=case.provider_id,
            details={
                "reference": case.reference,
                "agency_id": case.agency_id,
                "stage": CaseState.FACTUAL_CHECK.value,
                "from": None,
                "to": due.isoformat(),
            },
        )
    session.flush()


def on_finalise(session: Session, case: Case, _user: User, _reason: str) -> None:
    report = findings.report_of(session, case)
    if report is not None:
        report.finalised_at = utcnow()
        session.flush()


# ----- what the provider reads -----------------------------------------------------------------


@dataclass
class ReportRow:
    criterion: findings.CriterionFacts
    judgement: PanelJudgement | None
    comments: list[FactualComment]

    @property
    def level_label(self) -> str:
        return findings.level_label(
            self.criterion.scale, self.judgement.level if self.judgement else None
        )


@dataclass
class DraftReport:
    report: PanelReport | None
    rows: list[ReportRow]
    general: list[FactualComment]
    visit: SiteVisit | None
    due: dt.date | None

    @property
    def outcome_label(self) -> str:
        if self.report is None or self.report.outcome is None:
            return ""
        return str(findings.OUTCOME_LABELS[self.report.outcome])

    @property
    def submitted(self) -> bool:
        return self.report is not None and self.report.comments_submitted_at is not None

    @property
    def comments(self) -> list[FactualComment]:
        return [*self.general, *(c for r in self.rows for c in r.comments)]


def draft_report(session: Session, case: Case) -> DraftReport:
    facts = findings.criteria(session, case)
    panel = findings.consolidated(session, case)
    comments = list(
        session.execute(
            select(FactualComment)
            .where(FactualComment.case_id == case.id)
            .order_by(FactualComment.created_at, FactualComment.id)
        ).scalars()
    )
    by_criterion: dict[int | None, list[FactualComment]] = {}
    for c in comments:
        by_criterion.setdefault(c.criterion_id, []).append(c)
    return DraftReport(
        findings.report_of(session, case),
        [ReportRow(f, panel.get(f.id), by_criterion.get(f.id, [])) for f in facts],
        by_criterion.get(None, []),
        findings.site_visit(session, case),
        factual_due(session, case),
    )


# ----- the factual check ------------------------------------------------------------------------


def _at_factual_check(session: Session, case: Case) -> PanelReport:
    state = session.execute(
        select(Case.state).where(Case.id == case.id).with_for_update()
    ).scalar_one()
    report = findings.report_of(session, case)
    if state != CaseState.FACTUAL_CHECK or report is None:
        raise findings.FindingError(
            _l("The draft report is not at the factual-accuracy check. Nothing was stored.")
        )
    session.refresh(report)
    return report


def chair_emails(session: Session, case: Case) -> list[str]:
    return list(
        session.execute(
            select(User.email)
            .join(PanelMember, PanelMember.user_id == User.id)
            .where(
                PanelMember.case_id == case.id,
                PanelMember.status == MemberStatus.ACTIVE,
                PanelMember.role == PanelRole.CHAIR,
            )
        ).scalars()
    )


def _mail(session: Session, case: Case, to: list[str], subject: Any, lines: list[Any]) -> None:
    body = "\n".join(str(line) for line in lines)
    for address in dict.fromkeys(a.lower() for a in to):
        enqueue(session, address, str(subject), body, organisation_id=case.agency_id)


def submit_comments(
    session: Session,
    case: Case,
    general: str,
    per_criterion: dict[int, str],
    user: User,
    actor: Actor,
) -> list[FactualComment]:
    """Store the provider's comments (none: "no factual errors") once; the chair and the
    agency are told."""
    report = _at_factual_check(session, case)
    if report.comments_submitted_at is not None:
        raise findings.FindingError(
            _l("The factual-accuracy comments have already been submitted. Nothing was stored.")
        )
    known = {c.id for c in findings.criteria(session, case)}
    texts: list[tuple[int | None, str]] = [(None, general)]
    texts += [(cid, text) for cid, text in per_criterion.items() if cid in known]
    made = []
    for criterion_id, text in texts:
        text = text.replace("\r\n", "\n").strip()
        if text:
            comment = FactualComment(
                case_id=case.id, criterion_id=criterion_id, comment=text, created_by_id=user.id
            )
            session.add(comment)
            made.append(comment)
    report.comments_submitted_at = utcnow()
    report.comments_submitted_by_id = user.id
    session.flush()
    record(
        session,
        actor,
        "review.factual_comments",
        object_type="case",
        object_id=case.id,
        organisation_id=case.provider_id,
        details={"reference": case.reference, "agency_id": case.agency_id, "comments": len(made)},
    )
    summary = (
        lazy_ngettext(
            "%(provider)s submitted %(num)d factual-accuracy comment on the draft report "
            "of %(reference)s.",
            "%(provider)s submitted %(num)d factual-accuracy comments on the draft report "
            "of %(reference)s.",
            len(made),
            provider=case.provider.display_name,
            reference=case.reference,
        )
        if made
        else _l(
            "%(provider)s found no factual errors in the draft report of %(reference)s.",
            provider=case.provider.display_name,
            reference=case.reference,
        )
    )
    _mail(
        session,
        case,
        [*chair_emails(session, case), *recipients(session, case, "agency")],
        _l("[qaportal] %(reference)s: factual-accuracy check answered", reference=case.reference),
        [summary, "", f"{case_url(case)}/report"],
    )
    return made


def respond(
    session: Session, case: Case, comment: FactualComment, text: str, user: User, actor: Actor
) -> None:
    _at_factual_check(session, case)
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise findings.FindingError(_l("Write the panel's response."), "response", 400)
    session.refresh(comment)
    comment.response = text
    comment.responded_by_id = user.id
    comment.responded_at = utcnow()
    session.flush()
    record(
        session,
        actor,
        "review.factual_response",
        object_type="case",
        object_id=case.id,
        organisation_id=case.provider_id,
        details={
            "reference": case.reference,
            "agency_id": case.agency_id,
            "comment_id": comment.id,
        },
    )
