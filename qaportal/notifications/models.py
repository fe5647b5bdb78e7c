"""The email outbox: messages are stored first and sent by `qaportal mail send`."""

from __future__ import annotations

import datetime as dt
import enum
import re

from sqlalchemy import Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from qaportal.db import Base, UTCDateTime, utcnow
from qaportal.orgs.models import enum_values


class OutboxStatus(enum.StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    # Taken back before it went out (its campaign closed): never sent, address erased.
    WITHDRAWN = "withdrawn"


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    # The organisation on whose behalf the message goes out (whose admins see it).
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(
        Enum(OutboxStatus, native_enum=False, length=16, values_callable=enum_values),
        default=OutboxStatus.QUEUED,
        index=True,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # What the message belongs to, as "type:id" (e.g. "feedback_campaign:12"), when its
    # recipient is someone without an account whose address must be erased with that thing
    # (``services.withdraw``). The audit trail, which cannot be edited, never names them.
    reference: Mapped[str | None] = mapped_column(String(64), index=True)

    @property
    def audit_recipient(self) -> str:
        """The recipient as the audit trail may record it."""
        if self.reference is None:
            return self.to_address
        return f"({self.reference})"

    def without_address(self, text: str | None) -> str | None:
        """``text`` (an SMTP error, say) fit for the audit trail: no erasable address in it."""
        if text is None or self.reference is None or not self.to_address:
            return text
        return re.sub(re.escape(self.to_address), self.audit_recipient, text, flags=re.I)
