"""The world the access matrix runs in: the full demo data set plus one object of every kind
that a route can address, and a signed-in client per persona."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import select

from qaportal.auth.models import Membership, OneTimeToken, Role, User
from qaportal.cases.models import Case
from qaportal.catalogue.models import Specification, SpecificationVersion, VersionStatus
from qaportal.db import get_session
from qaportal.evidence.models import Evidence
from qaportal.feedback.models import Campaign
from qaportal.notifications.models import OutboxMessage
from qaportal.orgs.models import Organisation

PERSONAS = {
    "anonymous": None,
    "agency_admin": "admin@agency.example.org",
    "agency_officer": "officer@agency.example.org",
    # Invited to the world's case as chair, not yet declared: sees nothing of it.
    "reviewer": "reviewer1@reviewers.example.org",
    # Sits on the world's case's panel (accepted, no conflict, announced).
    "panel_reviewer": "reviewer2@reviewers.example.org",
    "provider_admin": "admin@university.example.org",
    "provider_editor": "editor@university.example.org",
    "other_provider": "admin@vet.example.org",
}


@dataclass
class World:
    password: str
    ids: dict[str, Any]


def build_world(app: Flask, *, reset: bool = False) -> World:
    """Seed like `qaportal demo`, then add what the demo lacks (an outbox message, a pending
    invitation, evidence) and collect the ids the route templates need. ``reset`` empties
    the database first."""
    from qaportal.demo import seed_all
    from tests.conftest import empty_database

    if reset:
        empty_database(app.extensions["qaportal.engine"])

    with app.app_context():
        logins = seed_all(stages=False)
        db = get_session()
        agency = db.execute(select(Organisation).where(Organisation.acronym == "DAQA")).scalar_one()
        university = db.execute(
            select(Organisation).where(Organisation.acronym == "UDV")
        ).scalar_one()
        # The demo's draft: the world adds its panel, decision and documents to it.
        case = db.execute(
            select(Case).where(
                Case.provider_id == university.id, Case.reference == logins.case_reference
            )
        ).scalar_one()
        ids: dict[str, Any] = {"agency": agency.id, "provider": university.id, "case": case.id}
        ids["criterion"] = _first_criterion(db, case)
        ids["evidence"] = _evidence(app, db, case, ids["criterion"])
        spec = (
            db.execute(
                select(Specification)
                .join(SpecificationVersion)
                .where(
                    Specification.provider_id == university.id,
                    SpecificationVersion.status == VersionStatus.PUBLISHED,
                )
            )
            .scalars()
            .first()
        )
        ids["spec"] = spec.id
        ids["public_id"] = spec.public_id
        ids["campaign"] = (
            db.execute(select(Campaign.id).where(Campaign.provider_id == university.id))
            .scalars()
            .first()
        )
        ids["job"] = _summary_job(db, ids["campaign"], case)
        ids["import_job"] = _import_job(db, university.id)
        ids["editor_membership"] = _membership(db, "editor@university.example.org", university.id)
        ids["reviewer_membership"] = _membership(db, "reviewer2@reviewers.example.org", agency.id)
        ids["invitation"] = _pending_invitation(app, db, university)
        ids.update(_panel(db, case))
        ids["condition"], ids["complaint"] = _decision_condition(db, case)
        ids["report_document"], ids["report_job"] = _report_document(app, db, case)
        message = OutboxMessage(
            to_address="someone@example.org",
            subject="Hello",
            body_text="Body",
            organisation_id=agency.id,
        )
        db.add(message)
        db.commit()
        ids["message"] = message.id
    return World(logins.password, ids)


def _summary_job(db: Any, campaign_id: int, case: Case) -> str:
    """A feedback-summary job of the campaign, as its status page would find it."""
    from qaportal.audit.services import Actor
    from qaportal.jobs.services import create_job

    payload = {"campaign": campaign_id, "case": case.id, "case_reference": case.reference}
    return create_job(db, "feedback-summary", payload, actor=Actor.system("test")).id


def _import_job(db: Any, provider_id: int) -> str:
    """A catalogue CSV import job of the provider, as its progress page would find it."""
    from qaportal.audit.services import Actor
    from qaportal.catalogue.import_jobs import JOB_KIND
    from qaportal.jobs.services import create_job

    payload = {"provider": provider_id, "filename": "catalogue.csv", "rows": 300}
    return create_job(db, JOB_KIND, payload, actor=Actor.system("test")).id


def _first_criterion(db: Any, case: Case) -> int:
    from qaportal.frameworks.models import Criterion

    version_ids = [cf.framework_version_id for cf in case.frameworks]
    return (
        db.execute(
            select(Criterion.id)
            .where(Criterion.framework_version_id.in_(version_ids))
            .order_by(Criterion.id)
        )
        .scalars()
        .first()
    )


def _evidence(app: Flask, db: Any, case: Case, criterion_id: int) -> int:
    from qaportal.audit.services import Actor
    from qaportal.evidence import services as evidence
    from qaportal.evidence.storage import get_storage

    existing = db.execute(select(Evidence.id).where(Evidence.case_id == case.id)).scalar()
    if existing:
        return existing
    user = db.execute(select(User).where(User.email == "admin@university.example.org")).scalar_one()
    storage = get_storage(app)
    received = evidence.receive(storage, io.BytesIO(b"Our quality manual.\n"), "manual.txt")
    item = evidence.add_evidence(
        db,
        storage,
        case,
        received,
        title="Quality manual",
        criterion_ids=[criterion_id],
        user=user,
        actor=Actor(user.id, user.email),
    )
    db.commit()
    return item.id


def _membership(db: Any, email: str, org_id: int) -> int:
    return db.execute(
        select(Membership.id)
        .join(User)
        .where(User.email == email, Membership.organisation_id == org_id)
    ).scalar_one()


def _pending_invitation(app: Flask, db: Any, university: Organisation) -> int:
    from qaportal.audit.services import Actor
    from qaportal.auth.invitations import LinkSettings, invite

    record = invite(
        db,
        university,
        "new.editor@university.example.org",
        Role.PROVIDER_EDITOR,
        Actor.system("test"),
        LinkSettings.from_config(app.config),
    )
    db.commit()
    assert isinstance(record, OneTimeToken)
    return record.id


def _panel(db: Any, case: Case) -> dict[str, int]:
    """Reviewer 1 invited as chair (undeclared), reviewer 2 an active, announced member
    with an open objection of the provider. Made directly: the world's case is a draft."""
    from qaportal.db import utcnow
    from qaportal.reviews.models import MemberStatus, PanelMember, PanelObjection, PanelRole

    users = {
        u.email: u.id
        for u in db.execute(
            select(User).where(User.email.in_([PERSONAS["reviewer"], PERSONAS["panel_reviewer"]]))
        ).scalars()
    }
    invited = PanelMember(
        case_id=case.id, user_id=users[PERSONAS["reviewer"]], role=PanelRole.CHAIR
    )
    active = PanelMember(
        case_id=case.id,
        user_id=users[PERSONAS["panel_reviewer"]],
        role=PanelRole.STUDENT,
        status=MemberStatus.ACTIVE,
        responded_at=utcnow(),
        announced_at=utcnow(),
    )
    db.add_all([invited, active])
    db.flush()
    objection = PanelObjection(case_id=case.id, member_id=active.id, reason="A tie")
    db.add(objection)
    # A factual-accuracy comment of the provider, for the panel's response route.
    from qaportal.reviews.models import FactualComment

    comment = FactualComment(case_id=case.id, comment="A date is wrong")
    db.add(comment)
    db.commit()
    return {
        "panel_invitation": invited.id,
        "panel_member": active.id,
        "objection": objection.id,
        "factual_comment": comment.id,
    }


