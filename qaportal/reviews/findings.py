"""The panel's findings: each member's judgement per criterion, the site-visit record, and the
chair's consolidation (the panel's judgement per criterion and its recommended outcome).

Services: no Flask request; the caller commits. Every change is audited. Judgements are
optimistically locked: a save built on an older version raises :class:`FindingConflict` and
writes nothing, so the page can show both versions.

Reading for the chair's page is a fixed number of statements whatever the number of criteria
or members: the criteria with their self-assessment facts, every member's judgements (one
statement, members eager-loaded with ``selectinload``), the consolidated judgements.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from qaportal.audit.services import Actor, record
from qaportal.audit.words import integer_ids
from qaportal.auth.models import User
from qaportal.cases.assessment import case_framework_versions, keyed_specs
from qaportal.cases.criteria import Option, read_criterion
from qaportal.cases.models import Answer, Case, CaseFramework, CaseState
from qaportal.db import utcnow
from qaportal.frameworks.localize import title_of
from qaportal.frameworks.models import Criterion, FrameworkVersion
from qaportal.reviews.models import (
    Judgement,
    MemberStatus,
    Outcome,
    PanelJudgement,
    PanelMember,
    PanelReport,
    SiteVisit,
    VisitFormat,
)

# The scale of a judgement where the criterion's framework declares none for it.
_DEFAULT_LEVELS = (
    ("fully", _l("Fully compliant")),
    ("substantially", _l("Substantially compliant")),
    ("partially", _l("Partially compliant")),
    ("not_compliant", _l("Not compliant")),
)


def default_scale() -> list[Option]:
    """The four compliance levels, in the current language."""
    return [Option(value, str(label)) for value, label in _DEFAULT_LEVELS]


# Who the panel met during the visit (ESG 2.3: all relevant stakeholders).
PARTICIPANT_GROUPS = (
    ("management", _l("Management")),
    ("teaching", _l("Teaching staff")),
    ("learners", _l("Learners")),
    ("employers", _l("Employers and peers")),
    ("qa_staff", _l("Quality-assurance staff")),
)

OUTCOME_LABELS = {
    Outcome.POSITIVE: _l("positive"),
    Outcome.CONDITIONS: _l("positive with conditions"),
    Outcome.NEGATIVE: _l("negative"),
}
FORMAT_LABELS = {VisitFormat.ON_SITE: _l("on site"), VisitFormat.ONLINE: _l("online")}


class FindingError(Exception):
    """A refused change; ``field`` names the form field the message belongs to."""

    def __init__(self, message: Any, field: str | None = None, status: int = 409) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        self.status = status


class FindingConflict(Exception):
    """Someone saved this record since the form was loaded; nothing was written."""


def scale_of(criterion: Criterion, framework_definition: dict[str, Any] | None) -> list[Option]:
    """The criterion's own rating scale if its framework declares one, else the four
    compliance levels."""
    spec = read_criterion(criterion.definition, framework_definition, criterion.description)
    return list(spec.scale) or default_scale()


def level_words(session: Session, case_ids: Sequence[str]) -> dict[str, dict[str, dict[str, str]]]:
    """The words of the panel's ``level`` codes on each case, as its criteria's scales say
    them in the current language, by case id (as the audit trail stores it): one statement once
    the frameworks' parts are cached. A code that two of a case's scales word differently
    is left out, to be shown as it is stored rather than in the wrong words."""
    ids = integer_ids(case_ids)
    if not ids:
        return {}
    statement = (
        select(CaseFramework.case_id, Criterion, FrameworkVersion.content_hash)
        .join(Criterion, Criterion.framework_version_id == CaseFramework.framework_version_id)
        .join(FrameworkVersion, FrameworkVersion.id == CaseFramework.framework_version_id)
        .where(CaseFramework.case_id.in_(ids))
    )
    said: dict[int, dict[str, str | None]] = defaultdict(dict)
    for case_id, spec in keyed_specs(session, statement):
        words = said[case_id]
        for option in list(spec.scale) or default_scale():
            label = str(option.label)
            if words.setdefault(option.value, label) != label:
                words[option.value] = None
    return {
        str(case_id): {"level": {code: word for code, word in words.items() if word is not None}}
        for case_id, words in said.items()
    }


def level_label(scale: list[Option], value: str | None) -> str:
    return next((o.label for o in scale if o.value == value), value or "")


def in_review(session: Session, case: Case) -> None:
    """Findings change only while the case is in review; read under a row lock so that a
    save racing the chair's "send the draft report" lands before it or is refused."""
    state = session.execute(
        select(Case.state).where(Case.id == case.id).with_for_update()
    ).scalar_one()
    if state != CaseState.IN_REVIEW:
        raise FindingError(
            _l("The panel's findings can be changed only while the case is in review.")
        )


