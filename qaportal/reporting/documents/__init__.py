"""The agency's printed documents of a case: what each contains and when it may be made.

``build_request`` gathers a document's plain data (:mod:`.data`, :mod:`.scope`,
:mod:`.feedback`) and, for the accreditation report and the decision letter, the
machine-readable JSON (:mod:`.machine`) embedded in the PDF; :mod:`qaportal.reporting.pdf`
renders it from the sources in ``reports/<kind>/``. ``refusal`` says why a document cannot
be made for a case in its present state. No request here: the caller decides who may ask.
"""

from __future__ import annotations

import contextlib
import enum
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from flask import current_app, has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from qaportal.cases.models import Case, CaseState
from qaportal.cases.workflow import state_label
from qaportal.db import utcnow
from qaportal.orgs.logo import logo_path
from qaportal.reporting.documents import data, machine, scope
from qaportal.reporting.documents.feedback import case_feedback

if TYPE_CHECKING:
    from qaportal.reporting.pdf import RenderRequest

__all__ = [
    "DocumentKind",
    "DocumentRefused",
    "Verification",
    "build_request",
    "machine_readable_report",
    "refusal",
]


class DocumentKind(enum.StrEnum):
    ACCREDITATION_REPORT = "accreditation-report"
    DRAFT_PANEL_REPORT = "draft-panel-report"
    DECISION_LETTER = "decision-letter"
    SELF_ASSESSMENT = "self-assessment"


@dataclass(frozen=True)
class Verification:
    code: str  # e.g. "QAR-7K3M-9XQ2"
    url: str  # absolute URL of the public verification page for this code
    qr_svg: str  # SVG markup of the QR code of url


class DocumentRefused(Exception):
    """The document cannot be made for the case in its present state (the message says why)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


REPORT_FILE = "accreditation-report.json"
DECISION_FILE = "decision.json"
# From factual check on, the provider reads the panel's draft (qaportal.reviews.report).
DRAFT_STATES = frozenset(
    {
        CaseState.FACTUAL_CHECK,
        CaseState.DECISION_PENDING,
        *data.DECIDED_STATES,
    }
)


@contextlib.contextmanager
def _locale(locale: str) -> Iterator[None]:
    if has_app_context():
        with force_locale(locale):
            yield
    else:  # pragma: no cover - the portal always has an application context
        yield


# ----- when -----------------------------------------------------------------------------------


def _refusal(session: Session, kind: DocumentKind, case: Case | None) -> str | None:
    if case is None:
        return _("There is no such case.")
    if kind in (DocumentKind.ACCREDITATION_REPORT, DocumentKind.DECISION_LETTER):
        if case.state not in data.DECIDED_STATES:
            return _(
                "Case %(reference)s is %(state)s: the accreditation report and the decision "
                "letter can be made only once the agency has decided.",
                reference=case.reference,
                state=state_label(case.state),
            )
        if data.current_decision(session, case) is None:
            return _("Case %(reference)s has no current decision.", reference=case.reference)
        return None
    if kind == DocumentKind.DRAFT_PANEL_REPORT and case.state not in DRAFT_STATES:
        return _(
            "Case %(reference)s is %(state)s: the panel's draft report exists once it has "
            "been sent to the provider for the factual-accuracy check.",
            reference=case.reference,
            state=state_label(case.state),
        )
    if kind == DocumentKind.SELF_ASSESSMENT and (
        case.submitted_at is None or case.state == CaseState.DRAFT
    ):
        return _(
            "Case %(reference)s is %(state)s: the self-assessment is printed as submitted, "
            "and it has not been submitted.",
            reference=case.reference,
            state=state_label(case.state),
        )
    return None


def refusal(session: Session, kind: DocumentKind, case_id: int) -> str | None:
    """Why ``kind`` cannot be made for the case now (None: it can)."""
    return _refusal(session, DocumentKind(kind), data.load_case(session, case_id))


# ----- what -----------------------------------------------------------------------------------


def _base_url() -> str:
    return str(current_app.config.get("BASE_URL") or "") if has_app_context() else ""


def _common(
    case: Case, kind: DocumentKind, verification: Verification | None, version: int
) -> dict[str, Any]:
    agency = data.agency_info(case.agency)
    return {
        "kind": kind.value,
        "agency": agency,
        "case": data.case_info(case),
        "provider": scope.provider_profile(case.provider),
        "running_header": f"{agency['name']} — {case.reference}",
        "draft": False,
        "generated_at": utcnow(),
        "verification": asdict(verification) if verification else None,
        "document_version": version,
    }


def _level_counts(criteria: list[data.CriterionRow]) -> list[scope.Fact]:
    counts = Counter(row.panel_level for row in criteria if row.panel_level)
    return [scope.Fact(label, str(n)) for label, n in counts.most_common()]


@dataclass(frozen=True)
class Built:
    """A document's template context and the JSON files embedded in its PDF, by name."""

    context: dict[str, Any]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)


