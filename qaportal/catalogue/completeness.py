"""The Annex I completeness check of a micro-credential specification.

Every mandatory element of Annex I that is fixed before issuing gets a status:

- ``present``: given and plausible;
- ``weak``: given but doubtful (an outcome without an action verb, zero workload, ECTS and
  hours that disagree, a one-word assessment type, …);
- ``missing``: not given.

Decisions:

- **Missing blocks publication, weak only warns.** Weak findings are judgement calls a
  reviewer may disagree with; a provider must see them but can still publish.
- **Level "if applicable"**: the provider either gives an EQF level and/or QF-EHEA cycle or
  ticks "no EQF level or QF-EHEA cycle applies" (column ``level_not_applicable``). Neither is
  *missing*; both at once is *weak* (contradictory).
- **Workload**: ECTS and/or hours; hours alone are complete (Annex I: ECTS "where
  possible"). Both given and further than 20 % outside 25–30 hours per credit is *weak*.

Beyond Annex I, the structured exports (ELM, Open Badges) carry properties a provider may
not have entered, such as an awarding body's legal identifier or country. Those come back as
``export_gaps``: they never block publication, they say what the exports will lack. An
NQF level and a maximum duration are optional and never reported as gaps.

The elements of an *issued* credential (learner identification, date of issuing, grade
achieved) are not checked: they are recorded on each credential, not in the specification.

The check takes any object with the specification's attribute names: a
``SpecificationVersion`` or a :class:`qaportal.catalogue.services.SpecificationData`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property, lru_cache
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from qaportal.catalogue.models import Integration, ParticipationForm, QfEheaCycle
from qaportal.catalogue.validation import esco_problem, region_problem
from qaportal.paths import DATA_DIR

MIN_OUTCOME_CHARS = 20
MIN_TITLE_CHARS = 5
HOURS_PER_ECTS = (25, 30)
HOURS_PER_ECTS_TOLERANCE = Decimal("0.2")  # 20 % beyond the band before it counts as weak

# QF-EHEA cycles and the EQF level they are referenced to.
CYCLE_EQF = {
    QfEheaCycle.SHORT: 5,
    QfEheaCycle.FIRST: 6,
    QfEheaCycle.SECOND: 7,
    QfEheaCycle.THIRD: 8,
}


class Status(enum.StrEnum):
    PRESENT = "present"
    WEAK = "weak"
    MISSING = "missing"


@dataclass
class ElementCheck:
    key: str
    label: LazyString
    status: Status
    messages: list[Any] = field(default_factory=list)


@dataclass
class OptionalElement:
    key: str
    label: LazyString
    provided: bool
    note: Any = None


@dataclass
class ExportGap:
    """Something the structured exports carry that the provider has not entered."""

    key: str  # the form field to fix it in
    message: Any


@dataclass
class CompletenessReport:
    elements: list[ElementCheck]
    optional: list[OptionalElement]
    # Worked out on first use: a CSV import checks thousands of rows and reads only whether
    # each is complete, and the export gaps cost more than the Annex I checks themselves.
    gaps_of: Callable[[], list[ExportGap]] | None = field(default=None, repr=False)

    @cached_property
    def export_gaps(self) -> list[ExportGap]:
        return self.gaps_of() if self.gaps_of is not None else []

    @property
    def missing(self) -> list[ElementCheck]:
        return [e for e in self.elements if e.status == Status.MISSING]

    @property
    def weak(self) -> list[ElementCheck]:
        return [e for e in self.elements if e.status == Status.WEAK]

    @property
    def is_complete(self) -> bool:
        """Publishable: nothing missing (weak elements only warn)."""
        return not self.missing

    def status_of(self, key: str) -> Status:
        return next(e.status for e in self.elements if e.key == key)

    def element(self, key: str) -> ElementCheck:
        return next(e for e in self.elements if e.key == key)


# Elements of an issued credential, shown on specification pages for completeness' sake.
ISSUED_CREDENTIAL_ELEMENTS = (
    _l("Identification of the learner"),
    _l("Date of issuing"),
    _l("Grade achieved"),
)

MANDATORY_LABELS = {
    "title": _l("Title of the micro-credential"),
    "issuer_regions": _l("Country(ies)/region(s) of the issuer"),
    "awarding_bodies": _l("Awarding body(ies)"),
    "outcomes": _l("Learning outcomes"),
    "workload": _l("Notional workload (ECTS and/or hours)"),
    "level": _l("Level (EQF, QF-EHEA cycle), if applicable"),
    "assessment_type": _l("Type of assessment"),
    "participation_form": _l("Form of participation"),
    "quality_assurance": _l("Type of quality assurance"),
}

OPTIONAL_LABELS = {
    "prerequisites": _l("Prerequisites"),
    "supervision": _l("Supervision and identity verification"),
    "grading_scheme": _l("Grading scheme"),
    "integration": _l("Integration / stackability"),
    "further_information": _l("Further information"),
    "languages": _l("Language(s) of instruction"),
    "isced_f": _l("Field of study (ISCED-F)"),
    "price_note": _l("Price / funding"),
}


# ----- learning outcomes: action verbs ---------------------------------------------------


@lru_cache(maxsize=1)
def action_verbs() -> frozenset[str]:
    path = DATA_DIR / "action-verbs.txt"
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip().lower()
        if line and not line.startswith("#"):
            words.add(line)
    return frozenset(words)


# "Learners will be able to …", "On completion, the student can …", "Be able to …"
_LEAD_IN_RES = (
    re.compile(r"^(?:on|upon|after|by the end of)\b[^,:]*[,:]\s*", re.IGNORECASE),
    re.compile(
        r"^(?:(?:the|a|each|every)\s+)?(?:learners?|students?|participants?|graduates?|"
        r"trainees?|candidates?|you)\s+(?:(?:will|can|should|shall|must|is|are)\s+)?",
        re.IGNORECASE,
    ),
    re.compile(r"^(?:be\s+)?able\s+to\s+", re.IGNORECASE),
)
_WORD_RE = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*")


def _verb_forms(word: str) -> set[str]:
    forms = {word}
    if word.endswith("ies"):
        forms.add(word[:-3] + "y")
    if word.endswith("es"):
        forms.add(word[:-2])
    if word.endswith("s"):
        forms.add(word[:-1])
    if word.endswith("ed"):
        forms.update({word[:-2], word[:-1]})
    if word.endswith("ing"):
        forms.update({word[:-3], word[:-3] + "e"})
    return forms


def leading_verb(statement: str) -> str | None:
    """The first word after any lead-in ("Learners will be able to"), if it is an action verb."""
    text = statement.strip()
    for pattern in _LEAD_IN_RES:
        text = pattern.sub("", text, count=1)
    match = _WORD_RE.search(text)
    if not match or match.start() > 2:
        return None
    word = match.group(0).lower()
    verbs = action_verbs()
    return word if _verb_forms(word) & verbs else None


# ----- the check --------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _words(value: str | None) -> int:
    return len(_WORD_RE.findall(value or ""))


def _check_title(spec: Any) -> ElementCheck:
    check = ElementCheck("title", MANDATORY_LABELS["title"], Status.PRESENT)
    title = (spec.title or "").strip()
    if not title:
        check.status = Status.MISSING
        check.messages.append(_l("Give the title under which the micro-credential is issued."))
    elif len(title) < MIN_TITLE_CHARS:
        check.status = Status.WEAK
        check.messages.append(
            _l("The title is very short; say what the micro-credential is about.")
        )
    return check


def _check_regions(spec: Any) -> ElementCheck:
    check = ElementCheck("issuer_regions", MANDATORY_LABELS["issuer_regions"], Status.PRESENT)
    codes = [c for c in (spec.issuer_regions or []) if c]
    if not codes:
        check.status = Status.MISSING
        check.messages.append(
            _l("Give at least one ISO 3166 country or region code of the issuer, e.g. DE or DE-BY.")
        )
        return check
    for code in codes:
        problem = region_problem(code)
        if problem:
            check.status = Status.WEAK
            check.messages.append(problem)
    return check


def _check_awarding_bodies(spec: Any) -> ElementCheck:
    check = ElementCheck("awarding_bodies", MANDATORY_LABELS["awarding_bodies"], Status.PRESENT)
    named = [b for b in (spec.awarding_bodies or []) if not _blank(b.get("name"))]
    if not named:
        check.status = Status.MISSING
        check.messages.append(_l("Name the body or bodies that award the micro-credential."))
    return check


def _check_outcomes(spec: Any) -> ElementCheck:
    check = ElementCheck("outcomes", MANDATORY_LABELS["outcomes"], Status.PRESENT)
    statements = [o for o in (spec.outcomes or []) if not _blank(o.statement)]
    if not statements:
        check.status = Status.MISSING
        check.messages.append(
            _l("State at least one learning outcome: what the learner knows or can do at the end.")
        )
        return check
    seen: dict[str, int] = {}
    for number, outcome in enumerate(statements, start=1):
        statement = outcome.statement.strip()
        if len(statement) < MIN_OUTCOME_CHARS:
            check.messages.append(
                _l(
                    "Outcome %(n)d is very short (under %(min)d characters).",
                    n=number,
                    min=MIN_OUTCOME_CHARS,
                )
            )
        if leading_verb(statement) is None:
            check.messages.append(
                _l(
                    "Outcome %(n)d does not start with an action verb "
                    "(e.g. analyse, design, evaluate, explain).",
                    n=number,
                )
            )
        key = " ".join(statement.lower().split())
        if key in seen:
            check.messages.append(
                _l("Outcome %(n)d repeats outcome %(first)d.", n=number, first=seen[key])
            )
        seen.setdefault(key, number)
        if esco_problem(outcome.esco_uri):
            check.messages.append(
                _l("The ESCO link of outcome %(n)d is not an ESCO URI.", n=number)
            )
    if check.messages:
        check.status = Status.WEAK
    return check


def _check_workload(spec: Any) -> ElementCheck:
    check = ElementCheck("workload", MANDATORY_LABELS["workload"], Status.PRESENT)
    ects, hours = spec.ects, spec.hours
    if ects is None and hours is None:
        check.status = Status.MISSING
        check.messages.append(
            _l("Give the notional workload in ECTS credits (where possible) and/or hours.")
        )
        return check
    if (ects is not None and Decimal(ects) <= 0) or (hours is not None and hours <= 0):
        check.status = Status.WEAK
        check.messages.append(_l("A workload of zero cannot lead to learning outcomes."))
        return check
    if ects is not None and hours is not None:
        ects = Decimal(ects)
        low = ects * HOURS_PER_ECTS[0] * (1 - HOURS_PER_ECTS_TOLERANCE)
        high = ects * HOURS_PER_ECTS[1] * (1 + HOURS_PER_ECTS_TOLERANCE)
        if not low <= hours <= high:
            check.status = Status.WEAK
            check.messages.append(
                _l(
                    "%(hours)d hours for %(ects)s ECTS is %(per).1f hours per credit; "
                    "one ECTS credit is usually 25–30 hours of work.",
                    hours=hours,
                    ects=f"{ects.normalize():f}",
                    per=float(hours / ects),
                )
            )
    return check


def _check_level(spec: Any) -> ElementCheck:
    check = ElementCheck("level", MANDATORY_LABELS["level"], Status.PRESENT)
    eqf, cycle = spec.eqf_level, spec.qf_ehea_cycle
    not_applicable = bool(getattr(spec, "level_not_applicable", False))
    if not_applicable and (eqf is not None or cycle is not None):
        check.status = Status.WEAK
        check.messages.append(
            _l("A level is given and also declared not applicable; keep only one of the two.")
        )
        return check
    if not_applicable:
        check.messages.append(_l("Declared: no EQF level or QF-EHEA cycle applies."))
        return check
    if eqf is None and cycle is None:
        check.status = Status.MISSING
        check.messages.append(
            _l(
                "Give the EQF level (and the QF-EHEA cycle for higher education), "
                "or state that no level applies."
            )
        )
        return check
    if cycle is not None and eqf is not None and CYCLE_EQF[QfEheaCycle(cycle)] != eqf:
        check.status = Status.WEAK
        check.messages.append(
            _l(
                "The QF-EHEA cycle corresponds to EQF level %(expected)d, not %(given)d.",
                expected=CYCLE_EQF[QfEheaCycle(cycle)],
                given=eqf,
            )
        )
    return check


def _check_free_text(spec: Any, key: str, missing_msg: Any, vague_msg: Any) -> ElementCheck:
    check = ElementCheck(key, MANDATORY_LABELS[key], Status.PRESENT)
    value = getattr(spec, key)
    if _blank(value):
        check.status = Status.MISSING
        check.messages.append(missing_msg)
    elif _words(value) < 2:
        check.status = Status.WEAK
        check.messages.append(vague_msg)
    return check


def _check_participation(spec: Any) -> ElementCheck:
    check = ElementCheck(
        "participation_form", MANDATORY_LABELS["participation_form"], Status.PRESENT
    )
    form = spec.participation_form
    if form is None or form == "":
        check.status = Status.MISSING
        check.messages.append(_l("Choose online, onsite, blended, work-based or other."))
    elif ParticipationForm(form) == ParticipationForm.OTHER and _blank(spec.participation_detail):
        check.status = Status.WEAK
        check.messages.append(_l("“Other” needs a short description of the form of participation."))
    return check


def _optional(spec: Any) -> list[OptionalElement]:
    items = []
    for key, label in OPTIONAL_LABELS.items():
        value = getattr(spec, key, None)
        provided = not (_blank(value) or value == [])
        note = None
        if (
            key == "integration"
            and value is not None
            and Integration(value) == Integration.STACKABLE
            and _blank(spec.stackable_towards)
        ):
            note = _l("Stackable: name the credential it stacks towards.")
        items.append(OptionalElement(key, label, provided, note))
    return items


# ----- what the structured exports need ---------------------------------------------------

# An awarding body's keys and the provider profile's attribute each falls back to.
_PROVIDER_FALLBACK = {
    "url": "website",
    "legal_id": "legal_id",
    "vat_id": "vat_id",
    "country": "country",
    "region": "region",
    "address": "street_address",
}


def is_provider_body(body: Mapping[str, Any], provider: Any) -> bool:
    """Whether an awarding body is the provider itself: named like its legal name, its
    acronym or its display name ("Legal name (ACRONYM)"), case and spacing ignored.

    The one answer to that question: the completeness check, the export gaps and both
    exporters ask it here."""
    name = " ".join((body.get("name") or "").split()).casefold()
    if not name or provider is None:
        return False
    names = (
        getattr(provider, "legal_name", None),
        getattr(provider, "acronym", None),
        getattr(provider, "display_name", None),
    )
    return name in {" ".join(n.split()).casefold() for n in names if n}


def resolved_awarding_bodies(bodies: Sequence[Mapping[str, Any]], provider: Any) -> list[dict]:
    """The awarding bodies as the exports describe them.

    A body that is the provider (:func:`is_provider_body`) takes what it lacks from the
    provider's profile, so a provider enters its identifiers once (the exporters describe
    every such entry as the provider); other bodies are returned as entered. Keys with no
    value are left out.
    """
    result: list[dict[str, Any]] = []
    for entered in bodies:
        body = {k: v for k, v in entered.items() if not _blank(v)}
        if is_provider_body(body, provider):
            for key, attr in _PROVIDER_FALLBACK.items():
                value = getattr(provider, attr, None)
                if key not in body and not _blank(value):
                    body[key] = value
        result.append(body)
    return result


def _export_gaps(spec: Any, provider: Any) -> list[ExportGap]:
    gaps: list[ExportGap] = []
    bodies = [b for b in (spec.awarding_bodies or []) if not _blank(b.get("name"))]
    for body in resolved_awarding_bodies(bodies, provider):
        name = body["name"]
        own = is_provider_body(body, provider)
        if "legal_id" not in body:
            gaps.append(
                ExportGap(
                    "awarding_bodies",
                    _l(
                        "%(name)s: no legal identifier; enter it here or in the organisation "
                        "profile, or the exports name the awarding body without one.",
                        name=name,
                    )
                    if own
                    else _l(
                        "%(name)s: no legal identifier; the exports name the awarding body "
                        "without one.",
                        name=name,
                    ),
                )
            )
        if "country" not in body and "region" not in body:
            gaps.append(
                ExportGap(
                    "awarding_bodies",
                    _l(
                        "%(name)s: no country or region of its own; the exports can only "
                        "assume the issuer's, also as the country of its legal identifier.",
                        name=name,
                    ),
                )
            )
        if "address" not in body:
            gaps.append(
                ExportGap(
                    "awarding_bodies",
                    _l("%(name)s: no postal address; the exports carry none.", name=name),
                )
            )
    if spec.hours is None and spec.ects is not None:
        gaps.append(
            ExportGap(
                "hours",
                _l(
                    "No hours of workload: the European Learning Model export states the "
                    "volume of learning in hours and leaves it out."
                ),
            )
        )
    return gaps


def check_completeness(spec: Any, provider: Any = None) -> CompletenessReport:
    """Check a version (or unsaved data) against the mandatory elements of Annex I.

    ``provider`` (the Organisation) is where the awarding body that is the provider takes
    its identifiers from; a version finds it itself.
    """
    if provider is None:
        specification = getattr(spec, "specification", None)
        provider = getattr(specification, "provider", None)
    elements: Sequence[ElementCheck] = (
        _check_title(spec),
        _check_regions(spec),
        _check_awarding_bodies(spec),
        _check_outcomes(spec),
        _check_workload(spec),
        _check_level(spec),
        _check_free_text(
            spec,
            "assessment_type",
            _l("Describe how the learning outcomes are assessed."),
            _l(
                "One word is too vague: say what the assessment is "
                "(e.g. “written exam of 90 minutes”, “graded project with oral defence”)."
            ),
        ),
        _check_participation(spec),
        _check_free_text(
            spec,
            "quality_assurance",
            _l("Say which quality assurance underpins the micro-credential."),
            _l(
                "One word is too vague: name the internal and external quality assurance "
                "(e.g. “internal QA system accredited by the national agency”)."
            ),
        ),
    )
    return CompletenessReport(
        list(elements),
        _optional(spec),
        lambda: _export_gaps(spec, provider) + _elm_gaps(spec, provider, elements),
    )


# Left to _export_gaps (awarding bodies), to the mandatory checks, or optional by design.
_NOT_ELM_GAPS = {"awarding_bodies", "nqf_level", "max_duration_weeks", "hours"}
_FIELDS_OF_ELEMENT = {"workload": ("ects",), "level": ("eqf_level",)}


def _elm_gaps(spec: Any, provider: Any, elements: Sequence[ElementCheck]) -> list[ExportGap]:
    """The European Learning Model properties the export leaves out for lack of data
    (:mod:`qaportal.catalogue.export_gaps`), except what the checks above already say."""
    from qaportal.catalogue.export_gaps import missing_export_properties

    said = set(_NOT_ELM_GAPS)
    for element in elements:
        if element.status is not Status.PRESENT:
            said |= {element.key, *_FIELDS_OF_ELEMENT.get(element.key, ())}
    return [
        ExportGap(gap.element, gap.message)
        for gap in missing_export_properties(spec, provider)
        if gap.element not in said
    ]