def _audit(session: Session, actor: Actor, action: str, case: Case, **details: Any) -> None:
    record(
        session,
        actor,
        action,
        object_type="case",
        object_id=case.id,
        organisation_id=case.agency_id,
        details={"reference": case.reference, "agency_id": case.agency_id, **details},
    )


def _texts(level: str, rationale: str, scale: list[Option]) -> tuple[str, str]:
    rationale = rationale.replace("\r\n", "\n").strip()
    if level not in {o.value for o in scale}:
        raise FindingError(_l("Choose one of the levels of the scale."), "level", 400)
    if not rationale:
        raise FindingError(_l("Give the rationale of your judgement."), "rationale", 400)
    return level, rationale


# ----- the criteria of a case, with what the provider wrote --------------------------------


@dataclass
class CriterionFacts:
    id: int
    code: str
    title: str
    scale: list[Option]
    self_rating: str | None
    narrative_html: str

    @property
    def self_rating_label(self) -> str:
        return level_label(self.scale, self.self_rating)


def criteria(session: Session, case: Case) -> list[CriterionFacts]:
    """The case's criteria in order, each with its judgement scale and the provider's
    self-rating and narrative (already sanitised). Two statements."""
    versions = case_framework_versions(session, case)
    definitions = {fv.id: fv.definition for _cf, fv in versions}
    if not definitions:
        return []
    order = {fv_id: i for i, fv_id in enumerate(definitions)}
    rows = session.execute(
        select(Criterion, Answer.rating, Answer.narrative_html)
        .outerjoin(Answer, and_(Answer.criterion_id == Criterion.id, Answer.case_id == case.id))
        .where(Criterion.framework_version_id.in_(list(definitions)))
        .order_by(Criterion.framework_version_id, Criterion.position)
    ).all()
    rows.sort(key=lambda r: (order[r[0].framework_version_id], r[0].position))
    return [
        CriterionFacts(
            c.id,
            c.code,
            title_of(c),
            scale_of(c, definitions[c.framework_version_id]),
            rating,
            html or "",
        )
        for c, rating, html in rows
    ]


def criterion_facts(session: Session, case: Case, criterion_id: int) -> CriterionFacts | None:
    return next((c for c in criteria(session, case) if c.id == criterion_id), None)


# ----- a member's judgements -----------------------------------------------------------------


def active_member(session: Session, case: Case, user: User) -> PanelMember | None:
    return session.execute(
        select(PanelMember).where(
            PanelMember.case_id == case.id,
            PanelMember.user_id == user.id,
            PanelMember.status == MemberStatus.ACTIVE,
        )
    ).scalar_one_or_none()


def judgements_of(session: Session, member: PanelMember) -> dict[int, Judgement]:
    rows = session.execute(select(Judgement).where(Judgement.member_id == member.id)).scalars()
    return {j.criterion_id: j for j in rows}


def find_judgement(session: Session, member: PanelMember, criterion_id: int) -> Judgement | None:
    return session.execute(
        select(Judgement).where(
            Judgement.member_id == member.id, Judgement.criterion_id == criterion_id
        )
    ).scalar_one_or_none()


@dataclass
class FindingData:
    level: str = ""
    rationale: str = ""
    recommendations: str = ""


