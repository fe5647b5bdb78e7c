"""The words of the actions the core records itself: sign-ins and accounts (qaportal.auth)
and background jobs (qaportal.jobs). Domains declare theirs from their own ``register``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext, ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from qaportal.audit.words import (
    names_by_id,
    register_actions,
    register_details,
    register_object_kind,
    worded,
)
from qaportal.auth.models import Membership, Role, User
from qaportal.jobs.models import BackgroundJob


def _sessions_ended(v: Mapping[str, Any]) -> str:
    return ngettext(
        "%(actor)s ended %(num)d session of %(object)s",
        "%(actor)s ended %(num)d sessions of %(object)s",
        v["count"],
        actor=v["actor"],
        object=v["object"],
    )


def register_core_words() -> None:
    register_object_kind(
        "user", lazy_pgettext("audit object", "account"), names_by_id(User.id, User.email)
    )
    register_object_kind("invitation", lazy_pgettext("audit object", "invitation"))
    register_object_kind(
        "membership", lazy_pgettext("audit object", "membership"), _membership_names
    )
    register_object_kind(
        "background_job", lazy_pgettext("audit object", "background job"), _job_names
    )
    register_actions(
        {
            "auth.login": _l("%(actor)s signed in"),
            "auth.logout": _l("%(actor)s signed out"),
            "auth.login_failed": _l("%(actor)s failed to sign in as %(email)s"),
            "auth.login_rate_limited": _l(
                "%(actor)s was held back after too many attempts to sign in"
            ),
            "auth.password_changed": _l("%(actor)s changed the password of %(object)s"),
            "auth.password_change_failed": _l(
                "%(actor)s failed to change the password of %(object)s"
            ),
            "auth.password_change_rate_limited": _l(
                "%(actor)s was held back after too many attempts to change a password"
            ),
            "auth.password_reset": _l("%(actor)s reset the password of %(object)s"),
            "auth.reset_requested": _l("%(actor)s asked for a password reset for %(object)s"),
            "auth.reset_requested_unknown": _l(
                "%(actor)s asked for a password reset for an unknown address"
            ),
            "auth.reset_rate_limited": _l(
                "%(actor)s was held back after too many password reset requests"
            ),
            "auth.reset_link_refused": _l("%(actor)s used a password reset link that was refused"),
            "auth.session_ended": _l("%(actor)s ended a session of %(object)s"),
            "auth.sessions_ended": _sessions_ended,
            "user.created": _l("%(actor)s created %(object)s"),
            "user.activated": _l("%(actor)s reactivated %(object)s"),
            "user.deactivated": _l("%(actor)s deactivated %(object)s"),
            "invitation.sent": _l("%(actor)s invited %(email)s as %(role)s"),
            "invitation.accepted": _l("%(actor)s accepted an invitation as %(role)s"),
            "invitation.revoked": _l("%(actor)s withdrew the invitation of %(email)s"),
            "invitation.link_refused": _l("%(actor)s used an invitation link that was refused"),
            "job.requested": _l("%(actor)s started the %(object)s"),
            "job.retried": _l("%(actor)s retried the %(object)s"),
        }
    )
    register_details(
        labels={
            "email": _l("Email"),
            "role": _l("Role"),
            "reason": _l("Reason"),
            "count": _l("Number"),
            "via": _l("Through"),
            "new_account": _l("New account"),
            "kind": _l("Kind"),
            "error": _l("Error"),
            "first": _l("First"),
            "last": _l("Last"),
            "source": _l("From"),
            "lock_version": None,
            "sha256": _l("SHA-256 fingerprint"),
        },
        values={
            "role": {
                Role.AGENCY_ADMIN.value: _l("Agency administrator"),
                Role.AGENCY_OFFICER.value: _l("Agency officer"),
                Role.REVIEWER.value: _l("Reviewer"),
                Role.PROVIDER_ADMIN.value: _l("Provider administrator"),
                Role.PROVIDER_EDITOR.value: _l("Provider editor"),
            },
            "via": {"invitation": _l("an invitation"), "reviewer_pool": _l("the reviewer pool")},
        },
    )


def _membership_names(session: Session, ids: Sequence[str]) -> Mapping[str, str]:
    email = select(User.email).where(User.id == Membership.user_id).scalar_subquery()
    return names_by_id(Membership.id, email)(session, ids)


def _job_names(session: Session, ids: Sequence[str]) -> Mapping[str, str]:
    """A job is known by its kind, in the words its domain registered for it
    (:func:`qaportal.audit.words.register_job_kind`), else humanised ("report-document" reads
    "Report document")."""
    rows = session.execute(
        select(BackgroundJob.id, BackgroundJob.kind).where(BackgroundJob.id.in_(ids))
    )
    return {job_id: worded("job_kind", kind) for job_id, kind in rows}
