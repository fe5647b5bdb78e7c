"""The agency's published reports as a DEQAR report-submission CSV.

One row per published decision of the agency that has a published report (DEQAR stores
reports: ``report_files`` must not be empty), read through
:func:`qaportal.register.queries.published_decisions`, so nothing unpublished or withdrawn
is ever exported. The layout follows the example files in ``../shared/standards``
(``deqar-submission-example-full.csv``, ``-programme.csv``); the rules the examples do not
show come from DEQAR's own reader and serializers (repository ``EQAR/eqar_backend``):

- Columns are matched by the regular expressions of
  ``submissionapi/csv_functions/csv_handler.py`` (``CSVHandler.FIELDS``): list members
  carry a 1-based index, and nested lists two (``institution[1].identifier[1]``). The
  programme example's ``institution[1].identifier`` (no second index) matches none of them
  and would be ignored, so we write ``institution[1].identifier[1]`` with
  ``institution[1].resource[1]``. A cell holding ``-`` counts as empty.
- ``activities``: the full example gives DEQAR's numeric activity id
  (``activities[1].id``), the programme example the activity's label
  (``activities[1].activity``); the serializer accepts either (digits are looked up as id,
  anything else as the label, case-insensitive, for the agency:
  ``submissionapi/serializers/submisson_serializers.py``). We write the column that fits the
  configured value ``DEQAR_ACTIVITY`` (default: the decision's framework name).
- Every report needs at least one institution that resolves
  (``InstitutionSerializer.to_internal_value``): a DEQAR id, an ETER id, or identifiers.
  An identifier without ``resource`` counts as the agency's ``local identifier``; every row
  carries the provider's DEQAR id when known and always our own provider id as local
  identifier (``resource`` ``local identifier``), so DEQAR can link later submissions once
  the agency has matched it.
- ``date_format`` is per row and required; ``valid_from`` is required, ``valid_to``
  optional, both parsed with ``datetime.strptime(value, date_format)`` and
  ``valid_from < valid_to``. We write ISO dates with ``%Y-%m-%d``. Without an end of
  validity DEQAR counts six years (EQAR's AMS export: ``valid_from + relativedelta(years=6)``),
  which we write explicitly. DEQAR also refuses a ``valid_from`` outside the agency's EQAR
  registration period; the portal does not know that period, DEQAR reports it per row.
- ``status``: ``part of obligatory EQA system`` or ``voluntary`` (``ReportStatusField``);
  DEQAR refuses ``part of obligatory EQA system`` when every institution is an alternative
  provider (not a higher education institution): we then write ``voluntary``.
- ``decision``: ``positive``, ``positive with conditions or restrictions``, ``negative``,
  ``not applicable`` (``ReportDecisionField``, case-insensitive labels or ids 1–4).
- ``file[n].report_language[m]``: a two-letter ISO 639-1 code or a three-letter ISO 639-2
  code (``ReportLanguageField``); we write the ISO 639-2/B form (``ger``, ``eng``) as the
  programme example does.
- Programmes (here: the micro-credentials in the decision's scope, one ``programme[n]`` each):
  ``name_primary`` required; ``qf_ehea_level`` accepts ids 0–3 or ``short cycle``,
  ``first cycle``, ``second cycle``, ``third cycle`` (``QFEHEALevelField``); these are not
  EQF levels, so we map EQF 5→short, 6→first, 7→second, 8→third cycle (the mapping of
  EQAR's AMS export) when the provider gave no cycle, and leave it empty otherwise.
  ``degree_outcome`` ``no full degree`` (micro-credential) then requires ``workload_ects``, a
  whole number (``IntegerField``: we round half up, at least 1, from ECTS, else from hours
  at 30 hours per credit) and ``assessment_certification`` (``Attendance certificate``,
  ``Assessment based certificate``, ``No assessment and no certificate``).
  ``learning_outcome[n]`` takes ESCO skill URIs only; the statements go in
  ``learning_outcome_description``; ``field_study`` takes an ISCED-F code.

Every cell goes through the catalogue's formula escaping (``csv_io.escape_cell``).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pycountry
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from qaportal.catalogue.csv_io import escape_cell
from qaportal.catalogue.models import QfEheaCycle, SpecificationVersion, VersionStatus
from qaportal.orgs.models import Organisation, ProviderType
from qaportal.register import elm
from qaportal.register.queries import (
    MAX_LIMIT,
    PublishedDecision,
    RegisterFilters,
    published_decisions,
)

DATE_FORMAT = "%Y-%m-%d"
DECISIONS = (
    "positive",
    "positive with conditions or restrictions",
    "negative",
    "not applicable",
)
STATUSES = ("part of obligatory EQA system", "voluntary")
QF_EHEA_LEVELS = ("short cycle", "first cycle", "second cycle", "third cycle")
EQF_TO_QF_EHEA = {5: "short cycle", 6: "first cycle", 7: "second cycle", 8: "third cycle"}
CYCLE_TO_QF_EHEA = {
    QfEheaCycle.SHORT: "short cycle",
    QfEheaCycle.FIRST: "first cycle",
    QfEheaCycle.SECOND: "second cycle",
    QfEheaCycle.THIRD: "third cycle",
}
ASSESSMENT_BASED = "Assessment based certificate"
ATTENDANCE = "Attendance certificate"
ASSESSMENT_VALUES = (ATTENDANCE, ASSESSMENT_BASED, "No assessment and no certificate")
NO_FULL_DEGREE = "no full degree"
LOCAL_RESOURCE = "local identifier"
HOURS_PER_ECTS = 30
ESCO_PREFIX = "http://data.europa.eu/esco/skill/"

REPORT_COLUMNS = (
    "agency",
    "local_identifier",
    # one of "activities[1].id" / "activities[1].activity" is inserted here
    "status",
    "decision",
    "summary",
    "valid_from",
    "valid_to",
    "date_format",
    "file[1].original_location",
    "file[1].display_name",
    "file[1].report_language[1]",
    "link[1]",
    "link_display_name[1]",
    "institution[1].deqar_id",
    "institution[1].identifier[1]",
    "institution[1].resource[1]",
)
PROGRAMME_FIELDS = (
    "identifier[1]",
    "name_primary",
    "qualification_primary",
    "qf_ehea_level",
    "degree_outcome",
    "workload_ects",
    "assessment_certification",
    # "learning_outcome[k]" columns follow, as many as the longest list
    "learning_outcome_description",
    "field_study",
)


def workload_ects(version: SpecificationVersion) -> int | None:
    """ECTS as the whole number DEQAR requires (half up, at least 1)."""
    if version.ects is not None:
        value = Decimal(version.ects).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return max(1, int(value))
    if version.hours:
        return max(1, math.floor(version.hours / HOURS_PER_ECTS + 0.5))
    return None


def qf_ehea_level(version: SpecificationVersion) -> str:
    if version.qf_ehea_cycle:
        return CYCLE_TO_QF_EHEA[QfEheaCycle(version.qf_ehea_cycle)]
    if version.eqf_level:
        return EQF_TO_QF_EHEA.get(version.eqf_level, "")
    return ""


def report_language(locale: str) -> str:
    """ISO 639-2 (bibliographic where it differs) for DEQAR's ``report_language``."""
    code = (locale or "en").split("_")[0].split("-")[0].lower()
    language = pycountry.languages.get(alpha_2=code) if len(code) == 2 else None
    if language is None:
        return "eng"
    return getattr(language, "bibliographic", None) or language.alpha_3


