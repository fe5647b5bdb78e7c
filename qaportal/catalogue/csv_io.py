"""A provider's catalogue as CSV: the column layout, the template, the export, the import.

Import runs in two steps. :func:`parse_catalogue_csv` reads an upload and checks every row
(header, encoding, values, duplicate titles within the file and against the provider's
catalogue, Annex I completeness) without writing anything; :func:`commit_import` then creates
all rows in the caller's transaction, or none, with a few multi-row INSERTs
(:mod:`qaportal.catalogue.bulk_import`); large files are committed by a background job
(:mod:`qaportal.catalogue.import_jobs`). Between the two the upload is kept on the
server (:func:`stage_upload`, :func:`load_staged`): the commit never trusts data sent back by
the browser, it parses the staged bytes again.

The layout is documented in ``qaportal/catalogue/README.md`` (keep both in step).

No Flask request here; messages are translated with the current locale.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import gc
import hashlib
import io
import json
import re
import secrets
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from qaportal.audit.services import Actor, record
from qaportal.catalogue import bulk_import, services
from qaportal.catalogue.completeness import CompletenessReport, check_completeness
from qaportal.catalogue.models import (
    Integration,
    ParticipationForm,
    QfEheaCycle,
    Specification,
    SpecificationVersion,
    Supervision,
)
from qaportal.catalogue.nqf import nqf_problem
from qaportal.catalogue.services import OutcomeData, SpecificationData
from qaportal.catalogue.validation import (
    LONG_TEXT_MAX,
    MAX_AWARDING_BODIES,
    MAX_OUTCOMES,
    MEDIUM_TEXT_MAX,
    OUTCOME_MAX,
    SHORT_TEXT_MAX,
    TITLE_MAX,
    ects_problem,
    eqf_problem,
    esco_problem,
    hours_problem,
    isced_problem,
    language_problem,
    max_duration_problem,
    region_problem,
    text_language_problem,
    url_problem,
)
from qaportal.db import utcnow
from qaportal.orgs.models import Organisation
from qaportal.web.forms import has_control_characters

# A whole catalogue in one file: 5,000 rows of full Annex I descriptions (about 2 KB a row
# with several outcomes) stay well below this.
MAX_BYTES = 16 * 1024 * 1024  # the file; the request may carry 64 KiB of form around it
REQUEST_OVERHEAD = 64 * 1024
# Rows are written in bulk (qaportal.catalogue.bulk_import); checking them costs about 1 ms
# a row, so the preview of the largest file stays a few seconds, and an import of more than
# INLINE_ROWS rows is written by a background job (qaportal.catalogue.import_jobs).
MAX_ROWS = 5000
INLINE_ROWS = 250
MAX_CELL_CHARS = 50_000  # no single cell is longer, whatever the column
SEPARATOR = "|"  # between the values of a multi-valued cell, written " | "
STAGING_HOURS = 2
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

_BODY_RE = re.compile(r"^(?P<name>.*?)\s*<(?P<url>[^<>]*)>$")
_COMMA_DECIMAL_RE = re.compile(r"^\d+,\d+$")
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32}$")
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")


# ----- the column layout ---------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    field: str  # the SpecificationData field it fills
    description: Any
    example: str
    multi: bool = False
    max_chars: int | None = None


def _choices(enum_cls: type) -> str:
    return ", ".join(m.value for m in enum_cls)


COLUMNS: tuple[Column, ...] = (
    Column(
        "title",
        "title",
        _l("Title of the micro-credential (required)."),
        "Applied data analysis with Python",
        max_chars=TITLE_MAX,
    ),
    Column(
        "issuer_regions",
        "issuer_regions",
        _l("Country(ies)/region(s) of the issuer: ISO 3166-1 alpha-2 or ISO 3166-2 codes."),
        "DE | DE-BY",
        multi=True,
    ),
    Column(
        "awarding_bodies",
        "awarding_bodies",
        _l("Awarding body(ies): a name, optionally followed by its web address in <…>."),
        "University of Demoville <https://university.example.org>",
        multi=True,
    ),
    Column(
        "awarding_body_legal_id",
        "awarding_bodies",
        _l(
            "Legal identifier of each awarding body (e.g. its business register number), "
            "in the order of awarding_bodies; leave an entry empty to skip a body (optional "
            "column)."
        ),
        "HRB 123456",
        multi=True,
    ),
    Column(
        "awarding_body_vat_id",
        "awarding_bodies",
        _l(
            "VAT identifier of each awarding body with its country prefix, e.g. DE123456789, "
            "in the order of awarding_bodies (optional column)."
        ),
        "DE123456789",
        multi=True,
    ),
    Column(
        "awarding_body_country",
        "awarding_bodies",
        _l(
            "Country of each awarding body: ISO 3166-1 alpha-2 code, in the order of "
            "awarding_bodies (optional column)."
        ),
        "DE",
        multi=True,
    ),
    Column(
        "awarding_body_region",
        "awarding_bodies",
        _l(
            "Region of each awarding body: ISO 3166-2 code such as DE-BY, in the order of "
            "awarding_bodies (optional column)."
        ),
        "DE-BY",
        multi=True,
    ),
    Column(
        "awarding_body_address",
        "awarding_bodies",
        _l(
            "Postal address of each awarding body, in the order of awarding_bodies "
            "(optional column)."
        ),
        "Universitätsplatz 1, 80000 Demoville",
        multi=True,
    ),
    Column(
        "learning_outcomes",
        "outcomes",
        _l("Learning outcomes, one statement each."),
        "Analyse tabular data with pandas | Evaluate the quality of a data set",
        multi=True,
    ),
    Column(
        "outcome_esco_uris",
        "outcomes",
        _l("ESCO skill URI of each outcome, in the same order (leave an entry empty to skip)."),
        "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d | ",
        multi=True,
    ),
    Column(
        "ects", "ects", _l("Notional workload in ECTS credits (a decimal, e.g. 5 or 2.5)."), "5"
    ),
    Column("hours", "hours", _l("Notional workload in hours (a whole number)."), "140"),
    Column("eqf_level", "eqf_level", _l("EQF level, 1 to 8."), "6"),
    Column(
        "nqf_level",
        "nqf_level",
        _l(
            "Level in the national qualifications framework of your organisation's country, "
            "e.g. 6 (optional column)."
        ),
        "",
    ),
    Column(
        "level_not_applicable",
        "level_not_applicable",
        _l("yes when no EQF level or QF-EHEA cycle applies; otherwise leave empty."),
        "",
    ),
    Column(
        "qf_ehea_cycle",
        "qf_ehea_cycle",
        _l("QF-EHEA cycle: %(choices)s.", choices=_choices(QfEheaCycle)),
        "first",
    ),
    Column(
        "assessment_type",
        "assessment_type",
        _l("Type of assessment."),
        "Graded project with an oral defence",
        max_chars=MEDIUM_TEXT_MAX,
    ),
    Column(
        "participation_form",
        "participation_form",
        _l("Form of participation: %(choices)s.", choices=_choices(ParticipationForm)),
        "blended",
    ),
    Column(
        "participation_detail",
        "participation_detail",
        _l("Details of the form of participation."),
        "Six online weeks, two onsite days",
        max_chars=SHORT_TEXT_MAX,
    ),
    Column(
        "quality_assurance",
        "quality_assurance",
        _l("Type of quality assurance."),
        "Internal QA system accredited by the national agency",
        max_chars=MEDIUM_TEXT_MAX,
    ),
    Column(
        "prerequisites",
        "prerequisites",
        _l("Prerequisites needed to enrol."),
        "Basic programming",
        max_chars=MEDIUM_TEXT_MAX,
    ),
    Column(
        "supervision",
        "supervision",
        _l(
            "Supervision and identity verification during assessment: %(choices)s.",
            choices=_choices(Supervision),
        ),
        "onsite_with_id",
    ),
    Column(
        "grading_scheme",
        "grading_scheme",
        _l("Grading scheme."),
        "1.0 (best) to 4.0 (pass)",
        max_chars=MEDIUM_TEXT_MAX,
    ),
    Column(
        "integration",
        "integration",
        _l("Integration/stackability: %(choices)s.", choices=_choices(Integration)),
        "stackable",
    ),
    Column(
        "stackable_towards",
        "stackable_towards",
        _l("The credential it stacks towards."),
        "Certificate in Data Science",
        max_chars=SHORT_TEXT_MAX,
    ),
    Column(
        "further_information",
        "further_information",
        _l("Further information."),
        "",
        max_chars=LONG_TEXT_MAX,
    ),
    Column(
        "languages",
        "languages",
        _l("Language(s) of instruction: ISO 639-1 or ISO 639-3 codes."),
        "en | de",
        multi=True,
    ),
    Column(
        "text_language",
        "text_language",
        _l(
            "Language the texts of the row are written in: the ISO 639-1 code of an official "
            "EU language (optional column; left empty, the language of your catalogue's texts)."
        ),
        "en",
    ),
    Column("isced_f", "isced_f", _l("Field of study: ISCED-F 2013 code (2 to 4 digits)."), "0613"),
    Column(
        "price_note", "price_note", _l("Price / funding."), "EUR 450", max_chars=MEDIUM_TEXT_MAX
    ),
    Column(
        "max_duration_weeks",
        "max_duration_weeks",
        _l("Maximum duration of the course in weeks, 1 to 520 (optional column)."),
        "12",
    ),
)
COLUMN_NAMES = tuple(c.name for c in COLUMNS)
# Columns added after files were first written: a file without them is still complete.
# The awarding bodies' identifiers: a column per key of the stored body, one entry per body
# of ``awarding_bodies`` in the same order (as ``outcome_esco_uris`` is for the outcomes).
BODY_COLUMNS = {
    "awarding_body_legal_id": "legal_id",
    "awarding_body_vat_id": "vat_id",
    "awarding_body_country": "country",
    "awarding_body_region": "region",
    "awarding_body_address": "address",
}
OPTIONAL_COLUMNS = frozenset({"text_language", "nqf_level", "max_duration_weeks", *BODY_COLUMNS})
BY_NAME = {c.name: c for c in COLUMNS}
# Written by the export for reference, ignored by the import (so an export can be re-read).
EXPORT_ONLY_COLUMNS = ("public_id", "version", "status")
FIELD_COLUMN = {
    "title": "title",
    "issuer_regions": "issuer_regions",
    "awarding_bodies": "awarding_bodies",
    "outcomes": "learning_outcomes",
    "ects": "ects",
    "hours": "hours",
    "eqf_level": "eqf_level",
    "nqf_level": "nqf_level",
    "max_duration_weeks": "max_duration_weeks",
    "level_not_applicable": "level_not_applicable",
    "qf_ehea_cycle": "qf_ehea_cycle",
    "assessment_type": "assessment_type",
    "participation_form": "participation_form",
    "participation_detail": "participation_detail",
    "quality_assurance": "quality_assurance",
    "prerequisites": "prerequisites",
    "supervision": "supervision",
    "grading_scheme": "grading_scheme",
    "integration": "integration",
    "stackable_towards": "stackable_towards",
    "further_information": "further_information",
    "languages": "languages",
    "text_language": "text_language",
    "isced_f": "isced_f",
    "price_note": "price_note",
}
_YES = {"yes", "y", "true", "1", "x", "oui", "ja"}
_NO = {"", "no", "n", "false", "0", "non", "nein"}


# ----- writing CSV -------------------------------------------------------------------------


def escape_cell(value: Any) -> str:
    """A cell as text that no spreadsheet runs as a formula (leading apostrophe)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def _unescape_cell(text: str) -> str:
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        return text[1:]
    return text