def _decision_condition(db: Any, case: Case) -> tuple[int, int]:
    """A decision with one condition and a complaint on the world's case (its state is left
    alone: the decision routes refuse by state after access has been checked)."""
    import datetime as dt

    from qaportal.decisions.models import (
        Complaint,
        Decision,
        DecisionCondition,
        DecisionStatus,
        EqaStatus,
        Outcome,
    )

    decision = Decision(
        case_id=case.id,
        status=DecisionStatus.CURRENT,
        outcome=Outcome.CONDITIONAL,
        eqa_status=EqaStatus.VOLUNTARY,
        rationale="Conditions apply.",
        decided_on=dt.date(2026, 1, 1),
        conditions=[DecisionCondition(text="Publish results", due_on=dt.date(2027, 1, 1))],
    )
    complaint = Complaint(case_id=case.id, text="Too slow")
    db.add_all([decision, complaint])
    db.commit()
    return decision.conditions[0].id, complaint.id


def _report_document(app: Flask, db: Any, case: Case) -> tuple[int, str]:
    """A stored self-assessment PDF of the world's case (version 1) and a rendering job."""
    import hashlib

    from qaportal.audit.services import Actor
    from qaportal.jobs.services import create_job
    from qaportal.reporting.models import GeneratedDocument
    from qaportal.reporting.store import get_store

    data = b"%PDF-1.7\n% the world's self-assessment\n%%EOF\n"
    name = f"{case.id}/self-assessment/v1-{hashlib.sha256(data).hexdigest()[:12]}.pdf"
    store = get_store(app)
    if not store.exists(name):
        store.add(name, data)
    document = GeneratedDocument(
        case_id=case.id,
        kind="self-assessment",
        version=1,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        storage_path=name,
    )
    db.add(document)
    payload = {"case": case.id, "case_reference": case.reference, "kind": "self-assessment"}
    job = create_job(
        db, "report-document", payload, actor=Actor.system("test"), organisation_id=case.agency_id
    )
    db.commit()
    return document.id, job.id


def mark_case_submitted(app: Flask, world: World) -> None:
    """Put the world's case in the state submission leaves it in (the completeness guard
    of the real transition is tested in tests/test_workflow.py, not here)."""
    from qaportal.cases.models import CaseState
    from qaportal.db import utcnow

    with app.app_context():
        db = get_session()
        case = db.get(Case, world.ids["case"])
        case.state = CaseState.SUBMITTED
        case.submitted_at = utcnow()
        db.commit()
