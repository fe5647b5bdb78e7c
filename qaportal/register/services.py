"""Publishing a decision in the register and withdrawing it: the agency's explicit steps.

Publishing also publishes the case's current accreditation-report version (through
:mod:`qaportal.reporting.services`, so the report is verifiable on ``/verify``); withdrawing
also withdraws the published report versions, which then verify as withdrawn. Both are
audited in the caller's transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from qaportal.audit.services import Actor, record
from qaportal.auth.models import User
from qaportal.cases.models import Case, CaseScope
from qaportal.catalogue.models import SpecificationVersion
from qaportal.db import utcnow
from qaportal.decisions.models import Decision, DecisionStatus
from qaportal.register import queries
from qaportal.register.models import RegisterPublication
from qaportal.reporting import services as reporting
from qaportal.reporting.models import GeneratedDocument
from qaportal.web.cache import public_content_changed


class PublicationRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def current_decision(session: Session, case: Case) -> Decision | None:
    return session.execute(
        select(Decision).where(
            Decision.case_id == case.id, Decision.status == DecisionStatus.CURRENT
        )
    ).scalar_one_or_none()


def publication_of(session: Session, decision: Decision) -> RegisterPublication | None:
    return session.execute(
        select(RegisterPublication).where(RegisterPublication.decision_id == decision.id)
    ).scalar_one_or_none()


def candidate_report(session: Session, case: Case) -> GeneratedDocument | None:
    """The accreditation-report version publishing would make public: the newest one that is
    neither superseded nor withdrawn."""
    return session.execute(
        select(GeneratedDocument)
        .where(
            GeneratedDocument.case_id == case.id,
            GeneratedDocument.kind == queries.ACCREDITATION_REPORT,
            GeneratedDocument.superseded_at.is_(None),
            GeneratedDocument.withdrawn_at.is_(None),
        )
        .order_by(GeneratedDocument.version.desc())
        .limit(1)
    ).scalar()


@dataclass(frozen=True)
class PanelState:
    """What the decision page shows of the register (for the agency's staff)."""

    decision_id: int
    published_at: dt.datetime | None  # None: not in the register now
    withdrawn_at: dt.datetime | None
    may_publish: bool


def panel_state(session: Session, case: Case) -> PanelState | None:
    decision = current_decision(session, case)
    if decision is None:
        return None
    publication = publication_of(session, decision)
    live = publication is not None and publication.withdrawn_at is None
    return PanelState(
        decision_id=decision.id,
        published_at=publication.published_at if live and publication else None,
        withdrawn_at=publication.withdrawn_at if publication else None,
        may_publish=not live,
    )


def publish_refusal(session: Session, decision: Decision | None) -> str | None:
    if decision is None:
        return str(_l("There is no current decision to publish."))
    publication = publication_of(session, decision)
    if publication is not None and publication.withdrawn_at is None:
        return str(_l("This decision is already in the register."))
    return None


def _search_text(session: Session, case: Case, summary: str) -> str:
    titles = session.execute(
        select(SpecificationVersion.title)
        .join(CaseScope, CaseScope.specification_id == SpecificationVersion.specification_id)
        .where(CaseScope.case_id == case.id)
        .order_by(SpecificationVersion.number)
    ).scalars()
    return "\n".join([case.provider.display_name, *dict.fromkeys(titles), summary]).lower()


def preview(session: Session, case: Case, decision: Decision) -> queries.PublishedDecision:
    """Exactly what the register will show once ``decision`` is published."""
    publication = RegisterPublication(summary=decision.rationale, published_at=utcnow())
    shown = queries.assemble(session, [(publication, decision, case, case.provider, case.agency)])
    report = candidate_report(session, case)
    if report is None:
        return shown[0]
    return dataclasses.replace(
        shown[0],
        report=queries.PublishedReport(
            document_id=report.id,
            version=report.version,
            verification_code=report.verification_code,
            sha256=report.sha256,
            size=report.size,
            locale=report.locale,
            published_at=report.published_at or utcnow(),
        ),
    )


def publish(
    session: Session, case: Case, decision: Decision, *, user: User, actor: Actor
) -> RegisterPublication:
    refusal = publish_refusal(session, decision)
    if refusal:
        raise PublicationRefused(refusal)
    publication = publication_of(session, decision)
    if publication is None:
        publication = RegisterPublication(decision_id=decision.id)
        session.add(publication)
    publication.summary = decision.rationale
    publication.search_text = _search_text(session, case, decision.rationale)
    publication.published_at = utcnow()
    publication.published_by_id = user.id
    publication.withdrawn_at = None
    publication.withdrawn_by_id = None
    publication.withdrawal_reason = None
    report = candidate_report(session, case)
    if report is not None and report.published_at is None:
        reporting.publish(session, report, user=user, actor=actor)
    session.flush()
    public_content_changed(session)
    record(
        session,
        actor,
        "register.published",
        object_type="decision",
        object_id=decision.id,
        organisation_id=case.agency_id,
        details={
            "case": case.reference,
            "outcome": str(decision.outcome),
            "report_version": report.version if report else None,
        },
    )
    return publication


def withdraw(
    session: Session,
    case: Case,
    publication: RegisterPublication,
    reason: str,
    *,
    user: User,
    actor: Actor,
) -> None:
    if publication.withdrawn_at is not None:
        raise PublicationRefused(str(_l("This decision is not in the register.")))
    publication.withdrawn_at = utcnow()
    publication.withdrawn_by_id = user.id
    publication.withdrawal_reason = reason
    reports = session.execute(
        select(GeneratedDocument).where(
            GeneratedDocument.case_id == case.id,
            GeneratedDocument.kind == queries.ACCREDITATION_REPORT,
            GeneratedDocument.published_at.is_not(None),
            GeneratedDocument.withdrawn_at.is_(None),
        )
    ).scalars()
    withdrawn = []
    for report in reports:
        reporting.withdraw(session, report, reason, user=user, actor=actor)
        withdrawn.append(report.version)
    public_content_changed(session)
    record(
        session,
        actor,
        "register.withdrawn",
        object_type="decision",
        object_id=publication.decision_id,
        organisation_id=case.agency_id,
        details={"case": case.reference, "reason": reason, "report_versions": withdrawn},
    )
