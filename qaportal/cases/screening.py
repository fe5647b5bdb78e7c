"""Screening a submitted case: the agency's eligibility and completeness checklist, the
officer's answers, the guard of the "screen" transition, and the comments of a return.

The checklist is declared data (:data:`CHECKLIST`); an agency that needs another item adds
a row here, not a branch. Services take a session and an actor and leave the commit to the
caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from qaportal.audit.services import Actor, record
from qaportal.auth.models import User
from qaportal.cases.models import Case, CaseReturn, CaseState, ScreeningItem
from qaportal.db import utcnow


@dataclass(frozen=True)
class ChecklistItem:
    code: str
    label: Any  # lazy string
    hint: Any = ""


CHECKLIST: tuple[ChecklistItem, ...] = (
    ChecklistItem(
        "eligible",
        _l("The provider is eligible and recognised for the agency’s scope"),
        _l("Legal status, provider type and country fall within what the agency reviews."),
    ),
    ChecklistItem(
        "scope",
        _l("The scope matches the application"),
        _l("The micro-credentials in scope are the ones the application describes."),
    ),
    ChecklistItem(
        "self_assessment",
        _l("The self-assessment is complete against every framework"),
    ),
    ChecklistItem("evidence", _l("The required evidence is present")),
    ChecklistItem(
        "feedback",
        _l("Feedback evidence is present (learners and peers)"),
        _l("Annex II, principle 1: internal QA covers learners' and peers' feedback."),
    ),
    ChecklistItem("language", _l("The language of the file is acceptable")),
)
CODES = tuple(item.code for item in CHECKLIST)
_BY_CODE = {item.code: item for item in CHECKLIST}
NOTE_MAX = 2000


class ScreeningError(Exception):
    """The checklist could not be stored; ``errors`` maps item codes to messages."""

    def __init__(self, message: str, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = dict(errors or {})


@dataclass(frozen=True)
class Answer:
    met: bool
    note: str = ""


@dataclass(frozen=True)
class Unmet:
    """A checklist item that keeps the case from being accepted (a guard problem)."""

    code: str
    message: str
    note: str = ""


def answers(session: Session, case: Case) -> dict[str, ScreeningItem]:
    rows = session.execute(select(ScreeningItem).where(ScreeningItem.case_id == case.id))
    return {row.item: row for row in rows.scalars()}


def save_checklist(
    session: Session, case: Case, posted: Mapping[str, Answer], user: User, actor: Actor
) -> dict[str, bool]:
    """Store the officer's answers for every item; returns what changed (code -> met)."""
    if case.state != CaseState.SUBMITTED:
        raise ScreeningError(
            str(_l("Only a submitted case is screened. Nothing was stored.")),
        )
    errors = {}
    for code in CODES:
        answer = posted.get(code)
        if answer is None:
            errors[code] = str(_l("Say whether this is met."))
        elif not answer.met and not answer.note.strip():
            errors[code] = str(_l("Say what is missing: the note is required when not met."))
        elif len(answer.note) > NOTE_MAX:
            errors[code] = str(_l("At most %(n)d characters.", n=NOTE_MAX))
    if errors:
        raise ScreeningError(str(_l("Check the marked items. Nothing was stored.")), errors)

    # Two officers saving at once: the second waits here and then sees the first one's rows.
    session.execute(select(Case.id).where(Case.id == case.id).with_for_update())
    stored = answers(session, case)
    now = utcnow()
    changed: dict[str, bool] = {}
    for code in CODES:
        answer = posted[code]
        row = stored.get(code)
        note = answer.note.strip()
        unchanged = row is not None and row.met == answer.met and row.note == note
        if unchanged and _current(row, case):
            continue
        if row is None:
            row = ScreeningItem(case_id=case.id, item=code)
            session.add(row)
        row.met, row.note = answer.met, note
        row.checked_by_id, row.checked_at = user.id, now
        changed[code] = answer.met
    if changed:
        session.flush()
        record(
            session,
            actor,
            "case.screening_saved",
            object_type="case",
            object_id=case.id,
            organisation_id=case.provider_id,
            details={
                "reference": case.reference,
                "agency_id": case.agency_id,
                "changed": changed,
                "unmet": [code for code in CODES if not posted[code].met],
            },
        )
    return changed


def _current(row: ScreeningItem, case: Case) -> bool:
    """Checked since the case was (re)submitted: answers about an earlier submission, before
    a return to the provider, do not count for the file submitted now."""
    return case.submitted_at is None or row.checked_at >= case.submitted_at


def unmet(session: Session, case: Case) -> list[Unmet]:
    """Items not answered "met" since the last submission: the guard of "screen"."""
    stored = answers(session, case)
    problems = []
    for item in CHECKLIST:
        row = stored.get(item.code)
        if row is None:
            problems.append(Unmet(item.code, str(_l("Not checked yet: %(item)s", item=item.label))))
        elif not _current(row, case):
            problems.append(
                Unmet(
                    item.code,
                    str(
                        _l("Not checked since the case was resubmitted: %(item)s", item=item.label)
                    ),
                )
            )
        elif not row.met:
            problems.append(Unmet(item.code, str(item.label), row.note))
    return problems


def label(code: str) -> str:
    item = _BY_CODE.get(code)
    return str(item.label) if item else code


# ----- returns to the provider -------------------------------------------------------------


def record_return(session: Session, case: Case, user: User, comment: str) -> CaseReturn:
    """Keep the agency's comments with the case (an effect of the "return" transition)."""
    row = CaseReturn(case_id=case.id, comment=comment, returned_by_id=user.id)
    session.add(row)
    return row


def resolve_returns(session: Session, case: Case) -> None:
    """The provider submitted again: the comments of earlier returns stop being shown."""
    session.execute(
        update(CaseReturn)
        .where(CaseReturn.case_id == case.id, CaseReturn.resolved_at.is_(None))
        .values(resolved_at=utcnow())
    )


def open_return(session: Session, case: Case) -> CaseReturn | None:
    """The latest return the provider has not answered by resubmitting (drafts only)."""
    if case.state != CaseState.DRAFT:
        return None
    return session.execute(
        select(CaseReturn)
        .where(CaseReturn.case_id == case.id, CaseReturn.resolved_at.is_(None))
        .order_by(CaseReturn.id.desc())
        .limit(1)
    ).scalar_one_or_none()
