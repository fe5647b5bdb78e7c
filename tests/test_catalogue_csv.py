"""The provider's catalogue as CSV: template, export (formula-safe), import (preview, then an
all-or-nothing commit), with every problem named by row, column and reason."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from qaportal.audit.models import AuditEvent
from qaportal.audit.services import event_details
from qaportal.catalogue import csv_io
from qaportal.catalogue.models import (
    CatalogueEntry,
    LearningOutcome,
    Specification,
    SpecificationVersion,
    VersionStatus,
)
from qaportal.db import get_session
from tests.conftest import login, post_form
from tests.test_catalogue_exports import (
    create_published,
    full_data,
    provider,
)

UDV_ADMIN = "admin@university.example.org"
UDV_EDITOR = "editor@university.example.org"
NVTC_ADMIN = "admin@vet.example.org"
AGENCY_ADMIN = "admin@agency.example.org"


# ----- helpers -----------------------------------------------------------------------------


def org_id(app: Any, acronym: str) -> int:
    with app.app_context():
        return provider(get_session(), acronym).id


def counts(app: Any) -> dict[str, int]:
    with app.app_context():
        session = get_session()
        return {
            model.__tablename__: session.execute(
                select(func.count()).select_from(model)
            ).scalar_one()
            for model in (Specification, SpecificationVersion, LearningOutcome, CatalogueEntry)
        }


def audit_actions(app: Any) -> list[str]:
    with app.app_context():
        return list(
            get_session().execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars()
        )


def row(**values: str) -> dict[str, str]:
    """A complete, valid row; keyword arguments replace cells."""
    base = {
        "title": "Cloud security fundamentals",
        "issuer_regions": "DE | DE-BY",
        "awarding_bodies": "University of Demoville <https://university.example.org>",
        "learning_outcomes": (
            "Analyse the security risks of a cloud deployment | "
            "Configure identity and access management for a small team"
        ),
        "outcome_esco_uris": "",
        "ects": "3",
        "hours": "80",
        "eqf_level": "6",
        "level_not_applicable": "",
        "qf_ehea_cycle": "first",
        "assessment_type": "Written exam of 90 minutes and a lab assignment",
        "participation_form": "online",
        "participation_detail": "",
        "quality_assurance": "Internal QA system of the university, accredited nationally",
        "prerequisites": "",
        "supervision": "supervised_online",
        "grading_scheme": "",
        "integration": "stand_alone",
        "stackable_towards": "",
        "further_information": "",
        "languages": "en",
        "isced_f": "0612",
        "price_note": "",
    }
    base.update(values)
    return base


def make_csv(
    rows: list[dict[str, str]],
    columns: list[str] | None = None,
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> bytes:
    columns = columns or list(csv_io.COLUMN_NAMES)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow([r.get(c, "") for c in columns])
    return buffer.getvalue().encode(encoding)


def upload(client: Any, oid: int, body: bytes, name: str = "catalogue.csv") -> Any:
    return post_form(
        client,
        f"/orgs/{oid}/catalogue/import",
        {"file": (io.BytesIO(body), name)},
        content_type="multipart/form-data",
    )


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', page
    )
    assert match, f"no hidden field {name}"
    return match.group(1)


def commit(client: Any, oid: int, preview_page: str, publish: bool = False) -> Any:
    data = {
        "csrf_token": hidden(preview_page, "csrf_token"),
        "token": hidden(preview_page, "token"),
        "sha256": hidden(preview_page, "sha256"),
    }
    if publish:
        data["publish_complete"] = "y"
    return client.post(f"/orgs/{oid}/catalogue/import/commit", data=data)


def problems_text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


@pytest.fixture
def udv(app: Any, client: Any, demo: Any) -> int:
    login(client, UDV_ADMIN, demo.password)
    return org_id(app, "UDV")


# ----- template ------------------------------------------------------------------------------


def test_template_download_is_a_valid_utf8_csv_with_every_column(client: Any, udv: int) -> None:
    response = client.get(f"/orgs/{udv}/catalogue/import/template.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "charset=utf-8" in response.headers["Content-Type"]
    assert response.headers["Content-Disposition"].startswith("attachment;")
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    header = next(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert header == list(csv_io.COLUMN_NAMES)
    # The example row is itself importable.
    parsed = csv_io.parse_catalogue_csv(body)
    assert parsed.ok, [p.message for p in parsed.problems]


def test_documentation_lists_every_column() -> None:
    from qaportal.paths import PACKAGE_DIR

    readme = (PACKAGE_DIR / "catalogue" / "README.md").read_text(encoding="utf-8")
    for name in (*csv_io.COLUMN_NAMES, *csv_io.EXPORT_ONLY_COLUMNS):
        assert f"`{name}`" in readme, name


def test_import_page_links_template_and_documentation(client: Any, udv: int) -> None:
    page = client.get(f"/orgs/{udv}/catalogue/import").get_data(as_text=True)
    assert f"/orgs/{udv}/catalogue/import/template.csv" in page
    assert "/catalogue/formats" in page
    docs = client.get("/catalogue/formats")
    assert docs.status_code == 200
    text = docs.get_data(as_text=True)
    assert "learning_outcomes" in text and "Open Badges" in text and "ELM" in text


# ----- preview, then commit ------------------------------------------------------------------


def test_preview_writes_nothing_then_commit_creates_all_rows(
    app: Any, client: Any, udv: int
) -> None:
    before = counts(app)
    incomplete = row(
        title="Incomplete draft from CSV",
        assessment_type="",
        quality_assurance="",
        ects="",
        hours="",
    )
    body = make_csv([row(), incomplete])
    response = upload(client, udv, body)
    assert response.status_code == 200, problems_text(response)[:3000]
    page = response.get_data(as_text=True)
    assert "Cloud security fundamentals" in page
    assert "Incomplete draft from CSV" in page
    assert "Complete" in page and "Incomplete: draft" in page
    assert "Type of assessment" in page  # the missing element is named
    assert counts(app) == before  # a preview writes nothing

    response = commit(client, udv, page, publish=True)
    assert response.status_code == 302
    after = counts(app)
    assert after["specifications"] == before["specifications"] + 2
    assert after["learning_outcomes"] == before["learning_outcomes"] + 4
    assert after["catalogue_entries"] == before["catalogue_entries"] + 1  # only the complete one
    with app.app_context():
        session = get_session()
        statuses = dict(
            session.execute(
                select(SpecificationVersion.title, SpecificationVersion.status).where(
                    SpecificationVersion.title.in_(
                        ["Cloud security fundamentals", "Incomplete draft from CSV"]
                    )
                )
            ).all()
        )
        assert statuses == {
            "Cloud security fundamentals": VersionStatus.PUBLISHED,
            "Incomplete draft from CSV": VersionStatus.DRAFT,
        }
        event = session.execute(
            select(AuditEvent).where(AuditEvent.action == "catalogue.imported")
        ).scalar_one()
        details = event_details(event)
        assert details["created"] == 2 and details["published"] == 1 and details["drafts"] == 1
        assert details["sha256"] == hidden(page, "sha256")
        assert event.organisation_id == udv
    # The staged upload is gone: the same confirmation cannot import twice.
    again = commit(client, udv, page)
    assert again.status_code == 302
    assert counts(app) == after


def test_without_publish_every_row_becomes_a_draft(app: Any, client: Any, udv: int) -> None:
    page = upload(client, udv, make_csv([row()])).get_data(as_text=True)
    assert commit(client, udv, page).status_code == 302
    with app.app_context():
        status = (
            get_session()
            .execute(
                select(SpecificationVersion.status).where(
                    SpecificationVersion.title == "Cloud security fundamentals"
                )
            )
            .scalar_one()
        )
    assert status == VersionStatus.DRAFT


def test_semicolon_delimited_file_with_decimal_comma_is_read(
    app: Any, client: Any, udv: int
) -> None:
    body = make_csv([row(ects="2,5", hours="70")], delimiter=";")
    response = upload(client, udv, body)
    assert response.status_code == 200, problems_text(response)[:2000]
    assert commit(client, udv, response.get_data(as_text=True)).status_code == 302
    with app.app_context():
        ects = (
            get_session()
            .execute(
                select(SpecificationVersion.ects).where(
                    SpecificationVersion.title == "Cloud security fundamentals"
                )
            )
            .scalar_one()
        )
    assert str(ects.normalize()) == "2.5"


# ----- refused files -------------------------------------------------------------------------


def test_wrong_header_names_the_columns(app: Any, client: Any, udv: int) -> None:
    before = counts(app)
    columns = [c for c in csv_io.COLUMN_NAMES if c != "ects"] + ["credits"]
    response = upload(client, udv, make_csv([row()], columns))
    assert response.status_code == 422
    text = problems_text(response)
    assert "<code>ects</code></td><td>The column is missing from the header." in text
    assert "<code>credits</code></td><td>Unknown column." in text
    assert "nothing was imported" in text
    assert counts(app) == before


def test_non_utf8_file_gets_a_clear_message(app: Any, client: Any, udv: int) -> None:
    before = counts(app)
    body = make_csv([row(title="Künstliche Intelligenz für Einsteiger")], encoding="latin-1")
    response = upload(client, udv, body)
    assert response.status_code == 422
    text = problems_text(response)
    assert "not UTF-8 encoded" in text
    assert "line 2" in text
    assert "CSV UTF-8" in text
    assert counts(app) == before


def test_duplicate_title_names_both_rows(app: Any, client: Any, udv: int) -> None:
    before = counts(app)
    body = make_csv(
        [
            row(),
            row(title="Something else entirely"),
            row(title="  cloud SECURITY   fundamentals "),
        ]
    )
    response = upload(client, udv, body)
    assert response.status_code == 422
    text = problems_text(response)
    assert "rows 2 and 4" in text
    assert counts(app) == before


def test_title_already_in_the_catalogue_is_refused(app: Any, client: Any, udv: int) -> None:
    with app.app_context():
        session = get_session()
        create_published(
            session, provider(session, "UDV"), full_data("Cloud security fundamentals")
        )
    before = counts(app)
    response = upload(client, udv, make_csv([row()]))
    assert response.status_code == 422
    assert "already has a specification titled" in problems_text(response)
    assert counts(app) == before


@pytest.mark.parametrize(
    ("cells", "column", "reason"),
    [
        ({"eqf_level": "9"}, "eqf_level", "from 1 to 8"),
        ({"ects": "five"}, "ects", "number of ECTS"),
        ({"ects": "-2"}, "ects", "more than 0"),
        ({"ects": "900"}, "ects", "at most"),
        ({"issuer_regions": "DE | XX"}, "issuer_regions", "XX is not an ISO 3166-1"),
        ({"languages": "en | zz"}, "languages", "zz is not an ISO 639"),
        ({"participation_form": "by carrier pigeon"}, "participation_form", "is not one of"),
        ({"outcome_esco_uris": "https://example.org/skill"}, "outcome_esco_uris", "ESCO"),
        ({"title": "x" * 301}, "title", "At most 300 characters"),
        ({"title": ""}, "title", "A title is required"),
    ],
)
def test_a_bad_row_names_row_column_and_reason_and_nothing_is_written(
    app: Any, client: Any, udv: int, cells: dict[str, str], column: str, reason: str
) -> None:
    before = counts(app)
    body = make_csv([row(title="A good first row"), row(**cells), row(title="A good last row")])
    response = upload(client, udv, body)
    assert response.status_code == 422
    text = problems_text(response)
    assert re.search(
        rf"<tr><td>3</td><td><code>{column}</code></td><td>[^<]*{re.escape(reason)}", text
    ), text[text.find("error-summary") : text.find("error-summary") + 2000]
    assert "Confirm the import" not in text
    assert counts(app) == before


def test_5001_rows_are_refused_naming_the_limit(app: Any, client: Any, udv: int) -> None:
    assert csv_io.MAX_ROWS == 5000 and app.config["CATALOGUE_IMPORT_MAX_ROWS"] == 5000
    before = counts(app)
    many = make_csv([row(title=f"Course {n}") for n in range(5001)])
    response = upload(client, udv, many)
    assert response.status_code == 422
    text = problems_text(response)
    assert "The file has more than 5000 rows, the most one import takes." in text
    assert "Confirm the import" not in text
    assert counts(app) == before


def test_too_large_files_are_refused(app: Any, client: Any, udv: int) -> None:
    before = counts(app)
    limit = f"larger than {csv_io.MAX_BYTES // (1024 * 1024)} MB"
    # Just over the limit: read up to the limit, then refused with the import page.
    huge = make_csv([row(further_information="x" * (csv_io.MAX_BYTES + 10))])
    response = upload(client, udv, huge)
    assert response.status_code == 413
    assert limit in problems_text(response)
    # Far over: the request itself is cut off before any form parsing (and the CSRF check).
    huger = make_csv([row(further_information="x" * (csv_io.MAX_BYTES + 200_000))])
    response = upload(client, udv, huger)
    assert response.status_code == 413
    assert limit in problems_text(response)
    assert counts(app) == before


def test_overlong_cell_is_named(app: Any, client: Any, udv: int) -> None:
    response = upload(client, udv, make_csv([row(further_information="y" * 5000)]))
    assert response.status_code == 422
    text = problems_text(response)
    assert "<code>further_information</code></td><td>At most 4000 characters." in text


def test_commit_reparses_the_staged_file(app: Any, client: Any, udv: int) -> None:
    """The confirmation carries no data: a title created since the preview stops the commit."""
    page = upload(client, udv, make_csv([row()])).get_data(as_text=True)
    with app.app_context():
        session = get_session()
        create_published(
            session, provider(session, "UDV"), full_data("Cloud security fundamentals")
        )
    before = counts(app)
    response = commit(client, udv, page)
    assert response.status_code == 422
    assert "already has a specification titled" in problems_text(response)
    assert counts(app) == before


def test_tampered_confirmation_is_refused(app: Any, client: Any, udv: int) -> None:
    page = upload(client, udv, make_csv([row()])).get_data(as_text=True)
    before = counts(app)
    forged = page.replace(hidden(page, "sha256"), "0" * 64)
    response = commit(client, udv, forged)
    assert response.status_code == 302
    assert counts(app) == before
    flashed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "unknown or has expired" in flashed


def test_a_failure_during_commit_leaves_nothing(
    app: Any, client: Any, udv: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = make_csv([row(title=f"Course number {n}") for n in range(1, 4)])
    page = upload(client, udv, body).get_data(as_text=True)
    before = counts(app)
    audit_before = len(audit_actions(app))
    from qaportal.catalogue import bulk_import

    # The specifications, versions and outcomes are written; indexing the published fails.
    def failing_index(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(bulk_import, "_index_published", failing_index)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = commit(client, udv, page)
    assert response.status_code == 500
    assert counts(app) == before
    assert len(audit_actions(app)) == audit_before


def test_upload_without_csrf_token_is_refused(app: Any, client: Any, udv: int) -> None:
    response = client.post(
        f"/orgs/{udv}/catalogue/import",
        data={"file": (io.BytesIO(make_csv([row()])), "x.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)


# ----- export ---------------------------------------------------------------------------------


def test_export_escapes_formulas_and_can_be_read_back(app: Any, client: Any, udv: int) -> None:
    with app.app_context():
        session = get_session()
        create_published(
            session,
            provider(session, "UDV"),
            full_data(
                '=HYPERLINK("http://evil.example","click")',
                prerequisites="+1 year of experience",
                further_information="@SUM(A1:A2)",
                grading_scheme="-5 to +5",
            ),
        )
    response = client.get(f"/orgs/{udv}/catalogue/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    exported = next(r for r in rows if "HYPERLINK" in r["title"])
    assert exported["title"] == '\'=HYPERLINK("http://evil.example","click")'
    assert exported["prerequisites"] == "'+1 year of experience"
    assert exported["further_information"] == "'@SUM(A1:A2)"
    assert exported["grading_scheme"] == "'-5 to +5"
    assert exported["status"] == "published"
    for r in rows:
        for value in r.values():
            assert not (value or "").startswith(("=", "+", "-", "@", "\t", "\r"))
    # Read back by the import (as another provider in Germany would): the apostrophes come
    # off again (and the demo's NQF levels are DQR levels).
    parsed = csv_io.parse_catalogue_csv(body, provider_country="DE")
    assert parsed.ok, [(p.row, p.column, p.message) for p in parsed.problems]
    data = next(r.data for r in parsed.rows if "HYPERLINK" in r.data.title)
    assert data.title.startswith("=HYPERLINK")
    assert data.prerequisites == "+1 year of experience"


def test_escape_cell() -> None:
    for dangerous in ("=1+1", "+1", "-1", "@x", "\tx", "\rx"):
        assert csv_io.escape_cell(dangerous) == "'" + dangerous
    assert csv_io.escape_cell("plain") == "plain"
    assert csv_io.escape_cell(None) == ""


# ----- who may use these routes ----------------------------------------------------------------


def _routes(oid: int) -> list[tuple[str, str]]:
    return [
        ("GET", f"/orgs/{oid}/catalogue/export.csv"),
        ("GET", f"/orgs/{oid}/catalogue/import/template.csv"),
        ("GET", f"/orgs/{oid}/catalogue/import"),
    ]


def test_other_providers_staff_get_404(app: Any, client: Any, demo: Any) -> None:
    udv = org_id(app, "UDV")
    login(client, NVTC_ADMIN, demo.password)
    for _method, url in _routes(udv):
        assert client.get(url).status_code == 404, url
    nvtc = org_id(app, "NVTC")
    response = post_form(
        client,
        f"/orgs/{udv}/catalogue/import",
        {"file": (io.BytesIO(make_csv([row()])), "x.csv")},
        token_from=f"/orgs/{nvtc}/catalogue/import",
        content_type="multipart/form-data",
    )
    assert response.status_code == 404
    response = post_form(
        client,
        f"/orgs/{udv}/catalogue/import/commit",
        {"token": "a" * 32, "sha256": "0" * 64},
        token_from=f"/orgs/{nvtc}/catalogue/import",
    )
    assert response.status_code == 404


def test_agency_staff_may_not_import_and_visitors_must_sign_in(
    app: Any, client: Any, demo: Any
) -> None:
    udv = org_id(app, "UDV")
    for _method, url in _routes(udv):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    login(client, AGENCY_ADMIN, demo.password)
    for _method, url in _routes(udv):
        assert client.get(url).status_code == 403, url


def test_provider_editor_may_import(app: Any, client: Any, demo: Any) -> None:
    udv = org_id(app, "UDV")
    login(client, UDV_EDITOR, demo.password)
    response = upload(client, udv, make_csv([row()]))
    assert response.status_code == 200
    assert commit(client, udv, response.get_data(as_text=True)).status_code == 302


def test_broken_quoting_and_binary_files_are_refused_with_a_reason() -> None:
    header = ",".join(csv_io.COLUMN_NAMES).encode()
    parsed = csv_io.parse_catalogue_csv(header + b'\r\n"unterminated,x\r\nmore' + b'"x"y')
    assert not parsed.ok
    assert "not valid CSV near line" in parsed.file_problems[0].message
    parsed = csv_io.parse_catalogue_csv(b"PK\x03\x04\x00\x00 an xlsx workbook")
    assert parsed.file_problems[0].message == "This is not a CSV text file."
    parsed = csv_io.parse_catalogue_csv("title\r\nx".encode("utf-16"))
    assert "UTF-16" in parsed.file_problems[0].message
    parsed = csv_io.parse_catalogue_csv(header + b"\r\n")
    assert parsed.file_problems[0].message == "The file has a header but no rows."


def test_row_with_the_wrong_number_of_cells_is_named() -> None:
    body = make_csv([row()]) + b"only,three,cells\r\n"
    parsed = csv_io.parse_catalogue_csv(body)
    assert [(p.row, p.column) for p in parsed.problems] == [(3, None)]
    assert "3 cells" in parsed.problems[0].message


# ----- the language of the texts ----------------------------------------------------------


def test_text_language_round_trips_and_the_column_is_optional(
    app: Any, client: Any, udv: int
) -> None:
    with app.app_context():
        session = get_session()
        create_published(
            session,
            provider(session, "UDV"),
            full_data("Datenkompetenz", languages=["en"], text_language="de"),
        )
    body = client.get(f"/orgs/{udv}/catalogue/export.csv").get_data()
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    exported = next(r for r in rows if r["title"] == "Datenkompetenz")
    assert (exported["text_language"], exported["languages"]) == ("de", "en")
    parsed = csv_io.parse_catalogue_csv(body, provider_country="DE")
    assert parsed.ok, [(p.row, p.column, p.message) for p in parsed.problems]
    assert next(r.data for r in parsed.rows if r.data.title == "Datenkompetenz").text_language == (
        "de"
    )

    # a file written before the column existed: the rows take the catalogue's language
    older = [c for c in csv_io.COLUMN_NAMES if c != "text_language"]
    parsed = csv_io.parse_catalogue_csv(make_csv([row()], older), text_language="fi")
    assert parsed.ok, [(p.row, p.column, p.message) for p in parsed.problems]
    assert parsed.rows[0].data.text_language == "fi"
    # an empty cell likewise; an unknown code is named by row and column
    parsed = csv_io.parse_catalogue_csv(make_csv([row(text_language="")]), text_language="sv")
    assert parsed.rows[0].data.text_language == "sv"
    parsed = csv_io.parse_catalogue_csv(make_csv([row(text_language="klingon")]))
    assert not parsed.ok
    assert [(p.row, p.column) for p in parsed.problems] == [(2, "text_language")]


def test_imported_rows_keep_their_text_language(app: Any, client: Any, udv: int) -> None:
    body = make_csv([row(title="Cloud-Sicherheit", text_language="de", languages="en")])
    preview = upload(client, udv, body)
    assert preview.status_code == 200, problems_text(preview)
    assert commit(client, udv, preview.get_data(as_text=True)).status_code in (302, 303)
    with app.app_context():
        version = (
            get_session()
            .execute(
                select(SpecificationVersion).where(SpecificationVersion.title == "Cloud-Sicherheit")
            )
            .scalar_one()
        )
        assert (version.text_language, version.languages) == ("de", ["en"])


# ----- a whole catalogue: 5,000 rows, written in bulk by a background job -------------------

BIG = 5000


def catalogue_rows(count: int, **changes: dict[str, str]) -> list[dict[str, str]]:
    """``count`` valid rows: every third is incomplete (a draft), every fourth links ESCO.

    ``changes`` maps a row number of the file (the header is row 1) to cells to replace."""
    esco = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"
    rows = []
    for n in range(count):
        cells = row(title=f"Applied data work, module {n:04d}", hours=str(60 + n % 40))
        if n % 3 == 2:
            cells.update(assessment_type="", quality_assurance="")
        if n % 4 == 0:
            cells["outcome_esco_uris"] = f"{esco} | "
        cells.update(changes.get(f"row{n + 2}", {}))
        rows.append(cells)
    return rows


def follow(client: Any, response: Any) -> Any:
    assert response.status_code in (302, 303), problems_text(response)[:2000]
    return client.get(response.headers["Location"])


def test_5000_rows_through_the_web_page_land_in_one_background_import(
    app: Any, client: Any, udv: int
) -> None:
    before = counts(app)
    preview = upload(client, udv, make_csv(catalogue_rows(BIG)))
    assert preview.status_code == 200, problems_text(preview)[:3000]
    page = preview.get_data(as_text=True)
    assert "5000 specifications will be created." in problems_text(preview)
    assert "imported in the background" in page
    assert counts(app) == before  # the preview writes nothing

    response = commit(client, udv, page, publish=True)
    assert "/catalogue/import/jobs/" in response.headers["Location"]
    status = follow(client, response)
    text = problems_text(status)
    assert status.status_code == 200
    assert ">Done<" in text
    complete = BIG - BIG // 3
    assert f"Imported {BIG} specifications: {complete} published, {BIG - complete} drafts." in text
    assert 'http-equiv="refresh"' not in text  # finished: the page stops reloading

    after = counts(app)
    assert after["specifications"] == before["specifications"] + BIG
    assert after["specification_versions"] == before["specification_versions"] + BIG
    assert after["learning_outcomes"] == before["learning_outcomes"] + 2 * BIG
    assert after["catalogue_entries"] == before["catalogue_entries"] + complete
    with app.app_context():
        session = get_session()
        # A row as the editor would have saved it, outcomes and ESCO links in order.
        version = session.execute(
            select(SpecificationVersion).where(
                SpecificationVersion.title == "Applied data work, module 4996"
            )
        ).scalar_one()
        assert version.status == VersionStatus.PUBLISHED and version.number == 1
        assert version.hours == 60 + 4996 % 40 and version.eqf_level == 6
        assert version.issuer_regions == ["DE", "DE-BY"]
        assert version.awarding_bodies == [
            {"name": "University of Demoville", "url": "https://university.example.org"}
        ]
        assert [o.position for o in version.outcomes] == [0, 1]
        assert version.outcomes[0].esco_uri and version.outcomes[1].esco_uri is None
        assert version.specification.provider_id == udv
        draft = session.execute(
            select(SpecificationVersion).where(
                SpecificationVersion.title == "Applied data work, module 4997"
            )
        ).scalar_one()
        assert draft.status == VersionStatus.DRAFT and draft.published_at is None
        # The public catalogue finds a published row, with its facets.
        from qaportal.catalogue import search

        found = search.search(session, search.SearchQuery(text="module 4996"))
        assert [item.title for item in found.items] == ["Applied data work, module 4996"]
        event = session.execute(
            select(AuditEvent).where(AuditEvent.action == "catalogue.imported")
        ).scalar_one()
        details = event_details(event)
        assert details["created"] == BIG and details["published"] == complete
        assert len(set(details["specifications"])) == BIG
        assert version.specification.public_id in details["specifications"]
    # The staged upload is gone: confirming again imports nothing.
    again = commit(client, udv, page, publish=True)
    assert again.status_code == 302
    assert counts(app) == after


def test_a_bad_row_4999_stores_nothing_and_is_named(app: Any, client: Any, udv: int) -> None:
    before = counts(app)
    rows = catalogue_rows(BIG, row4999={"ects": "abc"})
    response = upload(client, udv, make_csv(rows))
    assert response.status_code == 422
    text = problems_text(response)
    assert "1 problem: nothing was imported." in text
    assert re.search(r"<tr><td>4999</td><td><code>ects</code></td><td>[^<]+", text), text[:3000]
    assert "Confirm the import" not in text
    # The row with the problem is listed first, not lost among 5,000.
    assert text.index("<td>4999</td>") < text.index("<td>2</td>")
    assert counts(app) == before


def test_a_title_taken_after_the_preview_refuses_the_whole_import_in_the_job(
    app: Any, client: Any, udv: int
) -> None:
    page = upload(client, udv, make_csv(catalogue_rows(300))).get_data(as_text=True)
    with app.app_context():
        session = get_session()
        create_published(
            session, provider(session, "UDV"), full_data("Applied data work, module 0297")
        )
    before = counts(app)
    status = follow(client, commit(client, udv, page, publish=True))
    text = problems_text(status)
    assert "1 problem: nothing was imported." in text
    assert re.search(
        r"<tr><td>299</td><td><code>title</code></td><td>Your catalogue already has", text
    ), text[:3000]
    assert counts(app) == before


def test_progress_page_shows_the_state_then_the_result(
    app: Any, client: Any, udv: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qaportal import tasks
    from qaportal.jobs.runner import run_job

    queued: list[str] = []
    monkeypatch.setattr(tasks, "dispatch", lambda job_id, app=None: queued.append(job_id))
    page = upload(client, udv, make_csv(catalogue_rows(260))).get_data(as_text=True)
    before = counts(app)
    status = follow(client, commit(client, udv, page))
    text = problems_text(status)
    assert len(queued) == 1
    assert "Waiting for a worker" in text and "<dd>260</dd>" in text
    assert '<meta http-equiv="refresh" content="3">' in text  # reloads without JavaScript
    assert counts(app) == before
    # A second confirmation of the same upload leads to the same job.
    again = commit(client, udv, page)
    assert again.headers["Location"].endswith(f"/catalogue/import/jobs/{queued[0]}")
    assert len(queued) == 1

    with app.app_context():
        run_job(queued[0])
    text = problems_text(client.get(f"/orgs/{udv}/catalogue/import/jobs/{queued[0]}"))
    assert ">Done<" in text
    assert "Imported 260 specifications: 0 published, 260 drafts." in text
    assert "http-equiv" not in text
    assert counts(app)["specifications"] == before["specifications"] + 260


def test_a_failed_import_job_stores_nothing_and_can_be_retried(
    app: Any, client: Any, udv: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qaportal.catalogue import bulk_import

    real = bulk_import._index_published

    def failing(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(bulk_import, "_index_published", failing)
    page = upload(client, udv, make_csv(catalogue_rows(300))).get_data(as_text=True)
    before = counts(app)
    audit_before = audit_actions(app)
    status = follow(client, commit(client, udv, page, publish=True))
    text = problems_text(status)
    assert ">Failed<" in text and "nothing was imported" in text
    assert counts(app) == before
    # Only the request of the job is on record; none of the import's writes are.
    assert audit_actions(app)[len(audit_before) :] == ["job.requested"]

    monkeypatch.setattr(bulk_import, "_index_published", real)
    retry_url = re.search(r'action="([^"]+/retry)"', status.get_data(as_text=True))
    assert retry_url
    token = hidden(status.get_data(as_text=True), "csrf_token")
    done = follow(client, client.post(retry_url.group(1), data={"csrf_token": token}))
    assert "Imported 300 specifications: 200 published, 100 drafts." in problems_text(done)
    assert counts(app)["specifications"] == before["specifications"] + 300


def test_someone_elses_import_job_is_not_found(app: Any, client: Any, demo: Any) -> None:
    udv = org_id(app, "UDV")
    login(client, UDV_ADMIN, demo.password)
    page = upload(client, udv, make_csv(catalogue_rows(260))).get_data(as_text=True)
    job_url = commit(client, udv, page).headers["Location"]
    assert client.get(job_url).status_code == 200
    other = app.test_client()
    login(other, NVTC_ADMIN, demo.password)
    nvtc = org_id(app, "NVTC")
    assert other.get(job_url).status_code == 404
    job_id = job_url.rsplit("/", 1)[1]
    # Under their own provider the job is not theirs either.
    assert other.get(f"/orgs/{nvtc}/catalogue/import/jobs/{job_id}").status_code == 404


@pytest.mark.postgres
def test_5000_rows_on_postgresql_are_searchable(app: Any, client: Any, udv: int) -> None:
    """PostgreSQL: the imported entries get their tsvector in the same transaction."""
    page = upload(client, udv, make_csv(catalogue_rows(BIG))).get_data(as_text=True)
    status = follow(client, commit(client, udv, page, publish=True))
    assert ">Done<" in problems_text(status)
    with app.app_context():
        session = get_session()
        assert session.get_bind().dialect.name == "postgresql"
        missing = session.execute(
            select(func.count())
            .select_from(CatalogueEntry)
            .where(CatalogueEntry.search_vector.is_(None))
        ).scalar_one()
        assert missing == 0
        from qaportal.catalogue import search

        found = search.search(session, search.SearchQuery(text="module 4996"))
        assert [item.title for item in found.items] == ["Applied data work, module 4996"]


def test_nqf_level_and_maximum_duration_columns(app: Any, client: Any, udv: int) -> None:
    """Optional columns: read, checked against the provider's country, exported back."""
    columns = [*csv_io.COLUMN_NAMES]
    assert "nqf_level" in columns and "max_duration_weeks" in columns
    bad = make_csv(
        [
            row(title="Within the DQR", nqf_level="6", max_duration_weeks="12"),
            row(title="Beyond the DQR", nqf_level="9"),
            row(title="Too long a course", max_duration_weeks="521"),
            row(title="Not a number", nqf_level="six"),
        ]
    )
    before = counts(app)
    text = problems_text(upload(client, udv, bad))
    for number, column in ((3, "nqf_level"), (4, "max_duration_weeks"), (5, "nqf_level")):
        assert re.search(rf"<tr><td>{number}</td><td><code>{column}</code></td>", text), column
    assert "<tr><td>2</td>" not in text
    assert counts(app) == before

    page = upload(client, udv, make_csv([row(nqf_level="6", max_duration_weeks="12")]))
    assert page.status_code == 200, problems_text(page)[:2000]
    assert commit(client, udv, page.get_data(as_text=True)).status_code == 302
    with app.app_context():
        version = (
            get_session()
            .execute(
                select(SpecificationVersion).where(
                    SpecificationVersion.title == "Cloud security fundamentals"
                )
            )
            .scalar_one()
        )
        assert (version.nqf_level, version.max_duration_weeks) == (6, 12)
    exported = client.get(f"/orgs/{udv}/catalogue/export.csv").get_data().decode("utf-8-sig")
    record = next(
        r
        for r in csv.DictReader(io.StringIO(exported))
        if r["title"] == "Cloud security fundamentals"
    )
    assert (record["nqf_level"], record["max_duration_weeks"]) == ("6", "12")
    # A file written before the columns existed still imports.
    old_columns = [c for c in columns if c not in csv_io.OPTIONAL_COLUMNS]
    old = make_csv([row(title="An older file's row")], old_columns)
    assert upload(client, udv, old).status_code == 200


