"""The plain data the printed documents are rendered from.

Every loader reads the database once per kind of record (joined or ``selectinload``-ed),
however many criteria, micro-credentials or panel members the case has, and hands back frozen
dataclasses of strings, numbers and dates: the templates never touch an ORM object, so
nothing loads lazily while WeasyPrint renders, and the context can be pickled for the
isolated renderer. Labels are translated here, in the caller's locale.

What a document may show is decided here too: the panel's consolidated judgements only, never
a member's own judgement, and the site visit without its internal notes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import and_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from qaportal.audit.models import AuditEvent
from qaportal.cases.criteria import read_criterion
from qaportal.cases.models import Answer, Case, CaseFramework, CaseState
from qaportal.cases.workflow import ACTIONS, state_label
from qaportal.decisions import labels as decision_labels
from qaportal.decisions.models import Decision, DecisionCondition, DecisionStatus
from qaportal.evidence.models import Evidence, EvidenceLink
from qaportal.frameworks.localize import current_language, localized_title, title_of
from qaportal.frameworks.markdown import sanitise_html
from qaportal.frameworks.models import Criterion, FrameworkVersion
from qaportal.orgs.models import Organisation
from qaportal.reporting.documents.scope import Fact
from qaportal.reviews import findings
from qaportal.reviews.labels import role_label
from qaportal.reviews.models import (
    FactualComment,
    MemberStatus,
    PanelJudgement,
    PanelMember,
    PanelReport,
    SiteVisit,
)

# ----- the records --------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseInfo:
    id: int
    reference: str
    title: str
    state: str
    state_label: str
    opened_on: dt.date
    submitted_on: dt.date | None


@dataclass(frozen=True)
class PanelSeat:
    name: str
    role: str  # label
    role_code: str


@dataclass(frozen=True)
class VisitInfo:
    date: dt.date
    format: str
    participants: list[Fact]
    agenda: str


@dataclass(frozen=True)
class Stage:
    on: dt.date
    label: str


@dataclass(frozen=True)
class EvidenceItem:
    title: str
    filename: str


@dataclass(frozen=True)
class CommentInfo:
    criterion: str  # "code title", or "" for a general comment
    comment: str
    response: str
    created_on: dt.date
    responded_on: dt.date | None


@dataclass(frozen=True)
class AnswerFigure:
    """An answer to one of a criterion's other questions (a figure, a choice, a text)."""

    label: str
    value: str


@dataclass(frozen=True)
class CriterionRow:
    """A criterion with the provider's self-assessment and the panel's consolidated view."""

    id: int
    anchor: str
    framework: str
    code: str
    title: str
    self_rating: str  # label, "" when the provider gave none
    self_rating_value: str
    narrative_html: Markup
    figures: list[AnswerFigure]
    evidence: list[EvidenceItem]
    panel_level: str  # label, "" when the panel has not judged it
    panel_level_value: str
    rationale: str
    recommendations: str


@dataclass(frozen=True)
class ConditionInfo:
    text: str
    criterion: str
    due_on: dt.date
    status: str


@dataclass(frozen=True)
class DecisionInfo:
    outcome: str  # DEQAR's vocabulary
    outcome_label: str
    eqa_status: str
    eqa_label: str
    rationale: str
    decided_on: dt.date
    valid_from: dt.date | None
    valid_until: dt.date | None
    appeal_days: int
    appeal_closes_on: dt.date
    conditions: list[ConditionInfo]


@dataclass(frozen=True)
class PanelOutcome:
    outcome: str
    outcome_label: str
    summary: str
    sent_on: dt.date | None
    comments_submitted_on: dt.date | None
    finalised_on: dt.date | None


# ----- loaders ------------------------------------------------------------------------------


def load_case(session: Session, case_id: int) -> Case | None:
    return session.execute(
        select(Case)
        .where(Case.id == case_id)
        .options(joinedload(Case.provider), joinedload(Case.agency))
    ).scalar_one_or_none()


def case_info(case: Case) -> CaseInfo:
    return CaseInfo(
        case.id,
        case.reference,
        case.title or "",
        case.state.value,
        state_label(case.state),
        case.created_at.date(),
        case.submitted_at.date() if case.submitted_at else None,
    )


def agency_info(agency: Organisation) -> dict[str, Any]:
    # The agency's logo slot: no logo is stored yet, so the layout shows the name alone.
    return {"name": agency.display_name, "logo_url": None, "country": agency.country or ""}


