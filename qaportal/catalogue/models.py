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
    Enum,
    ForeignKey,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    event,
)
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
    __table_args__ = (UniqueConstraint("specification_id", "number"),)

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
    # [{"name": ..., "url": ...}]
    awarding_bodies: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    ects: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    hours: Mapped[int | None] = mapped_column(Integer)
    eqf_level: Mapped[int | None] = mapped_column(SmallInteger, index=True)
    qf_ehea_cycle: Mapped[QfEheaCycle | None] = mapped_column(_enum(QfEheaCycle, 16))
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
    isced_f: Mapped[str | None] = mapped_column(String(4))  # ISCED-F 2013 field code
    price_note: Mapped[str | None] = mapped_column(Text)

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
        raise RuntimeError(
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
        raise RuntimeError(f"learning outcomes of version {version.id} are immutable")
