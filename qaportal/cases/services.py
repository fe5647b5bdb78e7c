"""Opening and listing accreditation cases; an agency's framework requirements.

Services take a session and an :class:`~qaportal.audit.services.Actor`, know nothing of
Flask's request and leave the commit to the caller.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.sql.elements import ColumnElement

from qaportal.audit.services import Actor, record
from qaportal.auth.models import User
from qaportal.cases.models import Case, CaseDeadline, CaseFramework, CaseScope, CaseState
from qaportal.catalogue.models import Specification, SpecificationVersion
from qaportal.catalogue.services import newest_version_numbers
from qaportal.db import utcnow
from qaportal.frameworks.localize import current_language, version_title
from qaportal.frameworks.models import (
    Framework,
    FrameworkKind,
    FrameworkRequirement,
    FrameworkVersion,
)
from qaportal.orgs.models import Organisation, OrgKind, ProviderType
from qaportal.pagination import Page, paginate

REFERENCE_PREFIX = "QA"
CASES_PER_PAGE = 25


class CaseError(Exception):
    """A case could not be opened as asked; ``field`` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# ----- frameworks an agency requires ------------------------------------------------------


class Requirement:
    NONE = ""
    OPTIONAL = "optional"
    REQUIRED = "required"


@dataclass(frozen=True)
class FrameworkOption:
    framework_id: int
    version_id: int
    code: str
    title: str
    number: int
    required: bool


def current_versions(
    session: Session, framework_ids: Iterable[int] | None = None
) -> dict[int, FrameworkVersion]:
    """The newest version of each criteria framework (by framework id)."""
    newest = (
        select(FrameworkVersion.framework_id, func.max(FrameworkVersion.number).label("number"))
        .group_by(FrameworkVersion.framework_id)
        .subquery()
    )
    stmt = (
        select(FrameworkVersion)
        .join(
            newest,
            and_(
                newest.c.framework_id == FrameworkVersion.framework_id,
                newest.c.number == FrameworkVersion.number,
            ),
        )
        .join(Framework, Framework.id == FrameworkVersion.framework_id)
        .where(Framework.kind == FrameworkKind.CRITERIA)
    )
    if framework_ids is not None:
        stmt = stmt.where(FrameworkVersion.framework_id.in_(list(framework_ids)))
    return {v.framework_id: v for v in session.execute(stmt).scalars()}


def agency_frameworks(session: Session, agency: Organisation) -> list[Framework]:
    """Criteria frameworks an agency can use: the shipped ones and its own, with a version."""
    return list(
        session.execute(
            select(Framework)
            .where(
                Framework.kind == FrameworkKind.CRITERIA,
                (Framework.owner_agency_id.is_(None)) | (Framework.owner_agency_id == agency.id),
                Framework.id.in_(select(FrameworkVersion.framework_id)),
            )
            .order_by(Framework.code)
        ).scalars()
    )


def requirements_table(session: Session, agency: Organisation) -> dict[tuple[int, str], str]:
    """(framework id, provider type value) -> "required" / "optional" (absent: not offered)."""
    rows = session.execute(
        select(FrameworkRequirement).where(FrameworkRequirement.agency_id == agency.id)
    ).scalars()
    table: dict[tuple[int, str], str] = {}
    for row in rows:
        key = (row.framework_id, row.provider_type.value if row.provider_type else "")
        table[key] = Requirement.REQUIRED if row.required else Requirement.OPTIONAL
    return table


def set_requirements(
    session: Session,
    agency: Organisation,
    choices: Mapping[tuple[int, str], str],
    actor: Actor,
) -> dict[str, tuple[str, str]]:
    """Replace the agency's requirements by ``choices`` and audit what changed."""
    existing = {
        (r.framework_id, r.provider_type.value if r.provider_type else ""): r
        for r in session.execute(
            select(FrameworkRequirement).where(FrameworkRequirement.agency_id == agency.id)
        ).scalars()
    }
    allowed = {f.id for f in agency_frameworks(session, agency)}
    changes: dict[str, tuple[str, str]] = {}
    for (framework_id, ptype), choice in choices.items():
        if framework_id not in allowed:
            continue
        row = existing.get((framework_id, ptype))
        old = (
            "" if row is None else (Requirement.REQUIRED if row.required else Requirement.OPTIONAL)
        )
        if old == choice:
            continue
        changes[f"{framework_id}:{ptype or '*'}"] = (old, choice)
        if choice == Requirement.NONE:
            session.delete(row)
        elif row is None:
            session.add(
                FrameworkRequirement(
                    agency_id=agency.id,
                    framework_id=framework_id,
                    provider_type=ProviderType(ptype) if ptype else None,
                    required=choice == Requirement.REQUIRED,
                )
            )
        else:
            row.required = choice == Requirement.REQUIRED
    if changes:
        session.flush()
        record(
            session,
            actor,
            "agency.framework_requirements_updated",
            object_type="organisation",
            object_id=agency.id,
            organisation_id=agency.id,
            details={"changes": changes},
        )
    return changes