# ----- the awarding bodies' identifiers ------------------------------------------------------


def test_awarding_body_identifiers_round_trip(app: Any, client: Any, udv: int) -> None:
    """One entry per awarding body, in the order of awarding_bodies; stored as the editor
    stores them (VAT id compacted, codes upper-cased), exported back, and read again."""
    cells = row(
        title="Identified awarding bodies",
        awarding_bodies=(
            "University of Demoville <https://university.example.org> | Partner College"
        ),
        awarding_body_legal_id="HRB 123456 | ",
        awarding_body_vat_id="de 123 456-789 | FI12345678",
        awarding_body_country="de | FI",
        awarding_body_region="DE-BY | ",
        awarding_body_address="Universitätsplatz 1, 80000 Demoville | ",
    )
    page = upload(client, udv, make_csv([cells]))
    assert page.status_code == 200, problems_text(page)[:2000]
    assert commit(client, udv, page.get_data(as_text=True)).status_code in (302, 303)
    expected = [
        {
            "name": "University of Demoville",
            "url": "https://university.example.org",
            "legal_id": "HRB 123456",
            "vat_id": "DE123456789",
            "country": "DE",
            "region": "DE-BY",
            "address": "Universitätsplatz 1, 80000 Demoville",
        },
        {"name": "Partner College", "vat_id": "FI12345678", "country": "FI"},
    ]
    with app.app_context():
        version = (
            get_session()
            .execute(
                select(SpecificationVersion).where(
                    SpecificationVersion.title == "Identified awarding bodies"
                )
            )
            .scalar_one()
        )
        assert version.awarding_bodies == expected

    body = client.get(f"/orgs/{udv}/catalogue/export.csv").get_data()
    exported = next(
        r
        for r in csv.DictReader(io.StringIO(body.decode("utf-8-sig")))
        if r["title"] == "Identified awarding bodies"
    )
    assert {c: exported[c] for c in csv_io.BODY_COLUMNS} == {
        "awarding_body_legal_id": "HRB 123456 | ",
        "awarding_body_vat_id": "DE123456789 | FI12345678",
        "awarding_body_country": "DE | FI",
        "awarding_body_region": "DE-BY | ",
        "awarding_body_address": "Universitätsplatz 1, 80000 Demoville | ",
    }
    parsed = csv_io.parse_catalogue_csv(body, provider_country="DE")
    reread = next(r.data for r in parsed.rows if r.data.title == "Identified awarding bodies")
    assert reread.awarding_bodies == expected


