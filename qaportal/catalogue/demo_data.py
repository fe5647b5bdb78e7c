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
# Real ESCO skill concepts (ESCO v1.2) the demo outcomes link to, by preferred label.
ESCO_SPREADSHEETS = "http://data.europa.eu/esco/skill/1973c966-f236-40c9-b2d4-5d71a89019be"
ESCO_EVALUATE_DATA = "http://data.europa.eu/esco/skill/1d6c7de4-350e-4868-a47b-333b4b0d9650"
ESCO_VISUAL_DATA = "http://data.europa.eu/esco/skill/c0326e27-5fa8-4dca-aecb-ed89ab491513"
ESCO_RESEARCH_DATA = "http://data.europa.eu/esco/skill/08b04e53-ed25-41a2-9f90-0b9cd939ba3d"
ESCO_TECHNICAL_PROBLEMS = "http://data.europa.eu/esco/skill/14832d87-2f2f-4895-b290-e4760ebae42a"
ESCO_E_SERVICES = "http://data.europa.eu/esco/skill/16a00c69-9c74-4c37-96d7-6301d285e5ce"

# The awarding bodies with the identifiers the exports carry (legal, VAT, address, region).
UDV_BODY = {
    "name": "University of Demoville",
    "url": "https://university.example.org",
    "legal_id": "5299000DEMOVILLE0099",
    "vat_id": "DE999999999",
    "country": "DE",
    "region": "DE-BY",
    "address": "Universitätsplatz 1, 80000 Demoville, Germany",
}
NVTC_BODY = {
    "name": "Nordic Vocational Training Centre",
    "url": "https://vet.example.org",
    "legal_id": "9999999-9",
    "vat_id": "FI99999999",
    "country": "FI",
    "region": "FI-18",
    "address": "Ammattikoulunkatu 5, 00100 Helsinki, Finland",
}
# A second awarding body that is not the provider: only its name and identifiers.
CHAMBER_BODY = {
    "name": "Demoville Chamber of Industry and Commerce",
    "url": "https://chamber.example.org",
    "legal_id": "DE-CHAMBER-0042",
    "country": "DE",
    "region": "DE-BY",
}

NVTC_QA = (
    "EQAVET-aligned internal quality cycle of the centre; vocational qualifications "
    "supervised by the Finnish National Agency for Education."
)

DEMO_SPECIFICATIONS: dict[str, list[dict[str, Any]]] = {
    "UDV": [
        {
            "title": "Data Literacy for Public Administration",
            "issuer_regions": ["DE", "DE-BY"],
            "awarding_bodies": [UDV_BODY],
            "outcomes": [
                (
                    "Analyse open government data sets with spreadsheets and simple statistics",
                    ESCO_SPREADSHEETS,
                ),
                (
                    "Evaluate the quality and bias of data used in administrative decisions",
                    ESCO_EVALUATE_DATA,
                ),
                (
                    "Present findings from data to non-specialist colleagues in clear visuals",
                    ESCO_VISUAL_DATA,
                ),
            ],
            "ects": Decimal("5"),
            "hours": 135,
            "eqf_level": 6,
            "nqf_level": 6,
            "max_duration_weeks": 12,
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
            "awarding_bodies": [UDV_BODY, CHAMBER_BODY],
            "outcomes": [
                ("Assess the environmental footprint of a supply chain with life-cycle data", ""),
                ("Design procurement criteria that reduce emissions and social risks", ""),
                ("Justify sourcing decisions against the EU due-diligence requirements", ""),
            ],
            "ects": Decimal("3"),
            "hours": 80,
            "eqf_level": 7,
            "nqf_level": 7,
            "max_duration_weeks": 16,
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
                (
                    "Write a data management plan that meets funder requirements",
                    ESCO_RESEARCH_DATA,
                ),
                ("Apply the FAIR principles when documenting and sharing research data", ""),
            ],
            "ects": Decimal("2"),
            "hours": 55,
            "eqf_level": 8,
            "max_duration_weeks": 6,
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
            "awarding_bodies": [NVTC_BODY],
            "outcomes": [
                ("Install air-to-water heat pumps following the manufacturer's instructions", ""),
                ("Commission and adjust a heat pump system for a detached house", ""),
                (
                    "Diagnose common faults and carry out annual maintenance safely",
                    ESCO_TECHNICAL_PROBLEMS,
                ),
            ],
            "hours": 160,
            "eqf_level": 4,
            "nqf_level": 4,
            "max_duration_weeks": 8,
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
            "nqf_level": 3,
            "max_duration_weeks": 2,
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
                ("Support older clients in using video calls and health apps", ESCO_E_SERVICES),
            ],
            "ects": Decimal("2"),
            "hours": 54,
            "level_not_applicable": True,
            "max_duration_weeks": 10,
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