def framework_options(
    session: Session, agency: Organisation, provider: Organisation
) -> list[FrameworkOption]:
    """What a case of ``provider`` with ``agency`` may use, and which is required.

    The agency's rows for the provider's type (and rows for every type) decide; an agency
    that has configured nothing yet offers every framework it can use as optional.
    """
    frameworks = {f.id: f for f in agency_frameworks(session, agency)}
    table = requirements_table(session, agency)
    ptype = provider.provider_type.value if provider.provider_type else None
    decided: dict[int, str] = {}
    if table:
        for (framework_id, row_type), choice in table.items():
            if row_type and row_type != ptype:
                continue
            if decided.get(framework_id) != Requirement.REQUIRED:
                decided[framework_id] = choice
    else:
        decided = dict.fromkeys(frameworks, Requirement.OPTIONAL)
    versions = current_versions(session, [fid for fid in decided if fid in frameworks])
    options = [
        FrameworkOption(
            framework_id=fid,
            version_id=versions[fid].id,
            code=frameworks[fid].code,
            title=version_title(versions[fid]),
            number=versions[fid].number,
            required=choice == Requirement.REQUIRED,
        )
        for fid, choice in decided.items()
        if fid in versions
    ]
    return sorted(options, key=lambda o: (not o.required, o.title))


# ----- scope: the provider's catalogue ----------------------------------------------------


@dataclass(frozen=True)
class ScopeOption:
    specification_id: int
    title: str
    status: str


def scope_options(session: Session, provider: Organisation) -> list[ScopeOption]:
    """Specifications of the provider's catalogue (not retired), titled by their newest version."""
    newest = newest_version_numbers()
    rows = session.execute(
        select(Specification.id, SpecificationVersion.title, SpecificationVersion.status)
        .join(newest, newest.c.specification_id == Specification.id)
        .join(
            SpecificationVersion,
            and_(
                SpecificationVersion.specification_id == Specification.id,
                SpecificationVersion.number == newest.c.number,
            ),
        )
        .where(Specification.provider_id == provider.id, Specification.retired_at.is_(None))
        .order_by(SpecificationVersion.title, Specification.id)
    )
    return [
        ScopeOption(sid, title or str(_l("(untitled)")), str(status)) for sid, title, status in rows
    ]


def agencies(session: Session) -> list[Organisation]:
    return list(
        session.execute(
            select(Organisation)
            .where(Organisation.kind == OrgKind.AGENCY)
            .order_by(Organisation.legal_name)
        ).scalars()
    )


# ----- opening a case ---------------------------------------------------------------------


def next_reference(session: Session, year: int) -> str:
    prefix = f"{REFERENCE_PREFIX}-{year}-"
    refs = session.execute(
        select(Case.reference).where(Case.reference.like(prefix + "%"))
    ).scalars()
    highest = 0
    for ref in refs:
        tail = ref[len(prefix) :]
        if tail.isdigit():
            highest = max(highest, int(tail))
    return f"{prefix}{highest + 1:04d}"


def open_case(
    session: Session,
    provider: Organisation,
    agency: Organisation,
    *,
    framework_ids: Iterable[int],
    specification_ids: Iterable[int],
    contact_name: str,
    contact_email: str,
    title: str = "",
    user: User | None,
    actor: Actor,
    today: dt.date | None = None,
) -> Case:
    """Open a draft case; fixes the current version of each chosen framework."""
    if not provider.is_provider:
        raise CaseError(str(_l("Only a provider can apply.")))
    if not agency.is_agency:
        raise CaseError(str(_l("Choose an agency.")), "agency")
    options = {o.framework_id: o for o in framework_options(session, agency, provider)}
    chosen = set(framework_ids)
    unknown = chosen - set(options)
    if unknown:
        raise CaseError(str(_l("A chosen framework is not offered by this agency.")), "frameworks")
    chosen |= {fid for fid, o in options.items() if o.required}
    if not chosen:
        raise CaseError(str(_l("Choose at least one framework.")), "frameworks")
    allowed_specs = {o.specification_id for o in scope_options(session, provider)}
    specs = set(specification_ids)
    if specs - allowed_specs:
        raise CaseError(
            str(_l("The scope may only hold micro-credentials of your own catalogue.")), "scope"
        )
    if not specs:
        raise CaseError(str(_l("Choose at least one micro-credential for the scope.")), "scope")

    year = (today or utcnow().date()).year
    for _attempt in range(5):
        case = Case(
            reference=next_reference(session, year),
            provider_id=provider.id,
            agency_id=agency.id,
            state=CaseState.DRAFT,
            title=title.strip(),
            contact_name=contact_name.strip(),
            contact_email=contact_email.strip(),
            opened_by_id=user.id if user else None,
            frameworks=[
                CaseFramework(
                    framework_version_id=options[fid].version_id, required=options[fid].required
                )
                for fid in sorted(chosen)
            ],
            scope=[CaseScope(specification_id=sid) for sid in sorted(specs)],
        )
        try:
            with session.begin_nested():
                session.add(case)
                session.flush()
            break
        except IntegrityError:  # a concurrent case took the reference: take the next one
            continue
    else:  # pragma: no cover - five collisions in a row
        raise CaseError(str(_l("The case could not be numbered; please try again.")))

    record(
        session,
        actor,
        "case.opened",
        object_type="case",
        object_id=case.id,
        organisation_id=provider.id,
        details={
            "reference": case.reference,
            "agency_id": agency.id,
            "framework_versions": sorted(options[fid].version_id for fid in chosen),
            "scope": sorted(specs),
            "contact_email": case.contact_email,
        },
    )
    return case


