"""What the review domain's audit events say (see :mod:`qaportal.audit.words`)."""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from qaportal.audit.words import register_actions, register_details, register_object_values
from qaportal.decisions.labels import outcome_label
from qaportal.decisions.models import Outcome as Decided
from qaportal.reviews import findings
from qaportal.reviews.labels import role_label, status_label
from qaportal.reviews.models import MemberStatus, Outcome, PanelRole


def register_audit_words() -> None:
    # Every review event is about a case, which the cases domain names.
    register_object_values("case", ("level",), findings.level_words)
    register_actions(
        {
            "panel.invite": _l(
                "%(actor)s invited a reviewer to the panel of %(object)s as %(role)s"
            ),
            "panel.withdraw": _l(
                "%(actor)s withdrew a reviewer (%(role)s) from the panel of %(object)s"
            ),
            "panel.announce": _l("%(actor)s announced the panel of %(object)s to the provider"),
            "panel.accept": _l("%(actor)s joined the panel of %(object)s"),
            "panel.conflict": _l("%(actor)s declared a conflict of interest on %(object)s"),
            "panel.decline": _l("%(actor)s declined to join the panel of %(object)s"),
            "panel.objection": _l("%(actor)s objected to a member of the panel of %(object)s"),
            "panel.objection_upheld": _l(
                "%(actor)s upheld an objection to a member of the panel of %(object)s"
            ),
            "panel.objection_dismissed": _l(
                "%(actor)s dismissed an objection to a member of the panel of %(object)s"
            ),
            "review.judgement": _l("%(actor)s judged criterion %(criterion)s of %(object)s"),
            "review.consolidated": _l("%(actor)s consolidated the panel's findings on %(object)s"),
            "review.outcome": _l("%(actor)s proposed the outcome for %(object)s"),
            "review.site_visit": _l("%(actor)s planned the site visit of %(object)s"),
            "review.factual_comments": _l(
                "%(actor)s commented on the facts of the draft report of %(object)s"
            ),
            "review.factual_response": _l(
                "%(actor)s answered a comment on the draft report of %(object)s"
            ),
            "review.settings_changed": _l("%(actor)s changed the review settings of %(object)s"),
        }
    )
    register_details(
        labels={
            "name": _l("Name"),
            "members": None,  # panel member ids
            "previous": _l("Before"),
            "conflict": _l("Conflict of interest"),
            "level": _l("Level"),
            "date": _l("Date"),
            "format": _l("Format"),
            "groups": _l("Groups met"),
            "comments": _l("Comments"),
            "index": None,
        },
        values={
            "role": {r.value: LazyString(role_label, r) for r in PanelRole},
            "previous": {s.value: LazyString(status_label, s) for s in MemberStatus},
            "groups": dict(findings.PARTICIPANT_GROUPS),
            "format": {f.value: label for f, label in findings.FORMAT_LABELS.items()},
            # The panel's recommendation in the words of the decision it leads to (the
            # other two codes are the decisions domain's own).
            "outcome": {
                Outcome.CONDITIONS.value: LazyString(outcome_label, Decided.CONDITIONAL),
            },
        },
    )
