"""Reading the audit trail as an agency sees it: its own events, those of the providers it
manages, and the organisation-less events (sign-ins, account changes) of their people.

A page is two statements (count and rows), however many events it shows, and one more per
type of object on it whose names are looked up (:mod:`qaportal.audit.words`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from qaportal.audit import words
from qaportal.audit.models import AuditEvent, AuditThrottle
from qaportal.auth.models import Membership
from qaportal.orgs.models import Organisation, OrgKind
from qaportal.pagination import Page, paginate

EVENTS_PER_PAGE = 50


@dataclass(frozen=True)
class AuditFilters:
    action: str | None = None  # prefix, e.g. "auth." or "organisation.updated"
    actor: str | None = None  # part of the actor's email / label
    object_type: str | None = None
    object_id: str | None = None
    organisation_id: int | None = None
    date_from: dt.date | None = None  # inclusive, UTC
    date_to: dt.date | None = None  # inclusive, UTC


@dataclass(frozen=True)
class AuditRow:
    id: int
    occurred_at: dt.datetime
    actor: str
    actor_user_id: int | None
    action: str
    object_type: str | None
    object_id: str | None
    organisation_id: int | None
    organisation: str | None
    ip_address: str | None
    sentence: str  # who did what to which object, in words
    object_label: str | None
    details: list[tuple[str, str]]  # (label, value)


def scope_organisations(session: Session, agency_id: int) -> list[tuple[int, str]]:
    """(id, name) of the agency and the providers it manages, the agency first."""
    rows = session.execute(
        select(Organisation.id, Organisation.legal_name, Organisation.acronym, Organisation.kind)
        .where(
            or_(
                Organisation.id == agency_id,
                and_(
                    Organisation.managing_agency_id == agency_id,
                    Organisation.kind == OrgKind.PROVIDER,
                ),
            )
        )
        .order_by(Organisation.kind, func.lower(Organisation.legal_name))
    ).all()
    return [(oid, f"{name} ({acronym})" if acronym else name) for oid, name, acronym, _k in rows]


def _scope_org_ids(agency_id: int) -> Select[Any]:
    return select(Organisation.id).where(
        or_(Organisation.id == agency_id, Organisation.managing_agency_id == agency_id)
    )


def _member_id_strings(agency_id: int) -> Select[Any]:
    return select(cast(Membership.user_id, String)).where(
        Membership.organisation_id.in_(_scope_org_ids(agency_id))
    )


def _scope_condition(agency_id: int) -> ColumnElement[bool]:
    org_ids = _scope_org_ids(agency_id)
    member_ids = select(Membership.user_id).where(Membership.organisation_id.in_(org_ids))
    member_id_strings = _member_id_strings(agency_id)
    return or_(
        AuditEvent.organisation_id.in_(org_ids),
        and_(
            AuditEvent.organisation_id.is_(None),
            or_(
                AuditEvent.actor_user_id.in_(member_ids),
                and_(AuditEvent.object_type == "user", AuditEvent.object_id.in_(member_id_strings)),
            ),
        ),
    )


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def events_statement(agency_id: int, filters: AuditFilters) -> Select[Any]:
    stmt = (
        select(AuditEvent, Organisation.legal_name, Organisation.acronym)
        .outerjoin(Organisation, AuditEvent.organisation_id == Organisation.id)
        .where(_scope_condition(agency_id))
    )
    if filters.action:
        stmt = stmt.where(AuditEvent.action.startswith(filters.action, autoescape=True))
    if filters.actor:
        stmt = stmt.where(
            func.lower(AuditEvent.actor_label).contains(filters.actor.lower(), autoescape=True)
        )
    if filters.object_type:
        stmt = stmt.where(AuditEvent.object_type == filters.object_type)
    if filters.object_id:
        stmt = stmt.where(AuditEvent.object_id == filters.object_id)
    if filters.organisation_id is not None:
        stmt = stmt.where(AuditEvent.organisation_id == filters.organisation_id)
    if filters.date_from:
        stmt = stmt.where(AuditEvent.occurred_at >= _start_of(filters.date_from))
    if filters.date_to:
        stmt = stmt.where(
            AuditEvent.occurred_at < _start_of(filters.date_to + dt.timedelta(days=1))
        )
    return stmt.order_by(AuditEvent.id.desc())


def events_page(session: Session, agency_id: int, filters: AuditFilters, number: int) -> Page:
    """One page of events in words: the page's two statements and one more per object type
    whose names are looked up."""
    page = paginate(session, events_statement(agency_id, filters), number, EVENTS_PER_PAGE)
    events = [event for event, _n, _a in page.items]
    names = words.object_names(session, events)
    coded = words.object_values(session, events)
    rows = []
    for event, name, acronym in page.items:
        the_object = (event.object_type or "", event.object_id or "")
        said = words.describe(
            event.action,
            event.actor_label,
            event.object_type,
            event.object_id,
            words.load_details(event.details),
            names.get(the_object),
            coded.get(the_object),
        )
        rows.append(
            AuditRow(
                id=event.id,
                occurred_at=event.occurred_at,
                actor=event.actor_label,
                actor_user_id=event.actor_user_id,
                action=event.action,
                object_type=event.object_type,
                object_id=event.object_id,
                organisation_id=event.organisation_id,
                organisation=(f"{name} ({acronym})" if acronym else name) if name else None,
                ip_address=event.ip_address,
                sentence=said.sentence,
                object_label=said.object_label,
                details=said.details,
            )
        )
    page.items = rows
    return page


@dataclass(frozen=True)
class BurstRow:
    """Repeats still being counted: they join the trail as one event when the window ends."""

    action: str
    source: str
    count: int
    first_at: dt.datetime
    last_at: dt.datetime
    object_type: str | None
    object_id: str | None
    sentence: str
    details: list[tuple[str, str]]


def bursts_in_progress(session: Session, agency_id: int) -> list[BurstRow]:
    """Open windows aimed at the accounts the agency sees (as the trail's own scope does)."""
    rows = (
        session.execute(
            select(AuditThrottle)
            .where(
                AuditThrottle.closed.is_(False),
                AuditThrottle.count > 0,
                AuditThrottle.object_type == "user",
                AuditThrottle.object_id.in_(_member_id_strings(agency_id)),
            )
            .order_by(AuditThrottle.last_at.desc())
        )
        .scalars()
        .all()
    )
    names = words.object_names(session, rows)
    coded = words.object_values(session, rows)
    bursts = []
    for row in rows:
        the_object = (row.object_type or "", row.object_id or "")
        said = words.describe(
            row.action,
            row.actor_label,
            row.object_type,
            row.object_id,
            words.load_details(row.details),
            names.get(the_object),
            coded.get(the_object),
        )
        bursts.append(
            BurstRow(
                action=row.action,
                source=row.source,
                count=row.count,
                first_at=row.first_at,
                last_at=row.last_at,
                object_type=row.object_type,
                object_id=row.object_id,
                sentence=said.sentence,
                details=said.details,
            )
        )
    return bursts
