"""What the public may read of the register, as plain data.

Every public surface (the web register, the catalogue's badges and filter, the API, the
DEQAR CSV and the ELM export) reads through these functions, and they return only decisions
that an agency published, did not withdraw, and that are the case's current decision (a
decision revised on appeal leaves the register when it is superseded). Nothing here returns
an ORM object, so a template cannot lazy-load its way to unpublished data.

Each function runs a fixed number of statements whatever the number of rows: the page of
decisions (each row with its case's first framework and latest published report), then one
statement per list (conditions, micro-credentials in scope) over the page's ids. Rows are read
as plain columns, and the statements are built once and reused with their values bound.
Pages are keyset pages by id (``after_id``).

Full text: every word of the query, as a prefix, must occur in
``register_publications.search_text`` (the provider's name, the scope's micro-credential
titles and the summary, fixed at publication), through a full-text index (FTS5 on SQLite, a
GIN tsvector index on PostgreSQL: migration 0018); the query is split into words as the
catalogue's search does (:func:`qaportal.catalogue.search.query_words`).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    Dialect,
    Executable,
    Integer,
    Select,
    and_,
    bindparam,
    exists,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import Text, TypeDecorator, TypeEngine

from qaportal.cases.models import Case, CaseFramework, CaseScope
from qaportal.catalogue.search import query_words
from qaportal.db import utcnow
from qaportal.decisions.models import (
    Decision,
    DecisionCondition,
    DecisionStatus,
    Outcome,
)
from qaportal.frameworks.models import Framework, FrameworkVersion
from qaportal.orgs.models import Organisation
from qaportal.register.models import RegisterPublication
from qaportal.reporting.models import GeneratedDocument

ACCREDITATION_REPORT = "accreditation-report"
VALIDITY_VALUES = ("valid", "expiring", "expired")
POSITIVE_OUTCOMES = (Outcome.POSITIVE, Outcome.CONDITIONAL)
MAX_LIMIT = 200


@dataclass(frozen=True)
class RegisterFilters:
    q: str | None = None  # full-text
    country: str | None = None  # ISO 3166-1 alpha-2
    provider_type: str | None = None
    decision: str | None = None  # an Outcome value (DEQAR vocabulary)
    framework: str | None = None  # framework code (ESG / EQAVET…)
    validity: str | None = None  # "valid" | "expiring" | "expired"
    expiring_months: int = 6


@dataclass(frozen=True)
class PublishedCondition:
    id: int
    text: str
    due_on: dt.date
    status: str  # a ConditionStatus value: the follow-up state


@dataclass(frozen=True)
class PublishedReport:
    """The latest published, not withdrawn accreditation-report version of the case."""

    document_id: int
    version: int
    verification_code: str | None
    sha256: str
    size: int
    locale: str
    published_at: dt.datetime


@dataclass(frozen=True)
class PublishedDecision:
    """Everything a public surface may show of one published decision."""

    id: int
    case_reference: str
    provider_id: int
    provider_name: str
    country: str | None
    provider_type: str | None
    outcome: str
    status: str  # DEQAR status (obligatory / voluntary)
    decided_on: dt.date
    valid_from: dt.date | None
    valid_until: dt.date | None
    framework_code: str | None
    framework_name: str | None
    agency_id: int
    agency_name: str
    summary: str
    conditions: tuple[PublishedCondition, ...]
    report: PublishedReport | None
    specification_ids: tuple[int, ...]
    published_at: dt.datetime

    def validity(self, today: dt.date | None = None) -> str:
        """ "valid", "expired" or "none" (a negative decision accredits nothing)."""
        if self.outcome not in POSITIVE_OUTCOMES:
            return "none"
        today = today or utcnow().date()
        if self.valid_until is not None and self.valid_until < today:
            return "expired"
        return "valid"

    @property
    def accredits(self) -> bool:
        return self.validity() == "valid"


@dataclass(frozen=True)
class RegisterProvider:
    id: int
    name: str
    country: str | None
    provider_type: str | None
    website: str | None
    decisions: tuple[PublishedDecision, ...]  # newest decision first

    @property
    def current(self) -> PublishedDecision | None:
        """The decision that accredits the provider now, else its newest decision."""
        for decision in self.decisions:
            if decision.accredits:
                return decision
        return self.decisions[0] if self.decisions else None

    @property
    def accredited(self) -> bool:
        return any(d.accredits for d in self.decisions)


# ----- the statements ----------------------------------------------------------------------

_Provider = aliased(Organisation, name="provider")
_Agency = aliased(Organisation, name="agency")

# One published decision as plain columns: public pages read rows, never ORM objects, which
# cost more to build than the rest of an API answer and could lazy-load unpublished data.
_COLUMNS = (
    Decision.id.label("id"),
    Decision.case_id.label("case_id"),
    Case.reference.label("case_reference"),
    _Provider.id.label("provider_id"),
    _Provider.legal_name.label("provider_legal_name"),
    _Provider.acronym.label("provider_acronym"),
    _Provider.country.label("country"),
    _Provider.provider_type.label("provider_type"),
    Decision.outcome.label("outcome"),
    Decision.eqa_status.label("status"),
    Decision.decided_on.label("decided_on"),
    Decision.valid_from.label("valid_from"),
    Decision.valid_until.label("valid_until"),
    _Agency.id.label("agency_id"),
    _Agency.legal_name.label("agency_legal_name"),
    _Agency.acronym.label("agency_acronym"),
    RegisterPublication.summary.label("summary"),
    RegisterPublication.published_at.label("published_at"),
)


# Aliases, so that a filter's own subquery on frameworks is not correlated to these.
_FirstVersion = aliased(FrameworkVersion, name="first_version")
_FirstFramework = aliased(Framework, name="first_framework")
_Report = aliased(GeneratedDocument, name="report")
_FRAMEWORK_COLUMNS = (
    _FirstFramework.code.label("framework_code"),
    _FirstVersion.title.label("framework_name"),
)
_REPORT_COLUMNS = (
    _Report.id.label("report_id"),
    _Report.version.label("report_version"),
    _Report.verification_code.label("report_verification_code"),
    _Report.sha256.label("report_sha256"),
    _Report.size.label("report_size"),
    _Report.locale.label("report_locale"),
    _Report.published_at.label("report_published_at"),
)


def _first_framework_version() -> Any:
    """The case's framework a public page names: a required one first, then the oldest."""
    return (
        select(CaseFramework.framework_version_id)
        .where(CaseFramework.case_id == Case.id)
        .order_by(CaseFramework.required.desc(), CaseFramework.id)
        .limit(1)
        .correlate(Case)
        .scalar_subquery()
    )