def _csv_bytes(rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([escape_cell(cell) for cell in row])
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")  # BOM: spreadsheets read UTF-8


def template_csv() -> bytes:
    """The header and one example row (to be replaced by the provider's own rows)."""
    return _csv_bytes([COLUMN_NAMES, [c.example for c in COLUMNS]])


def _joined(values: Iterable[str]) -> str:
    return f" {SEPARATOR} ".join(v for v in values)


def _decimal_text(value: Decimal | None) -> str:
    return "" if value is None else f"{Decimal(value).normalize():f}"


def version_row(version: SpecificationVersion) -> list[str]:
    bodies = [
        f"{b.get('name', '')} <{b['url']}>" if b.get("url") else b.get("name", "")
        for b in version.awarding_bodies or []
    ]
    esco = [o.esco_uri or "" for o in version.outcomes]
    values: dict[str, str] = {}
    for column, key in BODY_COLUMNS.items():
        entries = [b.get(key) or "" for b in version.awarding_bodies or []]
        values[column] = _joined(entries) if any(entries) else ""
    values |= {
        "title": version.title,
        "issuer_regions": _joined(version.issuer_regions or []),
        "awarding_bodies": _joined(bodies),
        "learning_outcomes": _joined(o.statement for o in version.outcomes),
        "outcome_esco_uris": _joined(esco) if any(esco) else "",
        "ects": _decimal_text(version.ects),
        "hours": "" if version.hours is None else str(version.hours),
        "eqf_level": "" if version.eqf_level is None else str(version.eqf_level),
        "level_not_applicable": "yes" if version.level_not_applicable else "",
        "languages": _joined(version.languages or []),
    }
    row = []
    for column in COLUMNS:
        if column.name in values:
            row.append(values[column.name])
            continue
        value = getattr(version, column.field)
        row.append("" if value is None else str(getattr(value, "value", value)))
    status = getattr(version.status, "value", version.status)
    return [*row, version.specification.public_id, str(version.number), status]


def current_versions(session: Session, provider_id: int) -> list[SpecificationVersion]:
    """The latest version of each of the provider's specifications that is not retired, with
    outcomes and specification loaded (two statements)."""
    latest = (
        select(
            SpecificationVersion.specification_id.label("spec_id"),
            func.max(SpecificationVersion.number).label("number"),
        )
        .join(Specification, Specification.id == SpecificationVersion.specification_id)
        .where(Specification.provider_id == provider_id)
        .group_by(SpecificationVersion.specification_id)
        .subquery()
    )
    return list(
        session.execute(
            select(SpecificationVersion)
            .join(Specification, Specification.id == SpecificationVersion.specification_id)
            .join(
                latest,
                (latest.c.spec_id == SpecificationVersion.specification_id)
                & (latest.c.number == SpecificationVersion.number),
            )
            .where(Specification.provider_id == provider_id, Specification.retired_at.is_(None))
            .options(
                selectinload(SpecificationVersion.outcomes),
                selectinload(SpecificationVersion.specification),
            )
            .order_by(SpecificationVersion.title, Specification.id)
        ).scalars()
    )


def export_csv(session: Session, provider: Organisation) -> bytes:
    rows: list[Sequence[Any]] = [[*COLUMN_NAMES, *EXPORT_ONLY_COLUMNS]]
    rows += [version_row(v) for v in current_versions(session, provider.id)]
    return _csv_bytes(rows)


def export_filename(provider: Organisation) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", provider.acronym or f"provider-{provider.id}").strip("-")
    return f"catalogue-{slug.lower() or provider.id}-{utcnow():%Y-%m-%d}.csv"


# ----- reading CSV -------------------------------------------------------------------------


@dataclass
class Problem:
    row: int | None  # 1 is the header; None for the file as a whole
    column: str | None
    message: str


@dataclass
class ParsedRow:
    number: int
    data: SpecificationData
    problems: list[Problem] = field(default_factory=list)
    completeness: CompletenessReport | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class ParsedUpload:
    rows: list[ParsedRow] = field(default_factory=list)
    file_problems: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[Problem]:
        return self.file_problems + [p for r in self.rows for p in r.problems]

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows)

    @property
    def complete_count(self) -> int:
        return sum(1 for r in self.rows if r.completeness and r.completeness.is_complete)