def _programme(version: SpecificationVersion) -> dict[str, Any]:
    outcomes = sorted(version.outcomes, key=lambda o: o.position)
    assessment = ASSESSMENT_BASED if (version.assessment_type or "").strip() else ATTENDANCE
    return {
        "identifier[1]": version.specification.public_id,
        "name_primary": version.title,
        "qualification_primary": "Micro-credential",
        "qf_ehea_level": qf_ehea_level(version),
        "degree_outcome": NO_FULL_DEGREE,
        "workload_ects": workload_ects(version),
        "assessment_certification": assessment,
        "learning_outcomes": [
            o.esco_uri for o in outcomes if o.esco_uri and o.esco_uri.startswith(ESCO_PREFIX)
        ],
        "learning_outcome_description": "\n".join(o.statement for o in outcomes),
        "field_study": version.isced_f or "",
    }


def _status(decision: PublishedDecision, provider: Organisation | None) -> str:
    alternative = provider is not None and provider.provider_type not in (None, ProviderType.HEI)
    if alternative:
        return "voluntary"
    return decision.status if decision.status in STATUSES else "voluntary"


def decision_row(
    decision: PublishedDecision,
    *,
    base_url: str,
    agency: Organisation,
    provider: Organisation | None,
    specifications: Sequence[SpecificationVersion] = (),
    activity: str | None = None,
) -> dict[str, Any]:
    """One report row: plain values keyed by DEQAR column (programmes as a list)."""
    assert decision.report is not None
    valid_from = decision.valid_from or decision.decided_on
    activity_value = (activity or decision.framework_name or "").strip()
    row: dict[str, Any] = {
        "agency": agency.acronym or agency.legal_name,
        "local_identifier": f"{decision.case_reference}-D{decision.id}",
        "activity": activity_value,
        "status": _status(decision, provider),
        "decision": decision.outcome if decision.outcome in DECISIONS else "not applicable",
        "summary": decision.summary,
        "valid_from": valid_from.strftime(DATE_FORMAT),
        "valid_to": elm.valid_until_or_default(decision).strftime(DATE_FORMAT),
        "date_format": DATE_FORMAT,
        "file[1].original_location": elm.report_url(base_url, decision.id),
        "file[1].display_name": "Accreditation report",
        "file[1].report_language[1]": report_language(decision.report.locale),
        "link[1]": elm.decision_url(base_url, decision.id),
        "link_display_name[1]": "Decision in the public register",
        "institution[1].deqar_id": (provider.deqar_id if provider else None) or "",
        "institution[1].identifier[1]": f"qaportal-provider-{decision.provider_id}",
        "institution[1].resource[1]": LOCAL_RESOURCE,
        "programmes": [_programme(v) for v in specifications],
    }
    return row


