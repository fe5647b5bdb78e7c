"""Who sees a case's generated documents, generates, downloads, publishes and withdraws them;
declared by the reporting domain and collected by :mod:`qaportal.access.policy` when imported.

A document exists for whoever sees its case (404 for everyone else); which versions a party
may download depends on the kind and, for the provider, on how far the case has come:

- the agency's staff: every kind, always; only they generate, publish and withdraw;
- the provider's staff: the self-assessment as submitted; the draft panel report from the
  factual-accuracy check on; the accreditation report and decision letter once published
  or once the case is decided;
- the reviewers seated on the case's panel: the draft panel report.

The public never downloads through these rules: a published document is verified on
``/verify`` (and, with issue 11, read in the register).
"""

from __future__ import annotations

import enum
from typing import Any

from qaportal.access.policy import has_role, register_rules, register_visibility
from qaportal.auth.models import AGENCY_STAFF_ROLES, PROVIDER_ROLES, User
from qaportal.cases.access import can_see_case
from qaportal.cases.models import CaseState
from qaportal.reporting.models import GeneratedDocument
from qaportal.reviews.access import sits_on_panel
from qaportal.reviews.report import REPORT_STATES

# Kind values of qaportal.reporting.documents.DocumentKind, as this module needs them.
SELF_ASSESSMENT = "self-assessment"
DRAFT_PANEL_REPORT = "draft-panel-report"
ACCREDITATION_REPORT = "accreditation-report"
DECISION_LETTER = "decision-letter"
# The documents an agency publishes (ESG 2.6): the only ones that carry a verification code.
PUBLISHABLE = frozenset({ACCREDITATION_REPORT, DECISION_LETTER})
DECIDED_STATES = frozenset(
    {
        CaseState.DECIDED,
        CaseState.PUBLISHED,
        CaseState.APPEAL,
        CaseState.FOLLOW_UP,
        CaseState.CLOSED,
    }
)


class ReportAction(enum.StrEnum):
    LIST = "report.list"  # obj: a Case (its documents page)
    GENERATE = "report.generate"  # obj: a Case (any kind; retry a failed rendering)
    DOWNLOAD = "report.download"  # obj: a GeneratedDocument
    PUBLISH = "report.publish"  # obj: a GeneratedDocument (publish or withdraw)


def _agency_staff(user: User, case: Any) -> bool:
    return has_role(user, case.agency_id, *AGENCY_STAFF_ROLES)


def _provider_staff(user: User, case: Any) -> bool:
    return has_role(user, case.provider_id, *PROVIDER_ROLES)


def may_read_kind(user: User, case: Any, kind: str, *, published: bool = False) -> bool:
    """Whether ``user`` may download documents of ``kind`` of ``case``; ``published``: the
    version asked about has been published and not withdrawn."""
    if _agency_staff(user, case):
        return True
    if _provider_staff(user, case):
        if kind == SELF_ASSESSMENT:
            return True
        if kind == DRAFT_PANEL_REPORT:
            return case.state in REPORT_STATES
        if kind in PUBLISHABLE:
            return published or case.state in DECIDED_STATES
        return False
    return kind == DRAFT_PANEL_REPORT and sits_on_panel(user, case)


def _list(user: User, case: Any) -> bool:
    return _agency_staff(user, case) or _provider_staff(user, case) or sits_on_panel(user, case)


def _download(user: User, document: GeneratedDocument) -> bool:
    published = document.published_at is not None and document.withdrawn_at is None
    return may_read_kind(user, document.case, document.kind, published=published)


def _publish(user: User, document: GeneratedDocument) -> bool:
    return _agency_staff(user, document.case)


def _document_visible(user: User, document: GeneratedDocument) -> bool:
    return can_see_case(user, document.case)


register_visibility(GeneratedDocument, _document_visible)
register_rules(
    {
        ReportAction.LIST: _list,
        ReportAction.GENERATE: _agency_staff,
        ReportAction.DOWNLOAD: _download,
        ReportAction.PUBLISH: _publish,
    }
)