def save_judgement(
    session: Session,
    case: Case,
    member: PanelMember,
    facts: CriterionFacts,
    data: FindingData,
    expected_version: int,
    actor: Actor,
) -> Judgement:
    """Save the member's judgement of one criterion; ``expected_version`` is the lock version
    the form was built on (0: none yet)."""
    in_review(session, case)
    session.refresh(member)
    if member.status != MemberStatus.ACTIVE:
        raise FindingError(_l("You no longer sit on this panel."), status=403)
    level, rationale = _texts(data.level, data.rationale, facts.scale)
    recommendations = data.recommendations.replace("\r\n", "\n").strip()
    judgement = find_judgement(session, member, facts.id)
    if judgement is None:
        if expected_version:
            raise FindingConflict()
        judgement = Judgement(
            case_id=case.id,
            member_id=member.id,
            criterion_id=facts.id,
            level=level,
            rationale=rationale,
            recommendations=recommendations,
        )
        try:
            with session.begin_nested():
                session.add(judgement)
                session.flush()
        except IntegrityError as exc:  # the same member saved in another tab at once
            raise FindingConflict() from exc
    else:
        if expected_version != judgement.lock_version:
            raise FindingConflict()
        if (judgement.level, judgement.rationale, judgement.recommendations) == (
            level,
            rationale,
            recommendations,
        ):
            return judgement
        judgement.level, judgement.rationale = level, rationale
        judgement.recommendations = recommendations
        judgement.updated_at = utcnow()
        try:
            session.flush()
        except StaleDataError as exc:
            raise FindingConflict() from exc
    _audit(
        session,
        actor,
        "review.judgement",
        case,
        member_id=member.id,
        criterion=facts.code,
        level=level,
        lock_version=judgement.lock_version,
    )
    return judgement


# ----- the chair's consolidation -------------------------------------------------------------


@dataclass
class MemberJudgement:
    member: PanelMember
    judgement: Judgement | None


@dataclass
class ConsolidationRow:
    criterion: CriterionFacts
    judgements: list[MemberJudgement]
    consolidated: PanelJudgement | None

    @property
    def levels(self) -> set[str]:
        return {mj.judgement.level for mj in self.judgements if mj.judgement is not None}

    @property
    def disagreement(self) -> bool:
        """Members judged differently, or some have not judged while others have."""
        judged = [mj for mj in self.judgements if mj.judgement is not None]
        return len(self.levels) > 1 or (0 < len(judged) < len(self.judgements))


@dataclass
class Consolidation:
    members: list[PanelMember]
    rows: list[ConsolidationRow] = field(default_factory=list)

    @property
    def missing(self) -> list[CriterionFacts]:
        return [r.criterion for r in self.rows if r.consolidated is None]


def active_members(session: Session, case: Case) -> list[PanelMember]:
    return list(
        session.execute(
            select(PanelMember)
            .where(PanelMember.case_id == case.id, PanelMember.status == MemberStatus.ACTIVE)
            .options(selectinload(PanelMember.user))
            .order_by(PanelMember.role, PanelMember.id)
        ).scalars()
    )


def consolidation(session: Session, case: Case) -> Consolidation:
    members = active_members(session, case)
    facts = criteria(session, case)
    by_key: dict[tuple[int, int], Judgement] = {}
    for j in session.execute(
        select(Judgement)
        .join(PanelMember, PanelMember.id == Judgement.member_id)
        .where(Judgement.case_id == case.id, PanelMember.status == MemberStatus.ACTIVE)
    ).scalars():
        by_key[(j.member_id, j.criterion_id)] = j
    panel = consolidated(session, case)
    return Consolidation(
        members,
        [
            ConsolidationRow(
                c,
                [MemberJudgement(m, by_key.get((m.id, c.id))) for m in members],
                panel.get(c.id),
            )
            for c in facts
        ],
    )


def consolidated(session: Session, case: Case) -> dict[int, PanelJudgement]:
    rows = session.execute(select(PanelJudgement).where(PanelJudgement.case_id == case.id))
    return {p.criterion_id: p for p in rows.scalars()}


