"""What the outbox's audit events say (see :mod:`qaportal.audit.words`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext, ngettext

from qaportal.audit.words import (
    names_by_id,
    register_actions,
    register_details,
    register_object_kind,
)
from qaportal.notifications.models import OutboxMessage


def _requeued_all(v: Mapping[str, Any]) -> str:
    return ngettext(
        "%(actor)s put %(num)d failed message of %(object)s back in the queue",
        "%(actor)s put %(num)d failed messages of %(object)s back in the queue",
        v["count"],
        actor=v["actor"],
        object=v["object"],
    )


def register_audit_words() -> None:
    register_object_kind(
        "outbox_message",
        lazy_pgettext("audit object", "message"),
        names_by_id(OutboxMessage.id, OutboxMessage.subject),
    )
    register_actions(
        {
            "mail.sent": _l("%(actor)s sent %(object)s to %(to)s"),
            "mail.failed": _l("%(actor)s could not send %(object)s to %(to)s"),
            "mail.requeued": _l("%(actor)s put %(object)s back in the queue"),
            "mail.requeued_all": _requeued_all,
        }
    )
    register_details(labels={"to": _l("To"), "attempt": _l("Attempt"), "attempts": _l("Attempts")})