def _latest_report() -> Any:
    """The case's newest published, not withdrawn accreditation-report version."""
    return (
        select(GeneratedDocument.id)
        .where(
            GeneratedDocument.case_id == Case.id,
            GeneratedDocument.kind == ACCREDITATION_REPORT,
            GeneratedDocument.published_at.is_not(None),
            GeneratedDocument.withdrawn_at.is_(None),
        )
        .order_by(GeneratedDocument.version.desc())
        .limit(1)
        .correlate(Case)
        .scalar_subquery()
    )


def _display_name(legal_name: str, acronym: str | None) -> str:
    # The rule of Organisation.display_name, applied to plain columns.
    return f"{legal_name} ({acronym})" if acronym else legal_name


def public_condition() -> ColumnElement[bool]:
    """The rows a public surface may read: published, not withdrawn, current decisions."""
    return and_(
        RegisterPublication.withdrawn_at.is_(None),
        Decision.status == DecisionStatus.CURRENT,
    )


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


# A page's statement is built once per shape of its filters (which are set, how many words)
# and kept, the values bound at execution: building a statement and its cache key on every
# request cost more than running it.
_Shape = tuple[int, str | None, tuple[str, ...]]
_EQUALS = {
    "country": _Provider.country,
    "provider_type": _Provider.provider_type,
    "decision": Decision.outcome,
}


def _shape(filters: RegisterFilters, today: dt.date) -> tuple[_Shape, dict[str, Any]]:
    """The filters' shape and the values to bind to its statement."""
    words = query_words(filters.q or "")
    params: dict[str, Any] = {"words": words} if words else {}
    if filters.country:
        params["country"] = filters.country.upper()
    if filters.provider_type:
        params["provider_type"] = filters.provider_type
    if filters.decision:
        params["decision"] = filters.decision
    if filters.framework:
        params["framework"] = filters.framework
    set_ = tuple(
        name for name in ("country", "provider_type", "decision", "framework") if name in params
    )
    validity = filters.validity if filters.validity in VALIDITY_VALUES else None
    if validity:
        params["today"] = today
    if validity == "expiring":
        params["until"] = _add_months(today, max(1, filters.expiring_months))
    return (len(words), validity, set_), params


