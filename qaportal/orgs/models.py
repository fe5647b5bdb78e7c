"""Organisations: QA agencies and providers of micro-credentials."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qaportal.db import Base, UTCDateTime, utcnow


class OrgKind(enum.StrEnum):
    AGENCY = "agency"
    PROVIDER = "provider"


class ProviderType(enum.StrEnum):
    """Provider types of the Recommendation, point 5(b)."""

    HEI = "hei"
    VET = "vet"
    ADULT_LEARNING = "adult_learning"
    EMPLOYER = "employer"
    SOCIAL_PARTNER = "social_partner"
    CIVIL_SOCIETY = "civil_society"
    PUBLIC_EMPLOYMENT_SERVICE = "public_employment_service"
    PUBLIC_AUTHORITY = "public_authority"
    OTHER = "other"


def enum_values(enum_cls: type[enum.Enum]) -> list[str]:
    return [member.value for member in enum_cls]


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[OrgKind] = mapped_column(
        Enum(OrgKind, native_enum=False, length=16, values_callable=enum_values)
    )
    legal_name: Mapped[str] = mapped_column(String(300))
    acronym: Mapped[str | None] = mapped_column(String(40))
    country: Mapped[str | None] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(10))
    provider_type: Mapped[ProviderType | None] = mapped_column(
        Enum(ProviderType, native_enum=False, length=32, values_callable=enum_values)
    )
    website: Mapped[str | None] = mapped_column(String(500))
    deqar_id: Mapped[str | None] = mapped_column(String(40))
    erasmus_code: Mapped[str | None] = mapped_column(String(40))
    legal_id: Mapped[str | None] = mapped_column(String(80))
    vat_id: Mapped[str | None] = mapped_column(String(40))
    # Full postal address on one line, as ELM fullAddress carries it.
    street_address: Mapped[str | None] = mapped_column(String(300))
    # The language of the profile's texts (ISO 639-1) as the exports tag them; None: that of
    # the specification being exported.
    text_language: Mapped[str | None] = mapped_column(String(2))
    # The agency that registered a provider and may manage its record and staff.
    managing_agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), index=True
    )
    # An agency's logo printed on its documents: the content is kept once by the evidence
    # store (keyed by its SHA-256), so the organisation only names it.
    logo_sha256: Mapped[str | None] = mapped_column(String(64))
    logo_media_type: Mapped[str | None] = mapped_column(String(40))
    logo_name: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    managing_agency: Mapped[Organisation | None] = relationship(remote_side=[id])

    @property
    def is_agency(self) -> bool:
        return self.kind == OrgKind.AGENCY

    @property
    def is_provider(self) -> bool:
        return self.kind == OrgKind.PROVIDER

    @property
    def display_name(self) -> str:
        return f"{self.legal_name} ({self.acronym})" if self.acronym else self.legal_name

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.kind} {self.legal_name!r}>"
