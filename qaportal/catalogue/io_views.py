"""Catalogue exports and the CSV import (issue 3).

Public, no sign-in: a published specification's Open Badges 3.0 Achievement, its
AchievementCredential template and its ELM v3 JSON-LD; the data-format documentation.
Provider staff (``CatalogueAction.CATALOGUE_EDIT``): the catalogue as CSV, the CSV template, and the
import (upload → preview → commit; a file of more than ``csv_io.INLINE_ROWS`` rows is committed
by a background job, followed on a progress page that reloads itself without JavaScript).
"""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.file import FileAllowed, FileField, FileRequired
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import BooleanField, HiddenField
from wtforms.validators import DataRequired, Regexp

from qaportal import tasks
from qaportal.access.policy import authorize, can
from qaportal.catalogue import csv_io, exports_elm, exports_ob3, import_jobs, services
from qaportal.catalogue.access import CatalogueAction
from qaportal.catalogue.completeness import Status
from qaportal.catalogue.models import SpecificationVersion
from qaportal.db import get_session
from qaportal.jobs import runner as job_runner
from qaportal.jobs import services as job_services
from qaportal.orgs.models import Organisation, OrgKind
from qaportal.paths import PACKAGE_DIR
from qaportal.web.context import current_actor
from qaportal.web.forms import PortalForm
from qaportal.web.loaders import organisation_or_404

bp = Blueprint("catalogue_io", __name__)

IMPORT_ENDPOINTS = ("catalogue_io.import_upload",)
PREVIEW_ROWS = 250
PREVIEW_PROBLEMS = 1000


# ----- forms -------------------------------------------------------------------------------


class UploadForm(PortalForm):
    file = FileField(
        _l("CSV file"),
        validators=[
            FileRequired(_l("Choose a CSV file to upload.")),
            FileAllowed(
                ["csv", "txt"],
                _l(
                    "Upload a .csv file. From a spreadsheet program, save the sheet as "
                    "“CSV UTF-8 (comma delimited)” first."
                ),
            ),
        ],
        description=_l("UTF-8 encoded, at most 2 MB, one row per specification."),
    )


class RetryForm(PortalForm):
    pass


class CommitForm(PortalForm):
    token = HiddenField(validators=[DataRequired(), Regexp(r"^[A-Za-z0-9_-]{32}$")])
    sha256 = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{64}$")])
    publish_complete = BooleanField(
        _l("Publish the rows whose Annex I elements are complete (the others stay drafts)")
    )


# ----- request size: enforced before anything reads the body ----------------------------


@bp.record_once
def _limit_upload_size(state: BlueprintSetupState) -> None:
    """Cap the import's request body before any form parsing (also before the CSRF check,
    which reads the form): this hook runs first among the app's before-request functions."""
    app: Flask = state.app

    def limit() -> None:
        if request.endpoint in IMPORT_ENDPOINTS:
            request.max_content_length = csv_io.MAX_BYTES + csv_io.REQUEST_OVERHEAD

    app.before_request_funcs.setdefault(None, []).insert(0, limit)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
    if request.endpoint in IMPORT_ENDPOINTS and request.view_args:
        org = get_session().get(Organisation, request.view_args.get("org_id"))
        if (
            org is not None
            and org.is_provider
            and can(current_user, CatalogueAction.CATALOGUE_EDIT, org)
        ):
            return _import_page(org, UploadForm(formdata=None), [_too_large_message()], 413)
    return render_template(
        "errors/error.html",
        status=413,
        title=_("Too large"),
        message=_too_large_message(),
    ), 413


def _too_large_message() -> str:
    return _(
        "The file is larger than %(mb)d MB. Split the catalogue into several files.",
        mb=csv_io.MAX_BYTES // (1024 * 1024),
    )


# ----- public exports ----------------------------------------------------------------------


def _published_or_404(public_id: str) -> SpecificationVersion:
    spec = services.load_by_public_id(get_session(), public_id)
    version = services.published_of(spec) if spec is not None else None
    if spec is None or spec.retired_at is not None or version is None:
        abort(404)
    return version