def _conditions(shape: _Shape) -> list[ColumnElement[bool]]:
    words, validity, set_ = shape
    conditions: list[ColumnElement[bool]] = [public_condition()]
    if words:
        conditions.append(matches_words(RegisterPublication.id, _WORDS))
    for name in set_:
        if name in _EQUALS:
            conditions.append(_EQUALS[name] == bindparam(name))
    if "framework" in set_:
        conditions.append(
            exists(
                select(CaseFramework.id)
                .join(FrameworkVersion, FrameworkVersion.id == CaseFramework.framework_version_id)
                .join(Framework, Framework.id == FrameworkVersion.framework_id)
                .where(CaseFramework.case_id == Case.id, Framework.code == bindparam("framework"))
            )
        )
    positive = Decision.outcome.in_(POSITIVE_OUTCOMES)
    today = bindparam("today", type_=Date)
    if validity == "valid":
        conditions.append(
            and_(positive, or_(Decision.valid_until.is_(None), Decision.valid_until >= today))
        )
    elif validity == "expiring":
        until = bindparam("until", type_=Date)
        conditions.append(
            and_(positive, Decision.valid_until >= today, Decision.valid_until <= until)
        )
    elif validity == "expired":
        conditions.append(and_(positive, Decision.valid_until < today))
    return conditions


_LIMIT = bindparam("limit", type_=Integer)


@functools.cache
def _decisions_page(shape: _Shape, after: bool) -> Select[Any]:
    stmt = _base().where(*_conditions(shape))
    if after:
        stmt = stmt.where(Decision.id > bindparam("after_id", type_=Integer))
    return stmt.order_by(Decision.id).limit(_LIMIT)


@functools.cache
def _providers_page(shape: _Shape, after: bool) -> Select[Any]:
    stmt = _joined(_Provider.id).where(*_conditions(shape)).group_by(_Provider.id)
    if after:
        stmt = stmt.where(_Provider.id > bindparam("after_id", type_=Integer))
    return stmt.order_by(_Provider.id).limit(_LIMIT)


def _joined(*columns: Any) -> Select[Any]:
    """The published decisions with their case, provider and agency: what filters read."""
    return (
        select(*columns)
        .select_from(RegisterPublication)
        .join(Decision, Decision.id == RegisterPublication.decision_id)
        .join(Case, Case.id == Decision.case_id)
        .join(_Provider, _Provider.id == Case.provider_id)
        .join(_Agency, _Agency.id == Case.agency_id)
    )


def _with_case_extras(stmt: Select[Any]) -> Select[Any]:
    """``stmt`` (which joins Case) with the case's first framework and its latest published
    report version: in the same statement, a statement fewer for each."""
    return (
        stmt.add_columns(*_FRAMEWORK_COLUMNS, *_REPORT_COLUMNS)
        .outerjoin(_FirstVersion, _FirstVersion.id == _first_framework_version())
        .outerjoin(_FirstFramework, _FirstFramework.id == _FirstVersion.framework_id)
        .outerjoin(_Report, _Report.id == _latest_report())
    )


def _base() -> Select[Any]:
    """A decision's row: ``_COLUMNS``, ``_FRAMEWORK_COLUMNS`` and ``_REPORT_COLUMNS``."""
    return _with_case_extras(_joined(*_COLUMNS))


def assemble(session: Session, rows: Sequence[Any]) -> list[PublishedDecision]:
    """Published decisions from ORM rows ``(publication, decision, case, provider, agency)``:
    the publish preview shows what is not stored yet exactly as the register will."""
    # Read on the connection, past the ORM: write what is pending first.
    session.flush()
    orm_rows = [tuple(r[:5]) for r in rows]
    extras = {
        row.case_id: row._mapping
        for row in session.connection().execute(
            _case_extras(), {"case_ids": [case.id for _p, _d, case, _o, _a in orm_rows]}
        )
    }
    return _assemble(
        session,
        [
            {
                **extras[case.id],
                "id": decision.id,
                "case_id": case.id,
                "case_reference": case.reference,
                "provider_id": provider.id,
                "provider_legal_name": provider.legal_name,
                "provider_acronym": provider.acronym,
                "country": provider.country,
                "provider_type": provider.provider_type,
                "outcome": decision.outcome,
                "status": decision.eqa_status,
                "decided_on": decision.decided_on,
                "valid_from": decision.valid_from,
                "valid_until": decision.valid_until,
                "agency_id": agency.id,
                "agency_legal_name": agency.legal_name,
                "agency_acronym": agency.acronym,
                "summary": publication.summary,
                "published_at": publication.published_at,
            }
            for publication, decision, case, provider, agency in orm_rows
        ],
    )


