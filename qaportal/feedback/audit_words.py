"""What the feedback domain's audit events say, in words (see :mod:`qaportal.audit.words`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext, ngettext

from qaportal.audit.words import (
    names_by_id,
    register_actions,
    register_details,
    register_job_kind,
    register_object_kind,
)
from qaportal.feedback.attach import JOB_KIND as SUMMARY_JOB
from qaportal.feedback.models import Campaign, FeedbackKind


def _codes_generated(v: Mapping[str, Any]) -> str:
    return ngettext(
        "%(actor)s generated %(num)d survey code for %(object)s",
        "%(actor)s generated %(num)d survey codes for %(object)s",
        v["count"],
        actor=v["actor"],
        object=v["object"],
    )


def _invitations_sent(v: Mapping[str, Any]) -> str:
    return ngettext(
        "%(actor)s invited %(num)d person by email to answer %(object)s",
        "%(actor)s invited %(num)d people by email to answer %(object)s",
        v["count"],
        actor=v["actor"],
        object=v["object"],
    )


def _reminders_sent(v: Mapping[str, Any]) -> str:
    return ngettext(
        "%(actor)s sent %(num)d reminder for %(object)s",
        "%(actor)s sent %(num)d reminders for %(object)s",
        v["count"],
        actor=v["actor"],
        object=v["object"],
    )


def register_audit_words() -> None:
    register_object_kind(
        "feedback_campaign",
        lazy_pgettext("audit object", "campaign"),
        names_by_id(Campaign.id, Campaign.title),
    )
    register_actions(
        {
            "feedback.campaign_created": _l("%(actor)s created the feedback %(object)s"),
            "feedback.codes_generated": _codes_generated,
            "feedback.invitations_sent": _invitations_sent,
            "feedback.reminders_sent": _reminders_sent,
            "feedback.campaign_closed": _l("%(actor)s closed %(object)s"),
            "feedback.campaign_swept": _l(
                "%(actor)s erased the invitations and addresses of %(object)s after it closed"
            ),
            "feedback.summary_attached": _l(
                "%(actor)s attached the results of %(object)s to the self-assessment of %(case)s"
            ),
            "feedback.threshold_changed": _l(
                "%(actor)s changed the fewest responses before feedback results are shown "
                "from %(from)s to %(to)s"
            ),
        }
    )
    register_details(
        labels={
            "title": _l("Title"),
            "opens_on": _l("Opens"),
            "closes_on": _l("Closes"),
            "case": _l("Case"),
            "criteria": _l("Criteria"),
            "mail_withdrawn": _l("Messages withdrawn from the outbox"),
            "addresses_erased": _l("Addresses erased"),
            "from": _l("From"),
            "to": _l("To"),
            # internal ids: the object's name says which campaign
            "specifications": None,
            "questionnaire_version": None,
            "evidence": None,
        },
        values={
            "kind": {
                FeedbackKind.LEARNER.value: _l("Learner feedback"),
                FeedbackKind.PEER.value: _l("Peer feedback"),
            },
        },
    )
    register_job_kind(SUMMARY_JOB, _l("Feedback summary for the self-assessment"))
