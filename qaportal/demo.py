"""Demo data: an agency, two providers, reviewers and a user for every role.

Idempotent: running it again finds what is there and only prints the logins.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, current_app
from sqlalchemy.orm import Session

from qaportal.audit.services import Actor
from qaportal.auth.models import ReviewerCategory, ReviewerProfile, Role, User
from qaportal.auth.services import add_membership, create_user, find_user_by_email
from qaportal.db import get_session, utcnow
from qaportal.frameworks.services import LoadResult, load_forms
from qaportal.orgs.models import Organisation, OrgKind
from qaportal.orgs.services import create_organisation, find_agency

if TYPE_CHECKING:
    from qaportal.cases.models import Case
    from qaportal.tasks import InProcessConsumer

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
        "legal_id": "5299000DEMOVILLE0099",
        "vat_id": "DE999999999",
        "street_address": "Universitätsplatz 1, 80000 Demoville, Germany",
    },
    {
        "legal_name": "Nordic Vocational Training Centre",
        "acronym": "NVTC",
        "country": "FI",
        "region": "FI-18",
        "provider_type": "vet",
        "website": "https://vet.example.org",
        "legal_id": "9999999-9",
        "vat_id": "FI99999999",
        "street_address": "Ammattikoulunkatu 5, 00100 Helsinki, Finland",
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
    shared_hash: list[str] = []
    for email, name, role, org_key in ACCOUNTS:
        org = orgs[org_key]
        user = find_user_by_email(session, email) or _demo_user(
            session, email, name, password, shared_hash
        )
        membership = add_membership(session, user, org.id, role)
        if email in REVIEWERS and membership.reviewer_profile is None:
            category, expertise, country = REVIEWERS[email]
            membership.reviewer_profile = ReviewerProfile(
                category=category, expertise=expertise, country=country, languages="en"
            )
        logins.accounts.append(DemoLogin(role.value, email, org.display_name))
    from qaportal.catalogue.demo_data import seed_catalogue

    seed_catalogue(session, {k: v for k, v in orgs.items() if k != "agency"}, actor)
    session.commit()
    return logins


def _demo_user(
    session: Session, email: str, name: str, password: str, shared_hash: list[str]
) -> User:
    """All demo logins share one password: hash it once (argon2id is slow on purpose, and
    the demo's start-up spent most of its time here), then reuse that hash."""
    if not shared_hash:
        user = create_user(session, email, name, password)
        shared_hash.append(user.password_hash or "")
        return user
    user = create_user(session, email, name)
    user.password_hash = shared_hash[0]
    user.password_changed_at = utcnow()
    session.flush()
    return user


def seed_frameworks(session: Session | None = None) -> list[LoadResult]:
    """Load the framework and questionnaire files (``qaportal forms load``); commits.

    Kept apart from ``seed_demo`` so that tests using the demo data build their own
    frameworks; the ``demo`` command calls both.
    """
    session = session or get_session()
    results = load_forms(
        session, Actor.system("demo"), extra_dir=current_app.config.get("FORMS_EXTRA_DIR")
    )
    session.commit()
    return results


# Narratives of the demo case, by criterion code (the first criteria of the EU principles).
DEMO_ANSWERS = {
    "P1.1": (
        "Every micro-credential is described by the mandatory elements of Annex I in our "
        "catalogue. The **programme board** checks each specification before it is published "
        "and again when it changes.\n\n- approval procedure (2024)\n- yearly review of the "
        "catalogue"
    ),
    "P1.2": (
        "Course teams evaluate each run of a course; the results go to the programme board, "
        "which decides on improvements. *Draft: add the 2025 figures.*"
    ),
}


def seed_demo_case(session: Session | None = None) -> str | None:
    """One draft case of the demo university with the demo agency, with a few answers.

    Needs the frameworks (``seed_frameworks``) and the catalogue. Idempotent: a second run
    finds the case and changes nothing. Returns the case reference (None if impossible).
    """
    from sqlalchemy import select

    from qaportal.auth.models import User
    from qaportal.cases import assessment
    from qaportal.cases import services as cases
    from qaportal.cases.models import Case
    from qaportal.frameworks.models import Criterion
    from qaportal.frameworks.services import find_framework

    session = session or get_session()
    agency = find_agency(session, AGENCY["legal_name"])
    university = (
        session.query(Organisation).filter_by(legal_name=PROVIDERS[0]["legal_name"]).first()
    )
    if agency is None or university is None:
        return None
    existing = (
        session.execute(
            select(Case)
            .where(Case.provider_id == university.id, Case.agency_id == agency.id)
            .order_by(Case.id)
        )
        .scalars()
        .first()
    )
    if existing is not None:
        return existing.reference
    actor = Actor.system("demo")
    if not cases.requirements_table(session, agency):
        choices = {}
        for code, ptype in (
            ("eu-microcredential-principles", ""),
            ("esg-2015-part1", "hei"),
            ("eqavet", "vet"),
        ):
            framework = find_framework(session, code)
            if framework is not None:
                choices[(framework.id, ptype)] = cases.Requirement.REQUIRED
        cases.set_requirements(session, agency, choices, actor)
    options = cases.framework_options(session, agency, university)
    scope = [s.specification_id for s in cases.scope_options(session, university)]
    if not options or not scope:
        return None
    paula = session.execute(
        select(User).where(User.email == "admin@university.example.org")
    ).scalar_one_or_none()
    case = cases.open_case(
        session,
        university,
        agency,
        framework_ids=[o.framework_id for o in options if o.required],
        specification_ids=scope,
        contact_name="Paula Provider",
        contact_email="admin@university.example.org",
        title="Review of the micro-credential provision",
        user=paula,
        actor=actor,
    )
    criteria = session.execute(
        select(Criterion).where(
            Criterion.framework_version_id.in_([cf.framework_version_id for cf in case.frameworks]),
            Criterion.code.in_(list(DEMO_ANSWERS)),
        )
    ).scalars()
    for criterion in criteria:
        spec = assessment.criterion_spec(session, criterion)
        rating = spec.scale[-2].value if len(spec.scale) >= 2 else None
        assessment.save_answer(
            session,
            case,
            criterion,
            assessment.AnswerData(DEMO_ANSWERS[criterion.code], rating, {}),
            0,
            paula,
            actor,
        )
    _demo_due_date(session, case, actor)
    session.commit()
    return case.reference


def _demo_due_date(session: Session, case: Case, actor: Actor) -> None:
    """The agency expects the demo draft in four weeks (shown on the case and dashboards)."""
    import datetime as dt

    from sqlalchemy import select

    from qaportal.auth.models import User
    from qaportal.cases import deadlines
    from qaportal.cases.models import CaseState
    from qaportal.db import utcnow

    officer = session.execute(
        select(User).where(User.email == "officer@agency.example.org")
    ).scalar_one_or_none()
    if officer is not None:
        due_on = utcnow().date() + dt.timedelta(days=28)
        deadlines.set_deadline(session, case, CaseState.DRAFT, due_on, officer, actor)


def seed_demo_feedback(session: Session | None = None) -> int | None:
    """A learner feedback campaign of the demo university with 12 anonymous responses
    (needs the catalogue and the questionnaires). Idempotent; commits. Returns its id."""
    from qaportal.feedback.demo_data import seed_demo_feedback as seed

    session = session or get_session()
    campaign_id = seed(session, PROVIDERS[0]["legal_name"])
    session.commit()
    return campaign_id


@dataclass
class DemoSummary(DemoLogins):
    frameworks: list[LoadResult] = field(default_factory=list)
    case_reference: str | None = None
    campaign_id: int | None = None
    stage_references: list[str] = field(default_factory=list)


def seed_stage_cases(session: Session | None = None) -> list[str]:
    """The cases at later stages (qaportal/demo_cases.py), after the draft. Idempotent;
    commits each case. Returns their references."""
    from qaportal.demo_cases import seed_stage_cases as seed

    session = session or get_session()
    agency = find_agency(session, AGENCY["legal_name"])
    return seed(session, agency) if agency is not None else []


def seed_all(session: Session | None = None, *, stages: bool = True) -> DemoSummary:
    """Everything `qaportal demo` shows: organisations and users, catalogue, frameworks, a
    draft case, a feedback campaign and (``stages``) cases at each later stage of a review.
    Idempotent. Without ``stages`` the draft is the only case (tests of a portal's first
    steps, and of the empty dashboards, use that)."""
    session = session or get_session()
    logins = seed_demo(session)
    summary = DemoSummary(password=logins.password, accounts=logins.accounts)
    summary.frameworks = seed_frameworks(session)
    summary.case_reference = seed_demo_case(session)
    summary.campaign_id = seed_demo_feedback(session)
    if stages and summary.case_reference is not None:
        summary.stage_references = seed_stage_cases(session)
    return summary


# ----- serving ------------------------------------------------------------------------------


def demo_base_url(host: str, port: int) -> str:
    """The address the demo serves at, as links in pages and mail should show it."""
    # "All interfaces" is no address a browser can open; this machine's own name is.
    shown = "localhost" if host in {"", "0.0.0.0", "::"} else host  # noqa: S104
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def prepare_serving(app: Flask, host: str, port: int) -> InProcessConsumer | None:
    """What `qaportal demo` sets up before it serves: links point at ``host``:``port``
    (unless QAPORTAL_BASE_URL names another address), and background jobs run in this
    process, so the demo needs no `qaportal worker` beside it. The consumer to stop
    afterwards, or None when the queue runs tasks at once anyway."""
    from qaportal.tasks import InProcessConsumer

    if not os.environ.get("QAPORTAL_BASE_URL"):
        app.config["BASE_URL"] = demo_base_url(host, port)
    if app.config.get("QUEUE_IMMEDIATE"):
        return None
    return InProcessConsumer(app, workers=int(app.config.get("QUEUE_WORKERS") or 1)).start()