class IdList(TypeDecorator[Sequence[int]]):
    """A list of ids bound as one value: an array on PostgreSQL, JSON text on SQLite."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(Integer()))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Sequence[int] | None, dialect: Dialect) -> Any:
        ids = [int(i) for i in value or ()]
        return ids if dialect.name == "postgresql" else json.dumps(ids)


class in_ids(FunctionElement[bool]):
    """``column IN ids`` with the ids bound as one value. An expanding ``IN`` renders a
    parameter per id on every execution, which cost more than the statement itself."""

    type = Boolean()
    inherit_cache = True
    name = "in_ids"
    # A condition in its own right: without this, SQLite (no native boolean) gets
    # "... = 1" appended, and an expression cannot use the column's index.
    _is_implicitly_boolean = True


@compiles(in_ids)
def _in_ids_postgresql(element: in_ids, compiler: Any, **kw: Any) -> str:
    column, ids = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"{column} = ANY(CAST({ids} AS INTEGER[]))"


@compiles(in_ids, "sqlite")
def _in_ids_sqlite(element: in_ids, compiler: Any, **kw: Any) -> str:
    column, ids = (compiler.process(clause, **kw) for clause in element.clauses)
    # Both parts are compiled SQL (a column and a bound parameter), never user text.
    return f"{column} IN (SELECT value FROM json_each({ids}))"  # noqa: S608


class SearchWords(TypeDecorator[Sequence[str]]):
    """The query's words bound as one full-text query: each word a prefix, all required.
    Words are ``[^\\W_]+`` only (query_words), so no operator can come from the user."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Sequence[str] | None, dialect: Dialect) -> Any:
        words = list(value or ())
        if dialect.name == "postgresql":
            return " & ".join(f"{w}:*" for w in words)
        return " AND ".join(f'"{w}"*' for w in words)


class matches_words(FunctionElement[bool]):
    """The publication (by id) matches every word: SQLite's FTS5 table ``register_fts``,
    PostgreSQL's GIN index on ``to_tsvector('simple', search_text)`` (migration 0018)."""

    type = Boolean()
    inherit_cache = True
    name = "matches_words"
    _is_implicitly_boolean = True


@compiles(matches_words)
def _matches_words_postgresql(element: matches_words, compiler: Any, **kw: Any) -> str:
    _, words = (compiler.process(clause, **kw) for clause in element.clauses)
    text_ = compiler.process(RegisterPublication.search_text, **kw)
    return f"to_tsvector('simple', {text_}) @@ to_tsquery('simple', {words})"


@compiles(matches_words, "sqlite")
def _matches_words_sqlite(element: matches_words, compiler: Any, **kw: Any) -> str:
    column, words = (compiler.process(clause, **kw) for clause in element.clauses)
    # Both parts are compiled SQL (a column and a bound parameter), never user text. The
    # unary + keeps SQLite from probing the (decision_id, id) index once per matching id for
    # every decision: with 5,000 publications matching, 25 million probes and 4 s, against
    # 3 ms for a pass over the decisions checked against the list of matches.
    return f"+{column} IN (SELECT rowid FROM register_fts WHERE register_fts MATCH {words})"  # noqa: S608


_WORDS = bindparam("words", type_=SearchWords())


# The lists of a page's decisions (conditions, micro-credentials in scope), one statement
# each, built once: a statement built per request costs more than running it (SQLAlchemy's
# coercions and cache key).
_DECISION_IDS = bindparam("decision_ids", type_=IdList())
_CASE_IDS = bindparam("case_ids", type_=IdList())
_PROVIDER_IDS = bindparam("provider_ids", type_=IdList())
_CONDITIONS_OF = (
    select(
        DecisionCondition.decision_id,
        DecisionCondition.id,
        DecisionCondition.text,
        DecisionCondition.due_on,
        DecisionCondition.status,
    )
    .where(in_ids(DecisionCondition.decision_id, _DECISION_IDS))
    .order_by(DecisionCondition.id)
)
_SCOPE_OF = (
    select(CaseScope.case_id, CaseScope.specification_id)
    .where(in_ids(CaseScope.case_id, _CASE_IDS))
    .order_by(CaseScope.specification_id)
)


@functools.cache
def _case_extras() -> Select[Any]:
    """The extras of ``_base`` by case, for the preview's rows (not stored yet)."""
    return _with_case_extras(
        select(Case.id.label("case_id")).select_from(Case).where(in_ids(Case.id, _CASE_IDS))
    )