def _register() -> Any:
    """The register's export helpers, imported late: the register reads the catalogue."""
    from qaportal.register import elm

    return elm


def _download(document: Any, mimetype: str, filename: str) -> Response:
    body = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Access-Control-Allow-Origin"] = "*"  # public data, fetched by wallets
    return response


@bp.get("/catalogue/<public_id>/ob3.json")
def ob3_achievement(public_id: str) -> Response:
    version = _published_or_404(public_id)
    base = current_app.config["BASE_URL"]
    document = exports_ob3.achievement_document(
        version, base, accreditation=_register().ob3_alignment(get_session(), version, base)
    )
    return _download(
        document, exports_ob3.MEDIA_TYPE, exports_ob3.filename(version, "ob3-achievement")
    )


@bp.get("/catalogue/<public_id>/ob3-credential-template.json")
def ob3_credential_template(public_id: str) -> Response:
    version = _published_or_404(public_id)
    base = current_app.config["BASE_URL"]
    document = exports_ob3.build_credential_template(
        version, base, accreditation=_register().ob3_alignment(get_session(), version, base)
    )
    return _download(
        document,
        exports_ob3.CREDENTIAL_MEDIA_TYPE,
        exports_ob3.filename(version, "ob3-credential-template"),
    )


@bp.get("/catalogue/<public_id>/elm.jsonld")
def elm(public_id: str) -> Response:
    version = _published_or_404(public_id)
    base = current_app.config["BASE_URL"]
    document = exports_elm.build_learning_achievement_specification(
        version,
        base,
        accreditation=_register().catalogue_accreditation(get_session(), version, base),
    )
    return _download(document, exports_elm.MEDIA_TYPE, exports_elm.filename(version))


@bp.get("/catalogue/vocabulary/annex-i")
def annex_i_vocabulary() -> Response:
    """The concept scheme the ELM notes' subjects belong to (their IRIs resolve here)."""
    document = exports_elm.annex_i_vocabulary(current_app.config["BASE_URL"])
    response = Response(
        json.dumps(document, ensure_ascii=False, indent=2) + "\n", mimetype=exports_elm.MEDIA_TYPE
    )
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/catalogue/formats")
def formats() -> str:
    """The CSV layout and the Annex I → OB3 / ELM mappings (qaportal/catalogue/README.md)."""
    import markdown
    import nh3

    text = (PACKAGE_DIR / "catalogue" / "README.md").read_text(encoding="utf-8")
    html = markdown.markdown(text, extensions=["tables", "sane_lists", "fenced_code"])
    tags = {"h1", "h2", "h3", "h4", "p", "br", "strong", "em", "code", "pre", "ul", "ol", "li"}
    tags |= {"a", "table", "thead", "tbody", "tr", "th", "td", "blockquote", "hr"}
    clean = nh3.clean(html, tags=tags, attributes={"a": {"href"}}, url_schemes={"http", "https"})
    return render_template("catalogue/io/formats.html", html=clean)


# ----- provider staff: CSV export, template, import --------------------------------------


def _max_rows() -> int:
    return int(current_app.config.get("CATALOGUE_IMPORT_MAX_ROWS", csv_io.MAX_ROWS))


def _inline_rows() -> int:
    return int(current_app.config.get("CATALOGUE_IMPORT_INLINE_ROWS", csv_io.INLINE_ROWS))


