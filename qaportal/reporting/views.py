"""A case's documents page (generate, follow the rendering, download, publish, withdraw) and
the public verification page.

Views are thin: load, ``authorize``, call a service, render. The verification pages need no
sign-in and are rate-limited like the sign-in form.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from qaportal import tasks
from qaportal.access.policy import authorize, can
from qaportal.cases.access import CaseAction
from qaportal.cases.models import Case
from qaportal.db import get_session
from qaportal.extensions import limiter
from qaportal.jobs import runner as job_runner
from qaportal.jobs import services as job_services
from qaportal.reporting import services, verification
from qaportal.reporting.access import ReportAction, may_read_kind
from qaportal.reporting.forms import (
    CodeForm,
    ConfirmForm,
    GenerateForm,
    HashForm,
    UploadForm,
    WithdrawForm,
)
from qaportal.reporting.models import GeneratedDocument
from qaportal.reporting.store import get_store
from qaportal.web.context import current_actor
from qaportal.web.errors import refused

bp = Blueprint("reporting", __name__)


def _verify_limit() -> str:
    return str(current_app.config["VERIFY_LIMIT"])


# One budget for every way of asking, so switching between them gains nothing; showing
# the empty form costs nothing.
_VERIFY_SCOPE = "report-verification"
_verify_posts_limited = limiter.shared_limit(_verify_limit, scope=_VERIFY_SCOPE, methods=["POST"])
_verify_limited = limiter.shared_limit(_verify_limit, scope=_VERIFY_SCOPE)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "kind_label": services.kind_label,
        "fmt_size": _size,
    }


def _size(size: int) -> str:
    if size < 1024 * 1024:
        return _("%(size)s kB", size=format_decimal(round(size / 1024, 1)))
    return _("%(size)s MB", size=format_decimal(round(size / 1024 / 1024, 1)))


@bp.app_context_processor
def _case_navigation() -> dict[str, Any]:
    """The "Documents" tab of a case's sub-navigation (templates/cases/_nav.html)."""

    def report_links(case: Case) -> list[tuple[str, str, str]]:
        if not can(current_user, ReportAction.LIST, case):
            return []
        return [
            (
                "reporting.documents",
                _("Documents"),
                url_for("reporting.documents", case_id=case.id),
            )
        ]

    return {"report_links": report_links}


def _case_or_404(case_id: int) -> Case:
    case = get_session().get(Case, case_id)
    if case is None:
        abort(404)
    return case


def _document_or_404(case: Case, document_id: int) -> GeneratedDocument:
    document = services.document_of_case(get_session(), case, document_id)
    if document is None:
        abort(404)
    return document


def _back(case: Case, kind: str | None = None) -> Response:
    anchor = f"kind-{kind}" if kind else None
    return redirect(url_for("reporting.documents", case_id=case.id, _anchor=anchor))


# ----- a case's documents -------------------------------------------------------------------


@bp.get("/cases/<int:case_id>/documents")
@login_required
def documents(case_id: int) -> str:
    case = _case_or_404(case_id)
    authorize(current_user, ReportAction.LIST, case)
    db = get_session()
    kinds = services.case_overview(
        db,
        case,
        services.get_press(),
        lambda kind: may_read_kind(current_user, case, kind),
    )
    jobs = {state.kind: job_runner.status_of(db, state.job) for state in kinds if state.job}
    return render_template(
        "reporting/documents.html",
        case=case,
        kinds=kinds,
        jobs=jobs,
        may_generate=can(current_user, ReportAction.GENERATE, case),
        may_read=can(current_user, CaseAction.CASE_READ_SUBMISSION, case),
        may_download=lambda document: can(current_user, ReportAction.DOWNLOAD, document),
        may_publish=lambda document: can(current_user, ReportAction.PUBLISH, document),
        form=ConfirmForm(),
    )


@bp.post("/cases/<int:case_id>/documents/generate")
@login_required
def generate(case_id: int) -> Response | tuple[str, int]:
    case = _case_or_404(case_id)
    authorize(current_user, ReportAction.GENERATE, case)
    form = GenerateForm()
    if not form.validate_on_submit():
        flash(_("Choose a kind of document to generate."), "error")
        return _back(case)
    db = get_session()
    try:
        job = services.queue_generation(
            db,
            case,
            form.kind.data,
            actor=current_actor(),
            locale=str(get_locale() or "en"),
            press=services.get_press(),
        )
    except services.DocumentRefused as exc:
        db.rollback()
        return refused(exc.message)
    db.commit()
    # The PDF is rendered by a background job; the documents page follows it.
    tasks.dispatch(job.id)
    return _back(case, form.kind.data)


@bp.post("/cases/<int:case_id>/documents/jobs/<job_id>/retry")
@login_required
def retry(case_id: int, job_id: str) -> Response:
    case = _case_or_404(case_id)
    authorize(current_user, ReportAction.GENERATE, case)
    db = get_session()
    job = services.report_job(db, case, job_id) or abort(404)
    if ConfirmForm().validate_on_submit():
        try:
            job_services.retry(db, job, current_actor())
        except job_services.JobError:
            db.rollback()
            flash(_("Only a job that failed can be tried again."), "error")
        else:
            db.commit()
            tasks.dispatch(job.id)
    return _back(case, str(job.payload.get("kind")))


