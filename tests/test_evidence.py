"""Evidence uploads: checked by content, size-limited, zip-bomb guarded, stored once per
content under a server-made name, linked to criteria, downloaded as an attachment."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from qaportal.audit.models import AuditEvent
from qaportal.cases.models import Case, CaseState
from qaportal.db import get_session, utcnow
from qaportal.evidence.inspection import Rejected, ZipLimits, display_name, identify
from qaportal.evidence.models import Evidence, EvidenceLink, StoredFile
from tests.casekit import (
    make_world,
    minimal_docx,
    minimal_pdf,
    minimal_png,
    zip_bomb,
)
from tests.conftest import login, post_form

EDITOR = "editor@university.example.org"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "EVIDENCE_MAX_BYTES": 64 * 1024}


def _upload(client, world, content, filename, *, criteria=None, title=""):
    return post_form(
        client,
        f"/cases/{world.case_id}/evidence",
        {
            "file": (io.BytesIO(content), filename),
            "title": title,
            "criteria": criteria if criteria is not None else [world.criteria["C1"]],
        },
        content_type="multipart/form-data",
    )


def _stored_files(app) -> list[Path]:
    root = Path(app.config["UPLOAD_FOLDER"])
    return [p for p in root.rglob("*") if p.is_file()]


def _counts(app):
    with app.app_context():
        db = get_session()
        return (
            db.execute(select(func.count(StoredFile.id))).scalar_one(),
            db.execute(select(func.count(Evidence.id))).scalar_one(),
        )


@pytest.fixture
def world(app, demo):
    return make_world(app)


@pytest.fixture
def editor(app, demo):
    client = app.test_client()
    login(client, EDITOR, demo.password)
    return client


@pytest.mark.parametrize(
    ("maker", "filename", "media_type"),
    [
        (minimal_pdf, "policy.pdf", "application/pdf"),
        (minimal_png, "chart.png", "image/png"),
        (
            minimal_docx,
            "handbook.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (lambda: b"year;rate\n2024;87\n", "figures.csv", "text/csv; charset=utf-8"),
        (lambda: "Ünïcode notes\n".encode(), "notes.txt", "text/plain; charset=utf-8"),
    ],
)
def test_real_files_are_accepted_by_content(app, world, editor, maker, filename, media_type):
    content = maker()
    response = _upload(editor, world, content, filename, title="Some evidence")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with app.app_context():
        db = get_session()
        stored = db.execute(select(StoredFile)).scalar_one()
        assert stored.media_type == media_type
        assert stored.size == len(content)
        evidence = db.execute(select(Evidence)).scalar_one()
        assert [link.criterion_id for link in evidence.links] == [world.criteria["C1"]]
        assert db.execute(
            select(AuditEvent).where(AuditEvent.action == "evidence.uploaded")
        ).scalar_one()
    files = _stored_files(app)
    assert len(files) == 1
    # A server-made name from the SHA-256, sharded; never the client's name.
    assert files[0].name == stored.sha256
    assert files[0].parent.name == stored.sha256[2:4]
    assert filename not in str(files[0])


def test_xlsx_and_odt_are_recognised_by_inner_structure(tmp_path):
    xlsx = tmp_path / "upload"
    with zipfile.ZipFile(xlsx, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    assert identify(xlsx, "sheet.xlsx").key == "xlsx"
    odt = tmp_path / "upload2"
    with zipfile.ZipFile(odt, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<office:document-content/>")
    assert identify(odt, "report.odt").key == "odt"
    ods = tmp_path / "upload3"
    with zipfile.ZipFile(ods, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    assert identify(ods, "data.ods").key == "ods"
    plain_zip = tmp_path / "upload4"
    with zipfile.ZipFile(plain_zip, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(Rejected):
        identify(plain_zip, "archive.docx")


def _assert_nothing_stored(app):
    assert _counts(app) == (0, 0)
    assert _stored_files(app) == []


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200,
            "report.pdf",
            "not of an accepted type",
        ),
        (minimal_png(), "report.pdf", "the content is PNG"),
        (b"PK\x03\x04 this is not really a zip" + b"\x00" * 50, "handbook.docx", "damaged"),
        (minimal_pdf()[:-20], "cut.pdf", "incomplete or damaged"),
        (b"", "empty.txt", "empty"),
    ],
    ids=["exe-renamed-pdf", "png-named-pdf", "corrupt-docx", "truncated-pdf", "empty"],
)
def test_forged_or_corrupt_files_are_refused_and_nothing_stored(
    app, world, editor, content, filename, message
):
    response = _upload(editor, world, content, filename)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert message in body
    _assert_nothing_stored(app)


def test_oversize_is_refused_while_streaming(app, world, editor):
    big = "x" * (64 * 1024 + 1)
    response = _upload(editor, world, big.encode(), "notes.txt")
    assert response.status_code == 400
    assert "larger than the limit of 64 kB" in response.get_data(as_text=True)
    _assert_nothing_stored(app)


def test_zip_bomb_is_refused(app, world, editor):
    bomb = zip_bomb()
    assert len(bomb) < 64 * 1024  # small on the wire
    response = _upload(editor, world, bomb, "innocent.docx")
    assert response.status_code == 400
    assert "zip bomb" in response.get_data(as_text=True)
    _assert_nothing_stored(app)


def test_zip_guard_limits(tmp_path):
    many = tmp_path / "many"
    with zipfile.ZipFile(many, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
        for i in range(20):
            z.writestr(f"word/part{i}.xml", "<x/>")
    with pytest.raises(Rejected, match="too many parts"):
        identify(many, "many.docx", ZipLimits(max_entries=10))
    total = tmp_path / "total"
    with zipfile.ZipFile(total, "w", zipfile.ZIP_STORED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "x" * 5000)
    with pytest.raises(Rejected, match="zip bomb"):
        identify(total, "total.docx", ZipLimits(max_total_uncompressed=1000))


def test_path_traversal_name_is_sanitised_for_display(app, world, editor):
    response = _upload(editor, world, minimal_pdf(), "../../../etc/passwd\x00.pdf")
    assert response.status_code == 302
    with app.app_context():
        evidence = get_session().execute(select(Evidence)).scalar_one()
        assert evidence.original_filename == "passwd.pdf"
    for path in _stored_files(app):
        assert Path(app.config["UPLOAD_FOLDER"]).resolve() in path.resolve().parents
    assert not Path("/etc/passwd.pdf").exists()
    assert display_name("..\\..\\windows\\win.ini") == "win.ini"
    assert display_name("...hidden") == "hidden"


def test_same_content_twice_is_stored_once(app, world, editor):
    content = minimal_pdf("same")
    assert _upload(editor, world, content, "a.pdf", title="First").status_code == 302
    assert (
        _upload(
            editor, world, content, "b.pdf", title="Second", criteria=[world.criteria["C3"]]
        ).status_code
        == 302
    )
    assert _counts(app) == (1, 2)
    assert len(_stored_files(app)) == 1


def test_download_headers_and_access(app, world, editor, demo):
    content = minimal_pdf("download me")
    _upload(editor, world, content, "Qualitäts Handbuch.pdf", title="Handbook")
    with app.app_context():
        evidence_id = get_session().execute(select(Evidence.id)).scalar_one()
    url = f"/cases/{world.case_id}/evidence/{evidence_id}/download"
    response = editor.get(url)
    assert response.status_code == 200
    assert response.data == content
    assert response.headers["Content-Type"] == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Qualit%C3%A4ts%20Handbuch.pdf" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]

    officer = app.test_client()
    login(officer, "officer@agency.example.org", demo.password)
    assert officer.get(url).status_code == 404  # not submitted yet: not the agency's to read
    with app.app_context():
        db = get_session()
        case = db.get(Case, world.case_id)
        case.state, case.submitted_at = CaseState.SUBMITTED, utcnow()
        db.commit()
    assert officer.get(url).status_code == 200
    other = app.test_client()
    login(other, "admin@vet.example.org", demo.password)
    assert other.get(url).status_code == 404
    assert app.test_client().get(url).status_code in (302, 401)


def test_link_and_unlink_are_audited(app, world, editor):
    _upload(editor, world, minimal_pdf(), "policy.pdf", title="Policy")
    with app.app_context():
        evidence_id = get_session().execute(select(Evidence.id)).scalar_one()
    c3 = world.criteria["C3"]
    page = f"/cases/{world.case_id}/criteria/{c3}"
    response = post_form(
        editor,
        f"/cases/{world.case_id}/criteria/{c3}/evidence",
        {"evidence": evidence_id},
        token_from=page,
    )
    assert response.status_code == 302
    body = editor.get(page).get_data(as_text=True)
    assert "Policy" in body and "Remove from this criterion" in body
    with app.app_context():
        links = get_session().execute(select(EvidenceLink.criterion_id)).scalars().all()
        assert sorted(links) == sorted([world.criteria["C1"], c3])
    response = post_form(
        editor,
        f"/cases/{world.case_id}/criteria/{c3}/evidence/{evidence_id}/unlink",
        {},
        token_from=page,
    )
    assert response.status_code == 302
    with app.app_context():
        db = get_session()
        assert db.execute(select(EvidenceLink.criterion_id)).scalars().all() == [
            world.criteria["C1"]
        ]
        actions = db.execute(select(AuditEvent.action)).scalars().all()
        assert {"evidence.uploaded", "evidence.linked", "evidence.unlinked"} <= set(actions)


def test_criterion_of_another_case_cannot_be_linked(app, world, editor, demo):
    other = make_world(app, code="other-fw")
    response = _upload(editor, world, minimal_pdf(), "x.pdf", criteria=[other.criteria["C1"]])
    assert response.status_code == 400
    _assert_nothing_stored(app)


def test_a_text_file_downloads_with_one_charset(app, world, editor):
    _upload(editor, world, "Ünïcode notes\n".encode(), "notes.txt", title="Notes")
    with app.app_context():
        evidence_id = get_session().execute(select(Evidence.id)).scalar_one()
    response = editor.get(f"/cases/{world.case_id}/evidence/{evidence_id}/download")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.data.decode("utf-8") == "Ünïcode notes\n"
