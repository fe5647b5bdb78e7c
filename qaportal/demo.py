"""Demo data: an agency, two providers, reviewers and a user for every role.

Idempotent: running it again finds what is there and only prints the logins.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy.orm import Session

from qaportal.audit.services import Actor
from qaportal.auth.models import ReviewerCategory, ReviewerProfile, Role
from qaportal.auth.services import add_membership, create_user, find_user_by_email
from qaportal.db import get_session
from qaportal.orgs.models import OrgKind, Organisation
from qaportal.orgs.services import create_organisation, find_agency

AGENCY = {
    "legal_name": "Demo Agency for Quality Assurance",
    "acronym": "DAQA",
    "country": "AT",
    "website": "https://agency.example.org",
}
PROVIDERS = [
    {
        "legal_name": "University of Demoville",
        "acronym": "UDV",
        "country": "DE",
        "region": "DE-BY",
        "provider_type": "hei",
        "website": "https://university.example.org",
        "erasmus_code": "D DEMOVIL01",
    },
    {
        "legal_name": "Nordic Vocational Training Centre",
        "acronym": "NVTC",
        "country": "FI",
        "region": "FI-18",
        "provider_type": "vet",
        "website": "https://vet.example.org",
    },
]
# (email, name, role, organisation key): "agency" or the provider's acronym
ACCOUNTS = [
    ("admin@agency.example.org", "Ada Admin", Role.AGENCY_ADMIN, "agency"),
    ("officer@agency.example.org", "Oskar Officer", Role.AGENCY_OFFICER, "agency"),
    ("reviewer1@reviewers.example.org", "Rita Reviewer", Role.REVIEWER, "agency"),
    ("reviewer2@reviewers.example.org", "Ruben Reviewer", Role.REVIEWER, "agency"),
    ("admin@university.example.org", "Paula Provider", Role.PROVIDER_ADMIN, "UDV"),
    ("editor@university.example.org", "Emil Editor", Role.PROVIDER_EDITOR, "UDV"),
    ("admin@vet.example.org", "Vera Vocational", Role.PROVIDER_ADMIN, "NVTC"),
    ("editor@vet.example.org", "Viktor Editor", Role.PROVIDER_EDITOR, "NVTC"),
]
REVIEWERS = {
    "reviewer1@reviewers.example.org": (ReviewerCategory.ACADEMIC, "Curriculum design", "DE"),
    "reviewer2@reviewers.example.org": (ReviewerCategory.STUDENT, "Learner experience", "FI"),
}


@dataclass
class DemoLogin:
    role: str
    email: str
    organisation: str


@dataclass
class DemoLogins:
    password: str
    accounts: list[DemoLogin] = field(default_factory=list)


def demo_password(instance_path: Path) -> str:
    """Random per installation, kept in the instance folder so every run prints the same."""
    path = instance_path / "demo-password"
    if path.exists():
        return path.read_text().strip()
    password = "-".join(secrets.token_hex(3) for _ in range(4))  # 23 characters
    path.write_text(password)
    path.chmod(0o600)
    return password


def seed_demo(session: Session | None = None) -> DemoLogins:
    session = session or get_session()
    password = demo_password(Path(current_app.instance_path))
    actor = Actor.system("demo")
    agency = find_agency(session, AGENCY["legal_name"]) or create_organisation(
        session, OrgKind.AGENCY, actor, **AGENCY
    )
    orgs: dict[str, Organisation] = {"agency": agency}
    for profile in PROVIDERS:
        existing = session.query(Organisation).filter_by(legal_name=profile["legal_name"]).first()
        orgs[profile["acronym"]] = existing or create_organisation(
            session, OrgKind.PROVIDER, actor, managing_agency_id=agency.id, **profile
        )
    logins = DemoLogins(password=password)
    for email, name, role, org_key in ACCOUNTS:
        org = orgs[org_key]
        user = find_user_by_email(session, email) or create_user(session, email, name, password)
        membership = add_membership(session, user, org.id, role)
        if email in REVIEWERS and membership.reviewer_profile is None:
            category, expertise, country = REVIEWERS[email]
            membership.reviewer_profile = ReviewerProfile(
                category=category, expertise=expertise, country=country, languages="en"
            )
        logins.accounts.append(DemoLogin(role.value, email, org.display_name))
    session.commit()
    return logins
