"""Demo micro-credentials: per demo provider, published specifications complete under Annex I
and one draft. Seeded through the services (audited like any change); idempotent by title."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from qaportal.audit.services import Actor
from qaportal.catalogue import services
from qaportal.catalogue.services import OutcomeData, SpecificationData
from qaportal.orgs.models import Organisation

UDV_QA = (
    "Internal quality assurance under the university's ESG-based QA system; institutional "
    "accreditation by the national accreditation council."
)
NVTC_QA = (
    "EQAVET-aligned internal quality cycle of the centre; vocational qualifications "
    "supervised by the Finnish National Agency for Education."
)

DEMO_SPECIFICATIONS: dict[str, list[dict[str, Any]]] = {
    "UDV": [
        {
            "title": "Data Literacy for Public Administration",
            "issuer_regions": ["DE", "DE-BY"],
            "awarding_bodies": [
                {"name": "University of Demoville", "url": "https://university.example.org"}
            ],
            "outcomes": [
                ("Analyse open government data sets with spreadsheets and simple statistics", ""),
                ("Evaluate the quality and bias of data used in administrative decisions", ""),
                ("Present findings from data to non-specialist colleagues in clear visuals", ""),
            ],
            "ects": Decimal("5"),
            "hours": 135,
            "eqf_level": 6,
            "qf_ehea_cycle": "first",
            "assessment_type": "Graded project report on a real data set, with an oral defence",
            "participation_form": "online",
            "quality_assurance": UDV_QA,
            "supervision": "supervised_online",
            "grading_scheme": "German grading scale 1.0–5.0; 4.0 is a pass",
            "integration": "stackable",
            "stackable_towards": "Certificate in Digital Public Administration (15 ECTS)",
            "languages": ["en", "de"],
            "isced_f": "0413",
            "price_note": "Free for employees of public administrations in Bavaria.",
        },
        {
            "title": "Sustainable Supply Chain Management",
            "issuer_regions": ["DE-BY"],
            "awarding_bodies": [{"name": "University of Demoville"}],
            "outcomes": [
                ("Assess the environmental footprint of a supply chain with life-cycle data", ""),
                ("Design procurement criteria that reduce emissions and social risks", ""),
                ("Justify sourcing decisions against the EU due-diligence requirements", ""),
            ],
            "ects": Decimal("3"),
            "hours": 80,
            "eqf_level": 7,
            "qf_ehea_cycle": "second",
            "assessment_type": "Written case-study exam of 120 minutes, supervised on campus",
            "participation_form": "blended",
            "quality_assurance": UDV_QA,
            "prerequisites": "A bachelor's degree in business, engineering or a related field.",
            "supervision": "onsite_with_id",
            "integration": "stand_alone",
            "languages": ["en"],
            "isced_f": "0413",
        },
        {
            "title": "Research Data Management Essentials",
            "issuer_regions": ["DE"],
            "awarding_bodies": [{"name": "University of Demoville"}],
            "outcomes": [
                ("Write a data management plan that meets funder requirements", ""),
                ("Apply the FAIR principles when documenting and sharing research data", ""),
            ],
            "ects": Decimal("2"),
            "hours": 55,
            "eqf_level": 8,
            "qf_ehea_cycle": "third",
            "assessment_type": "Peer-reviewed data management plan, graded pass/fail",
            "participation_form": "online",
            "quality_assurance": UDV_QA,
            "supervision": "unsupervised_no_id",
            "languages": ["en"],
        },
    ],
    "UDV-draft": [
        {
            "title": "Machine Learning for Engineers",
            "issuer_regions": ["DE-BY"],
            "awarding_bodies": [{"name": "University of Demoville"}],
            "outcomes": [("Train and validate regression models on engineering data", "")],
            "ects": Decimal("4"),
            "eqf_level": 7,
        }
    ],
    # A Finnish centre that teaches in Finnish (and Swedish) but describes its courses in
    # English: the exports tag these texts "en", the languages of instruction stay fi/sv.
    "NVTC": [
        {
            "title": "Heat Pump Installation and Maintenance",
            "issuer_regions": ["FI", "FI-18"],
            "awarding_bodies": [
                {"name": "Nordic Vocational Training Centre", "url": "https://vet.example.org"}
            ],
            "outcomes": [
                ("Install air-to-water heat pumps following the manufacturer's instructions", ""),
                ("Commission and adjust a heat pump system for a detached house", ""),
                ("Diagnose common faults and carry out annual maintenance safely", ""),
            ],
            "hours": 160,
            "eqf_level": 4,
            "assessment_type": "Practical demonstration on a training rig, seen by two assessors",
            "participation_form": "work_based",
            "participation_detail": "Three weeks at the centre, two weeks with a partner company",
            "quality_assurance": NVTC_QA,
            "supervision": "onsite_with_id",
            "grading_scheme": "Scale 1–5; 1 is a pass",
            "integration": "integrated",
            "languages": ["fi", "sv"],
            "text_language": "en",
            "isced_f": "0713",
        },
        {
            "title": "Welding Safety Certificate (MIG/MAG)",
            "issuer_regions": ["FI-18"],
            "awarding_bodies": [{"name": "Nordic Vocational Training Centre"}],
            "outcomes": [
                ("Identify the hazards of MIG/MAG welding and choose protective equipment", ""),
                ("Prepare a safe workplace for hot work, including fire watch", ""),
            ],
            "hours": 40,
            "eqf_level": 3,
            "assessment_type": "Practical test and a multiple-choice safety quiz on site",
            "participation_form": "onsite",
            "quality_assurance": NVTC_QA,
            "supervision": "onsite_with_id",
            "integration": "stand_alone",
            "languages": ["fi"],
            "text_language": "en",
            "isced_f": "0715",
            "price_note": "Funded by the regional employment services for job seekers.",
        },
        {
            "title": "Digital Skills for Care Workers",
            "issuer_regions": ["FI"],
            "awarding_bodies": [{"name": "Nordic Vocational Training Centre"}],
            "outcomes": [
                ("Use electronic patient records accurately and with data protection in mind", ""),
                ("Support older clients in using video calls and health apps", ""),
            ],
            "ects": Decimal("2"),
            "hours": 54,
            "level_not_applicable": True,
            "assessment_type": "Workplace assignments assessed by the tutor with a checklist",
            "participation_form": "blended",
            "quality_assurance": NVTC_QA,
            "supervision": "supervised_no_id",
            "languages": ["fi", "en"],
            "text_language": "en",
        },
    ],
    "NVTC-draft": [
        {
            "title": "Electric Vehicle Battery Handling",
            "issuer_regions": ["FI"],
            "outcomes": [("Handle high-voltage batteries safely in the workshop", "")],
            "hours": 24,
        }
    ],
}


def _data(values: dict[str, Any]) -> SpecificationData:
    values = dict(values)
    outcomes = [OutcomeData(s, uri or None) for s, uri in values.pop("outcomes")]
    return SpecificationData(outcomes=outcomes, **values)


def seed_catalogue(session: Session, providers: dict[str, Organisation], actor: Actor) -> None:
    """Published specifications and one draft per demo provider (skips existing titles)."""
    for key, provider in providers.items():
        for publish, group in ((True, key), (False, f"{key}-draft")):
            for values in DEMO_SPECIFICATIONS.get(group, []):
                if services.find_by_title(session, provider.id, values["title"]) is not None:
                    continue
                version = services.create_specification(session, provider, _data(values), actor)
                if publish:
                    services.publish(session, version, actor)
