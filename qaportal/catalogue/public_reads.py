"""What the public specification page reads, as plain rows.

The page is read far more often than anything else about a specification, so its statements
are built once, at import, with bound parameters, and their rows are not turned into ORM
objects: a published version never changes (a change is a new version), so nothing here is
ever written back or needs the identity map.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from qaportal.catalogue.models import (
    LearningOutcome,
    Specification,
    SpecificationVersion,
    VersionStatus,
)
from qaportal.orgs.models import Organisation, OrgKind, ProviderType

_VERSION = SpecificationVersion.__table__
_PUBLISHED = (
    select(
        _VERSION,
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
_OUTCOMES = (
    select(LearningOutcome.statement, LearningOutcome.esco_uri)
    .where(LearningOutcome.version_id == bindparam("version_id"))
    .order_by(LearningOutcome.position)
)
# Every column of the version, under the names the ORM model gives them (the Annex I macro,
# templates/catalogue/_macros.html, reads either).
_VERSION_FIELDS = tuple(column.key for column in _VERSION.columns)


@dataclass(frozen=True, slots=True)
class PublishedSpecification:
    """The published version behind a public address, with the provider facts its page
    shows. ``version`` carries the version's columns by name; its ``outcomes`` are read
    only when asked for (:func:`with_outcomes`), since the page keeps the part that shows
    them once rendered."""

    version: Any
    public_id: str
    provider_id: int
    provider_name: str
    provider_type: ProviderType | None

    @property
    def version_id(self) -> int:
        return int(self.version.id)

    @property
    def specification_id(self) -> int:
        return int(self.version.specification_id)


def published(session: Session, public_id: str) -> PublishedSpecification | None:
    """The published version of the specification ``public_id`` (None for drafts, retired or
    unknown ids): one statement."""
    row = session.connection().execute(_PUBLISHED, {"public_id": public_id}).one_or_none()
    if row is None:
        return None
    values = row._mapping
    acronym, legal_name = values["provider_acronym"], values["provider_legal_name"]
    return PublishedSpecification(
        version=SimpleNamespace(**{key: values[key] for key in _VERSION_FIELDS}),
        public_id=values["public_id"],
        provider_id=values["provider_id"],
        # Organisation.display_name, from its two columns.
        provider_name=f"{legal_name} ({acronym})" if acronym else legal_name,
        provider_type=values["provider_type"],
    )


def with_outcomes(session: Session, found: PublishedSpecification) -> Any:
    """``found.version`` with its learning outcomes in order (``statement``, ``esco_uri``):
    one statement."""
    found.version.outcomes = list(
        session.connection().execute(_OUTCOMES, {"version_id": found.version_id})
    )
    return found.version


@dataclass(frozen=True, slots=True)
class PublicProvider:
    """A provider as its public catalogue page shows it."""

    id: int
    legal_name: str
    acronym: str | None
    provider_type: ProviderType | None
    country: str | None
    website: str | None

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
    """The provider ``org_id`` (None for an agency or an unknown id): one statement."""
    row = session.connection().execute(_PROVIDER, {"org_id": org_id}).one_or_none()
    return None if row is None else PublicProvider(*row)
