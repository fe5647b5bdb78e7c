"""The agency's logo: uploaded on its logo page by its admin, checked by content and size
before anything is stored, audited, and printed on the cover of every case document."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf.generic import IndirectObject
from sqlalchemy import func, select

from qaportal.audit.models import AuditEvent
from qaportal.auth.models import Role
from qaportal.db import get_session
from qaportal.evidence.models import StoredFile
from qaportal.orgs.models import Organisation, OrgKind
from qaportal.reporting.documents import DocumentKind
from tests import pdf_checks
from tests.casekit import minimal_pdf
from tests.conftest import login, post_form
from tests.test_report_documents import _render, build_decided_case

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

AGENCY_ADMIN = "admin@agency.example.org"
OFFICER = "officer@agency.example.org"
NOT_AN_IMAGE = "A logo must be a PNG or JPEG image."
SVG = b"<svg xmlns='http://www.w3.org/2000/svg'><script>fetch('/x')</script></svg>"


def _png(size: int = 32) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (size, size), (200, 30, 40)).save(out, format="PNG")
    return out.getvalue()


def _agency_id(app: Any) -> int:
    with app.app_context():
        return (
            get_session()
            .execute(select(Organisation.id).where(Organisation.kind == OrgKind.AGENCY))
            .scalar_one()
        )


def _agency(app: Any, agency_id: int) -> tuple[str | None, str | None, str | None]:
    with app.app_context():
        org = get_session().get(Organisation, agency_id)
        assert org is not None
        return org.logo_sha256, org.logo_media_type, org.logo_name


def _stored_files(app: Any) -> int:
    with app.app_context():
        return get_session().execute(select(func.count(StoredFile.id))).scalar_one()


def _upload(client: Any, agency_id: int, content: bytes, name: str) -> Any:
    url = f"/agencies/{agency_id}/logo"
    return post_form(
        client,
        url,
        {"logo": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def _images_on_page(pdf: bytes, index: int) -> int:
    """Image XObjects drawn on the page, also inside the form XObjects WeasyPrint nests."""
    page = pdf_checks.reader(pdf).pages[index]
    count = 0
    seen: set[int] = set()

    def visit(resources: Any) -> None:
        nonlocal count
        if isinstance(resources, IndirectObject):
            resources = resources.get_object()
        xobjects = (resources or {}).get("/XObject")
        if xobjects is None:
            return
        for ref in xobjects.get_object().values():
            obj = ref.get_object()
            if isinstance(ref, IndirectObject):
                if ref.idnum in seen:
                    continue
                seen.add(ref.idnum)
            if obj.get("/Subtype") == "/Image":
                count += 1
            elif obj.get("/Subtype") == "/Form":
                visit(obj.get("/Resources"))

    visit(page.get("/Resources"))
    return count


def test_uploaded_logo_is_printed_on_the_cover(app, client, demo):
    world = build_decided_case(app)
    agency_id = _agency_id(app)
    before = _render(app, DocumentKind.DECISION_LETTER, world.case_id)
    assert _images_on_page(before, 0) == 0  # no logo yet: the cover has no image

    login(client, AGENCY_ADMIN, demo.password)
    response = _upload(client, agency_id, _png(), "logo.png")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The logo has been saved" in page and "Current logo: logo.png (image/png)" in page
    sha256, media_type, _name = _agency(app, agency_id)
    assert sha256 and media_type == "image/png"
    with app.app_context():
        event = (
            get_session()
            .execute(select(AuditEvent).where(AuditEvent.action == "agency.logo_changed"))
            .scalar_one()
        )
        assert event.organisation_id == agency_id and sha256 in event.details

    for kind in (DocumentKind.DECISION_LETTER, DocumentKind.ACCREDITATION_REPORT):
        after = _render(app, kind, world.case_id)
        assert _images_on_page(after, 0) >= 1, kind


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (SVG, "logo.svg", NOT_AN_IMAGE),
        (minimal_pdf(), "logo.pdf", NOT_AN_IMAGE),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * (1024 * 1024 + 1), "big.png", "larger than the limit"),
    ],
    ids=["svg", "pdf", "too-big"],
)
def test_refused_uploads_store_nothing(app, client, demo, content, name, message):
    agency_id = _agency_id(app)
    files_before = _stored_files(app)
    login(client, AGENCY_ADMIN, demo.password)
    response = _upload(client, agency_id, content, name)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    errors = page.split('id="logo-errors"', 1)
    assert len(errors) == 2 and message in errors[1].split("</ul>", 1)[0]  # at the field
    assert _agency(app, agency_id) == (None, None, None)
    assert _stored_files(app) == files_before
    with app.app_context():
        assert (
            not get_session()
            .execute(select(AuditEvent).where(AuditEvent.action == "agency.logo_changed"))
            .first()
        )


def test_only_the_agencys_own_admin_may_change_its_logo(app, client, demo):
    from qaportal.audit.services import Actor
    from qaportal.auth.services import add_membership, create_user
    from qaportal.orgs.services import create_organisation

    agency_id = _agency_id(app)
    with app.app_context():
        db = get_session()
        other = create_organisation(
            db, OrgKind.AGENCY, Actor.system("test"), legal_name="Other Agency"
        )
        admin = create_user(db, "admin@other.example.org", "Olga Other", demo.password)
        add_membership(db, admin, other.id, Role.AGENCY_ADMIN)
        db.commit()
    login(client, "admin@other.example.org", demo.password)
    url = f"/agencies/{agency_id}/logo"
    assert client.get(url).status_code == 404
    # The CSRF token of the other admin's session, from a page they may open.
    assert _upload_with_token_from(client, url, "/").status_code == 404
    with app.test_client() as officer:
        login(officer, OFFICER, demo.password)
        assert officer.get(url).status_code == 403
        assert _upload_with_token_from(officer, url, "/").status_code == 403
    assert _agency(app, agency_id) == (None, None, None)


def _upload_with_token_from(client: Any, url: str, token_from: str) -> Any:
    return post_form(
        client,
        url,
        {"logo": (io.BytesIO(_png()), "logo.png")},
        token_from=token_from,
        content_type="multipart/form-data",
    )