class _FileRefused(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _decode(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _FileRefused(
            Problem(
                None,
                None,
                _(
                    "The file is encoded as UTF-16. Save it as “CSV UTF-8 (comma delimited)” "
                    "and upload it again."
                ),
            )
        )
    if b"\x00" in raw:
        raise _FileRefused(Problem(None, None, _("This is not a CSV text file.")))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise _FileRefused(
            Problem(
                None,
                None,
                _(
                    "The file is not UTF-8 encoded: byte 0x%(byte)02X on line %(line)d cannot be "
                    "read. Save it as “CSV UTF-8” in your spreadsheet program and upload it again.",
                    byte=raw[error.start],
                    line=line,
                ),
            )
        ) from None


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _check_header(header: list[str]) -> tuple[dict[str, int], list[Problem], list[str]]:
    names = [h.strip().lower() for h in header]
    problems: list[Problem] = []
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for index, name in enumerate(names, start=1):
        if not name:
            problems.append(Problem(1, None, _("Column %(n)d has no name in the header.", n=index)))
        elif name in positions or (name in ignored):
            problems.append(Problem(1, name, _("The column appears twice in the header.")))
        elif name in BY_NAME:
            positions[name] = index - 1
        elif name in EXPORT_ONLY_COLUMNS:
            ignored.append(name)
        else:
            problems.append(
                Problem(
                    1,
                    name,
                    _("Unknown column. The columns are: %(names)s.", names=", ".join(COLUMN_NAMES)),
                )
            )
    for name in COLUMN_NAMES:
        if name in OPTIONAL_COLUMNS:
            continue
        if name not in positions and not any(p.column == name for p in problems):
            problems.append(Problem(1, name, _("The column is missing from the header.")))
    return positions, problems, ignored


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(SEPARATOR)] if cell.strip() else []


@functools.cache
def _enum_values(enum_cls: type) -> frozenset[str]:
    return frozenset(m.value for m in enum_cls)


def _enum(value: str, enum_cls: type, column: str, problems: list[Problem], row: int) -> Any:
    value = value.strip().lower().replace("-", "_").replace(" ", "_")
    if not value:
        return None
    if value not in _enum_values(enum_cls):
        problems.append(
            Problem(
                row,
                column,
                _(
                    "“%(value)s” is not one of: %(choices)s.",
                    value=value,
                    choices=_choices(enum_cls),
                ),
            )
        )
        return None
    return enum_cls(value)


def _row_data(
    cells: dict[str, str], number: int, text_language: str = "en"
) -> tuple[SpecificationData, list[Problem]]:
    problems: list[Problem] = []

    def add(column: str, message: str | None) -> None:
        if message:
            problems.append(Problem(number, column, message))

    for name, value in cells.items():
        column = BY_NAME[name]
        if len(value) > MAX_CELL_CHARS:
            add(name, _("The cell is too long (%(n)d characters).", n=len(value)))
            cells[name] = ""
        elif column.max_chars and len(value.strip()) > column.max_chars:
            add(name, _("At most %(max)d characters.", max=column.max_chars))
        elif has_control_characters(value, multi_line=True):
            add(name, _("Remove the invisible control characters (such as NUL) from this cell."))
            cells[name] = ""

    data = SpecificationData()
    data.title = cells["title"].strip()
    if not data.title:
        add("title", _("A title is required."))

    data.issuer_regions = [c.upper() for c in _split(cells["issuer_regions"])]
    for code in data.issuer_regions:
        add("issuer_regions", region_problem(code))

    bodies = []
    for entry in _split(cells["awarding_bodies"]):
        match = _BODY_RE.match(entry)
        name, url = (match["name"].strip(), match["url"].strip()) if match else (entry, "")
        if len(name) > SHORT_TEXT_MAX:
            add("awarding_bodies", _("At most %(max)d characters per name.", max=SHORT_TEXT_MAX))
        if url:
            add("awarding_bodies", url_problem(url))
        if not name:
            add("awarding_bodies", _("A web address needs the name of the awarding body."))
        bodies.append({"name": name, "url": url} if url else {"name": name})
    if len(bodies) > MAX_AWARDING_BODIES:
        add("awarding_bodies", _("At most %(max)d awarding bodies.", max=MAX_AWARDING_BODIES))
    for column, key in BODY_COLUMNS.items():
        entries = _split(cells.get(column, ""))
        if len(entries) > len(bodies):
            add(
                column,
                _(
                    "%(entries)d entries for %(bodies)d awarding bodies: give at most one per "
                    "body, in the same order.",
                    entries=len(entries),
                    bodies=len(bodies),
                ),
            )
        for body, entry in zip(bodies, entries, strict=False):
            if entry:
                body[key] = entry
    data.awarding_bodies = bodies

    statements = _split(cells["learning_outcomes"])
    uris = _split(cells["outcome_esco_uris"])
    if len(statements) > MAX_OUTCOMES:
        add("learning_outcomes", _("At most %(max)d learning outcomes.", max=MAX_OUTCOMES))
    for n, statement in enumerate(statements, start=1):
        if not statement:
            add("learning_outcomes", _("Outcome %(n)d is empty.", n=n))
        elif len(statement) > OUTCOME_MAX:
            add(
                "learning_outcomes",
                _("Outcome %(n)d: at most %(max)d characters.", n=n, max=OUTCOME_MAX),
            )
    if len(uris) > len(statements):
        add(
            "outcome_esco_uris",
            _(
                "%(uris)d ESCO URIs for %(outcomes)d outcomes: give at most one per outcome, "
                "in the same order.",
                uris=len(uris),
                outcomes=len(statements),
            ),
        )
    for n, uri in enumerate(uris, start=1):
        problem = esco_problem(uri) if uri else None
        if problem:
            add("outcome_esco_uris", _("Outcome %(n)d: ", n=n) + problem)
    data.outcomes = [
        OutcomeData(s, uris[i] if i < len(uris) and uris[i] else None)
        for i, s in enumerate(statements)
    ]

    ects = cells["ects"].strip().replace(" ", "")
    if _COMMA_DECIMAL_RE.match(ects):
        ects = ects.replace(",", ".")
    if ects:
        problem = ects_problem(ects)
        add("ects", problem)
        if not problem:
            try:
                data.ects = Decimal(ects)
            except InvalidOperation:  # pragma: no cover - ects_problem caught it
                add("ects", _("Enter a number of ECTS credits, e.g. 5 or 2.5."))
    hours = cells["hours"].strip()
    if hours:
        problem = hours_problem(hours)
        add("hours", problem)
        data.hours = None if problem else int(hours)
    eqf = cells["eqf_level"].strip()
    if eqf:
        problem = eqf_problem(eqf)
        add("eqf_level", problem)
        data.eqf_level = None if problem else int(eqf)
    # Whole numbers here; whether the level exists in the provider's country's framework and
    # the duration's range are the services' checks (_add_service_problems).
    for name, problem_of in (
        ("nqf_level", lambda text: nqf_problem(None, text)),
        ("max_duration_weeks", max_duration_problem),
    ):
        text = cells.get(name, "").strip()
        if text and not text.isdigit():
            add(name, problem_of(text))
        elif text:
            setattr(data, name, int(text))
    flag = cells["level_not_applicable"].strip().lower()
    if flag in _YES:
        data.level_not_applicable = True
    elif flag not in _NO:
        add("level_not_applicable", _("Write yes, or leave the cell empty."))

    data.qf_ehea_cycle = _enum(
        cells["qf_ehea_cycle"], QfEheaCycle, "qf_ehea_cycle", problems, number
    )
    data.participation_form = _enum(
        cells["participation_form"], ParticipationForm, "participation_form", problems, number
    )
    data.supervision = _enum(cells["supervision"], Supervision, "supervision", problems, number)
    data.integration = _enum(cells["integration"], Integration, "integration", problems, number)

    data.languages = [c.lower() for c in _split(cells["languages"])]
    for code in data.languages:
        add("languages", language_problem(code))
    data.isced_f = cells["isced_f"].strip() or None
    add("isced_f", isced_problem(data.isced_f))
    data.text_language = cells.get("text_language", "").strip().lower() or text_language
    add("text_language", text_language_problem(data.text_language))

    for name in ("assessment_type", "quality_assurance"):
        setattr(data, name, cells[name].strip())
    for name in (
        "participation_detail",
        "prerequisites",
        "grading_scheme",
        "stackable_towards",
        "further_information",
        "price_note",
    ):
        setattr(data, name, cells[name].strip() or None)
    return data, problems


_gc_lock = threading.Lock()
_gc_pausers = 0
_gc_was_on = True


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Checking a large file builds some hundred objects a row that live until the import
    ends, and the cyclic collector traversed them again and again (a third of the time
    checking took). Reference counting frees them (they form no cycles), so the collector
    rests meanwhile; a count keeps it resting until the last of several concurrent imports
    is done, and it is only switched back on if it was on before."""
    global _gc_pausers, _gc_was_on
    with _gc_lock:
        if _gc_pausers == 0:
            _gc_was_on = gc.isenabled()
            gc.disable()
        _gc_pausers += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_was_on:
                gc.enable()


def _normal_title(title: str) -> str:
    return " ".join(title.split()).casefold()


def existing_titles(session: Session, provider_id: int) -> set[str]:
    """Titles (normalised) of the provider's specifications that are not retired."""
    return {
        _normal_title(s.title)
        for s in services.provider_specifications(session, provider_id)
        if not s.retired
    }


def parse_catalogue_csv(
    raw: bytes,
    existing: set[str] | None = None,
    *,
    max_rows: int = MAX_ROWS,
    text_language: str = "en",
    provider_country: str | None = None,
) -> ParsedUpload:
    """Read and check an upload; nothing is written. ``existing``: normalised titles the
    provider already uses (see :func:`existing_titles`); ``text_language``: the language of
    rows that name none (see :func:`services.default_text_language`); ``provider_country``:
    the provider's country, whose framework an NQF level belongs to."""
    result = ParsedUpload()
    if len(raw) > MAX_BYTES:
        result.file_problems.append(
            Problem(
                None, None, _("The file is larger than %(mb)d MB.", mb=MAX_BYTES // (1024 * 1024))
            )
        )
        return result
    try:
        text = _decode(raw)
        records = _records(text, max_rows)
    except _FileRefused as refused:
        result.file_problems.append(refused.problem)
        return result
    if not records:
        result.file_problems.append(Problem(None, None, _("The file is empty.")))
        return result
    positions, header_problems, result.ignored_columns = _check_header(records[0])
    if header_problems:
        result.file_problems += header_problems
        return result
    width = len(records[0])
    body = [(n, r) for n, r in enumerate(records[1:], start=2) if any(c.strip() for c in r)]
    if len(body) > max_rows:
        result.file_problems.append(
            Problem(
                None,
                None,
                _(
                    "The file has more than %(max)d rows, the most one import takes. "
                    "Split it into several files.",
                    max=max_rows,
                ),
            )
        )
        return result
    if not body:
        result.file_problems.append(Problem(None, None, _("The file has a header but no rows.")))
        return result

    with _cyclic_gc_paused():
        _check_rows(
            result, body, positions, width, existing or set(), text_language, provider_country
        )
    return result


def _check_rows(
    result: ParsedUpload,
    body: list[tuple[int, list[str]]],
    positions: dict[str, int],
    width: int,
    existing: set[str],
    text_language: str,
    provider_country: str | None,
) -> None:
    first_row_of: dict[str, int] = {}
    for number, values in body:
        if len(values) != width:
            title = values[positions["title"]] if len(values) > positions["title"] else ""
            result.rows.append(
                ParsedRow(
                    number,
                    SpecificationData(title=title.strip()),
                    [
                        Problem(
                            number,
                            None,
                            _(
                                "The row has %(n)d cells; the header has %(width)d.",
                                n=len(values),
                                width=width,
                            ),
                        )
                    ],
                )
            )
            continue
        cells = {name: _unescape_cell(values[i]) for name, i in positions.items()}
        data, problems = _row_data(cells, number, text_language)
        normal = data.normalised()  # once: it is what is checked and what is stored
        _add_service_problems(normal, problems, number, provider_country)
        key = _normal_title(data.title)
        if key:
            if key in first_row_of:
                problems.append(
                    Problem(
                        number,
                        "title",
                        _(
                            "Duplicate title: rows %(first)d and %(row)d are both titled "
                            "“%(title)s”.",
                            first=first_row_of[key],
                            row=number,
                            title=data.title,
                        ),
                    )
                )
            else:
                first_row_of[key] = number
            if key in existing:
                problems.append(
                    Problem(
                        number,
                        "title",
                        _(
                            "Your catalogue already has a specification titled “%(title)s”.",
                            title=data.title,
                        ),
                    )
                )
        row = ParsedRow(number, normal, problems)
        row.completeness = check_completeness(row.data)
        result.rows.append(row)


def _add_service_problems(
    data: SpecificationData, problems: list[Problem], number: int, provider_country: str | None
) -> None:
    """Whatever the services would refuse is refused here too (each message once); ``data``
    is normalised already."""
    _add_body_column_problems(data, problems, number)
    seen = {(p.column, p.message) for p in problems}
    outcome_messages = {
        p.message for p in problems if p.column in ("learning_outcomes", "outcome_esco_uris")
    }
    body_messages = {p.message for p in problems if p.column in BODY_COLUMNS}
    for name, messages in services.validate_data(data, provider_country).items():
        column = FIELD_COLUMN.get(name, name)
        for message in messages:
            if (column, message) in seen or (name == "outcomes" and message in outcome_messages):
                continue
            if name == "awarding_bodies" and message in body_messages:
                continue
            problems.append(Problem(number, column, message))
            seen.add((column, message))


def _add_body_column_problems(
    data: SpecificationData, problems: list[Problem], number: int
) -> None:
    """The awarding bodies' identifier problems, each under its own column: the editor's
    rules (:func:`services.awarding_body_problems`) applied to one key at a time, then to
    the region with the country. The messages are the ones ``validate_data`` words for the
    whole body, so the caller can leave those out."""
    placeholder = "-"  # a valid name, so only the key's own problems come back
    for n, body in enumerate(data.awarding_bodies, start=1):
        prefix = _("Awarding body %(n)d: ", n=n)
        found: set[str] = set()
        for column, key in BODY_COLUMNS.items():
            if key in body:
                for problem in services.awarding_body_problems(
                    {"name": placeholder, key: body[key]}
                ):
                    found.add(problem)
                    problems.append(Problem(number, column, prefix + problem))
        if "country" in body and "region" in body:
            pair = {"name": placeholder, "country": body["country"], "region": body["region"]}
            for problem in services.awarding_body_problems(pair):
                if problem not in found:
                    problems.append(Problem(number, "awarding_body_region", prefix + problem))


def _records(text: str, max_rows: int) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    records: list[list[str]] = []
    try:
        for record in reader:
            records.append(record)
            if len(records) > max_rows + 1 + 1000:  # far too many: stop reading
                break
    except csv.Error as error:
        raise _FileRefused(
            Problem(
                None,
                None,
                _(
                    "The file is not valid CSV near line %(line)d (%(reason)s).",
                    line=reader.line_num,
                    reason=str(error),
                ),
            )
        ) from None
    return records


# ----- committing ------------------------------------------------------------------------


@dataclass
class ImportResult:
    created: int
    published: int
    public_ids: list[str]


class ImportRefused(Exception):
    """The upload has problems; nothing was written."""

    def __init__(self, parsed: ParsedUpload) -> None:
        super().__init__(f"{len(parsed.problems)} problem(s)")
        self.parsed = parsed


def commit_import(
    session: Session,
    provider: Organisation,
    parsed: ParsedUpload,
    actor: Actor,
    *,
    publish_complete: bool = False,
    sha256: str | None = None,
    filename: str | None = None,
) -> ImportResult:
    """Create every row as a draft (publishing the complete ones when asked) in the caller's
    transaction. Refuses the whole upload if any row has a problem; the caller commits, or
    rolls back when anything raises, so nothing is ever half-imported."""
    if not parsed.ok:
        raise ImportRefused(parsed)
    rows = [
        bulk_import.BulkRow(
            row.data,
            publish=bool(
                publish_complete and row.completeness is not None and row.completeness.is_complete
            ),
        )
        for row in parsed.rows
    ]
    with _cyclic_gc_paused():  # thousands of row dicts again, none of them in a cycle
        written = bulk_import.insert_rows(session, provider, rows, actor)
    created, published, public_ids = len(parsed.rows), written.published, written.public_ids
    record(
        session,
        actor,
        "catalogue.imported",
        object_type="organisation",
        object_id=provider.id,
        organisation_id=provider.id,
        details={
            "rows": len(parsed.rows),
            "created": created,
            "published": published,
            "drafts": created - published,
            "sha256": sha256,
            "filename": filename,
            # One event for the whole import instead of one per specification: the ids
            # name every specification it created.
            "specifications": public_ids,
        },
    )
    return ImportResult(created, published, public_ids)


# ----- staging between preview and commit ---------------------------------------------------


@dataclass
class StagedUpload:
    token: str
    sha256: str
    filename: str
    raw: bytes
    # The background job that imports it, once confirmed (a second confirmation finds it).
    job_id: str | None = None


def _staging_dir(upload_folder: str | Path) -> Path:
    path = Path(upload_folder) / "catalogue-imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _purge_stale(folder: Path) -> None:
    limit = utcnow() - dt.timedelta(hours=STAGING_HOURS)
    for meta in folder.glob("*.json"):
        modified = dt.datetime.fromtimestamp(meta.stat().st_mtime, dt.UTC)
        if modified < limit:
            meta.with_suffix(".csv").unlink(missing_ok=True)
            meta.unlink(missing_ok=True)


def stage_upload(
    upload_folder: str | Path, provider_id: int, user_id: int | None, filename: str, raw: bytes
) -> StagedUpload:
    """Keep an upload on the server for the commit step; returns its random token."""
    folder = _staging_dir(upload_folder)
    _purge_stale(folder)
    token = secrets.token_urlsafe(24)
    sha256 = hashlib.sha256(raw).hexdigest()
    (folder / f"{token}.csv").write_bytes(raw)
    meta = {
        "provider_id": provider_id,
        "user_id": user_id,
        "sha256": sha256,
        "filename": filename[:200],
        "staged_at": utcnow().isoformat(),
    }
    (folder / f"{token}.json").write_text(json.dumps(meta), encoding="utf-8")
    return StagedUpload(token, sha256, meta["filename"], raw)


def load_staged(
    upload_folder: str | Path, token: str, sha256: str, provider_id: int, user_id: int | None
) -> StagedUpload | None:
    """The staged upload, if ``token`` names one of this user's, for this provider, not stale,
    and its bytes still have the SHA-256 the preview showed."""
    if not _TOKEN_RE.match(token or "") or not _SHA_RE.match(sha256 or ""):
        return None
    folder = _staging_dir(upload_folder)
    meta_path, data_path = folder / f"{token}.json", folder / f"{token}.csv"
    if not meta_path.is_file() or not data_path.is_file():
        return None
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    staged_at = dt.datetime.fromisoformat(meta["staged_at"])
    if (
        meta.get("provider_id") != provider_id
        or meta.get("user_id") != user_id
        or meta.get("sha256") != sha256
        or utcnow() - staged_at > dt.timedelta(hours=STAGING_HOURS)
    ):
        return None
    raw = data_path.read_bytes()
    if hashlib.sha256(raw).hexdigest() != sha256:
        return None
    return StagedUpload(token, sha256, meta.get("filename", ""), raw, meta.get("job_id"))


def mark_staged_job(upload_folder: str | Path, staged: StagedUpload, job_id: str) -> None:
    """Note on the staged upload the job that imports it."""
    meta_path = _staging_dir(upload_folder) / f"{staged.token}.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["job_id"] = job_id
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    staged.job_id = job_id


def count_rows(raw: bytes) -> int:
    """Rows besides the header, without checking them (to choose how to import a file that
    was checked already); 0 when the file cannot be read."""
    try:
        text = _decode(raw)
        records = _records(text, MAX_ROWS)
    except _FileRefused:
        return 0
    return sum(1 for r in records[1:] if any(c.strip() for c in r))


def discard_staged(upload_folder: str | Path, token: str) -> None:
    if not _TOKEN_RE.match(token or ""):
        return
    folder = _staging_dir(upload_folder)
    (folder / f"{token}.csv").unlink(missing_ok=True)
    (folder / f"{token}.json").unlink(missing_ok=True)