@bp.get("/cases/<int:case_id>/documents/<int:document_id>/download")
@login_required
def download(case_id: int, document_id: int) -> Response:
    case = _case_or_404(case_id)
    document = _document_or_404(case, document_id)
    authorize(current_user, ReportAction.DOWNLOAD, document)
    store = get_store()
    if not store.exists(document.storage_path):
        abort(404)
    response = send_file(
        store.open(document.storage_path),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=services.download_name(document),
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.route("/cases/<int:case_id>/documents/<int:document_id>/publish", methods=["GET", "POST"])
@login_required
def publish(case_id: int, document_id: int) -> str | Response | tuple[str, int]:
    case = _case_or_404(case_id)
    document = _document_or_404(case, document_id)
    authorize(current_user, ReportAction.PUBLISH, document)
    refusal = services.publish_refusal(document)
    if refusal:
        return refused(refusal)
    form = ConfirmForm()
    if form.validate_on_submit():
        db = get_session()
        services.publish(db, document, user=current_user, actor=current_actor())
        db.commit()
        flash(
            _(
                "Version %(n)d of the %(kind)s is published.",
                n=document.version,
                kind=services.kind_label(document.kind).lower(),
            ),
            "success",
        )
        return _back(case, document.kind)
    return render_template(
        "reporting/publish.html",
        case=case,
        document=document,
        url=services.verification_url(document.verification_code or ""),
        form=form,
    )


@bp.route("/cases/<int:case_id>/documents/<int:document_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(case_id: int, document_id: int) -> str | Response | tuple[str, int]:
    case = _case_or_404(case_id)
    document = _document_or_404(case, document_id)
    authorize(current_user, ReportAction.PUBLISH, document)
    if document.published_at is None or document.withdrawn_at is not None:
        return refused(_("Only a published version can be withdrawn."))
    form = WithdrawForm()
    if form.validate_on_submit():
        db = get_session()
        services.withdraw(
            db, document, form.reason.data.strip(), user=current_user, actor=current_actor()
        )
        db.commit()
        flash(_("Version %(n)d is withdrawn.", n=document.version), "success")
        return _back(case, document.kind)
    return (
        render_template("reporting/withdraw.html", case=case, document=document, form=form),
        422 if form.errors else 200,
    )


# ----- the public verification page ---------------------------------------------------------


def _verify_page(
    forms: dict[str, Any], *, asked: str | None = None, answer: Any = None, status: int = 200
) -> tuple[str, int]:
    return (
        render_template(
            "reporting/verify.html",
            code_form=forms["code"],
            hash_form=forms["hash"],
            upload_form=forms["upload"],
            asked=asked,
            answer=answer,
            max_mb=current_app.config["VERIFY_UPLOAD_MAX_BYTES"] // (1024 * 1024),
        ),
        status,
    )


def _way_asked(forms: dict[str, Any]) -> str | None:
    """Which of the three checks a POST asks for: the form whose button was pressed or, from
    a client that sends no button (a script, some assistive tools), the one whose field is
    filled in (a file before a hash before a code when more than one is)."""
    ways = (
        ("upload", forms["upload"].check_file, forms["upload"].file),
        ("hash", forms["hash"].check_hash, forms["hash"].sha256),
        ("code", forms["code"].check_code, forms["code"].code),
    )
    for way, button, _field in ways:
        if button.name in request.form:
            return way
    for way, _button, field in ways:
        upload = request.files.get(field.name)
        if (upload is not None and upload.filename) or request.form.get(field.name, "").strip():
            return way
    return None


@bp.route("/verify", methods=["GET", "POST"])
@_verify_posts_limited
def verify() -> tuple[str, int]:
    forms = {"code": CodeForm(), "hash": HashForm(), "upload": UploadForm()}
    if request.method == "GET":
        return _verify_page(forms)
    db = get_session()
    way = _way_asked(forms)
    if way == "code":
        if not forms["code"].validate_on_submit():
            return _verify_page(forms, status=422)
        return _verify_page(
            forms, asked="code", answer=verification.by_code(db, forms["code"].code.data)
        )
    if way == "hash":
        if not forms["hash"].validate_on_submit():
            return _verify_page(forms, status=422)
        return _verify_page(
            forms, asked="hash", answer=verification.by_sha256(db, forms["hash"].sha256.data)
        )
    if way == "upload":
        form = forms["upload"]
        if not form.validate_on_submit():
            return _verify_page(forms, status=422)
        limit = int(current_app.config["VERIFY_UPLOAD_MAX_BYTES"])
        try:
            digest = verification.hash_pdf(form.file.data.stream, limit)
        except verification.UploadRejected as exc:
            form.file.errors.append(
                _(
                    "This file is larger than %(mb)d MB: no document of the agency is that "
                    "large. Check that it is the right file.",
                    mb=limit // (1024 * 1024),
                )
                if exc.reason == "too_big"
                else _(
                    "This file is not a PDF. Upload the PDF document itself, as you received it."
                )
            )
            return _verify_page(forms, status=422)
        return _verify_page(forms, asked="file", answer=verification.by_sha256(db, digest))
    flash(_("Choose one of the three ways to check a document."), "error")
    return _verify_page(forms, status=422)


@bp.get("/verify/<code>")
@_verify_limited
def verify_code(code: str) -> tuple[str, int]:
    """The stable address printed in a document's QR code."""
    answer = verification.by_code(get_session(), code)
    forms = {"code": CodeForm(data={"code": code}), "hash": HashForm(), "upload": UploadForm()}
    return _verify_page(forms, asked="code", answer=answer, status=200 if answer else 404)
