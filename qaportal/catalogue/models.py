"""Micro-credential specifications described by the European standard elements (Annex I).

A ``Specification`` is the lasting identity of one micro-credential a provider offers; each
change is a ``SpecificationVersion``. A published version is immutable: editing it starts a
new draft version. Elements of an *issued* credential (learner identification, date of
issuing, grade achieved) are deliberately absent: they belong to the credential, not here.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qaportal.db import Base, UTCDateTime, utcnow
from qaportal.orgs.models import Organisation, enum_values


def _enum(cls: type[enum.Enum], length: int = 32) -> Enum:
    return Enum(cls, native_enum=False, length=length, values_callable=enum_values)


class VersionStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"
    RETIRED = "retired"


class QfEheaCycle(enum.StrEnum):
    SHORT = "short"
    FIRST = "first"
    SECOND = "second"
    THIRD = "third"


class ParticipationForm(enum.StrEnum):
    ONLINE = "online"
    ONSITE = "onsite"
    BLENDED = "blended"
    WORK_BASED = "work_based"
    OTHER = "other"


class Supervision(enum.StrEnum):
    """Annex I: supervision and identity verification during assessment."""

    UNSUPERVISED_NO_ID = "unsupervised_no_id"
    SUPERVISED_NO_ID = "supervised_no_id"
    SUPERVISED_ONLINE = "supervised_online"
    ONSITE_WITH_ID = "onsite_with_id"


class Integration(enum.StrEnum):
    STAND_ALONE = "stand_alone"
    INTEGRATED = "integrated"
    STACKABLE = "stackable"


class Specification(Base):
    __tablename__ = "specifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(
        String(36), unique=True, default=lambda: str(uuid.uuid4())
    )
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    provider: Mapped[Organisation] = relationship()
    versions: Mapped[list[SpecificationVersion]] = relationship(
        back_populates="specification",
        order_by="SpecificationVersion.number",
        cascade="all, delete-orphan",
    )


class SpecificationVersion(Base):
    """One version of a specification. At most one version of a specification is
    ``published`` at a time; the ones it replaced are ``superseded``."""

    __tablename__ = "specification_versions"
    __table_args__ = (
        UniqueConstraint("specification_id", "number"),
        # At most one open draft and at most one published version per specification.
        Index(
            "ix_specification_versions_one_draft",
            "specification_id",
            unique=True,
            sqlite_where=text("status = 'draft'"),
            postgresql_where=text("status = 'draft'"),
        ),
        Index(
            "ix_specification_versions_one_published",
            "specification_id",
            unique=True,
            sqlite_where=text("status = 'published'"),
            postgresql_where=text("status = 'published'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    specification_id: Mapped[int] = mapped_column(
        ForeignKey("specifications.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[VersionStatus] = mapped_column(
        _enum(VersionStatus, 16), default=VersionStatus.DRAFT, index=True
    )
    # Optimistic locking: a stale form cannot overwrite someone else's save.
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    # --- mandatory Annex I elements fixed before issuing ---
    title: Mapped[str] = mapped_column(String(300), default="")
    # ISO 3166-1 alpha-2 or ISO 3166-2 codes, e.g. ["DE", "DE-BY"]
    issuer_regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    # [{"name", "url", "legal_id", "vat_id", "country", "region", "address"}]: a missing key
    # means "not entered" (rows written before 0016 only carry name and url).
    awarding_bodies: Mapped[list[dict[str, str | None]]] = mapped_column(JSON, default=list)
    ects: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    hours: Mapped[int | None] = mapped_column(Integer)
    eqf_level: Mapped[int | None] = mapped_column(SmallInteger, index=True)
    # Annex I asks for the level "if applicable": the provider states explicitly that no
    # EQF level / QF-EHEA cycle applies, so a forgotten level stays distinguishable.
    level_not_applicable: Mapped[bool] = mapped_column(Boolean, default=False)
    qf_ehea_cycle: Mapped[QfEheaCycle | None] = mapped_column(_enum(QfEheaCycle, 16))
    # Level in the national framework of the provider's country (qaportal.catalogue.nqf):
    # optional in Annex I, but once given the exports carry it as ELM NQFLevel.
    nqf_level: Mapped[int | None] = mapped_column(SmallInteger)
    assessment_type: Mapped[str] = mapped_column(Text, default="")
    participation_form: Mapped[ParticipationForm | None] = mapped_column(
        _enum(ParticipationForm, 16), index=True
    )
    participation_detail: Mapped[str | None] = mapped_column(String(300))
    quality_assurance: Mapped[str] = mapped_column(Text, default="")

    # --- optional elements ---
    prerequisites: Mapped[str | None] = mapped_column(Text)
    supervision: Mapped[Supervision | None] = mapped_column(_enum(Supervision))
    grading_scheme: Mapped[str | None] = mapped_column(Text)
    integration: Mapped[Integration | None] = mapped_column(_enum(Integration, 16))
    stackable_towards: Mapped[str | None] = mapped_column(String(300))
    further_information: Mapped[str | None] = mapped_column(Text)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)  # ISO 639-1/-3 codes
    # The language the texts above are written in (ISO 639-1), which the exports tag them
    # with: not necessarily a language of instruction (a Finnish course described in English).
    text_language: Mapped[str] = mapped_column(String(2), default="en", server_default="en")
    isced_f: Mapped[str | None] = mapped_column(String(4))  # ISCED-F 2013 field code
    price_note: Mapped[str | None] = mapped_column(Text)
    # Annex I "maximum duration" of the course, 1..520 weeks (ELM maximumDuration "P{n}W").
    max_duration_weeks: Mapped[int | None] = mapped_column(Integer)

    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    specification: Mapped[Specification] = relationship(back_populates="versions")
    outcomes: Mapped[list[LearningOutcome]] = relationship(
        back_populates="version",
        order_by="LearningOutcome.position",
        cascade="all, delete-orphan",
    )

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def is_editable(self) -> bool:
        return self.status == VersionStatus.DRAFT


class LearningOutcome(Base):
    __tablename__ = "learning_outcomes"
    __table_args__ = (UniqueConstraint("version_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("specification_versions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    statement: Mapped[str] = mapped_column(Text)
    esco_uri: Mapped[str | None] = mapped_column(String(300))

    version: Mapped[SpecificationVersion] = relationship(back_populates="outcomes")


class CatalogueEntry(Base):
    """The public catalogue's index: one row per specification that has a published version.

    Maintained by :mod:`qaportal.catalogue.services` on publish (a new version replaces the
    superseded one) and retire (the row goes). Full-text search runs on it per dialect:
    SQLite keeps the FTS5 table ``catalogue_fts`` (external content) in sync through triggers
    created in migration 0002; PostgreSQL reads ``search_vector`` (a GIN-indexed tsvector
    the service refreshes). On SQLite ``search_vector`` is an unused, always-NULL TEXT.
    """

    __tablename__ = "catalogue_entries"
    __table_args__ = (
        Index("ix_catalogue_entries_search_vector", "search_vector", postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    specification_id: Mapped[int] = mapped_column(
        ForeignKey("specifications.id", ondelete="CASCADE"), unique=True
    )
    version_id: Mapped[int] = mapped_column(
        ForeignKey("specification_versions.id", ondelete="CASCADE"), unique=True
    )
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    title: Mapped[str] = mapped_column(String(300), index=True)
    outcomes_text: Mapped[str] = mapped_column(Text, default="")
    eqf_level: Mapped[int | None] = mapped_column(SmallInteger, index=True)
    ects: Mapped[Decimal | None] = mapped_column(Numeric(5, 2), index=True)
    hours: Mapped[int | None] = mapped_column(Integer)
    participation_form: Mapped[ParticipationForm | None] = mapped_column(
        _enum(ParticipationForm, 16), index=True
    )
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    search_vector: Mapped[str | None] = mapped_column(
        Text().with_variant(postgresql.TSVECTOR(), "postgresql")
    )

    provider: Mapped[Organisation] = relationship()
    specification: Mapped[Specification] = relationship()
    facets: Mapped[list[CatalogueFacet]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", passive_deletes=True
    )


class FacetKind(enum.StrEnum):
    COUNTRY = "country"  # ISO 3166-1 alpha-2 of each issuer country/region
    REGION = "region"  # ISO 3166-2 subdivision codes
    LANGUAGE = "language"  # ISO 639 codes of the languages of instruction


class CatalogueFacet(Base):
    """Multi-valued filter values of a catalogue entry (countries, regions, languages)."""

    __tablename__ = "catalogue_facets"
    __table_args__ = (
        PrimaryKeyConstraint("entry_id", "kind", "value"),
        Index("ix_catalogue_facets_kind_value", "kind", "value", "entry_id"),
    )

    entry_id: Mapped[int] = mapped_column(ForeignKey("catalogue_entries.id", ondelete="CASCADE"))
    kind: Mapped[FacetKind] = mapped_column(_enum(FacetKind, 16))
    value: Mapped[str] = mapped_column(String(10))

    entry: Mapped[CatalogueEntry] = relationship(back_populates="facets")


class ImmutableVersionError(RuntimeError):
    """A published, superseded or retired version (or its outcomes) was about to change."""


# Content columns of a published version may never change; only its status may move on.
_MUTABLE_AFTER_PUBLISH = {"status", "lock_version", "updated_at"}


@event.listens_for(SpecificationVersion, "before_update")
def _published_is_immutable(_mapper: object, _conn: object, target: SpecificationVersion) -> None:
    from sqlalchemy import inspect

    state = inspect(target)
    status_history = state.attrs.status.history
    was = status_history.deleted[0] if status_history.deleted else target.status
    if was == VersionStatus.DRAFT:
        return
    changed = {a.key for a in state.attrs if a.history.has_changes()} - _MUTABLE_AFTER_PUBLISH
    if changed:
        raise ImmutableVersionError(
            f"specification version {target.id} is {was}; content {sorted(changed)} is immutable"
        )


@event.listens_for(LearningOutcome, "before_insert")
@event.listens_for(LearningOutcome, "before_update")
@event.listens_for(LearningOutcome, "before_delete")
def _outcomes_of_published_are_immutable(
    _mapper: object, _conn: object, target: LearningOutcome
) -> None:
    version = target.version
    if version is not None and version.status != VersionStatus.DRAFT:
        raise ImmutableVersionError(f"learning outcomes of version {version.id} are immutable")
