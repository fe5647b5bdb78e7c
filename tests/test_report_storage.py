"""Generated documents: the rendering job, immutable versions with their SHA-256, the case's
documents page (progress, failure and retry), downloads, publishing and withdrawal, and who
may do each of these.

Rendering is a fake :class:`~qaportal.reporting.services.Press` here (its PDFs are a few
bytes, so the tests stay quick); one test at the end renders a real self-assessment through
the documents module and the isolated renderer.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from qaportal.audit.models import AuditEvent
from qaportal.cases.models import Case, CaseState
from qaportal.db import get_session, utcnow
from qaportal.reporting import services
from qaportal.reporting.models import GeneratedDocument
from qaportal.reporting.store import ReportStore, get_store
from tests.access_world import PERSONAS, World, build_world
from tests.conftest import csrf_token, post_form

KINDS = ("accreditation-report", "draft-panel-report", "decision-letter", "self-assessment")


class FakeRenderError(Exception):
    """Stands for RenderTimeout / RenderTooBig / ReportError."""


@dataclass
class FakePress:
    """Records what the job asked for; ``fail`` makes the next renders raise."""

    refusals: dict[str, str] = field(default_factory=dict)
    fail: str | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)
    # Renders wait here for each other (two jobs at once).
    barrier: threading.Barrier | None = None

    def press(self) -> services.Press:
        return services.Press(
            kinds=KINDS,
            refusal=lambda _session, kind, _case_id: self.refusals.get(kind),
            build=self.build,
            render=self.render,
            verification=lambda code, url, svg: {"code": code, "url": url, "qr_svg": svg},
            errors=(FakeRenderError,),
        )

    def build(self, session: Any, kind: str, case_id: int, **kwargs: Any) -> dict[str, Any]:
        return {"kind": kind, "case_id": case_id, **kwargs}

    def render(self, request: dict[str, Any], *, timeout_s: float, memory_mb: int) -> bytes:
        self.calls.append({**request, "timeout_s": timeout_s, "memory_mb": memory_mb})
        if self.barrier is not None:
            self.barrier.wait()
        if self.fail:
            raise FakeRenderError(self.fail)
        code = (request["verification"] or {}).get("code", "-")
        return (
            f"%PDF-1.7\n% {request['kind']} of case {request['case_id']}, "
            f"version {request['version']}, code {code}\n%%EOF\n"
        ).encode()


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {
        **app_config,
        "RATELIMIT_ENABLED": False,
        "REPORT_RENDER_TIMEOUT_SECONDS": 7,
        "REPORT_RENDER_MEMORY_MB": 333,
    }


@pytest.fixture
def fake(app: Flask) -> FakePress:
    fake = FakePress()
    app.extensions[services.PRESS] = fake.press()
    return fake


@pytest.fixture
def world(app: Flask, fake: FakePress) -> World:
    return build_world(app)


def _client(app: Flask, world: World, persona: str) -> FlaskClient:
    client = app.test_client()
    if PERSONAS[persona]:
        response = post_form(
            client, "/login", {"email": PERSONAS[persona], "password": world.password}
        )
        assert response.status_code == 302
    return client


def _page(world: World) -> str:
    return f"/cases/{world.ids['case']}/documents"


def _generate(client: FlaskClient, world: World, kind: str) -> Any:
    return post_form(
        client,
        f"{_page(world)}/generate",
        {"kind": kind},
        token_from=_page(world),
    )


def _documents(app: Flask, world: World, kind: str) -> list[GeneratedDocument]:
    with app.app_context():
        db = get_session()
        rows = db.execute(
            select(GeneratedDocument)
            .where(GeneratedDocument.case_id == world.ids["case"], GeneratedDocument.kind == kind)
            .order_by(GeneratedDocument.version)
        ).scalars()
        return list(rows)


def _actions(app: Flask) -> list[str]:
    with app.app_context():
        return list(get_session().execute(select(AuditEvent.action)).scalars())


def _set_state(app: Flask, world: World, state: CaseState) -> None:
    with app.app_context():
        db = get_session()
        case = db.get(Case, world.ids["case"])
        case.state = state
        case.submitted_at = case.submitted_at or utcnow()
        db.commit()


# ----- generating and storing ---------------------------------------------------------------


def test_generating_twice_makes_two_immutable_versions(
    app: Flask, world: World, fake: FakePress
) -> None:
    officer = _client(app, world, "agency_officer")
    response = _generate(officer, world, "accreditation-report")
    assert response.status_code == 302
    first = _documents(app, world, "accreditation-report")
    assert [d.version for d in first] == [1]
    store = get_store(app)
    path = store.path(first[0].storage_path)
    original = path.read_bytes()
    assert hashlib.sha256(original).hexdigest() == first[0].sha256
    assert first[0].size == len(original)
    assert path.is_relative_to(store.root)

    _generate(officer, world, "accreditation-report")
    both = _documents(app, world, "accreditation-report")
    assert [d.version for d in both] == [1, 2]
    old, new = both
    assert old.superseded_at is not None and old.superseded_by_id == new.id
    assert new.superseded_at is None
    assert path.read_bytes() == original, "regenerating changed the stored bytes of version 1"
    assert new.storage_path != old.storage_path
    assert hashlib.sha256(store.path(new.storage_path).read_bytes()).hexdigest() == new.sha256
    assert old.verification_code != new.verification_code
    assert re.fullmatch(r"QAR-[2-9A-Z]{4}-[2-9A-Z]{4}", new.verification_code)

    # The job asked the press for the version number, the code's URL and its QR code, within
    # the configured limits.
    call = fake.calls[-1]
    assert call["version"] == 2
    assert call["verification"]["url"] == f"http://localhost/verify/{new.verification_code}"
    assert call["verification"]["qr_svg"].startswith("<svg")
    assert (call["timeout_s"], call["memory_mb"]) == (7, 333)

    page = officer.get(_page(world)).get_data(as_text=True)
    rows = re.findall(r'<tr id="document-\d+" data-version="(\d)">(.*?)</tr>', page, re.S)
    assert [version for version, _ in rows][:2] == ["2", "1"]
    assert "Current" in rows[0][1] and "Superseded" in rows[1][1]
    assert f'title="{old.sha256}"' in page and old.sha256[:12] in page

    actions = _actions(app)
    assert actions.count("report.requested") == 2
    assert actions.count("report.generated") == 2


def test_two_renders_at_once_never_share_a_version(
    app: Flask, world: World, fake: FakePress
) -> None:
    """Two jobs of one kind render side by side (both counted version 1 before either
    stored it): one stores version 1, the other fails with a message and its retry stores
    version 2. No version is stored twice and no file is overwritten."""
    from qaportal.audit.services import Actor
    from qaportal.jobs.models import BackgroundJob, JobState
    from qaportal.jobs.runner import run_job
    from qaportal.jobs.services import create_job

    with app.app_context():
        db = get_session()
        payload = {"case": world.ids["case"], "kind": "decision-letter", "locale": "en"}
        ids = [
            create_job(db, services.JOB_KIND, payload, actor=Actor.system("test")).id
            for _ in range(2)
        ]
        db.commit()
    fake.barrier = threading.Barrier(2, timeout=30)
    errors: list[BaseException] = []

    def work(job_id: str) -> None:
        try:
            with app.app_context():
                run_job(job_id)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(job_id,)) for job_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    fake.barrier = None
    with app.app_context():
        db = get_session()
        jobs = [db.get(BackgroundJob, job_id) for job_id in ids]
        states = sorted(job.state for job in jobs)
        assert states == [JobState.DONE, JobState.FAILED]
        failed = next(job for job in jobs if job.state == JobState.FAILED)
        assert "Another version was stored at the same moment" in failed.error
    assert [d.version for d in _documents(app, world, "decision-letter")] == [1]

    officer = _client(app, world, "agency_officer")
    post_form(officer, f"{_page(world)}/jobs/{failed.id}/retry", {}, token_from=_page(world))
    stored = _documents(app, world, "decision-letter")
    assert [d.version for d in stored] == [1, 2]
    assert stored[0].superseded_by_id == stored[1].id
    for document in stored:
        data = get_store(app).path(document.storage_path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == document.sha256
        assert f"version {document.version}".encode() in data


def test_internal_documents_carry_no_verification_code(app: Flask, world: World) -> None:
    _set_state(app, world, CaseState.SUBMITTED)
    _generate(_client(app, world, "agency_officer"), world, "self-assessment")
    # The world already holds version 1.
    document = _documents(app, world, "self-assessment")[-1]
    assert document.version == 2
    assert document.verification_code is None


def test_a_failing_render_is_shown_and_the_retry_works(
    app: Flask, world: World, fake: FakePress
) -> None:
    from qaportal.jobs.models import BackgroundJob, JobState

    with app.app_context():  # the world's own waiting job would keep the page reloading
        db = get_session()
        db.get(BackgroundJob, world.ids["report_job"]).state = JobState.DONE
        db.commit()
    officer = _client(app, world, "agency_officer")
    fake.fail = "rendering took longer than 7 s"
    _generate(officer, world, "decision-letter")
    assert _documents(app, world, "decision-letter") == []
    page = officer.get(_page(world)).get_data(as_text=True)
    assert "The document could not be generated" in page
    assert "rendering took longer than 7 s" in page
    assert 'http-equiv="refresh"' not in page, "a failed job must not keep the page waiting"
    retry = re.search(r'action="(/cases/\d+/documents/jobs/\w+/retry)"', page)
    assert retry, "no Try again button"
    assert "report.failed" in _actions(app)

    fake.fail = None
    response = post_form(officer, retry.group(1), {}, token_from=_page(world))
    assert response.status_code == 302
    (document,) = _documents(app, world, "decision-letter")
    assert document.version == 1
    page = officer.get(_page(world)).get_data(as_text=True)
    assert "could not be generated" not in page
    assert f'id="document-{document.id}"' in page
    assert "job.retried" in _actions(app)


def test_a_refused_kind_has_no_button_and_a_crafted_request_is_refused(
    app: Flask, world: World, fake: FakePress
) -> None:
    fake.refusals["accreditation-report"] = "The case has not been decided."
    officer = _client(app, world, "agency_officer")
    page = officer.get(_page(world)).get_data(as_text=True)
    section = page.split('id="kind-accreditation-report"')[1].split("</section>")[0]
    assert "The case has not been decided." in section
    assert 'name="kind"' not in section
    response = _generate(officer, world, "accreditation-report")
    assert response.status_code == 409
    assert "The case has not been decided." in response.get_data(as_text=True)
    assert _documents(app, world, "accreditation-report") == []
    assert "report.requested" not in _actions(app)


def test_an_unknown_kind_is_refused(app: Flask, world: World) -> None:
    response = _generate(_client(app, world, "agency_officer"), world, "../../etc/passwd")
    assert response.status_code == 409


def test_the_store_never_overwrites(tmp_path: Any) -> None:
    store = ReportStore(tmp_path)
    name = "1/accreditation-report/v1-0123456789ab.pdf"
    store.add(name, b"%PDF-1.7 first")
    with pytest.raises(FileExistsError):
        store.add(name, b"%PDF-1.7 second")
    assert store.path(name).read_bytes() == b"%PDF-1.7 first"
    assert [p.name for p in store.path(name).parent.iterdir()] == ["v1-0123456789ab.pdf"]
    with pytest.raises(ValueError):
        store.path("../../secret.pdf")


def test_render_limits_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from qaportal.config import load_config

    monkeypatch.setenv("QAPORTAL_REPORT_RENDER_TIMEOUT_SECONDS", "30")
    monkeypatch.setenv("QAPORTAL_REPORT_RENDER_MEMORY_MB", "256")
    monkeypatch.setenv("QAPORTAL_REPORT_STORAGE_FOLDER", str(tmp_path / "pdfs"))
    config = load_config(tmp_path)
    assert config["REPORT_RENDER_TIMEOUT_SECONDS"] == 30
    assert config["REPORT_RENDER_MEMORY_MB"] == 256
    assert config["REPORT_STORAGE_FOLDER"] == str(tmp_path / "pdfs")


# ----- downloading --------------------------------------------------------------------------


def _generated(app: Flask, world: World, kind: str) -> GeneratedDocument:
    _generate(_client(app, world, "agency_officer"), world, kind)
    return _documents(app, world, kind)[-1]


def _download_url(world: World, document: GeneratedDocument) -> str:
    return f"{_page(world)}/{document.id}/download"


def test_download_serves_the_stored_bytes_as_an_attachment(app: Flask, world: World) -> None:
    document = _generated(app, world, "accreditation-report")
    response = _client(app, world, "agency_admin").get(_download_url(world, document))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert (
        f"-accreditation-report-v{document.version}.pdf" in response.headers["Content-Disposition"]
    )
    assert hashlib.sha256(response.data).hexdigest() == document.sha256


@pytest.mark.parametrize(
    ("kind", "state", "expected"),
    [
        # the provider: the self-assessment always; the draft report from factual check on;
        # the final documents once decided (or published)
        ("self-assessment", CaseState.SUBMITTED, {"provider_admin": 200, "panel_reviewer": 403}),
        (
            "draft-panel-report",
            CaseState.IN_REVIEW,
            {"provider_editor": 403, "panel_reviewer": 200},
        ),
        (
            "draft-panel-report",
            CaseState.FACTUAL_CHECK,
            {"provider_editor": 200, "panel_reviewer": 200},
        ),
        (
            "accreditation-report",
            CaseState.DECISION_PENDING,
            {"provider_admin": 403, "panel_reviewer": 403},
        ),
        ("decision-letter", CaseState.DECIDED, {"provider_admin": 200, "panel_reviewer": 403}),
    ],
)
def test_who_downloads_which_kind(
    app: Flask, world: World, kind: str, state: CaseState, expected: dict[str, int]
) -> None:
    document = _generated(app, world, kind)
    _set_state(app, world, state)
    expected = {**expected, "agency_officer": 200, "other_provider": 404, "reviewer": 404}
    for persona, status in expected.items():
        response = _client(app, world, persona).get(_download_url(world, document))
        assert response.status_code == status, persona


def test_the_provider_downloads_a_published_report_of_its_case(app: Flask, world: World) -> None:
    document = _generated(app, world, "accreditation-report")
    provider = _client(app, world, "provider_admin")
    assert provider.get(_download_url(world, document)).status_code == 403
    with app.app_context():
        db = get_session()
        db.get(GeneratedDocument, document.id).published_at = utcnow()
        db.commit()
    assert provider.get(_download_url(world, document)).status_code == 200


def test_the_page_shows_each_party_only_what_it_may_read(app: Flask, world: World) -> None:
    _set_state(app, world, CaseState.IN_REVIEW)
    for kind in KINDS:
        _generated(app, world, kind)
    seen = {}
    for persona in ("agency_officer", "provider_admin", "panel_reviewer"):
        page = _client(app, world, persona).get(_page(world)).get_data(as_text=True)
        seen[persona] = {kind for kind in KINDS if f'id="kind-{kind}"' in page}
        generates = f'action="{_page(world)}/generate"' in page
        assert generates == (persona == "agency_officer"), persona
    assert seen == {
        "agency_officer": set(KINDS),
        "provider_admin": {"self-assessment"},
        "panel_reviewer": {"draft-panel-report"},
    }


def test_the_case_page_links_to_the_documents(app: Flask, world: World) -> None:
    page = _client(app, world, "provider_editor").get(f"/cases/{world.ids['case']}")
    assert f'href="{_page(world)}"' in page.get_data(as_text=True)


# ----- publishing and withdrawing -----------------------------------------------------------


def test_publishing_shows_what_becomes_public_then_publishes(app: Flask, world: World) -> None:
    document = _generated(app, world, "accreditation-report")
    officer = _client(app, world, "agency_officer")
    url = f"{_page(world)}/{document.id}/publish"
    confirm = officer.get(url).get_data(as_text=True)
    for fact in (document.sha256, document.verification_code, "Accreditation report"):
        assert fact in confirm
    assert f"http://localhost/verify/{document.verification_code}" in confirm
    assert _documents(app, world, "accreditation-report")[0].published_at is None

    assert post_form(officer, url, {}).status_code == 302
    published = _documents(app, world, "accreditation-report")[0]
    assert published.published_at is not None
    assert "report.published" in _actions(app)
    # Once is enough; a superseded version cannot be published.
    assert officer.get(url).status_code == 409
    newer = _generated(app, world, "accreditation-report")
    assert officer.get(f"{_page(world)}/{newer.id}/publish").status_code == 200
    _generate(officer, world, "accreditation-report")
    assert officer.get(f"{_page(world)}/{newer.id}/publish").status_code == 409


def test_internal_documents_are_not_published(app: Flask, world: World) -> None:
    _set_state(app, world, CaseState.SUBMITTED)
    document = _generated(app, world, "self-assessment")
    officer = _client(app, world, "agency_officer")
    url = f"{_page(world)}/{document.id}/publish"
    assert post_form(officer, url, {}, token_from=_page(world)).status_code == 409
    assert _documents(app, world, "self-assessment")[-1].published_at is None


def test_withdrawing_needs_a_reason_and_is_audited(app: Flask, world: World) -> None:
    document = _generated(app, world, "decision-letter")
    officer = _client(app, world, "agency_officer")
    url = f"{_page(world)}/{document.id}/withdraw"
    assert officer.get(url).status_code == 409, "an unpublished version cannot be withdrawn"
    post_form(officer, f"{_page(world)}/{document.id}/publish", {})
    response = post_form(officer, url, {"reason": "   "})
    assert response.status_code == 422
    assert "Say why this version is withdrawn." in response.get_data(as_text=True)
    response = post_form(officer, url, {"reason": "Wrong provider name on the cover"})
    assert response.status_code == 302
    withdrawn = _documents(app, world, "decision-letter")[0]
    assert withdrawn.withdrawn_at is not None
    assert withdrawn.withdrawal_reason == "Wrong provider name on the cover"
    assert "report.withdrawn" in _actions(app)
    page = officer.get(_page(world)).get_data(as_text=True)
    assert "Withdrawn" in page.split(f'id="document-{document.id}"')[1].split("</tr>")[0]


# ----- refused on every new route -----------------------------------------------------------

ROUTES = [
    ("GET", "/cases/{case}/documents"),
    ("POST", "/cases/{case}/documents/generate"),
    ("POST", "/cases/{case}/documents/jobs/{job}/retry"),
    ("GET", "/cases/{case}/documents/{document}/download"),
    ("GET", "/cases/{case}/documents/{document}/publish"),
    ("POST", "/cases/{case}/documents/{document}/publish"),
    ("GET", "/cases/{case}/documents/{document}/withdraw"),
    ("POST", "/cases/{case}/documents/{document}/withdraw"),
]


OTHER_AGENCY_OFFICER = "officer@other-agency.example.org"


def _other_agency_officer(app: Flask, world: World) -> FlaskClient:
    """An officer of a second agency: the case and its documents do not exist for them."""
    from qaportal.auth.models import Membership, Role
    from qaportal.auth.services import create_user
    from qaportal.orgs.models import Organisation, OrgKind

    with app.app_context():
        db = get_session()
        other = Organisation(kind=OrgKind.AGENCY, legal_name="Other Agency", acronym="OAQ")
        db.add(other)
        db.flush()
        user = create_user(db, OTHER_AGENCY_OFFICER, "Other", world.password)
        db.add(Membership(user_id=user.id, organisation_id=other.id, role=Role.AGENCY_OFFICER))
        db.commit()
    client = app.test_client()
    post_form(client, "/login", {"email": OTHER_AGENCY_OFFICER, "password": world.password})
    return client


@pytest.mark.parametrize(("method", "template"), ROUTES)
def test_strangers_are_refused_on_every_route(
    app: Flask, world: World, method: str, template: str
) -> None:
    """Another provider's admin, another agency's officer and the anonymous visitor, on a
    published decision letter of the world's case; the case's own provider may not act."""
    document = _generated(app, world, "decision-letter")
    post_form(_client(app, world, "agency_officer"), f"{_page(world)}/{document.id}/publish", {})
    url = template.format(case=world.ids["case"], job=world.ids["report_job"], document=document.id)
    clients = {
        "other_provider": (_client(app, world, "other_provider"), 404),
        "other_agency": (_other_agency_officer(app, world), 404),
        "anonymous": (_client(app, world, "anonymous"), 302),
    }
    if "publish" in template or "withdraw" in template or "generate" in template:
        clients["provider_admin"] = (_client(app, world, "provider_admin"), 403)
    for persona, (client, status) in clients.items():
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": csrf_token(client, "/verify")})
        assert response.status_code == status, persona
        if persona == "anonymous":
            assert "/login" in response.headers["Location"]
    with app.app_context():
        row = get_session().get(GeneratedDocument, document.id)
        assert row.withdrawn_at is None, "a stranger changed the document"


# ----- the real press: documents.build_request and the isolated renderer ------------------


@pytest.fixture
def decided_case(app: Flask, demo: Any) -> tuple[int, str]:
    """A case taken through review to a decision (tests/test_report_documents.py) and the
    demo logins' password."""
    from tests.test_report_documents import build_decided_case

    app.config["REPORT_RENDER_TIMEOUT_SECONDS"] = 120
    return build_decided_case(app).case_id, demo.password