def panel_seats(session: Session, case: Case) -> list[PanelSeat]:
    """Who sat on the panel and in which role (public in the final report, ESG 2.4), never
    what any of them judged."""
    members = session.execute(
        select(PanelMember)
        .where(PanelMember.case_id == case.id, PanelMember.status == MemberStatus.ACTIVE)
        .options(joinedload(PanelMember.user))
        .order_by(PanelMember.role, PanelMember.id)
    ).scalars()
    return [PanelSeat(m.user.display_name, role_label(m.role), m.role.value) for m in members]


def visit_info(session: Session, case: Case) -> VisitInfo | None:
    visit = session.execute(
        select(SiteVisit).where(SiteVisit.case_id == case.id)
    ).scalar_one_or_none()
    if visit is None:
        return None
    groups = dict(findings.PARTICIPANT_GROUPS)
    participants = [
        Fact(str(label), (visit.participants or {}).get(code, ""))
        for code, label in groups.items()
        if (visit.participants or {}).get(code)
    ]
    # The visit's notes are the panel's own: never printed.
    return VisitInfo(
        visit.visit_date,
        str(findings.FORMAT_LABELS.get(visit.format, visit.format)),
        participants,
        visit.agenda or "",
    )


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def timeline(session: Session, case: Case, visit: VisitInfo | None = None) -> list[Stage]:
    """The stages the case went through, from its audit trail (one statement), with the
    site visit in its place."""
    stages = [Stage(case.created_at.date(), _("Application opened"))]
    if visit is not None:
        stages.append(Stage(visit.date, _("Site visit (%(format)s)", format=visit.format)))
    events = session.execute(
        select(AuditEvent.occurred_at, AuditEvent.details)
        .where(
            AuditEvent.object_type == "case",
            AuditEvent.object_id == str(case.id),
            AuditEvent.action.in_([f"case.{a}" for a in sorted(ACTIONS)]),
        )
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    for occurred_at, details in events:
        try:
            target = CaseState(json.loads(details or "{}").get("to"))
        except ValueError:
            continue
        stages.append(Stage(occurred_at.date(), _capitalised(state_label(target))))
    # Stable: events of one day keep the order they happened in.
    return sorted(stages, key=lambda stage: stage.on)


def panel_outcome(session: Session, case: Case) -> PanelOutcome | None:
    report = session.execute(
        select(PanelReport).where(PanelReport.case_id == case.id)
    ).scalar_one_or_none()
    if report is None:
        return None

    def day(value: dt.datetime | None) -> dt.date | None:
        return value.date() if value else None

    return PanelOutcome(
        report.outcome.value if report.outcome else "",
        str(findings.OUTCOME_LABELS[report.outcome]) if report.outcome else "",
        report.summary or "",
        day(report.sent_at),
        day(report.comments_submitted_at),
        day(report.finalised_at),
    )


def _figures(criterion: Criterion, definition: dict[str, Any], answer: Any) -> list[AnswerFigure]:
    values = (answer.values if answer is not None else None) or {}
    if not values:
        return []
    spec = read_criterion(criterion.definition, definition, criterion.description)
    out = []
    for question in spec.value_questions:
        value = values.get(question.code)
        if value in (None, "", []):
            continue
        # A choice is stored as its option's code: print the option's words.
        labels = {o.value: o.label for o in question.options}
        items = value if isinstance(value, list) else [value]
        text = ", ".join(labels.get(str(v), str(v)) for v in items)
        if question.unit == "percentage":
            text = f"{text} %"
        out.append(AnswerFigure(question.prompt, text))
    return out


def criteria_rows(
    session: Session,
    case: Case,
    *,
    with_evidence: bool = True,
) -> list[CriterionRow]:
    """The case's criteria in the order of its frameworks, each with the provider's answer,
    the panel's consolidated judgement and (optionally) the titles of the evidence linked to
    it. A fixed number of statements, however many criteria."""
    versions = session.execute(
        select(CaseFramework.framework_version_id, FrameworkVersion)
        .join(FrameworkVersion, FrameworkVersion.id == CaseFramework.framework_version_id)
        .where(CaseFramework.case_id == case.id)
        .order_by(CaseFramework.required.desc(), FrameworkVersion.title)
    ).all()
    frameworks = {fv_id: fv for fv_id, fv in versions}
    if not frameworks:
        return []
    order = {fv_id: i for i, fv_id in enumerate(frameworks)}
    rows = session.execute(
        select(Criterion, Answer)
        .outerjoin(Answer, and_(Answer.criterion_id == Criterion.id, Answer.case_id == case.id))
        .where(Criterion.framework_version_id.in_(list(frameworks)))
    ).all()
    rows.sort(key=lambda r: (order[r[0].framework_version_id], r[0].position))
    panel = {
        j.criterion_id: j
        for j in session.execute(
            select(PanelJudgement).where(PanelJudgement.case_id == case.id)
        ).scalars()
    }
    evidence: dict[int, list[EvidenceItem]] = defaultdict(list)
    if with_evidence:
        for criterion_id, title, filename in session.execute(
            select(EvidenceLink.criterion_id, Evidence.title, Evidence.original_filename)
            .join(Evidence, Evidence.id == EvidenceLink.evidence_id)
            .where(Evidence.case_id == case.id)
            .order_by(Evidence.title, Evidence.id)
        ):
            evidence[criterion_id].append(EvidenceItem(title, filename))
    out = []
    for criterion, answer in rows:
        fv = frameworks[criterion.framework_version_id]
        scale = findings.scale_of(criterion, fv.definition)
        judgement = panel.get(criterion.id)
        rating = (answer.rating if answer else None) or ""
        # Sanitised again: the allow-list has no images, styles or anything fetched.
        narrative = Markup(sanitise_html(answer.narrative_html or "")) if answer else Markup("")  # noqa: S704
        out.append(
            CriterionRow(
                id=criterion.id,
                anchor=f"criterion-{criterion.id}",
                framework=localized_title(fv.definition, current_language(), fv.title),
                code=criterion.code,
                title=title_of(criterion),
                self_rating=findings.level_label(scale, rating) if rating else "",
                self_rating_value=rating,
                narrative_html=narrative,
                figures=_figures(criterion, fv.definition, answer),
                evidence=evidence.get(criterion.id, []),
                panel_level=findings.level_label(scale, judgement.level) if judgement else "",
                panel_level_value=judgement.level if judgement else "",
                rationale=judgement.rationale if judgement else "",
                recommendations=judgement.recommendations if judgement else "",
            )
        )
    return out


def factual_comments(session: Session, case: Case, titles: dict[int, str]) -> list[CommentInfo]:
    """The provider's factual-accuracy comments with the panel's responses, in the order
    they were made; ``titles`` names the criterion a comment is about."""
    return [
        CommentInfo(
            titles.get(c.criterion_id, "") if c.criterion_id else "",
            c.comment,
            c.response or "",
            c.created_at.date(),
            c.responded_at.date() if c.responded_at else None,
        )
        for c in session.execute(
            select(FactualComment)
            .where(FactualComment.case_id == case.id)
            .order_by(FactualComment.created_at, FactualComment.id)
        ).scalars()
    ]


def current_decision(session: Session, case: Case) -> Decision | None:
    return session.execute(
        select(Decision)
        .where(Decision.case_id == case.id, Decision.status == DecisionStatus.CURRENT)
        .options(selectinload(Decision.conditions).joinedload(DecisionCondition.criterion))
    ).scalar_one_or_none()


def decision_info(session: Session, case: Case, decision: Decision) -> DecisionInfo:
    from qaportal.decisions.services import settings_for

    days = settings_for(session, case.agency_id).appeal_days
    return DecisionInfo(
        outcome=decision.outcome.value,
        outcome_label=decision_labels.outcome_label(decision.outcome),
        eqa_status=decision.eqa_status.value,
        eqa_label=decision_labels.eqa_label(decision.eqa_status),
        rationale=decision.rationale,
        decided_on=decision.decided_on,
        valid_from=decision.valid_from,
        valid_until=decision.valid_until,
        appeal_days=days,
        appeal_closes_on=(decision.decided_at + dt.timedelta(days=days)).date(),
        conditions=[
            ConditionInfo(
                c.text,
                f"{c.criterion.code} {title_of(c.criterion)}" if c.criterion else "",
                c.due_on,
                decision_labels.condition_label(c.status),
            )
            for c in decision.conditions
        ],
    )


# States in which a case has a decision that can be printed.
DECIDED_STATES = frozenset(
    {
        CaseState.DECIDED,
        CaseState.PUBLISHED,
        CaseState.APPEAL,
        CaseState.FOLLOW_UP,
        CaseState.CLOSED,
    }
)
