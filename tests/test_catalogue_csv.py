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
        return list(get_session().execute(select(AuditEvent.action)).scalars())


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


def test_too_many_rows_and_too_large_files_are_refused(app: Any, client: Any, udv: int) -> None:
    before = counts(app)
    many = make_csv([row(title=f"Course {n}") for n in range(csv_io.MAX_ROWS + 1)])
    response = upload(client, udv, many)
    assert response.status_code == 422
    assert f"more than {csv_io.MAX_ROWS} rows" in problems_text(response)

    # Just over the limit: read up to the limit, then refused with the import page.
    huge = make_csv([row(further_information="x" * (csv_io.MAX_BYTES + 10))])
    response = upload(client, udv, huge)
    assert response.status_code == 413
    assert "larger than 2 MB" in problems_text(response)
    # Far over: the request itself is cut off before any form parsing (and the CSRF check).
    huger = make_csv([row(further_information="x" * (csv_io.MAX_BYTES + 200_000))])
    response = upload(client, udv, huger)
    assert response.status_code == 413
    assert "larger than 2 MB" in problems_text(response)
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
    from qaportal.catalogue import services

    real_create = services.create_specification
    calls = {"n": 0}

    def failing_create(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real_create(*args, **kwargs)

    monkeypatch.setattr(services, "create_specification", failing_create)
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
    # Read back by the import (as another provider would): the apostrophes come off again.
    parsed = csv_io.parse_catalogue_csv(body)
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
    parsed = csv_io.parse_catalogue_csv(body)
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