def test_bad_awarding_body_vat_id_is_named_by_row_and_column_and_nothing_is_stored(
    app: Any, client: Any, udv: int
) -> None:
    bad = make_csv(
        [
            row(title="Fine row", awarding_body_vat_id="DE123456789"),
            row(title="Bad VAT id", awarding_body_vat_id="123456789"),
        ]
    )
    before = counts(app)
    text = problems_text(upload(client, udv, bad))
    assert re.search(r"<tr><td>3</td><td><code>awarding_body_vat_id</code></td>", text), text
    assert "Awarding body 1: A VAT identifier starts with the two-letter country prefix" in text
    assert "<tr><td>2</td>" not in text
    # said once, under its own column, not again under awarding_bodies
    assert "<code>awarding_bodies</code>" not in text
    assert counts(app) == before


def test_awarding_body_identifier_problems_follow_the_editor_rules() -> None:
    parsed = csv_io.parse_catalogue_csv(
        make_csv(
            [
                row(title="Unknown country", awarding_body_country="XX"),
                row(
                    title="Region elsewhere",
                    awarding_body_country="FR",
                    awarding_body_region="DE-BY",
                ),
                row(title="Country as region", awarding_body_region="DE"),
                row(title="Too many entries", awarding_body_legal_id="A1 | B2"),
                row(title="Overlong legal id", awarding_body_legal_id="9" * 81),
            ]
        ),
        provider_country="DE",
    )
    assert [(p.row, p.column) for p in parsed.problems] == [
        (2, "awarding_body_country"),
        (3, "awarding_body_region"),
        (4, "awarding_body_region"),
        (5, "awarding_body_legal_id"),
        (6, "awarding_body_legal_id"),
    ]
    messages = [p.message for p in parsed.problems]
    assert messages[1] == "Awarding body 1: The region DE-BY is not in FR."
    assert messages[3].startswith("2 entries for 1 awarding bodies")
    assert not parsed.rows[0].ok and parsed.rows[0].data.awarding_bodies[0]["country"] == "XX"
