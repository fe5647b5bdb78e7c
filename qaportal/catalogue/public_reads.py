"""What the public specification page and a provider's public catalogue page read, as
plain rows.

These pages are read far more often than anything else about a specification, so their
statements are built once (at import; those holding the register's accreditation condition,
which binds today's date, once a day) with bound parameters, and their rows are not turned
into ORM objects: a published version never changes (a change is a new version), and
nothing here is written back or needs the identity map.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from qaportal.catalogue.models import (
    LearningOutcome,
    Specification,
    SpecificationVersion,
    VersionStatus,
)
from qaportal.catalogue.search import AccreditationFilter
from qaportal.db import utcnow
from qaportal.orgs.models import Organisation, OrgKind, ProviderType

_VERSION = SpecificationVersion.__table__
# What the page shows of the version itself besides its kept Annex I part.
_HEADER_FIELDS = ("id", "specification_id", "number", "title", "published_at")
_PUBLISHED = (
    select(
        *(_VERSION.c[name] for name in _HEADER_FIELDS),
        Specification.public_id,
        Specification.provider_id,
        Organisation.legal_name.label("provider_legal_name"),
        Organisation.acronym.label("provider_acronym"),
        Organisation.provider_type.label("provider_type"),
    )
    .join(Specification, Specification.id == _VERSION.c.specification_id)
    .join(Organisation, Organisation.id == Specification.provider_id)
    .where(
        Specification.public_id == bindparam("public_id"),
        Specification.retired_at.is_(None),
        _VERSION.c.status == VersionStatus.PUBLISHED,
    )
)
# The whole version, once per learning outcome (once if it has none), outcomes in order.
_WITH_OUTCOMES = (
    select(_VERSION, LearningOutcome.statement, LearningOutcome.esco_uri)
    .outerjoin(LearningOutcome, LearningOutcome.version_id == _VERSION.c.id)
    .where(_VERSION.c.id == bindparam("version_id"))
    .order_by(LearningOutcome.position)
)
# Every column of the version, under the names the ORM model gives them (the Annex I macro,
# templates/catalogue/_macros.html, reads either).
_VERSION_FIELDS = tuple(column.key for column in _VERSION.columns)


class Outcome(NamedTuple):
    statement: str
    esco_uri: str | None


@dataclass(frozen=True, slots=True)
class PublishedSpecification:
    """The published version behind a public address, with the provider facts its page
    shows. ``version`` carries only the version's number, title and publication date: the
    rest (:func:`full_version`) is read only for the part of the page that is kept once
    rendered."""

    version: Any
    public_id: str
    provider_id: int
    provider_name: str
    provider_type: ProviderType | None
    accreditation: str

    @property
    def version_id(self) -> int:
        return int(self.version.id)

    @property
    def specification_id(self) -> int:
        return int(self.version.specification_id)


def published(session: Session, public_id: str) -> PublishedSpecification | None:
    """The published version of the specification ``public_id`` (None for drafts, retired or
    unknown ids), with its provider's accreditation status: one statement."""
    stmt = _with_accreditation("published")
    row = session.connection().execute(stmt, {"public_id": public_id}).one_or_none()
    if row is None:
        return None
    values = row._mapping
    acronym, legal_name = values["provider_acronym"], values["provider_legal_name"]
    return PublishedSpecification(
        version=SimpleNamespace(**{key: values[key] for key in _HEADER_FIELDS}),
        public_id=values["public_id"],
        provider_id=values["provider_id"],
        # Organisation.display_name, from its two columns.
        provider_name=f"{legal_name} ({acronym})" if acronym else legal_name,
        provider_type=values["provider_type"],
        accreditation=AccreditationFilter.status(values["accredited"]),
    )


def full_version(session: Session, found: PublishedSpecification) -> Any:
    """Every column of ``found``'s version by name, and its learning outcomes in order
    (``outcomes``: ``statement``, ``esco_uri``): one statement."""
    rows = session.connection().execute(_WITH_OUTCOMES, {"version_id": found.version_id}).all()
    values = rows[0]._mapping
    version = SimpleNamespace(**{key: values[key] for key in _VERSION_FIELDS})
    version.outcomes = [
        Outcome(row.statement, row.esco_uri) for row in rows if row.statement is not None
    ]
    return version


@dataclass(frozen=True, slots=True)
class PublicProvider:
    """A provider as its public catalogue page shows it."""

    id: int
    legal_name: str
    acronym: str | None
    provider_type: ProviderType | None
    country: str | None
    website: str | None
    accreditation: str

    @property
    def display_name(self) -> str:  # as Organisation.display_name
        return f"{self.legal_name} ({self.acronym})" if self.acronym else self.legal_name


_PROVIDER = select(
    Organisation.id,
    Organisation.legal_name,
    Organisation.acronym,
    Organisation.provider_type,
    Organisation.country,
    Organisation.website,
).where(Organisation.id == bindparam("org_id"), Organisation.kind == OrgKind.PROVIDER)


def provider(session: Session, org_id: int) -> PublicProvider | None:
    """The provider ``org_id`` (None for an agency or an unknown id), with its accreditation
    status: one statement."""
    stmt = _with_accreditation("provider")
    row = session.connection().execute(stmt, {"org_id": org_id}).one_or_none()
    if row is None:
        return None
    *values, accredited = row
    return PublicProvider(*values, accreditation=AccreditationFilter.status(accredited))


_BASES: dict[str, tuple[Select[Any], Any]] = {
    "published": (_PUBLISHED, Specification.provider_id),
    "provider": (_PROVIDER, Organisation.id),
}


def _with_accreditation(name: str) -> Select[Any]:
    return _statement_of_day(name, utcnow().date(), AccreditationFilter._exists)


@functools.lru_cache(maxsize=8)
def _statement_of_day(name: str, _today: dt.date, _plugged: Any) -> Select[Any]:
    """The statement ``name`` with its provider's accreditation as a last column
    ``accredited``. The register's condition binds the date it is built on, so the
    statement is built again each day, and whenever the register plugs another condition
    (``_plugged``) in."""
    base, provider_id = _BASES[name]
    return base.add_columns(AccreditationFilter.accredited_column(provider_id).label("accredited"))
