"""Criteria frameworks, loaded from declarative files in ``forms/``.

Loading a file stores an immutable ``FrameworkVersion`` snapshot (the parsed definition and
its content hash) with one ``Criterion`` row per criterion. A case keeps the exact version it
started with; changing the file later creates a new version and never alters old ones' texts.
The one exception is translations: an older version gains a newer one's translations of texts
it has word for word (:mod:`qaportal.frameworks.carry`), so ongoing cases follow the language.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qaportal.db import Base, UTCDateTime, utcnow
from qaportal.orgs.models import Organisation, ProviderType, enum_values


class FrameworkKind(enum.StrEnum):
    """What a definition file describes: criteria for a self-assessment, or a questionnaire."""

    CRITERIA = "criteria"
    QUESTIONNAIRE = "questionnaire"


class Framework(Base):
    __tablename__ = "frameworks"
    __table_args__ = (UniqueConstraint("owner_agency_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(80))
    kind: Mapped[FrameworkKind] = mapped_column(
        Enum(FrameworkKind, native_enum=False, length=16, values_callable=enum_values),
        default=FrameworkKind.CRITERIA,
    )
    # None: shipped with qaportal (ESG, EQAVET, EU principles); else an agency's own.
    owner_agency_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    owner_agency: Mapped[Organisation | None] = relationship()
    versions: Mapped[list[FrameworkVersion]] = relationship(
        back_populates="framework", order_by="FrameworkVersion.number"
    )


class FrameworkVersion(Base):
    __tablename__ = "framework_versions"
    __table_args__ = (
        UniqueConstraint("framework_id", "number"),
        UniqueConstraint("framework_id", "content_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    edition: Mapped[str | None] = mapped_column(String(40))
    content_hash: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    source_file: Mapped[str | None] = mapped_column(String(300))
    loaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    framework: Mapped[Framework] = relationship(back_populates="versions")
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="framework_version", order_by="Criterion.position"
    )


class Criterion(Base):
    __tablename__ = "criteria"
    __table_args__ = (UniqueConstraint("framework_version_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    framework_version_id: Mapped[int] = mapped_column(
        ForeignKey("framework_versions.id"), index=True
    )
    code: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    evidence_required: Mapped[bool] = mapped_column(Boolean, default=False)
    # Which internal-QA elements of Annex II principle 1 this criterion speaks to:
    # micro_credential, course, learner_feedback, peer_feedback.
    qa_elements: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The criterion as written in the file: statement, guidance, evidence hints, questions.
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(Text, default="")

    framework_version: Mapped[FrameworkVersion] = relationship(back_populates="criteria")


class FrameworkRequirement(Base):
    """An agency's choice of which frameworks apply to which provider types."""

    __tablename__ = "framework_requirements"
    __table_args__ = (UniqueConstraint("agency_id", "framework_id", "provider_type"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id"))
    # None: applies to every provider type.
    provider_type: Mapped[ProviderType | None] = mapped_column(
        Enum(ProviderType, native_enum=False, length=32, values_callable=enum_values)
    )
    required: Mapped[bool] = mapped_column(Boolean, default=True)

    framework: Mapped[Framework] = relationship()


def _only_translations_changed(target: FrameworkVersion | Criterion) -> bool:
    """Translations are the one thing a snapshot may gain (see
    :mod:`qaportal.frameworks.carry`): the texts a case was assessed against never change."""
    from qaportal.frameworks.carry import without_translations

    state = inspect(target)
    changed = [a for a in state.mapper.column_attrs if state.attrs[a.key].history.has_changes()]
    if [a.key for a in changed] != ["definition"]:
        return False
    history = state.attrs.definition.history
    if len(history.deleted) != 1 or len(history.added) != 1:
        return False  # the stored value was not loaded: nothing to compare with
    return without_translations(history.deleted[0]) == without_translations(history.added[0])


@event.listens_for(FrameworkVersion, "before_update")
@event.listens_for(Criterion, "before_update")
def _snapshots_are_immutable(
    _mapper: object, _conn: object, target: FrameworkVersion | Criterion
) -> None:
    if not _only_translations_changed(target):
        raise RuntimeError(f"{type(target).__name__} {target.id} is an immutable snapshot")
