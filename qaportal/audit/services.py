"""Writing and verifying the audit trail. Knows nothing of the request: callers pass an Actor."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qaportal.audit.models import AuditChainHead, AuditEvent
from qaportal.db import utcnow

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in user, or an anonymous visitor / the system (user_id None)."""

    user_id: int | None
    label: str
    ip_address: str | None = None

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(user_id=None, label=label)


def _canonical(event: AuditEvent) -> bytes:
    payload = {
        "occurred_at": event.occurred_at.isoformat(timespec="microseconds"),
        "actor_user_id": event.actor_user_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "organisation_id": event.organisation_id,
        "ip_address": event.ip_address,
        "details": event.details,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def compute_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256(prev_hash.encode() + b"|" + _canonical(event)).hexdigest()


def _lock_head(session: Session) -> AuditChainHead:
    head = session.execute(
        select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditChainHead(id=1, last_event_id=None, last_hash=GENESIS_HASH)
        session.add(head)
        session.flush()
    return head


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    object_type: str | None = None,
    object_id: Any = None,
    organisation_id: int | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append an event in the caller's transaction (it commits or rolls back with the change)."""
    head = _lock_head(session)
    event = AuditEvent(
        occurred_at=utcnow(),
        actor_user_id=actor.user_id,
        actor_label=actor.label,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        organisation_id=organisation_id,
        ip_address=actor.ip_address,
        details=json.dumps(dict(details or {}), sort_keys=True, default=str),
        prev_hash=head.last_hash,
    )
    event.hash = compute_hash(head.last_hash, event)
    session.add(event)
    session.flush()
    head.last_event_id = event.id
    head.last_hash = event.hash
    return event


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_event_id: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_event_id is None


def verify_chain(session: Session) -> ChainReport:
    """Walk the trail in order; report the first event whose link or content does not match."""
    prev_hash = GENESIS_HASH
    checked = 0
    last_id = None
    for event in session.execute(
        select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=1000)
    ).scalars():
        if event.prev_hash != prev_hash:
            return ChainReport(checked, event.id, "link to the previous event does not match")
        if compute_hash(prev_hash, event) != event.hash:
            return ChainReport(checked, event.id, "content does not match its hash")
        prev_hash = event.hash
        last_id = event.id
        checked += 1
    head = session.get(AuditChainHead, 1)
    if head is not None and head.last_event_id != last_id:
        return ChainReport(checked, head.last_event_id, "newest events are missing")
    return ChainReport(checked)


def event_details(event: AuditEvent) -> dict[str, Any]:
    return json.loads(event.details or "{}")