def agency_decisions(session: Session, agency_id: int) -> list[PublishedDecision]:
    """Every published decision of the agency, paged through the register's query."""
    found: list[PublishedDecision] = []
    after: int | None = None
    while True:
        page = published_decisions(session, RegisterFilters(), after_id=after, limit=MAX_LIMIT)
        found += [d for d in page if d.agency_id == agency_id]
        if len(page) < MAX_LIMIT:
            return found
        after = page[-1].id


def deqar_rows(
    session: Session, agency_id: int, *, base_url: str, activity: str | None = None
) -> list[dict[str, Any]]:
    """The rows of :func:`deqar_csv` (before flattening): one per published report."""
    decisions = [d for d in agency_decisions(session, agency_id) if d.report is not None]
    agency = session.get(Organisation, agency_id)
    if agency is None or not decisions:
        return []
    provider_ids = {d.provider_id for d in decisions}
    providers = {
        o.id: o
        for o in session.execute(
            select(Organisation).where(Organisation.id.in_(provider_ids))
        ).scalars()
    }
    spec_ids = {s for d in decisions for s in d.specification_ids}
    versions: dict[int, SpecificationVersion] = {}
    if spec_ids:
        for v in session.execute(
            select(SpecificationVersion)
            .where(
                SpecificationVersion.specification_id.in_(spec_ids),
                SpecificationVersion.status == VersionStatus.PUBLISHED,
            )
            .options(
                selectinload(SpecificationVersion.outcomes),
                selectinload(SpecificationVersion.specification),
            )
        ).scalars():
            versions[v.specification_id] = v
    return [
        decision_row(
            d,
            base_url=base_url,
            agency=agency,
            provider=providers.get(d.provider_id),
            specifications=[versions[s] for s in d.specification_ids if s in versions],
            activity=activity,
        )
        for d in decisions
    ]


def header(rows: Sequence[dict[str, Any]]) -> list[str]:
    activity_column = (
        "activities[1].id"
        if rows and all(str(r["activity"]).isdigit() for r in rows)
        else "activities[1].activity"
    )
    columns = list(REPORT_COLUMNS)
    columns.insert(2, activity_column)
    programmes = max((len(r["programmes"]) for r in rows), default=0)
    for n in range(1, programmes + 1):
        lists = [
            r["programmes"][n - 1]["learning_outcomes"] for r in rows if len(r["programmes"]) >= n
        ]
        outcomes = max((len(x) for x in lists), default=0)
        for field in PROGRAMME_FIELDS:
            columns.append(f"programme[{n}].{field}")
            if field == "assessment_certification":
                columns += [f"programme[{n}].learning_outcome[{k}]" for k in range(1, outcomes + 1)]
    return columns


def flatten(row: dict[str, Any]) -> dict[str, Any]:
    flat = {k: v for k, v in row.items() if k not in ("programmes", "activity")}
    flat["activities[1].id"] = flat["activities[1].activity"] = row["activity"]
    for n, programme in enumerate(row["programmes"], start=1):
        for key, value in programme.items():
            if key == "learning_outcomes":
                for k, uri in enumerate(value, start=1):
                    flat[f"programme[{n}].learning_outcome[{k}]"] = uri
            else:
                flat[f"programme[{n}].{key}"] = value
    return flat


def deqar_csv(
    session: Session, agency_id: int, *, base_url: str, activity: str | None = None
) -> str:
    """The CSV text (UTF-8 without BOM, comma, header first), formula-escaped."""
    rows = deqar_rows(session, agency_id, base_url=base_url, activity=activity)
    return rows_to_csv(rows)


def rows_to_csv(rows: Sequence[dict[str, Any]]) -> str:
    columns = header(rows)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        flat = flatten(row)
        writer.writerow([escape_cell(flat.get(column, "")) for column in columns])
    return buffer.getvalue()