# ----- loading and listing -----------------------------------------------------------------


def load_case(session: Session, case_id: int) -> Case | None:
    return session.execute(
        select(Case)
        .where(Case.id == case_id)
        # Every case page names both parties: one statement rather than three.
        .options(joinedload(Case.provider), joinedload(Case.agency))
    ).scalar_one_or_none()


@dataclass(frozen=True)
class CaseSummary:
    id: int
    reference: str
    title: str
    provider: str
    agency: str
    state: CaseState
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    due_on: dt.date | None = None  # the due date of the current stage, if the agency set one

    def overdue(self, today: dt.date) -> bool:
        return self.due_on is not None and self.due_on < today


def list_cases(
    session: Session,
    org: Organisation,
    *,
    state: CaseState | None = None,
    overdue_on: dt.date | None = None,
    page: int = 1,
) -> Page[CaseSummary]:
    """Page ``page`` of the cases of a provider, or of the cases with an agency, newest
    first, with the current stage's due date (a count and a page's rows, however many
    cases); only those in ``state``, or only those whose stage was due before
    ``overdue_on``, if given (the dashboard's groups link here)."""
    provider = Organisation.__table__.alias("provider")
    agency = Organisation.__table__.alias("agency")
    column = Case.provider_id if org.is_provider else Case.agency_id
    stmt = (
        select(
            Case.id,
            Case.reference,
            Case.title,
            provider.c.legal_name,
            agency.c.legal_name,
            Case.state,
            Case.created_at,
            Case.submitted_at,
            CaseDeadline.due_on,
        )
        .join(provider, provider.c.id == Case.provider_id)
        .join(agency, agency.c.id == Case.agency_id)
        .outerjoin(
            CaseDeadline,
            and_(CaseDeadline.case_id == Case.id, CaseDeadline.stage == Case.state),
        )
        .where(column == org.id)
        .order_by(Case.created_at.desc(), Case.id.desc())
    )
    if state is not None:
        stmt = stmt.where(Case.state == state)
    if overdue_on is not None:
        stmt = stmt.where(CaseDeadline.due_on < overdue_on)
    found = paginate(session, stmt, page, CASES_PER_PAGE)
    found.items = [CaseSummary(*row) for row in found.items]
    return found


@dataclass(frozen=True)
class CaseFacts:
    frameworks: list[tuple[str, int, str | None, bool]]  # title, version number, edition, required
    scope: list[ScopeOption]


def _title_in(lang: str) -> ColumnElement[str]:
    """A framework version's title in ``lang``, read from its definition's translations in
    SQL (the definition is tens of kB of JSON), else its stored title."""
    if not lang:
        return FrameworkVersion.title
    translated = FrameworkVersion.definition[("translations", lang, "title")].as_string()
    return func.coalesce(func.nullif(func.trim(translated), ""), FrameworkVersion.title)


def case_facts(session: Session, case: Case) -> CaseFacts:
    # Columns, not the version rows: a version's definition is tens of kB of JSON.
    frameworks = [
        (title, number, edition, required)
        for title, number, edition, required in session.execute(
            select(
                _title_in(current_language()),
                FrameworkVersion.number,
                FrameworkVersion.edition,
                CaseFramework.required,
            )
            .join(FrameworkVersion, FrameworkVersion.id == CaseFramework.framework_version_id)
            .where(CaseFramework.case_id == case.id)
            .order_by(CaseFramework.required.desc(), FrameworkVersion.title)
        )
    ]
    newest = newest_version_numbers()
    scope = [
        ScopeOption(sid, title or str(_l("(untitled)")), str(status or ""))
        for sid, title, status in session.execute(
            select(Specification.id, SpecificationVersion.title, SpecificationVersion.status)
            .join(CaseScope, CaseScope.specification_id == Specification.id)
            .outerjoin(newest, newest.c.specification_id == Specification.id)
            .outerjoin(
                SpecificationVersion,
                and_(
                    SpecificationVersion.specification_id == Specification.id,
                    SpecificationVersion.number == newest.c.number,
                ),
            )
            .where(CaseScope.case_id == case.id)
            .order_by(SpecificationVersion.title)
        )
    ]
    return CaseFacts(frameworks, scope)
