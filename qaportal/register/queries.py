"""What the public may read of the register, as plain data.

Every public surface (the web register, the catalogue's badges and filter, the API, the
DEQAR CSV and the ELM export) reads through these functions, and they return only decisions
that an agency published, did not withdraw, and that are the case's current decision (a
decision revised on appeal leaves the register when it is superseded). Nothing here returns
an ORM object, so a template cannot lazy-load its way to unpublished data.

Each function runs a fixed number of statements whatever the number of rows: the page of
decisions, then one statement per relation (conditions, frameworks, scope, reports) over the
page's ids. Pages are keyset pages by id (``after_id``).

Full text: every word of the query must occur in ``register_publications.search_text`` (the
provider's name, the scope's micro-credential titles and the summary, lower-cased at
publication), split into words as the catalogue's search does
(:func:`qaportal.catalogue.search.query_words`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

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


def _conditions(filters: RegisterFilters, today: dt.date) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [public_condition()]
    for word in query_words(filters.q or ""):
        # The words are [^\W_]+ only, so LIKE's wildcards cannot come from the user.
        conditions.append(RegisterPublication.search_text.contains(word))
    if filters.country:
        conditions.append(_Provider.country == filters.country.upper())
    if filters.provider_type:
        conditions.append(_Provider.provider_type == filters.provider_type)
    if filters.decision:
        conditions.append(Decision.outcome == filters.decision)
    if filters.framework:
        conditions.append(
            exists(
                select(CaseFramework.id)
                .join(FrameworkVersion, FrameworkVersion.id == CaseFramework.framework_version_id)
                .join(Framework, Framework.id == FrameworkVersion.framework_id)
                .where(CaseFramework.case_id == Case.id, Framework.code == filters.framework)
            )
        )
    positive = Decision.outcome.in_(POSITIVE_OUTCOMES)
    if filters.validity == "valid":
        conditions.append(
            and_(positive, or_(Decision.valid_until.is_(None), Decision.valid_until >= today))
        )
    elif filters.validity == "expiring":
        until = _add_months(today, max(1, filters.expiring_months))
        conditions.append(
            and_(positive, Decision.valid_until >= today, Decision.valid_until <= until)
        )
    elif filters.validity == "expired":
        conditions.append(and_(positive, Decision.valid_until < today))
    return conditions


def _base() -> Select[Any]:
    return (
        select(RegisterPublication, Decision, Case, _Provider, _Agency)
        .join(Decision, Decision.id == RegisterPublication.decision_id)
        .join(Case, Case.id == Decision.case_id)
        .join(_Provider, _Provider.id == Case.provider_id)
        .join(_Agency, _Agency.id == Case.agency_id)
    )


def assemble(session: Session, rows: Sequence[Any]) -> list[PublishedDecision]:
    """The page's rows with their relations: one statement per relation."""
    if not rows:
        return []
    rows = [tuple(row[:5]) for row in rows]
    decision_ids = [row[1].id for row in rows]
    case_ids = list({row[2].id for row in rows})

    conditions: dict[int, list[PublishedCondition]] = defaultdict(list)
    for c in session.execute(
        select(DecisionCondition)
        .where(DecisionCondition.decision_id.in_(decision_ids))
        .order_by(DecisionCondition.id)
    ).scalars():
        conditions[c.decision_id].append(
            PublishedCondition(id=c.id, text=c.text, due_on=c.due_on, status=str(c.status))
        )

    frameworks: dict[int, tuple[str, str]] = {}
    for case_id, code, title in session.execute(
        select(CaseFramework.case_id, Framework.code, FrameworkVersion.title)
        .join(FrameworkVersion, FrameworkVersion.id == CaseFramework.framework_version_id)
        .join(Framework, Framework.id == FrameworkVersion.framework_id)
        .where(CaseFramework.case_id.in_(case_ids))
        .order_by(CaseFramework.required.desc(), CaseFramework.id)
    ):
        frameworks.setdefault(case_id, (code, title))

    scope: dict[int, list[int]] = defaultdict(list)
    for case_id, spec_id in session.execute(
        select(CaseScope.case_id, CaseScope.specification_id)
        .where(CaseScope.case_id.in_(case_ids))
        .order_by(CaseScope.specification_id)
    ):
        scope[case_id].append(spec_id)

    reports: dict[int, PublishedReport] = {}
    for doc in session.execute(
        select(GeneratedDocument)
        .where(
            GeneratedDocument.case_id.in_(case_ids),
            GeneratedDocument.kind == ACCREDITATION_REPORT,
            GeneratedDocument.published_at.is_not(None),
            GeneratedDocument.withdrawn_at.is_(None),
        )
        .order_by(GeneratedDocument.version)
    ).scalars():
        assert doc.published_at is not None
        reports[doc.case_id] = PublishedReport(
            document_id=doc.id,
            version=doc.version,
            verification_code=doc.verification_code,
            sha256=doc.sha256,
            size=doc.size,
            locale=doc.locale,
            published_at=doc.published_at,
        )

    result = []
    for row in rows:
        publication, decision, case, provider, agency = row
        framework = frameworks.get(case.id)
        result.append(
            PublishedDecision(
                id=decision.id,
                case_reference=case.reference,
                provider_id=provider.id,
                provider_name=provider.display_name,
                country=provider.country,
                provider_type=str(provider.provider_type) if provider.provider_type else None,
                outcome=str(decision.outcome),
                status=str(decision.eqa_status),
                decided_on=decision.decided_on,
                valid_from=decision.valid_from,
                valid_until=decision.valid_until,
                framework_code=framework[0] if framework else None,
                framework_name=framework[1] if framework else None,
                agency_id=agency.id,
                agency_name=agency.display_name,
                summary=publication.summary,
                conditions=tuple(conditions.get(decision.id, ())),
                report=reports.get(case.id),
                specification_ids=tuple(scope.get(case.id, ())),
                published_at=publication.published_at,
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
    stmt = _base().where(*_conditions(filters, utcnow().date()))
    if after_id is not None:
        stmt = stmt.where(Decision.id > after_id)
    rows = session.execute(stmt.order_by(Decision.id).limit(_limit(limit))).all()
    return assemble(session, rows)


def published_decision(session: Session, decision_id: int) -> PublishedDecision | None:
    """The published decision, or None for an unknown, unpublished or withdrawn one."""
    rows = session.execute(_base().where(public_condition(), Decision.id == decision_id)).all()
    found = assemble(session, rows)
    return found[0] if found else None


def _providers(
    session: Session, provider_ids: Sequence[int], decisions: Iterable[PublishedDecision]
) -> list[RegisterProvider]:
    by_provider: dict[int, list[PublishedDecision]] = defaultdict(list)
    for decision in decisions:
        by_provider[decision.provider_id].append(decision)
    orgs = {
        o.id: o
        for o in session.execute(
            select(Organisation).where(Organisation.id.in_(provider_ids))
        ).scalars()
    }
    result = []
    for pid in provider_ids:
        org = orgs[pid]
        newest = sorted(by_provider[pid], key=lambda d: (d.decided_on, d.id), reverse=True)
        result.append(
            RegisterProvider(
                id=org.id,
                name=org.display_name,
                country=org.country,
                provider_type=str(org.provider_type) if org.provider_type else None,
                website=org.website,
                decisions=tuple(newest),
            )
        )
    return result


def _decisions_of(session: Session, provider_ids: Sequence[int]) -> list[PublishedDecision]:
    rows = session.execute(
        _base().where(public_condition(), Case.provider_id.in_(provider_ids)).order_by(Decision.id)
    ).all()
    return assemble(session, rows)


def published_providers(
    session: Session,
    filters: RegisterFilters,
    *,
    after_id: int | None = None,
    limit: int = 50,
) -> list[RegisterProvider]:
    """A keyset page (by provider id) of providers with a published decision matching
    ``filters``; each with all its published decisions."""
    stmt = (
        _base()
        .with_only_columns(_Provider.id)
        .where(*_conditions(filters, utcnow().date()))
        .group_by(_Provider.id)
    )
    if after_id is not None:
        stmt = stmt.where(_Provider.id > after_id)
    ids = list(session.execute(stmt.order_by(_Provider.id).limit(_limit(limit))).scalars())
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
    rows = session.execute(
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
    ).all()
    by_spec = {row.specification_id: row.Decision.id for row in rows}
    unique = {row.Decision.id: row for row in rows}
    decisions = {d.id: d for d in assemble(session, list(unique.values()))}
    return {spec: decisions[did] for spec, did in by_spec.items()}


def register_countries(session: Session) -> list[str]:
    """The countries of the providers in the register (the country filter's choices)."""
    stmt = (
        _base()
        .with_only_columns(_Provider.country)
        .where(public_condition(), _Provider.country.is_not(None))
        .distinct()
        .order_by(_Provider.country)
    )
    return list(session.execute(stmt).scalars())


def accredited_providers_condition(provider_id: Any) -> ColumnElement[bool]:
    """EXISTS: the provider (a column) holds a published decision that accredits it now."""
    today = utcnow().date()
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


def accredited_provider_ids(session: Session, provider_ids: Iterable[int]) -> set[int]:
    ids = list(set(provider_ids))
    if not ids:
        return set()
    return set(
        session.execute(
            select(Organisation.id).where(
                Organisation.id.in_(ids), accredited_providers_condition(Organisation.id)
            )
        ).scalars()
    )
