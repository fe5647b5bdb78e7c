"""The provider's self-assessment: progress, answers (optimistically locked), completeness
for submission and the internal-QA coverage. Services: no Flask request; callers commit.

Progress per criterion:

- ``not_started``: no answer, or an answer with nothing in it;
- ``complete``: a narrative, a rating when the criterion has a scale, every required figure,
  and at least one evidence item when the criterion requires evidence;
- ``draft``: anything in between.

The overview runs a fixed number of SQL statements whatever the number of criteria: the
frameworks of the case, then one statement over every criterion with its answer's facts
(narrative present, rating, figures) and its evidence count aggregated in SQL.
"""

from __future__ import annotations

import enum
import functools
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, Select, and_, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.elements import BindParameter

from qaportal.audit.services import Actor, record
from qaportal.audit.words import integer_ids
from qaportal.auth.models import User
from qaportal.cases.criteria import QA_ELEMENTS, CriterionSpec, figure_present, read_criterion
from qaportal.cases.models import Answer, Case, CaseFramework, CaseScope, CaseState
from qaportal.catalogue.models import Specification, SpecificationVersion
from qaportal.catalogue.services import newest_version_numbers
from qaportal.db import utcnow
from qaportal.evidence.models import Evidence, EvidenceLink
from qaportal.frameworks.localize import (
    criterion_title,
    current_language,
    localized_title,
    title_of,
)
from qaportal.frameworks.models import Criterion, FrameworkVersion
from qaportal.memo import Memo

EXCERPT_CHARS = 280


class Progress(enum.StrEnum):
    NOT_STARTED = "not_started"
    DRAFT = "draft"
    COMPLETE = "complete"


PROGRESS_LABELS = {
    Progress.NOT_STARTED: _l("not started"),
    Progress.DRAFT: _l("draft"),
    Progress.COMPLETE: _l("complete"),
}

QA_ELEMENT_LABELS = {
    "micro_credential": _l("Quality of the micro-credential"),
    "course": _l("Quality of the course leading to it"),
    "learner_feedback": _l("Learners' feedback on the learning experience"),
    "peer_feedback": _l("Peers' feedback (other providers, employers, stakeholders)"),
}


class CaseLocked(Exception):
    """The self-assessment can no longer change (the case is no longer a draft)."""

    def __init__(self, case: Case) -> None:
        super().__init__(f"case {case.id} is {case.state}")
        self.case = case


class AnswerConflict(Exception):
    """Someone else saved this answer since the form was loaded; nothing was written."""


class InvalidAnswer(Exception):
    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("invalid answer")
        self.errors = dict(errors)


# ----- the overview ------------------------------------------------------------------------


@dataclass
class CriterionRow:
    id: int
    framework_version_id: int
    code: str
    title: str
    required: bool
    evidence_required: bool
    qa_elements: list[str]
    spec: CriterionSpec
    answered: bool
    narrative_present: bool
    rating: str | None
    values: dict[str, Any]
    evidence_count: int
    excerpt: str
    missing_answer: list[Any] = field(default_factory=list)
    missing_evidence: bool = False
    status: Progress = Progress.NOT_STARTED

    @property
    def missing(self) -> list[Any]:
        extra = [_l("at least one evidence item")] if self.missing_evidence else []
        return [*self.missing_answer, *extra]

    @property
    def status_label(self) -> str:
        return str(PROGRESS_LABELS[self.status])


@dataclass
class FrameworkBlock:
    case_framework_id: int
    framework_version_id: int
    title: str
    number: int
    edition: str | None
    required: bool
    criteria: list[CriterionRow] = field(default_factory=list)

    @property
    def complete(self) -> int:
        return sum(1 for c in self.criteria if c.status == Progress.COMPLETE)


