"""What a workflow action will do, in words, for the page that asks to confirm it.

Plain sentences built from the workflow table (target state, who is notified) and from the
case; the confirmation pages show them before anything changes.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from qaportal.cases.models import Case
from qaportal.cases.workflow import Transition, state_label

# Actions whose effects need more than the table says (what stays possible afterwards).
_EXTRA = {
    "submit": lambda: [
        _(
            "The self-assessment, its answers and its evidence are frozen: nobody can "
            "change them any more."
        ),
        _(
            "You can still read everything, and an administrator of the provider can "
            "withdraw the application. If the agency returns the case, you can edit again."
        ),
    ],
    "withdraw": lambda: [
        _("The application ends and cannot be reopened: applying again means opening a new case."),
        _("The self-assessment and the evidence stay readable, read-only."),
    ],
    "start_follow_up": lambda: [
        _("The appeal window is over: the provider can no longer appeal."),
        _("The provider answers each condition; you assess the answers."),
    ],
    "close": lambda: [
        _("The case's workflow ends: nothing more can be recorded on it."),
        _("Its decision and documents stay readable."),
    ],
    "screen": lambda: [
        _("The screening is over: the case cannot be returned to the provider any more."),
        _("The review panel can start its work."),
    ],
}


def needs_confirmation(transition: Transition) -> bool:
    """Bare one-click actions get a confirmation page; actions with a reason to type, or
    their own page, already are a deliberate step."""
    return transition.page is None and not transition.needs_reason


def consequences(case: Case, transition: Transition) -> list[str]:
    facts = [
        _(
            "Case %(reference)s becomes “%(state)s”.",
            reference=case.reference,
            state=state_label(transition.target),
        )
    ]
    if "agency" in transition.notify:
        facts.append(_("%(agency)s is notified by email.", agency=case.agency.display_name))
    if "provider" in transition.notify:
        facts.append(_("%(provider)s is notified by email.", provider=case.provider.display_name))
    extra = _EXTRA.get(transition.action)
    if extra is not None:
        facts.extend(extra())
    return facts


def confirmation(case: Case, transition: Transition) -> dict[str, Any]:
    """What the shared confirmation page (templates/web/confirm.html) shows about a case
    action; the caller adds where the form posts and where "Cancel" leads."""
    return {
        "heading": _(
            "%(action)s: case %(reference)s?", action=transition.label, reference=case.reference
        ),
        "rows": [
            (_("Case"), case.reference),
            (_("Provider"), case.provider.display_name),
            (_("Status"), state_label(case.state)),
        ],
        "facts": consequences(case, transition),
        "button_label": str(transition.label),
        "variant": "warning"
        if transition.button_class == "danger" or transition.action == "close"
        else "",
    }
