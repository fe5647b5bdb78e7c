"""The public verification page: by code, by SHA-256 and by upload, for published,
superseded, withdrawn and unpublished documents; the form's messages; the rate limit; the
QR code of the verification address."""

from __future__ import annotations

import hashlib
import io
import re
from typing import Any

import pytest
import segno
from flask import Flask
from flask.testing import FlaskClient

from qaportal.audit.services import Actor
from qaportal.auth.models import User
from qaportal.db import get_session
from qaportal.reporting import qr, services
from qaportal.reporting.models import GeneratedDocument
from qaportal.reporting.store import get_store
from tests.access_world import World, build_world
from tests.conftest import post_form, shown_day
from tests.test_report_storage import FakePress, _client, _generate

UPLOAD_LIMIT = 4096


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {
        **app_config,
        "RATELIMIT_ENABLED": False,
        "VERIFY_UPLOAD_MAX_BYTES": UPLOAD_LIMIT,
    }


@pytest.fixture
def world(app: Flask) -> World:
    app.extensions[services.PRESS] = FakePress().press()
    return build_world(app)


def _make(app: Flask, world: World, kind: str = "accreditation-report") -> GeneratedDocument:
    """A new version of ``kind`` of the world's case, generated as an officer would."""
    _generate(_client(app, world, "agency_officer"), world, kind)
    with app.app_context():
        return (
            get_session()
            .query(GeneratedDocument)
            .filter_by(case_id=world.ids["case"], kind=kind)
            .order_by(GeneratedDocument.version.desc())
            .first()
        )


def _publish(app: Flask, document: GeneratedDocument, *, withdraw: bool = False) -> None:
    with app.app_context():
        db = get_session()
        row = db.get(GeneratedDocument, document.id)
        user = db.query(User).filter_by(email="officer@agency.example.org").one()
        actor = Actor(user.id, user.email)
        services.publish(db, row, user=user, actor=actor)
        if withdraw:
            services.withdraw(db, row, "A wrong date", user=user, actor=actor)
        db.commit()


def _bytes(app: Flask, document: GeneratedDocument) -> bytes:
    return get_store(app).path(document.storage_path).read_bytes()


def _answer(page: str) -> str:
    """The answer's section of the page, without the forms (which repeat what was typed)."""
    match = re.search(r'<section class="panel verification-answer".*?</section>', page, re.S)
    assert match, "no answer on the page"
    return match.group(0)


def _by_code(client: FlaskClient, code: str) -> Any:
    return post_form(client, "/verify", {"code": code, "check_code": "1"})


def _by_hash(client: FlaskClient, digest: str) -> Any:
    return post_form(client, "/verify", {"sha256": digest, "check_hash": "1"})


def _by_upload(client: FlaskClient, data: bytes, name: str = "report.pdf") -> Any:
    return post_form(
        client,
        "/verify",
        {"file": (io.BytesIO(data), name), "check_file": "1"},
        content_type="multipart/form-data",
    )


def _all_ways(app: Flask, client: FlaskClient, document: GeneratedDocument) -> list[Any]:
    return [
        client.get(f"/verify/{document.verification_code}"),
        _by_code(client, document.verification_code.lower().replace("-", " ")),
        _by_hash(client, document.sha256.upper()),
        _by_upload(client, _bytes(app, document)),
    ]


def test_a_published_document_is_genuine_by_code_hash_and_upload(
    app: Flask, world: World, client: FlaskClient
) -> None:
    document = _make(app, world)
    _publish(app, document)
    for response in _all_ways(app, client, document):
        assert response.status_code == 200
        answer = _answer(response.get_data(as_text=True))
        assert "Genuine: this is the current published version" in answer
        for fact in (document.sha256, document.verification_code, "Accreditation report"):
            assert fact in answer
        with app.app_context():
            case = get_session().get(GeneratedDocument, document.id).case
            assert case.reference in answer
            assert case.provider.display_name in answer
            assert case.agency.display_name in answer
        assert re.search(r"<dt>Version</dt><dd>1</dd>", answer)
        assert shown_day(document.created_at) in answer