@dataclass
class Tally:
    """How many criteria of a case are complete, draft, not started."""

    counts: dict[Progress, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def percent(self) -> int:
        return round(100 * self.counts[Progress.COMPLETE] / self.total) if self.total else 0


@dataclass
class Overview(Tally):
    frameworks: list[FrameworkBlock] = field(default_factory=list)

    @property
    def rows(self) -> list[CriterionRow]:
        return [row for block in self.frameworks for row in block.criteria]


def case_framework_versions(session: Session, case: Case) -> list[tuple[CaseFramework, Any]]:
    return list(
        session.execute(
            select(CaseFramework, FrameworkVersion)
            .join(FrameworkVersion, FrameworkVersion.id == CaseFramework.framework_version_id)
            .where(CaseFramework.case_id == case.id)
            .order_by(CaseFramework.required.desc(), FrameworkVersion.title)
        ).all()
    )


def _classify(row: CriterionRow) -> None:
    missing: list[Any] = []
    narrative, rating = row.spec.narrative, row.spec.rating
    if narrative is not None and narrative.required and not row.narrative_present:
        missing.append(_l("a narrative"))
    if rating is not None and rating.required and row.spec.scale and not row.rating:
        missing.append(_l("a self-rating"))
    for q in row.spec.required_values:
        if not figure_present(row.values.get(q.code)):
            if q.is_figure:
                missing.append(_l("the figure “%(label)s”", label=q.prompt))
            else:
                missing.append(_l("an answer to “%(label)s”", label=q.prompt))
    row.missing_answer = missing
    row.missing_evidence = row.evidence_required and row.evidence_count == 0
    has_any = (
        row.narrative_present
        or bool(row.rating)
        or any(figure_present(v) for v in row.values.values())
    )
    if not missing and not row.missing_evidence:
        row.status = Progress.COMPLETE
    elif has_any or row.evidence_count:
        row.status = Progress.DRAFT
    else:
        row.status = Progress.NOT_STARTED


def _with_status(query: Any, case_id: int | BindParameter[int]) -> Any:
    """``query`` over criteria, with what each one's progress is judged on: the case's
    answer (whether there is one, with text, its rating and values) and the number of
    evidence items linked to it."""
    evidence_counts = (
        select(EvidenceLink.criterion_id, func.count(EvidenceLink.id).label("n"))
        .join(Evidence, Evidence.id == EvidenceLink.evidence_id)
        .where(Evidence.case_id == case_id)
        .group_by(EvidenceLink.criterion_id)
        .subquery()
    )
    return (
        query.add_columns(
            Answer.id.label("answer_id"),
            (func.length(func.trim(func.coalesce(Answer.narrative, ""))) > 0).label("has_text"),
            Answer.rating,
            Answer.values,
            func.coalesce(evidence_counts.c.n, 0).label("evidence_count"),
        )
        .outerjoin(Answer, and_(Answer.criterion_id == Criterion.id, Answer.case_id == case_id))
        .outerjoin(evidence_counts, evidence_counts.c.criterion_id == Criterion.id)
    )


def overview(session: Session, case: Case) -> Overview:
    versions = case_framework_versions(session, case)
    lang = current_language()
    blocks = {
        fv.id: FrameworkBlock(
            cf.id,
            fv.id,
            localized_title(fv.definition, lang, fv.title),
            fv.number,
            fv.edition,
            cf.required,
        )
        for cf, fv in versions
    }
    fw_definitions = {fv.id: fv.definition for _cf, fv in versions}
    counts = {p: 0 for p in Progress}
    if not blocks:
        return Overview(counts)

    stmt = (
        _with_status(
            select(
                Criterion.id,
                Criterion.framework_version_id,
                Criterion.code,
                Criterion.title,
                Criterion.required,
                Criterion.evidence_required,
                Criterion.qa_elements,
                Criterion.definition,
                Criterion.description,
            ),
            case.id,
        )
        .add_columns(func.substr(Answer.narrative, 1, EXCERPT_CHARS + 1).label("excerpt"))
        .where(Criterion.framework_version_id.in_(list(blocks)))
        .order_by(Criterion.framework_version_id, Criterion.position)
    )
    for r in session.execute(stmt):
        excerpt = (r.excerpt or "").strip()
        if len(excerpt) > EXCERPT_CHARS:
            excerpt = excerpt[:EXCERPT_CHARS].rstrip() + "…"
        row = CriterionRow(
            id=r.id,
            framework_version_id=r.framework_version_id,
            code=r.code,
            title=criterion_title(r.definition, lang, r.title),
            required=r.required,
            evidence_required=r.evidence_required,
            qa_elements=list(r.qa_elements or []),
            spec=read_criterion(
                r.definition, fw_definitions[r.framework_version_id], r.description
            ),
            answered=r.answer_id is not None,
            narrative_present=bool(r.has_text),
            rating=r.rating,
            values=dict(r.values or {}),
            evidence_count=int(r.evidence_count),
            excerpt=excerpt,
        )
        _classify(row)
        counts[row.status] += 1
        blocks[r.framework_version_id].criteria.append(row)
    return Overview(counts, list(blocks.values()))


# ----- progress alone ----------------------------------------------------------------------

# Specs for progress, read in the file's language, by (version id, content hash, criterion
# code): a stored version is an immutable snapshot that gains translations, never questions
# (enforced in qaportal.frameworks.models). The case pages then fetch no definition at all: a
# framework's holds every criterion in every language (tens of kB per request otherwise).
_PROGRESS_SPECS: Memo[tuple[int, str, str], CriterionSpec] = Memo(20_000)


@dataclass(frozen=True)
class CriterionProgress:
    id: int
    code: str
    status: Progress


def _progress_specs(session: Session, keys: set[tuple[int, str, str]]) -> None:
    """Read into the cache the specs of ``keys`` it lacks (one statement when any)."""
    missing = keys - _PROGRESS_SPECS.keys()
    if not missing:
        return
    _PROGRESS_SPECS.make_room(len(missing))
    rows = session.execute(
        select(
            FrameworkVersion.id,
            FrameworkVersion.content_hash,
            FrameworkVersion.definition,
            Criterion.code,
            Criterion.definition,
            Criterion.description,
        )
        .join(Criterion, Criterion.framework_version_id == FrameworkVersion.id)
        .where(FrameworkVersion.id.in_({fv_id for fv_id, _h, _c in missing}))
    )
    for fv_id, content_hash, fw_definition, code, definition, description in rows:
        own = {k: v for k, v in (definition or {}).items() if k != "translations"}
        _PROGRESS_SPECS[(fv_id, content_hash, code)] = read_criterion(
            own, fw_definition, description
        )


@functools.cache
def _progress_statement() -> Any:
    """The statement of :func:`progress`, built once for every case (its ``case_id`` a
    parameter): building it cost as much as running it."""
    case_id = bindparam("case_id", type_=Integer)
    criteria = (
        select(
            Criterion.id,
            Criterion.framework_version_id,
            Criterion.code,
            Criterion.title,
            Criterion.required,
            Criterion.evidence_required,
            FrameworkVersion.content_hash,
        )
        .join(
            CaseFramework,
            and_(
                CaseFramework.framework_version_id == Criterion.framework_version_id,
                CaseFramework.case_id == case_id,
            ),
        )
        .join(FrameworkVersion, FrameworkVersion.id == Criterion.framework_version_id)
    )
    return (
        _with_status(criteria, case_id)
        # The overview's order: its frameworks' (required first, by title), then position.
        .order_by(
            CaseFramework.required.desc(),
            FrameworkVersion.title,
            Criterion.framework_version_id,
            Criterion.position,
        )
    )


def progress(session: Session, case: Case) -> list[CriterionProgress]:
    """Each criterion's progress, in the overview's order, without its texts: what the case
    page counts and the criterion page's "next unfinished" link need (one statement once the
    versions' specs are cached)."""
    rows = session.execute(_progress_statement(), {"case_id": case.id}).all()
    _progress_specs(session, {(r.framework_version_id, r.content_hash, r.code) for r in rows})
    out = []
    for r in rows:
        row = CriterionRow(
            id=r.id,
            framework_version_id=r.framework_version_id,
            code=r.code,
            title=r.title,
            required=r.required,
            evidence_required=r.evidence_required,
            qa_elements=[],
            spec=_PROGRESS_SPECS[(r.framework_version_id, r.content_hash, r.code)],
            answered=r.answer_id is not None,
            narrative_present=bool(r.has_text),
            rating=r.rating,
            values=dict(r.values or {}),
            evidence_count=int(r.evidence_count),
            excerpt="",
        )
        _classify(row)
        out.append(CriterionProgress(r.id, r.code, row.status))
    return out


def tally(session: Session, case: Case) -> Tally:
    """How many criteria of the case are complete, draft, not started."""
    counts = {p: 0 for p in Progress}
    for row in progress(session, case):
        counts[row.status] += 1
    return Tally(counts)


@dataclass(frozen=True)
class NextCriterion:
    id: int
    code: str
    title: str


def next_unfinished(session: Session, case: Case, criterion_id: int) -> NextCriterion | None:
    """The first incomplete criterion after ``criterion_id`` in overview order, wrapping
    round to the start, so the editor is led to every gap; None when only this one (or
    none) is left and the next step is the submission page."""
    rows = progress(session, case)
    position = next((i for i, row in enumerate(rows) if row.id == criterion_id), -1)
    for row in rows[position + 1 :] + rows[: max(position, 0)]:
        if row.status != Progress.COMPLETE:
            following = session.get(Criterion, row.id)
            assert following is not None  # read in the same transaction
            return NextCriterion(row.id, row.code, title_of(following))
    return None


def criterion_of_case(session: Session, case: Case, criterion_id: int) -> Criterion | None:
    """The criterion if it belongs to one of the case's framework versions, else None."""
    return session.execute(
        select(Criterion)
        .join(
            CaseFramework,
            and_(
                CaseFramework.framework_version_id == Criterion.framework_version_id,
                CaseFramework.case_id == case.id,
            ),
        )
        .where(Criterion.id == criterion_id)
    ).scalar_one_or_none()


# What a criterion's spec takes from its framework's definition, by (version id, content
# hash): stored versions are immutable snapshots but for their translations, which these
# keys do not hold. A framework's whole definition (every criterion in every language) is
# tens of kB that the criterion page and the save would otherwise fetch and parse each time.
_FRAMEWORK_PARTS: Memo[tuple[int, str], dict[str, Any]] = Memo(1_000)
_FRAMEWORK_KEYS = ("default_questions", "scales")


def _framework_parts(session: Session, version_id: int, content_hash: str) -> dict[str, Any]:
    key = (version_id, content_hash)
    if key not in _FRAMEWORK_PARTS:
        definition = session.execute(
            select(FrameworkVersion.definition).where(FrameworkVersion.id == version_id)
        ).scalar_one()
        definition = definition or {}
        _FRAMEWORK_PARTS.put(key, {k: definition[k] for k in _FRAMEWORK_KEYS if k in definition})
    return _FRAMEWORK_PARTS[key]


def criterion_with_spec(
    session: Session, case: Case, criterion_id: int
) -> tuple[Criterion, CriterionSpec] | None:
    """:func:`criterion_of_case` and :func:`criterion_spec`, in one statement once the
    framework's parts are cached."""
    row = session.execute(
        select(Criterion, FrameworkVersion.content_hash)
        .join(
            CaseFramework,
            and_(
                CaseFramework.framework_version_id == Criterion.framework_version_id,
                CaseFramework.case_id == case.id,
            ),
        )
        .join(FrameworkVersion, FrameworkVersion.id == Criterion.framework_version_id)
        .where(Criterion.id == criterion_id)
    ).one_or_none()
    if row is None:
        return None
    criterion, content_hash = row
    return criterion, spec_from_parts(session, criterion, content_hash)


def spec_from_parts(session: Session, criterion: Criterion, content_hash: str) -> CriterionSpec:
    """The criterion's spec, read with its framework's parts cached by content hash."""
    parts = _framework_parts(session, criterion.framework_version_id, content_hash)
    return read_criterion(criterion.definition, parts, criterion.description)


def answer_words(
    session: Session, answer_ids: Sequence[str]
) -> dict[str, dict[str, dict[str, str]]]:
    """The words of each answer's codes, by answer id (as the audit trail stores it), in the
    current language and one statement: ``rating`` as its criterion's scale says the levels,
    ``figures`` as the prompts of its questions ("cohort" → "Learners enrolled")."""
    return {
        answer_id: {
            "rating": {o.value: str(o.label) for o in spec.scale},
            "figures": {q.code: q.prompt for q in spec.questions},
        }
        for answer_id, spec in _answer_specs(session, answer_ids).items()
    }


def _answer_specs(session: Session, answer_ids: Sequence[str]) -> dict[str, CriterionSpec]:
    """The spec of each answer's criterion, by answer id."""
    ids = integer_ids(answer_ids)
    if not ids:
        return {}
    statement = (
        select(Answer.id, Criterion, FrameworkVersion.content_hash)
        .join(Criterion, Criterion.id == Answer.criterion_id)
        .join(FrameworkVersion, FrameworkVersion.id == Criterion.framework_version_id)
        .where(Answer.id.in_(ids))
    )
    return {str(answer_id): spec for answer_id, spec in keyed_specs(session, statement)}


def keyed_specs(session: Session, statement: Select[Any]) -> Iterator[tuple[Any, CriterionSpec]]:
    """Runs ``statement``, whose rows are (a key, a criterion, its framework version's
    content hash), and gives each key with its criterion's spec, read once per criterion."""
    specs: dict[int, CriterionSpec] = {}
    # All rows first: a criterion's framework parts may need a statement of their own.
    for key, criterion, content_hash in session.execute(statement).all():
        spec = specs.get(criterion.id)
        if spec is None:
            spec = specs[criterion.id] = spec_from_parts(session, criterion, content_hash)
        yield key, spec


def criterion_spec(session: Session, criterion: Criterion) -> CriterionSpec:
    version = session.get(FrameworkVersion, criterion.framework_version_id)
    return read_criterion(
        criterion.definition, version.definition if version else None, criterion.description
    )


def find_answer(session: Session, case: Case, criterion: Criterion) -> Answer | None:
    return session.execute(
        select(Answer).where(Answer.case_id == case.id, Answer.criterion_id == criterion.id)
    ).scalar_one_or_none()


# ----- saving an answer --------------------------------------------------------------------


def is_editable(case: Case) -> bool:
    return case.state == CaseState.DRAFT


def ensure_editable(session: Session, case: Case) -> None:
    """Refuse changes to a self-assessment that has left the draft state.

    The state is read again under a row lock, so a save racing a submission either lands
    before it or is refused.
    """
    state = session.execute(
        select(Case.state).where(Case.id == case.id).with_for_update()
    ).scalar_one()
    if state != CaseState.DRAFT:
        raise CaseLocked(case)


@dataclass
class AnswerData:
    narrative: str = ""
    rating: str | None = None
    values: dict[str, Any] = field(default_factory=dict)


def render_markdown(text: str) -> str:
    """Markdown as sanitised HTML (nh3)."""
    from qaportal.frameworks.markdown import render_markdown as render

    return str(render(text))


@functools.lru_cache(maxsize=1024)
def statement_html(text: str) -> str:
    """A criterion's statement as sanitised HTML: statements are few and fixed, and Markdown
    is the costliest step of rendering the criterion page."""
    return render_markdown(text)


def validate_answer(spec: CriterionSpec, data: AnswerData) -> dict[str, str]:
    """Type checks only: a draft may leave anything empty, but what it holds must fit."""
    errors: dict[str, str] = {}
    rating = spec.rating
    if data.rating and (rating is None or data.rating not in {o.value for o in spec.scale}):
        errors[rating.code if rating else "rating"] = str(
            _l("Choose one of the values of the scale.")
        )
    for q in spec.value_questions:
        value = data.values.get(q.code)
        if q.is_figure and figure_present(value):
            try:
                float(str(value).replace(",", "."))
            except ValueError:
                errors[q.code] = str(_l("Enter a number."))
        if q.options and figure_present(value):
            allowed = {o.value for o in q.options}
            chosen = value if isinstance(value, list) else [value]
            if any(str(v) not in allowed for v in chosen):
                errors[q.code] = str(_l("Choose one of the options."))
    return errors


def save_answer(
    session: Session,
    case: Case,
    criterion: Criterion,
    data: AnswerData,
    expected_version: int,
    user: User,
    actor: Actor,
    spec: CriterionSpec | None = None,
) -> Answer:
    """Save a draft answer; ``expected_version`` is the lock version the form was built on
    (0 when there was no answer yet); ``spec``, the criterion's, when the caller has read it.
    Raises :class:`AnswerConflict` when someone else saved in between, :class:`CaseLocked`
    after submission, :class:`InvalidAnswer` for bad values. Nothing is written in any of
    these cases."""
    ensure_editable(session, case)
    spec = spec or criterion_spec(session, criterion)
    errors = validate_answer(spec, data)
    if errors:
        raise InvalidAnswer(errors)
    known = {q.code for q in spec.value_questions}
    values = {k: v for k, v in data.values.items() if k in known and figure_present(v)}
    narrative = data.narrative.replace("\r\n", "\n")
    rating = data.rating or None

    answer = find_answer(session, case, criterion)
    if answer is None:
        if expected_version:
            raise AnswerConflict()
        answer = Answer(
            case_id=case.id,
            criterion_id=criterion.id,
            narrative=narrative,
            narrative_html=render_markdown(narrative),
            rating=rating,
            values=values,
            updated_by_id=user.id,
        )
        try:
            with session.begin_nested():
                session.add(answer)
                session.flush()
        except IntegrityError as exc:  # someone created it at the same moment
            raise AnswerConflict() from exc
    else:
        if expected_version != answer.lock_version:
            raise AnswerConflict()
        if (answer.narrative, answer.rating, answer.values) == (narrative, rating, values):
            return answer
        answer.narrative = narrative
        answer.narrative_html = render_markdown(narrative)
        answer.rating = rating
        answer.values = values
        answer.updated_at = utcnow()
        answer.updated_by_id = user.id
        try:
            session.flush()
        except StaleDataError as exc:
            raise AnswerConflict() from exc
    record(
        session,
        actor,
        "answer.saved",
        object_type="answer",
        object_id=answer.id,
        organisation_id=case.provider_id,
        details={
            "case": case.reference,
            "criterion": criterion.code,
            "lock_version": answer.lock_version,
            "narrative_chars": len(narrative),
            "rating": rating,
            "figures": sorted(values),
        },
    )
    return answer


# ----- evidence per criterion --------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceRef:
    id: int
    title: str
    filename: str


def evidence_by_criterion(session: Session, case: Case) -> dict[int, list[EvidenceRef]]:
    rows = session.execute(
        select(EvidenceLink.criterion_id, Evidence.id, Evidence.title, Evidence.original_filename)
        .join(Evidence, Evidence.id == EvidenceLink.evidence_id)
        .where(Evidence.case_id == case.id)
        .order_by(Evidence.title, Evidence.id)
    )
    out: dict[int, list[EvidenceRef]] = defaultdict(list)
    for criterion_id, evidence_id, title, filename in rows:
        out[criterion_id].append(EvidenceRef(evidence_id, title, filename))
    return out


@dataclass
class CriterionEvidence:
    linked: list[EvidenceRef]  # the criterion's evidence, by title
    others: list[EvidenceRef]  # the case's other evidence, newest first: what may be linked


def criterion_evidence(session: Session, case: Case, criterion_id: int) -> CriterionEvidence:
    """The criterion page's evidence, one statement: what is linked to it and what could be."""
    rows = session.execute(
        select(
            Evidence.id,
            Evidence.title,
            Evidence.original_filename,
            Evidence.uploaded_at,
            EvidenceLink.id.label("link_id"),
        )
        .outerjoin(
            EvidenceLink,
            and_(
                EvidenceLink.evidence_id == Evidence.id,
                EvidenceLink.criterion_id == criterion_id,
            ),
        )
        .where(Evidence.case_id == case.id)
        .order_by(Evidence.title, Evidence.id)
    ).all()
    others = sorted(
        (r for r in rows if r.link_id is None), key=lambda r: (r.uploaded_at, r.id), reverse=True
    )
    return CriterionEvidence(
        [EvidenceRef(r.id, r.title, r.original_filename) for r in rows if r.link_id is not None],
        [EvidenceRef(r.id, r.title, r.original_filename) for r in others],
    )


# ----- completeness for submission ---------------------------------------------------------


class ProblemKind(enum.StrEnum):
    FRAMEWORKS = "frameworks"
    CRITERION = "criterion"
    EVIDENCE = "evidence"
    SCOPE = "scope"
    SPECIFICATION = "specification"


@dataclass
class Problem:
    kind: ProblemKind
    message: Any
    criterion_id: int | None = None
    specification_id: int | None = None


def _latest_versions(session: Session, case: Case) -> list[tuple[Specification, Any]]:
    latest = newest_version_numbers()
    rows = session.execute(
        select(Specification, SpecificationVersion)
        .join(CaseScope, CaseScope.specification_id == Specification.id)
        .outerjoin(latest, latest.c.specification_id == Specification.id)
        .outerjoin(
            SpecificationVersion,
            and_(
                SpecificationVersion.specification_id == Specification.id,
                SpecificationVersion.number == latest.c.number,
            ),
        )
        .where(CaseScope.case_id == case.id)
        .options(selectinload(SpecificationVersion.outcomes))
        .order_by(Specification.id)
    ).all()
    return list(rows)


def _annex_one_missing(version: Any) -> list[Any]:
    """Labels of the mandatory Annex I elements the version lacks."""
    from qaportal.catalogue.completeness import check_completeness

    return [element.label for element in check_completeness(version).missing]


def scope_problems(session: Session, case: Case) -> list[Problem]:
    problems: list[Problem] = []
    rows = _latest_versions(session, case)
    if not rows:
        problems.append(
            Problem(ProblemKind.SCOPE, _l("No micro-credential is in the scope of the case."))
        )
    for spec, version in rows:
        if version is None:
            problems.append(
                Problem(
                    ProblemKind.SPECIFICATION,
                    _l("Specification %(id)s has no version yet.", id=spec.public_id),
                    specification_id=spec.id,
                )
            )
            continue
        missing = _annex_one_missing(version)
        if missing:
            problems.append(
                Problem(
                    ProblemKind.SPECIFICATION,
                    _l(
                        "“%(title)s” lacks Annex I elements: %(elements)s.",
                        title=version.title or spec.public_id,
                        elements=", ".join(str(m) for m in missing),
                    ),
                    specification_id=spec.id,
                )
            )
    return problems


def completeness_problems(session: Session, case: Case) -> list[Problem]:
    """What must be done before the self-assessment can be submitted (empty: complete)."""
    problems: list[Problem] = []
    data = overview(session, case)
    if not data.frameworks:
        problems.append(Problem(ProblemKind.FRAMEWORKS, _l("The case has no criteria framework.")))
    for row in data.rows:
        if not row.required or row.status == Progress.COMPLETE:
            continue
        if row.missing_answer:
            if row.status == Progress.NOT_STARTED:
                message = _l("%(code)s %(title)s: not answered.", code=row.code, title=row.title)
            else:
                message = _l(
                    "%(code)s %(title)s: missing %(what)s.",
                    code=row.code,
                    title=row.title,
                    what=", ".join(str(m) for m in row.missing_answer),
                )
            problems.append(Problem(ProblemKind.CRITERION, message, criterion_id=row.id))
        if row.missing_evidence:
            problems.append(
                Problem(
                    ProblemKind.EVIDENCE,
                    _l(
                        "%(code)s %(title)s: required evidence is absent.",
                        code=row.code,
                        title=row.title,
                    ),
                    criterion_id=row.id,
                )
            )
    problems.extend(scope_problems(session, case))
    return problems


# ----- internal-QA coverage ----------------------------------------------------------------


@dataclass
class CoverageRow:
    criterion: CriterionRow
    evidence: list[EvidenceRef]

    @property
    def gaps(self) -> list[Any]:
        gaps = []
        if not self.criterion.narrative_present:
            gaps.append(_l("nothing written"))
        if not self.evidence:
            gaps.append(_l("no evidence"))
        return gaps


@dataclass
class ElementCoverage:
    key: str
    label: Any
    rows: list[CoverageRow]

    @property
    def answered(self) -> bool:
        return any(r.criterion.narrative_present for r in self.rows)

    @property
    def evidenced(self) -> bool:
        return any(r.evidence for r in self.rows)

    @property
    def gaps(self) -> list[Any]:
        gaps = []
        if not self.rows:
            gaps.append(_l("no criterion of the case addresses this element"))
        elif not self.answered:
            gaps.append(_l("no criterion tagged with this element is answered"))
        if not self.evidenced:
            gaps.append(_l("no evidence"))
        return gaps


@dataclass
class Coverage:
    elements: list[ElementCoverage]
    rows: list[CoverageRow]


def coverage(session: Session, case: Case) -> Coverage:
    data = overview(session, case)
    evidence = evidence_by_criterion(session, case)
    rows = [CoverageRow(row, evidence.get(row.id, [])) for row in data.rows]
    elements = [
        ElementCoverage(
            key,
            QA_ELEMENT_LABELS[key],
            [r for r in rows if key in r.criterion.qa_elements],
        )
        for key in QA_ELEMENTS
    ]
    return Coverage(elements, rows)
