"""Helpers shared by the catalogue tests (not collected: no ``test_`` prefix)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy import select

from qaportal.audit.services import Actor
from qaportal.catalogue import services
from qaportal.catalogue.models import Specification, SpecificationVersion, VersionStatus
from qaportal.catalogue.services import OutcomeData, SpecificationData
from qaportal.db import get_session
from qaportal.orgs.models import Organisation

UDV_ADMIN = "admin@university.example.org"
UDV_EDITOR = "editor@university.example.org"
NVTC_ADMIN = "admin@vet.example.org"
NVTC_EDITOR = "editor@vet.example.org"
AGENCY_ADMIN = "admin@agency.example.org"
AGENCY_OFFICER = "officer@agency.example.org"
REVIEWER = "reviewer1@reviewers.example.org"


def org_id(app: Flask, acronym: str) -> int:
    with app.app_context():
        return (
            get_session()
            .execute(select(Organisation.id).where(Organisation.acronym == acronym))
            .scalar_one()
        )


def complete_data(
    title: str = "Cyber Hygiene for Small Businesses", **changes: Any
) -> SpecificationData:
    data = SpecificationData(
        title=title,
        issuer_regions=["DE", "DE-BY"],
        awarding_bodies=[{"name": "University of Demoville"}],
        outcomes=[
            OutcomeData("Identify common phishing attacks and report them correctly"),
            OutcomeData("Configure multi-factor authentication for the accounts of a team"),
        ],
        ects=Decimal("2"),
        hours=55,
        eqf_level=5,
        assessment_type="Online quiz and a practical configuration task",
        participation_form="online",  # type: ignore[arg-type]
        quality_assurance="Internal QA under the university's ESG-based system",
        languages=["en"],
    )
    for name, value in changes.items():
        setattr(data, name, value)
    return data


def complete_form(
    title: str = "Cyber Hygiene for Small Businesses", **changes: Any
) -> dict[str, Any]:
    """The edit form, filled in completely, as a browser would post it."""
    form = {
        "lock_version": "",
        "title": title,
        "issuer_regions": "DE, DE-BY",
        "awarding_bodies-0-name": "University of Demoville",
        "awarding_bodies-0-url": "https://university.example.org",
        "outcomes-0-statement": "Identify common phishing attacks and report them correctly",
        "outcomes-0-esco_uri": "",
        "outcomes-1-statement": "Configure multi-factor authentication for the accounts of a team",
        "outcomes-1-esco_uri": "",
        "outcomes-2-statement": "",
        "outcomes-2-esco_uri": "",
        "ects": "2",
        "hours": "55",
        "eqf_level": "5",
        "qf_ehea_cycle": "",
        "assessment_type": "Online quiz and a practical configuration task",
        "participation_form": "online",
        "participation_detail": "",
        "quality_assurance": "Internal QA under the university's ESG-based system",
        "prerequisites": "",
        "supervision": "",
        "grading_scheme": "",
        "integration": "",
        "stackable_towards": "",
        "further_information": "",
        "languages": "en",
        "isced_f": "0612",
        "price_note": "",
        "save": "Save draft",
    }
    form.update(changes)
    return form


def make_spec(
    app: Flask, acronym: str, data: SpecificationData | None = None, *, publish: bool = True
) -> tuple[int, str]:
    """A specification of the provider ``acronym`` via the services: (id, public_id)."""
    with app.app_context():
        db = get_session()
        provider = db.execute(
            select(Organisation).where(Organisation.acronym == acronym)
        ).scalar_one()
        version = services.create_specification(
            db, provider, data or complete_data(), Actor.system("test")
        )
        if publish:
            services.publish(db, version, Actor.system("test"))
        db.commit()
        return version.specification_id, version.specification.public_id


def versions(app: Flask, spec_id: int) -> list[tuple[int, VersionStatus, str]]:
    with app.app_context():
        rows = get_session().execute(
            select(
                SpecificationVersion.number, SpecificationVersion.status, SpecificationVersion.title
            )
            .where(SpecificationVersion.specification_id == spec_id)
            .order_by(SpecificationVersion.number)
        )
        return [(n, VersionStatus(s), t) for n, s, t in rows]


def spec_by_title(app: Flask, title: str) -> int | None:
    with app.app_context():
        return (
            get_session()
            .execute(
                select(Specification.id)
                .join(SpecificationVersion)
                .where(SpecificationVersion.title == title)
                .limit(1)
            )
            .scalar_one_or_none()
        )
