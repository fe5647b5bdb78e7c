"""The append-only, hash-chained audit trail."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from qaportal.db import Base, UTCDateTime


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_label: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str | None] = mapped_column(String(60))
    object_id: Mapped[str | None] = mapped_column(String(60))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditChainHead(Base):
    """One row: the newest link. Locking it serialises writers so the chain never forks."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_event_id: Mapped[int | None] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))


class AuditThrottle(Base):
    """Repeats of one action from one source within one window, not yet in the chain.

    Not chained and not append-only: it is a counter. A closed window becomes one chained
    event carrying its count (``qaportal.audit.services``), so a client that repeats a
    failing request cannot add a row to the trail per request.
    """

    __tablename__ = "audit_throttle"
    __table_args__ = (UniqueConstraint("action", "source", "window_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(String(64))  # e.g. the client's IP address
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    first_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # Occurrences not yet in the chain (the one that opened a burst was recorded at once).
    count: Mapped[int] = mapped_column(Integer, default=0)
    actor_label: Mapped[str] = mapped_column(String(254))
    ip_address: Mapped[str | None] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(60))
    object_id: Mapped[str | None] = mapped_column(String(60))
    details: Mapped[str] = mapped_column(Text, default="{}")  # distinct values per key
    closed: Mapped[bool] = mapped_column(Boolean, default=False)


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_change(_mapper: object, _connection: object, target: AuditEvent) -> None:
    raise RuntimeError(f"audit event {target.id} is append-only")