def save_consolidated(
    session: Session,
    case: Case,
    facts: CriterionFacts,
    data: FindingData,
    expected_version: int,
    user: User,
    actor: Actor,
) -> PanelJudgement:
    in_review(session, case)
    level, rationale = _texts(data.level, data.rationale, facts.scale)
    recommendations = data.recommendations.replace("\r\n", "\n").strip()
    row = consolidated(session, case).get(facts.id)
    if row is None:
        if expected_version:
            raise FindingConflict()
        row = PanelJudgement(
            case_id=case.id,
            criterion_id=facts.id,
            level=level,
            rationale=rationale,
            recommendations=recommendations,
            updated_by_id=user.id,
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError as exc:
            raise FindingConflict() from exc
    else:
        if expected_version != row.lock_version:
            raise FindingConflict()
        row.level, row.rationale, row.recommendations = level, rationale, recommendations
        row.updated_by_id, row.updated_at = user.id, utcnow()
        try:
            session.flush()
        except StaleDataError as exc:
            raise FindingConflict() from exc
    _audit(
        session,
        actor,
        "review.consolidated",
        case,
        criterion=facts.code,
        level=level,
        lock_version=row.lock_version,
    )
    return row


def report_of(session: Session, case: Case) -> PanelReport | None:
    return session.execute(
        select(PanelReport).where(PanelReport.case_id == case.id)
    ).scalar_one_or_none()


def save_outcome(
    session: Session,
    case: Case,
    outcome: Outcome,
    summary: str,
    expected_version: int,
    user: User,
    actor: Actor,
) -> PanelReport:
    in_review(session, case)
    summary = summary.replace("\r\n", "\n").strip()
    if not summary:
        raise FindingError(_l("Summarise the panel's findings."), "summary", 400)
    report = report_of(session, case)
    if report is None:
        if expected_version:
            raise FindingConflict()
        report = PanelReport(case_id=case.id)
        session.add(report)
    elif expected_version != report.lock_version:
        raise FindingConflict()
    report.outcome, report.summary = outcome, summary
    report.updated_by_id, report.updated_at = user.id, utcnow()
    try:
        session.flush()
    except (StaleDataError, IntegrityError) as exc:
        raise FindingConflict() from exc
    _audit(session, actor, "review.outcome", case, outcome=outcome.value)
    return report


# ----- the site visit ------------------------------------------------------------------------


def site_visit(session: Session, case: Case) -> SiteVisit | None:
    return session.execute(
        select(SiteVisit).where(SiteVisit.case_id == case.id)
    ).scalar_one_or_none()


@dataclass
class VisitData:
    visit_date: dt.date | None
    format: str
    participants: dict[str, str]
    agenda: str = ""
    notes: str = ""


def save_site_visit(
    session: Session,
    case: Case,
    data: VisitData,
    expected_version: int,
    user: User,
    actor: Actor,
) -> SiteVisit:
    in_review(session, case)
    if data.visit_date is None:
        raise FindingError(_l("Give the date of the visit."), "visit_date", 400)
    try:
        visit_format = VisitFormat(data.format)
    except ValueError as exc:
        raise FindingError(_l("Choose on site or online."), "format", 400) from exc
    groups = {code for code, _label in PARTICIPANT_GROUPS}
    participants = {
        code: text.strip() for code, text in data.participants.items() if code in groups
    }
    participants = {code: text for code, text in participants.items() if text}
    if not participants:
        raise FindingError(
            _l("Say whom the panel met: at least one group of participants."),
            "management",
            400,
        )
    visit = site_visit(session, case)
    if visit is None:
        if expected_version:
            raise FindingConflict()
        visit = SiteVisit(case_id=case.id, visit_date=data.visit_date, format=visit_format)
        session.add(visit)
    elif expected_version != visit.lock_version:
        raise FindingConflict()
    visit.visit_date, visit.format = data.visit_date, visit_format
    visit.participants = participants
    visit.agenda = data.agenda.replace("\r\n", "\n").strip()
    visit.notes = data.notes.replace("\r\n", "\n").strip()
    visit.updated_by_id, visit.updated_at = user.id, utcnow()
    try:
        session.flush()
    except (StaleDataError, IntegrityError) as exc:
        raise FindingConflict() from exc
    _audit(
        session,
        actor,
        "review.site_visit",
        case,
        date=data.visit_date.isoformat(),
        format=visit_format.value,
        groups=sorted(participants),
    )
    return visit


def judged_counts(session: Session, member_ids: list[int]) -> dict[int, int]:
    """How many criteria each member has judged (one grouped statement)."""
    from sqlalchemy import func

    if not member_ids:
        return {}
    rows = session.execute(
        select(Judgement.member_id, func.count(Judgement.id))
        .where(Judgement.member_id.in_(member_ids))
        .group_by(Judgement.member_id)
    ).all()
    counts: dict[int, int] = defaultdict(int)
    counts.update({mid: int(n) for mid, n in rows})
    return counts