def test_a_client_that_sends_no_button_is_answered_by_the_field_it_filled(
    app: Flask, world: World, client: FlaskClient
) -> None:
    document = _make(app, world)
    _publish(app, document)
    asked = [
        post_form(client, "/verify", {"code": document.verification_code}),
        post_form(client, "/verify", {"sha256": document.sha256, "code": ""}),
        post_form(
            client,
            "/verify",
            {"file": (io.BytesIO(_bytes(app, document)), "report.pdf")},
            content_type="multipart/form-data",
        ),
    ]
    for response in asked:
        assert response.status_code == 200
        assert "Genuine: this is the current published version" in _answer(
            response.get_data(as_text=True)
        )
    empty = post_form(client, "/verify", {"code": " ", "sha256": ""})
    assert empty.status_code == 422
    assert "Choose one of the three ways to check a document." in empty.get_data(as_text=True)


def test_a_superseded_document_names_the_newer_published_version(
    app: Flask, world: World, client: FlaskClient
) -> None:
    first = _make(app, world)
    _publish(app, first)
    second = _make(app, world)
    # A newer version that is not published yet changes nothing for the public.
    answer = _answer(client.get(f"/verify/{first.verification_code}").get_data(as_text=True))
    assert "Genuine: this is the current published version" in answer
    _publish(app, second)
    for response in _all_ways(app, client, first):
        answer = _answer(response.get_data(as_text=True))
        assert "Genuine, but superseded by version 2" in answer
        assert f'href="/verify/{second.verification_code}"' in answer
    answer = _answer(client.get(f"/verify/{second.verification_code}").get_data(as_text=True))
    assert "current published version" in answer


def test_a_withdrawn_document_says_so_with_its_date(
    app: Flask, world: World, client: FlaskClient
) -> None:
    document = _make(app, world, "decision-letter")
    _publish(app, document, withdraw=True)
    with app.app_context():
        withdrawn_on = get_session().get(GeneratedDocument, document.id).withdrawn_at
    for response in _all_ways(app, client, document):
        answer = _answer(response.get_data(as_text=True))
        assert f"Withdrawn on {shown_day(withdrawn_on)}" in answer
        assert "A wrong date" not in answer, "the reason is the agency's, not the public's"


def test_an_unpublished_document_is_answered_like_an_unknown_one(
    app: Flask, world: World, client: FlaskClient
) -> None:
    document = _make(app, world)
    unknown = client.get("/verify/QAR-2222-2222")
    unpublished = client.get(f"/verify/{document.verification_code}")
    assert unknown.status_code == unpublished.status_code == 404
    assert _answer(unknown.get_data(as_text=True)) == _answer(unpublished.get_data(as_text=True))
    assert "No published document found" in _answer(unpublished.get_data(as_text=True))

    pairs = [
        (_by_code(client, "QAR-2222-2222"), _by_code(client, document.verification_code)),
        (_by_hash(client, "0" * 64), _by_hash(client, document.sha256)),
        (
            _by_upload(client, b"%PDF-1.7\n% never generated\n"),
            _by_upload(client, _bytes(app, document)),
        ),
    ]
    for unknown, unpublished in pairs:
        assert unknown.status_code == unpublished.status_code == 200
        assert _answer(unknown.get_data(as_text=True)) == _answer(
            unpublished.get_data(as_text=True)
        )
        assert document.sha256 not in unpublished.get_data(as_text=True).split("<form")[0]


def test_internal_documents_are_never_described(
    app: Flask, world: World, client: FlaskClient
) -> None:
    """The world's self-assessment: no code, never published, unknown to the public."""
    with app.app_context():
        internal = get_session().get(GeneratedDocument, world.ids["report_document"])
        digest = internal.sha256
    assert "No published document found" in _answer(_by_hash(client, digest).get_data(as_text=True))


@pytest.mark.parametrize(
    "digest",
    ["abc", "0" * 63, "0" * 65, "g" * 64, "sha256:" + "0" * 64],
)
def test_a_hash_of_the_wrong_form_gets_a_clear_message(client: FlaskClient, digest: str) -> None:
    response = _by_hash(client, digest)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "A SHA-256 is 64 characters, each a digit 0-9 or a letter a-f." in page
    assert f'value="{digest}"' in page, "what was typed is kept"
    assert "verification-answer" not in page


def test_a_code_of_the_wrong_form_gets_a_clear_message(client: FlaskClient) -> None:
    response = _by_code(client, "hello")
    assert response.status_code == 422
    assert "A verification code looks like QAR-7K3M-9XQ2" in response.get_data(as_text=True)