def _officer(app: Flask, password: str) -> FlaskClient:
    client = app.test_client()
    post_form(client, "/login", {"email": PERSONAS["agency_officer"], "password": password})
    return client


def _versions(app: Flask, case_id: int, kind: str) -> list[GeneratedDocument]:
    with app.app_context():
        return list(
            get_session()
            .execute(
                select(GeneratedDocument)
                .where(GeneratedDocument.case_id == case_id, GeneratedDocument.kind == kind)
                .order_by(GeneratedDocument.version)
            )
            .scalars()
        )


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_real_accreditation_report_is_stored_published_and_verified(
    app: Flask, decided_case: tuple[int, str]
) -> None:
    import io

    from pypdf import PdfReader

    case_id, password = decided_case
    officer = _officer(app, password)
    page = f"/cases/{case_id}/documents"
    generate = f"{page}/generate"
    assert (
        post_form(officer, generate, {"kind": "accreditation-report"}, token_from=page).status_code
        == 302
    )
    (first,) = _versions(app, case_id, "accreditation-report")
    data = get_store(app).path(first.storage_path).read_bytes()
    assert data.startswith(b"%PDF-")
    assert hashlib.sha256(data).hexdigest() == first.sha256 and first.size == len(data)
    text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)
    assert first.verification_code in text, "the verification code is printed in the report"

    def verify_upload() -> str:
        response = officer.post(
            "/verify",
            data={
                "csrf_token": csrf_token(officer, "/verify"),
                "file": (io.BytesIO(data), "report.pdf"),
                "check_file": "1",
            },
            content_type="multipart/form-data",
        )
        return response.get_data(as_text=True)

    assert "No published document found" in verify_upload()
    post_form(officer, f"{page}/{first.id}/publish", {})
    assert "Genuine: this is the current published version" in verify_upload()

    assert (
        post_form(officer, generate, {"kind": "accreditation-report"}, token_from=page).status_code
        == 302
    )
    old, new = _versions(app, case_id, "accreditation-report")
    assert old.superseded_by_id == new.id and new.version == 2
    assert get_store(app).path(old.storage_path).read_bytes() == data


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_real_render_that_times_out_is_shown_and_retried(
    app: Flask, decided_case: tuple[int, str]
) -> None:
    case_id, password = decided_case
    officer = _officer(app, password)
    page = f"/cases/{case_id}/documents"
    app.config["REPORT_RENDER_TIMEOUT_SECONDS"] = 0.05
    post_form(officer, f"{page}/generate", {"kind": "decision-letter"}, token_from=page)
    assert _versions(app, case_id, "decision-letter") == []
    shown = officer.get(page).get_data(as_text=True)
    assert "took longer than 0.05 s and was stopped" in shown
    retry = re.search(r'action="(/cases/\d+/documents/jobs/\w+/retry)"', shown)
    assert retry

    app.config["REPORT_RENDER_TIMEOUT_SECONDS"] = 120
    post_form(officer, retry.group(1), {}, token_from=page)
    (letter,) = _versions(app, case_id, "decision-letter")
    assert get_store(app).path(letter.storage_path).read_bytes().startswith(b"%PDF-")
    assert "took longer than" not in officer.get(page).get_data(as_text=True)