def _accreditation_report(session: Session, case: Case) -> Built:
    criteria = data.criteria_rows(session, case)
    decision = data.current_decision(session, case)
    assert decision is not None  # refused before
    titles = {row.id: f"{row.code} {row.title}" for row in criteria}
    versions = scope.scope_versions(session, case)
    visit = data.visit_info(session, case)
    context = {
        "criteria": criteria,
        "level_counts": _level_counts(criteria),
        "scope": [scope.scope_item(v) for v in versions],
        "panel": data.panel_seats(session, case),
        "visit": visit,
        "timeline": data.timeline(session, case, visit),
        "outcome": data.panel_outcome(session, case),
        "decision": data.decision_info(session, case, decision),
        "comments": data.factual_comments(session, case, titles),
        "feedback": case_feedback(session, case),
    }
    report = machine.report_json(
        case,
        decision=context["decision"],
        criteria=criteria,
        panel=context["panel"],
        outcome=context["outcome"],
        versions=versions,
    )
    return Built(context, {REPORT_FILE: report})


def _draft_panel_report(session: Session, case: Case) -> Built:
    from qaportal.reviews.report import factual_due

    criteria = data.criteria_rows(session, case, with_evidence=False)
    return Built(
        {
            "draft": True,
            "criteria": criteria,
            "level_counts": _level_counts(criteria),
            "scope": [scope.scope_item(v) for v in scope.scope_versions(session, case)],
            "panel": data.panel_seats(session, case),
            "visit": data.visit_info(session, case),
            "outcome": data.panel_outcome(session, case),
            "factual_due": factual_due(session, case),
        }
    )


def _decision_letter(session: Session, case: Case) -> Built:
    found = data.current_decision(session, case)
    assert found is not None  # refused before
    decision = data.decision_info(session, case, found)
    context = {
        "decision": decision,
        "outcome": data.panel_outcome(session, case),
        "decision_url": f"{_base_url()}/cases/{case.id}/decision",
        "contact_name": case.contact_name,
    }
    letter = {**machine.header_json(case), "decision": machine.decision_json(decision)}
    return Built(context, {DECISION_FILE: letter})


def _self_assessment(session: Session, case: Case) -> Built:
    return Built(
        {
            "criteria": data.criteria_rows(session, case),
            "scope": [scope.scope_item(v) for v in scope.scope_versions(session, case)],
        }
    )


_BUILDERS = {
    DocumentKind.ACCREDITATION_REPORT: _accreditation_report,
    DocumentKind.DRAFT_PANEL_REPORT: _draft_panel_report,
    DocumentKind.DECISION_LETTER: _decision_letter,
    DocumentKind.SELF_ASSESSMENT: _self_assessment,
}
_FILE_DESCRIPTIONS = {
    REPORT_FILE: _l("The report in machine-readable form (JSON)"),
    DECISION_FILE: _l("The decision in machine-readable form (JSON)"),
}


def _titles(kind: DocumentKind, case: Case) -> tuple[str, str]:
    provider, agency = case.provider.display_name, case.agency.display_name
    if kind == DocumentKind.ACCREDITATION_REPORT:
        return (
            _("Accreditation report: %(provider)s", provider=provider),
            _(
                "External quality assurance of %(provider)s by %(agency)s: the review panel's "
                "findings and the agency's decision",
                provider=provider,
                agency=agency,
            ),
        )
    if kind == DocumentKind.DRAFT_PANEL_REPORT:
        return (
            _("Draft panel report: %(provider)s", provider=provider),
            _("The review panel's draft report, for the provider's factual-accuracy check"),
        )
    if kind == DocumentKind.DECISION_LETTER:
        return (
            _("Decision on accreditation: %(provider)s", provider=provider),
            _(
                "The decision of %(agency)s on case %(reference)s",
                agency=agency,
                reference=case.reference,
            ),
        )
    return (
        _("Self-assessment: %(provider)s", provider=provider),
        _("The provider's self-assessment as submitted to %(agency)s", agency=agency),
    )


def _json_bytes(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def machine_readable_report(session: Session, case_id: int, locale: str = "en") -> dict[str, Any]:
    """The JSON embedded in the accreditation report (refused like the report itself);
    ``locale`` is that of its few labels (values are codes)."""
    with _locale(locale):
        case = data.load_case(session, case_id)
        problem = _refusal(session, DocumentKind.ACCREDITATION_REPORT, case)
        if problem:
            raise DocumentRefused(problem)
        assert case is not None
        return _accreditation_report(session, case).files[REPORT_FILE]


def build_request(
    session: Session,
    kind: DocumentKind,
    case_id: int,
    *,
    locale: str = "en",
    verification: Verification | None = None,
    version: int = 1,
) -> RenderRequest:
    """Everything needed to render ``kind`` for the case, as plain data; raises
    :class:`DocumentRefused` with :func:`refusal`'s message when it cannot be made."""
    from qaportal.reporting.pdf import DocumentInfo, EmbeddedFile, RenderRequest

    kind = DocumentKind(kind)
    with _locale(locale):
        case = data.load_case(session, case_id)
        problem = _refusal(session, kind, case)
        if problem:
            raise DocumentRefused(problem)
        assert case is not None
        built = _BUILDERS[kind](session, case)
        context = {**_common(case, kind, verification, version), **built.context}
        attachments = tuple(
            EmbeddedFile(name, _json_bytes(document), description=str(_FILE_DESCRIPTIONS[name]))
            for name, document in built.files.items()
        )
        title, subject = _titles(kind, case)
        context["document_title"] = title
        info = DocumentInfo(
            title=f"{title} ({case.reference})",
            author=case.agency.display_name,
            subject=subject,
            language=locale,
            keywords=(case.reference, kind.value, "micro-credentials", "quality assurance"),
        )
    return RenderRequest(
        name=kind.value,
        context=context,
        info=info,
        locale=locale,
        attachments=attachments,
        logo=logo_path(case.agency),
    )