def test_an_upload_that_is_not_a_pdf_is_refused(client: FlaskClient) -> None:
    response = _by_upload(client, b"<html><script>alert(1)</script></html>", "report.pdf")
    assert response.status_code == 422
    assert "This file is not a PDF." in response.get_data(as_text=True)


def test_an_upload_that_is_too_big_is_refused(client: FlaskClient) -> None:
    response = _by_upload(client, b"%PDF-1.7\n" + b"x" * UPLOAD_LIMIT)
    assert response.status_code == 422
    assert "This file is larger than" in response.get_data(as_text=True)


def test_an_empty_upload_form_asks_for_a_file(client: FlaskClient) -> None:
    response = post_form(client, "/verify", {"check_file": "1"})
    assert response.status_code == 422
    assert "Choose the PDF file to check." in response.get_data(as_text=True)


def test_uploads_are_never_stored(app: Flask, world: World, client: FlaskClient) -> None:
    root = get_store(app).root
    before = sorted(root.rglob("*")) if root.exists() else []
    _by_upload(client, b"%PDF-1.7\n% a visitor's file\n")
    after = sorted(root.rglob("*")) if root.exists() else []
    assert before == after


def test_the_footer_links_to_the_verification_page(client: FlaskClient) -> None:
    page = client.get("/verify").get_data(as_text=True)
    assert '<a href="/verify">' in page.split("<footer")[1]


# ----- rate limit ---------------------------------------------------------------------------


class TestRateLimit:
    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        return {**app_config, "RATELIMIT_ENABLED": True, "VERIFY_LIMIT": "3 per minute"}

    def test_lookups_are_rate_limited(self, client: FlaskClient) -> None:
        assert client.get("/verify").status_code == 200
        statuses = [client.get("/verify/QAR-2222-2222").status_code for _ in range(3)]
        assert statuses == [404, 404, 404]
        # One budget for every way of asking.
        assert _by_hash(client, "0" * 64).status_code == 429
        assert client.get("/verify/QAR-2222-2222").status_code == 429


# ----- the QR code --------------------------------------------------------------------------


def _dark_modules(svg: str) -> tuple[int, set[tuple[int, int]]]:
    """The dark modules drawn by segno's SVG path (absolute ``M``, relative ``m`` moves and
    ``h`` runs of one module high), and the scale."""
    scale = int(re.search(r'transform="scale\((\d+)\)"', svg).group(1))
    path = re.search(r' d="([^"]+)"', svg).group(1)
    x = y = 0.0
    dark: set[tuple[int, int]] = set()
    for op, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?:\s(-?[\d.]+))?", path):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            run = int(a)
            dark.update((int(x) + i, int(y)) for i in range(run))
            x += run
    return scale, dark


def test_the_qr_code_encodes_the_verification_url(app: Flask) -> None:
    url = "http://localhost/verify/QAR-7K3M-9XQ2"
    with app.test_request_context():
        svg = qr.qr_svg(url)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert f"<title>Verification address: {url}</title>" in svg
    scale, dark = _dark_modules(svg)
    # An independent encoding of the URL: the SVG draws exactly its dark modules.
    reference = segno.make(url, error="m", micro=False)
    border = qr.QUIET_ZONE
    expected = {
        (col + border, row + border)
        for row, line in enumerate(reference.matrix)
        for col, bit in enumerate(line)
        if bit
    }
    assert dark == expected
    width = (reference.symbol_size(border=0)[0] + 2 * border) * scale
    assert f'width="{width}"' in svg
    with app.test_request_context():
        other = qr.qr_svg("http://localhost/verify/QAR-2222-2222")
    assert _dark_modules(other)[1] != dark


def test_the_job_prints_the_qr_code_of_the_documents_own_address(app: Flask, world: World) -> None:
    fake = FakePress()
    app.extensions[services.PRESS] = fake.press()
    document = _make(app, world)
    verification = fake.calls[-1]["verification"]
    assert verification["code"] == document.verification_code
    assert verification["url"] == f"http://localhost/verify/{document.verification_code}"
    _scale, dark = _dark_modules(verification["qr_svg"])
    reference = segno.make(verification["url"], error="m", micro=False)
    assert len(dark) == sum(sum(line) for line in reference.matrix)


def test_hash_of_upload_matches_sha256() -> None:
    from qaportal.reporting.verification import hash_pdf

    data = b"%PDF-1.7\n" + bytes(range(256)) * 300
    assert hash_pdf(io.BytesIO(data), len(data)) == hashlib.sha256(data).hexdigest()