def _csv_response(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/orgs/<int:org_id>/catalogue/export.csv")
@login_required
def export_csv(org_id: int) -> Response:
    org = organisation_or_404(org_id, OrgKind.PROVIDER)
    authorize(current_user, CatalogueAction.CATALOGUE_EDIT, org)
    return _csv_response(csv_io.export_csv(get_session(), org), csv_io.export_filename(org))


@bp.get("/orgs/<int:org_id>/catalogue/import/template.csv")
@login_required
def import_template(org_id: int) -> Response:
    org = organisation_or_404(org_id, OrgKind.PROVIDER)
    authorize(current_user, CatalogueAction.CATALOGUE_EDIT, org)
    return _csv_response(csv_io.template_csv(), "catalogue-import-template.csv")


def _import_page(
    org: Organisation, form: UploadForm, messages: list[str] | None = None, status: int = 200
) -> tuple[str, int]:
    return render_template(
        "catalogue/io/import.html",
        org=org,
        form=form,
        messages=messages or [],
        columns=csv_io.COLUMNS,
        export_only=csv_io.EXPORT_ONLY_COLUMNS,
        max_rows=_max_rows(),
    ), status


def _preview_page(
    org: Organisation,
    parsed: csv_io.ParsedUpload,
    filename: str,
    staged: csv_io.StagedUpload | None,
    status: int,
) -> tuple[str, int]:
    commit_form = None
    if staged is not None:
        commit_form = CommitForm(formdata=None, token=staged.token, sha256=staged.sha256)
    # A whole catalogue would be a page of thousands of rows: the rows with problems or gaps
    # come first, up to PREVIEW_ROWS of them, and every problem up to PREVIEW_PROBLEMS.
    ordered = sorted(
        parsed.rows,
        key=lambda r: (not r.problems, bool(r.completeness and r.completeness.is_complete)),
    )
    rows = [
        {
            "number": row.number,
            "title": row.data.title,
            "outcomes": len(row.data.outcomes),
            "problems": row.problems,
            "complete": bool(row.completeness and row.completeness.is_complete),
            "missing": [str(e.label) for e in row.completeness.missing] if row.completeness else [],
            "weak": [str(e.label) for e in row.completeness.weak] if row.completeness else [],
        }
        for row in (ordered if len(parsed.rows) > PREVIEW_ROWS else parsed.rows)[:PREVIEW_ROWS]
    ]
    problems = parsed.problems
    return render_template(
        "catalogue/io/preview.html",
        org=org,
        filename=filename,
        parsed=parsed,
        rows=rows,
        row_count=len(parsed.rows),
        problems=problems[:PREVIEW_PROBLEMS],
        problem_count=len(problems),
        complete_count=parsed.complete_count,
        commit_form=commit_form,
        sha256=staged.sha256 if staged else None,
        upload_form=UploadForm(formdata=None),
        in_background=len(parsed.rows) > _inline_rows(),
        status_missing=Status.MISSING,
    ), status


@bp.route("/orgs/<int:org_id>/catalogue/import", methods=["GET", "POST"])
@login_required
def import_upload(org_id: int) -> tuple[str, int]:
    org = organisation_or_404(org_id, OrgKind.PROVIDER)
    authorize(current_user, CatalogueAction.CATALOGUE_EDIT, org)
    form = UploadForm()
    if request.method == "GET":
        return _import_page(org, form)
    if not form.validate_on_submit():
        return _import_page(org, form, status=400)
    upload = form.file.data
    raw = upload.stream.read(csv_io.MAX_BYTES + 1)
    if len(raw) > csv_io.MAX_BYTES:
        return _import_page(org, form, [_too_large_message()], 413)
    filename = upload.filename or "upload.csv"
    session = get_session()
    parsed = csv_io.parse_catalogue_csv(
        raw,
        csv_io.existing_titles(session, org.id),
        max_rows=_max_rows(),
        text_language=services.default_text_language(session, org, str(get_locale() or "")),
        provider_country=org.country,
    )
    staged = None
    if parsed.ok:
        folder = current_app.config["UPLOAD_FOLDER"]
        staged = csv_io.stage_upload(folder, org.id, current_user.id, filename, raw)
    return _preview_page(org, parsed, filename, staged, 200 if parsed.ok else 422)


@bp.post("/orgs/<int:org_id>/catalogue/import/commit")
@login_required
def import_commit(org_id: int) -> Any:
    org = organisation_or_404(org_id, OrgKind.PROVIDER)
    authorize(current_user, CatalogueAction.CATALOGUE_EDIT, org)
    form = CommitForm()
    if not form.validate_on_submit():
        abort(400)
    folder = current_app.config["UPLOAD_FOLDER"]
    staged = csv_io.load_staged(folder, form.token.data, form.sha256.data, org.id, current_user.id)
    if staged is None:
        flash(_("That upload is unknown or has expired. Upload the file again."), "error")
        return redirect(url_for("catalogue_io.import_upload", org_id=org.id))
    if staged.job_id is not None:  # confirmed twice: the first confirmation's job imports it
        return redirect(url_for("catalogue_io.import_status", org_id=org.id, job_id=staged.job_id))
    session = get_session()
    text_language = services.default_text_language(session, org, str(get_locale() or ""))
    rows = csv_io.count_rows(staged.raw)
    if rows > _inline_rows():
        # Checked and written off the request; the job reads the staged bytes again.
        job = import_jobs.queue_import(
            session,
            org,
            staged,
            actor=current_actor(),
            publish_complete=bool(form.publish_complete.data),
            rows=rows,
            max_rows=_max_rows(),
            text_language=text_language,
            locale=str(get_locale() or "en"),
        )
        session.commit()
        csv_io.mark_staged_job(folder, staged, job.id)
        tasks.dispatch(job.id)
        return redirect(url_for("catalogue_io.import_status", org_id=org.id, job_id=job.id))
    # Parsed again from the staged bytes: the catalogue may have changed since the preview.
    parsed = csv_io.parse_catalogue_csv(
        staged.raw,
        csv_io.existing_titles(session, org.id),
        max_rows=_max_rows(),
        text_language=text_language,
        provider_country=org.country,
    )
    if not parsed.ok:
        return _preview_page(org, parsed, staged.filename, None, 422)
    try:
        result = csv_io.commit_import(
            session,
            org,
            parsed,
            current_actor(),
            publish_complete=bool(form.publish_complete.data),
            sha256=staged.sha256,
            filename=staged.filename,
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    csv_io.discard_staged(folder, staged.token)
    flash(_imported_message(result.created, result.published), "success")
    return redirect(_catalogue_url(org))


def _imported_message(created: int, published: int) -> str:
    return _(
        "Imported %(created)d specifications: %(published)d published, %(drafts)d drafts.",
        created=created,
        published=published,
        drafts=created - published,
    )


def _catalogue_url(org: Organisation) -> str:
    if "catalogue.index" in current_app.view_functions:
        return url_for("catalogue.index", org_id=org.id)
    return url_for("catalogue_io.import_upload", org_id=org.id)


@bp.get("/orgs/<int:org_id>/catalogue/import/jobs/<job_id>")
@login_required
def import_status(org_id: int, job_id: str) -> str:
    """The progress of a large import: reloads itself (no script) until the job ends."""
    org = organisation_or_404(org_id, OrgKind.PROVIDER)
    authorize(current_user, CatalogueAction.CATALOGUE_EDIT, org)
    session = get_session()
    job = import_jobs.import_job_of(session, org, job_id) or abort(404)
    view = job_runner.status_of(session, job)
    result = view.result or {}
    return render_template(
        "catalogue/io/import_status.html",
        org=org,
        job=view,
        result=result,
        problems=[csv_io.Problem(*p) for p in result.get("problems", [])],
        catalogue_url=_catalogue_url(org),
        form=RetryForm(),
    )


@bp.post("/orgs/<int:org_id>/catalogue/import/jobs/<job_id>/retry")
@login_required
def import_retry(org_id: int, job_id: str) -> Response:
    org = organisation_or_404(org_id, OrgKind.PROVIDER)
    authorize(current_user, CatalogueAction.CATALOGUE_EDIT, org)
    session = get_session()
    job = import_jobs.import_job_of(session, org, job_id) or abort(404)
    if RetryForm().validate_on_submit():
        try:
            job_services.retry(session, job, current_actor())
        except job_services.JobError:
            session.rollback()
            flash(_("Only an import that failed can be tried again."), "error")
        else:
            session.commit()
            tasks.dispatch(job.id)
    return redirect(url_for("catalogue_io.import_status", org_id=org.id, job_id=job.id))
