"""Writing and verifying the audit trail. Knows nothing of the request: callers pass an Actor.

Most changes are recorded one event each (:func:`record`). Requests that anyone can repeat
without limit, failed and rate-limited sign-ins, go through :func:`record_repeated`: the
first of a burst from one source is recorded at once, the repeats are counted per window
(``audit_throttle``) and each closed window becomes one event with its count. Closed windows
are written before any other event, and when the trail is read or verified
(:func:`close_windows`), so the chain stays in order and nothing in it is ever rewritten.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from qaportal.audit.models import AuditChainHead, AuditEvent, AuditThrottle
from qaportal.db import utcnow

GENESIS_HASH = "0" * 64
THROTTLE_WINDOW = dt.timedelta(minutes=5)
_DISTINCT_VALUES_KEPT = 20


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


def _append(session: Session, head: AuditChainHead, event: AuditEvent) -> AuditEvent:
    event.prev_hash = head.last_hash
    event.hash = compute_hash(head.last_hash, event)
    session.add(event)
    session.flush()
    head.last_event_id = event.id
    head.last_hash = event.hash
    return event


def _json(details: Mapping[str, Any] | None) -> str:
    return json.dumps(dict(details or {}), sort_keys=True, default=str)


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
    now = utcnow()
    _close_due_windows(session, head, now)
    return _append(
        session,
        head,
        AuditEvent(
            occurred_at=now,
            actor_user_id=actor.user_id,
            actor_label=actor.label,
            action=action,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            organisation_id=organisation_id,
            ip_address=actor.ip_address,
            details=_json(details),
        ),
    )


# ----- repeated events, one per window --------------------------------------------------------


def window_start(moment: dt.datetime) -> dt.datetime:
    seconds = int(THROTTLE_WINDOW.total_seconds())
    epoch = int(moment.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % seconds, dt.UTC)


def source_of(actor: Actor) -> str:
    return (actor.ip_address or actor.label)[:64]


def record_repeated(
    session: Session,
    actor: Actor,
    action: str,
    *,
    object_type: str | None = None,
    object_id: Any = None,
    details: Mapping[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> AuditEvent | None:
    """Record an event that one source may repeat without limit (a failed sign-in, say).

    The first of a burst is an event at once (returned). Repeats from the same source are
    counted in the current window and written as one event with their count when the
    window closes; a window that follows a window with activity continues the burst, so a
    sustained flood adds one event per window. Returns None when the event was counted.
    """
    now = now or utcnow()
    head = _lock_head(session)
    _close_due_windows(session, head, now)
    source, start = source_of(actor), window_start(now)
    key = (AuditThrottle.action == action, AuditThrottle.source == source)
    row = session.execute(
        select(AuditThrottle).where(*key, AuditThrottle.window_start == start)
    ).scalar_one_or_none()
    if row is None:
        burst_goes_on = (
            session.execute(
                select(AuditThrottle.id).where(
                    *key, AuditThrottle.window_start == start - THROTTLE_WINDOW
                )
            ).first()
            is not None
        )
        row = AuditThrottle(
            action=action,
            source=source,
            window_start=start,
            first_at=now,
            last_at=now,
            count=0,
            actor_label=actor.label,
            ip_address=actor.ip_address,
            details="{}",
            closed=False,
        )
        session.add(row)
        if not burst_goes_on:
            return _append(
                session,
                head,
                AuditEvent(
                    occurred_at=now,
                    actor_user_id=actor.user_id,
                    actor_label=actor.label,
                    action=action,
                    object_type=object_type,
                    object_id=None if object_id is None else str(object_id),
                    organisation_id=None,
                    ip_address=actor.ip_address,
                    details=_json({**(details or {}), "count": 1}),
                ),
            )
    _count(row, now, object_type, object_id, details or {})
    session.flush()
    return None


def _count(
    row: AuditThrottle,
    now: dt.datetime,
    object_type: str | None,
    object_id: Any,
    details: Mapping[str, Any],
) -> None:
    object_id = None if object_id is None else str(object_id)
    if row.count == 0:
        row.first_at = now
        row.object_type, row.object_id = object_type, object_id
    elif (row.object_type, row.object_id) != (object_type, object_id):
        row.object_type = row.object_id = None  # several objects: the details list them
    row.count += 1
    row.last_at = now
    seen: dict[str, list[Any]] = json.loads(row.details or "{}")
    for name, value in details.items():
        values = seen.setdefault(name, [])
        if value not in values and len(values) < _DISTINCT_VALUES_KEPT:
            values.append(value)
    row.details = _json(seen)


def _close_due_windows(session: Session, head: AuditChainHead, now: dt.datetime) -> int:
    """Write every window that has ended as one event (if it counted any repeats); returns
    how many windows were closed."""
    rows = (
        session.execute(
            select(AuditThrottle)
            .where(
                AuditThrottle.closed.is_(False),
                AuditThrottle.window_start <= now - THROTTLE_WINDOW,
            )
            .order_by(AuditThrottle.window_start, AuditThrottle.id)
        )
        .scalars()
        .all()
    )
    if not rows:
        return 0
    for row in rows:
        row.closed = True
        if not row.count:
            continue
        summary = {
            **json.loads(row.details or "{}"),
            "count": row.count,
            "first": row.first_at.isoformat(timespec="seconds"),
            "last": row.last_at.isoformat(timespec="seconds"),
            "source": row.source,
        }
        _append(
            session,
            head,
            AuditEvent(
                occurred_at=now,
                actor_user_id=None,
                actor_label=row.actor_label,
                action=row.action,
                object_type=row.object_type,
                object_id=row.object_id,
                organisation_id=None,
                ip_address=row.ip_address,
                details=_json(summary),
            ),
        )
    # A closed window is kept one window longer: it tells the next one a burst goes on.
    session.execute(
        delete(AuditThrottle).where(
            AuditThrottle.closed.is_(True),
            AuditThrottle.window_start < now - 2 * THROTTLE_WINDOW,
        )
    )
    session.flush()
    return len(rows)


def close_windows(session: Session, now: dt.datetime | None = None) -> int:
    """Write the windows that have ended (before reading or verifying the trail); the caller
    commits if any were closed. Returns how many were closed."""
    now = now or utcnow()
    due = session.execute(
        select(AuditThrottle.id)
        .where(
            AuditThrottle.closed.is_(False),
            AuditThrottle.window_start <= now - THROTTLE_WINDOW,
        )
        .limit(1)
    ).first()
    if due is None:
        return 0
    return _close_due_windows(session, _lock_head(session), now)


def open_windows(session: Session, *, action: str | None = None) -> list[AuditThrottle]:
    """Windows still counting repeats that are not in the trail yet, oldest first."""
    stmt = select(AuditThrottle).where(AuditThrottle.closed.is_(False), AuditThrottle.count > 0)
    if action:
        stmt = stmt.where(AuditThrottle.action == action)
    return list(session.execute(stmt.order_by(AuditThrottle.first_at)).scalars())


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