def _rows(session: Session, stmt: Executable, **params: Any) -> Sequence[Any]:
    """Plain rows, through the session's connection (its transaction) but not the ORM's
    execution: nothing here needs an entity, an identity map or autoflush."""
    return session.connection().execute(stmt, params).all()


def _assemble(session: Session, rows: Sequence[Any]) -> list[PublishedDecision]:
    """The page's rows (mappings of ``_base``'s columns) with their lists: one statement
    per list, each reading plain columns."""
    if not rows:
        return []
    decision_ids = [row["id"] for row in rows]
    case_ids = list({row["case_id"] for row in rows})

    conditions: dict[int, list[PublishedCondition]] = defaultdict(list)
    for decision_id, cid, text_, due_on, status in _rows(
        session, _CONDITIONS_OF, decision_ids=decision_ids
    ):
        conditions[decision_id].append(
            PublishedCondition(id=cid, text=text_, due_on=due_on, status=str(status))
        )

    scope: dict[int, list[int]] = defaultdict(list)
    for case_id, spec_id in _rows(session, _SCOPE_OF, case_ids=case_ids):
        scope[case_id].append(spec_id)

    result = []
    for row in rows:
        case_id = row["case_id"]
        provider_type = row["provider_type"]
        report = None
        if row["report_id"] is not None:
            report = PublishedReport(
                document_id=row["report_id"],
                version=row["report_version"],
                verification_code=row["report_verification_code"],
                sha256=row["report_sha256"],
                size=row["report_size"],
                locale=row["report_locale"],
                published_at=row["report_published_at"],
            )
        result.append(
            PublishedDecision(
                id=row["id"],
                case_reference=row["case_reference"],
                provider_id=row["provider_id"],
                provider_name=_display_name(row["provider_legal_name"], row["provider_acronym"]),
                country=row["country"],
                provider_type=str(provider_type) if provider_type else None,
                outcome=str(row["outcome"]),
                status=str(row["status"]),
                decided_on=row["decided_on"],
                valid_from=row["valid_from"],
                valid_until=row["valid_until"],
                framework_code=row["framework_code"],
                framework_name=row["framework_name"],
                agency_id=row["agency_id"],
                agency_name=_display_name(row["agency_legal_name"], row["agency_acronym"]),
                summary=row["summary"],
                conditions=tuple(conditions.get(row["id"], ())),
                report=report,
                specification_ids=tuple(scope.get(case_id, ())),
                published_at=row["published_at"],
            )
        )
    return result


def _limit(limit: int) -> int:
    return min(max(1, limit), MAX_LIMIT)


# ----- the public functions ----------------------------------------------------------------


def published_decisions(
    session: Session,
    filters: RegisterFilters,
    *,
    after_id: int | None = None,
    limit: int = 50,
) -> list[PublishedDecision]:
    """A keyset page of published decisions matching ``filters``, by decision id."""
    shape, params = _shape(filters, utcnow().date())
    stmt = _decisions_page(shape, after_id is not None)
    rows = session.connection().execute(
        stmt, {**params, "after_id": after_id, "limit": _limit(limit)}
    )
    return _assemble(session, rows.mappings().all())


@functools.cache
def _one_decision() -> Select[Any]:
    return _base().where(public_condition(), Decision.id == bindparam("decision_id", type_=Integer))


@functools.cache
def _decisions_of_providers() -> Select[Any]:
    return (
        _base()
        .where(public_condition(), in_ids(Case.provider_id, _PROVIDER_IDS))
        .order_by(Decision.id)
    )


def published_decision(session: Session, decision_id: int) -> PublishedDecision | None:
    """The published decision, or None for an unknown, unpublished or withdrawn one."""
    rows = session.connection().execute(_one_decision(), {"decision_id": decision_id})
    found = _assemble(session, rows.mappings().all())
    return found[0] if found else None


def _providers(
    session: Session, provider_ids: Sequence[int], decisions: Iterable[PublishedDecision]
) -> list[RegisterProvider]:
    by_provider: dict[int, list[PublishedDecision]] = defaultdict(list)
    for decision in decisions:
        by_provider[decision.provider_id].append(decision)
    orgs = {
        row.id: row
        for row in session.connection().execute(
            select(
                Organisation.id,
                Organisation.legal_name,
                Organisation.acronym,
                Organisation.country,
                Organisation.provider_type,
                Organisation.website,
            ).where(Organisation.id.in_(provider_ids))
        )
    }
    result = []
    for pid in provider_ids:
        org = orgs[pid]
        newest = sorted(by_provider[pid], key=lambda d: (d.decided_on, d.id), reverse=True)
        result.append(
            RegisterProvider(
                id=org.id,
                name=_display_name(org.legal_name, org.acronym),
                country=org.country,
                provider_type=str(org.provider_type) if org.provider_type else None,
                website=org.website,
                decisions=tuple(newest),
            )
        )
    return result


def _decisions_of(session: Session, provider_ids: Sequence[int]) -> list[PublishedDecision]:
    rows = session.connection().execute(
        _decisions_of_providers(), {"provider_ids": list(provider_ids)}
    )
    return _assemble(session, rows.mappings().all())


def published_providers(
    session: Session,
    filters: RegisterFilters,
    *,
    after_id: int | None = None,
    limit: int = 50,
) -> list[RegisterProvider]:
    """A keyset page (by provider id) of providers with a published decision matching
    ``filters``; each with all its published decisions."""
    shape, params = _shape(filters, utcnow().date())
    stmt = _providers_page(shape, after_id is not None)
    ids = list(
        session.connection()
        .execute(stmt, {**params, "after_id": after_id, "limit": _limit(limit)})
        .scalars()
    )
    if not ids:
        return []
    return _providers(session, ids, _decisions_of(session, ids))


def published_provider(session: Session, provider_id: int) -> RegisterProvider | None:
    """The provider with its published decisions, or None if it has none."""
    decisions = _decisions_of(session, [provider_id])
    if not decisions:
        return None
    return _providers(session, [provider_id], decisions)[0]


def current_accreditation_for_specs(
    session: Session, spec_ids: Iterable[int]
) -> dict[int, PublishedDecision]:
    """For each specification, the newest published decision that accredits it now (a
    positive decision, not expired, whose case had it in scope)."""
    ids = list(set(spec_ids))
    if not ids:
        return {}
    today = utcnow().date()
    rows = (
        session.execute(
            _base()
            .add_columns(CaseScope.specification_id)
            .join(CaseScope, CaseScope.case_id == Case.id)
            .where(
                public_condition(),
                CaseScope.specification_id.in_(ids),
                Decision.outcome.in_(POSITIVE_OUTCOMES),
                or_(Decision.valid_until.is_(None), Decision.valid_until >= today),
            )
            .order_by(Decision.decided_on, Decision.id)
        )
        .mappings()
        .all()
    )
    # Oldest first: the newest decision of each specification is the one left in the dict.
    by_spec = {row["specification_id"]: row["id"] for row in rows}
    unique = {row["id"]: row for row in rows}
    decisions = {d.id: d for d in _assemble(session, list(unique.values()))}
    return {spec: decisions[did] for spec, did in by_spec.items()}


def register_countries(session: Session) -> list[str]:
    """The countries of the providers in the register (the country filter's choices)."""
    stmt = (
        _joined(_Provider.country)
        .where(public_condition(), _Provider.country.is_not(None))
        .distinct()
        .order_by(_Provider.country)
    )
    return list(session.execute(stmt).scalars())


def accredits_now(provider_id: Any, today: Any) -> ColumnElement[bool]:
    """EXISTS: the provider (a column) holds a published decision that accredits it on
    ``today`` (a date or a bound parameter)."""
    return exists(
        select(RegisterPublication.id)
        .join(Decision, Decision.id == RegisterPublication.decision_id)
        .join(Case, Case.id == Decision.case_id)
        .where(
            public_condition(),
            Case.provider_id == provider_id,
            Decision.outcome.in_(POSITIVE_OUTCOMES),
            or_(Decision.valid_until.is_(None), Decision.valid_until >= today),
        )
    )


def accredited_providers_condition(provider_id: Any) -> ColumnElement[bool]:
    """EXISTS: the provider (a column) holds a published decision that accredits it now."""
    return accredits_now(provider_id, utcnow().date())


@functools.cache
def _accredited_among() -> Select[Any]:
    return select(Organisation.id).where(
        in_ids(Organisation.id, _PROVIDER_IDS),
        accredits_now(Organisation.id, bindparam("today", type_=Date)),
    )


def accredited_provider_ids(session: Session, provider_ids: Iterable[int]) -> set[int]:
    ids = list(set(provider_ids))
    if not ids:
        return set()
    rows = session.connection().execute(
        _accredited_among(), {"provider_ids": ids, "today": utcnow().date()}
    )
    return set(rows.scalars())
