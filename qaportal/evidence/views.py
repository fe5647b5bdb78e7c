"""Evidence of a case: the list and upload page, linking to criteria, downloads."""

from __future__ import annotations

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
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from qaportal.access.policy import authorize, can
from qaportal.cases import assessment
from qaportal.cases.access import CaseAction
from qaportal.cases.forms import ButtonForm, LinkEvidenceForm
from qaportal.cases.models import Case
from qaportal.cases.services import load_case
from qaportal.cases.workflow import state_label
from qaportal.db import get_session
from qaportal.evidence import services
from qaportal.evidence.access import EvidenceAction
from qaportal.evidence.forms import UploadForm
from qaportal.evidence.inspection import Rejected
from qaportal.evidence.models import Evidence
from qaportal.evidence.storage import get_storage
from qaportal.web.context import current_actor

bp = Blueprint("evidence", __name__)


def _case_or_404(case_id: int) -> Case:
    case = load_case(get_session(), case_id)
    if case is None:
        abort(404)
    return case


def _evidence_of_case(case: Case, evidence_id: int) -> Evidence:
    evidence = services.load_evidence(get_session(), evidence_id)
    if evidence is None or evidence.case_id != case.id:
        abort(404)
    return evidence


def _locked(case: Case) -> tuple[str, int]:
    return (
        render_template(
            "errors/error.html",
            status=409,
            title=_("The self-assessment is read-only"),
            message=_(
                "Case %(reference)s is %(state)s: its evidence can no longer be changed. "
                "Nothing was stored.",
                reference=case.reference,
                state=state_label(case.state),
            ),
        ),
        409,
    )


def _criteria_choices(case: Case) -> list[SelectChoice]:
    rows = assessment.overview(get_session(), case).rows
    return [SelectChoice(r.id, f"{r.code} {r.title}") for r in rows]


@bp.route("/cases/<int:case_id>/evidence", methods=["GET", "POST"])
@login_required
def index(case_id: int) -> str | Response | tuple[str, int]:
    case = _case_or_404(case_id)
    authorize(current_user, CaseAction.CASE_VIEW, case)
    authorize(current_user, CaseAction.CASE_READ_SUBMISSION, case)
    db = get_session()
    may_edit = can(current_user, CaseAction.CASE_EDIT, case) and assessment.is_editable(case)
    form = UploadForm()
    form.criteria.choices = _criteria_choices(case)
    status = 200
    if request.method == "POST":
        authorize(current_user, CaseAction.CASE_EDIT, case)
        if not assessment.is_editable(case):
            return _locked(case)
        if form.validate_on_submit():
            storage = get_storage()
            try:
                received = services.receive_upload(
                    storage, form.file.data.stream, form.file.data.filename, current_app.config
                )
                evidence = services.add_evidence(
                    db,
                    storage,
                    case,
                    received,
                    title=form.title.data or "",
                    criterion_ids=form.criteria.data or [],
                    user=current_user,
                    actor=current_actor(),
                )
            except Rejected as exc:
                db.rollback()
                form.file.errors = [*form.file.errors, exc.message]
                status = 400
            except assessment.CaseLocked:
                db.rollback()
                return _locked(case)
            else:
                db.commit()
                flash(_("“%(title)s” was uploaded.", title=evidence.title), "success")
                back = request.args.get("criterion", type=int)
                if back and back in (form.criteria.data or []):
                    return redirect(
                        url_for("cases.criterion", case_id=case.id, criterion_id=back) + "#evidence"
                    )
                return redirect(url_for("evidence.index", case_id=case.id))
        else:
            status = 400
    elif request.args.get("criterion", type=int):
        form.criteria.data = [request.args.get("criterion", type=int)]
    return (
        render_template(
            "evidence/index.html",
            case=case,
            form=form if may_edit else None,
            items=services.case_evidence(db, case),
            human_size=services.human_size,
            max_bytes=services.human_size(
                current_app.config.get("EVIDENCE_MAX_BYTES", services.DEFAULT_MAX_BYTES)
            ),
            may_edit=may_edit,
        ),
        status,
    )


@bp.get("/cases/<int:case_id>/evidence/<int:evidence_id>/download")
@login_required
def download(case_id: int, evidence_id: int) -> Response:
    case = _case_or_404(case_id)
    authorize(current_user, CaseAction.CASE_VIEW, case)
    evidence = _evidence_of_case(case, evidence_id)
    authorize(current_user, EvidenceAction.EVIDENCE_DOWNLOAD, evidence)
    storage = get_storage()
    if not storage.exists(evidence.file.storage_key):
        abort(404)
    response = send_file(
        storage.open(evidence.file.storage_key),
        mimetype=evidence.file.media_type,
        as_attachment=True,
        download_name=services.download_name(evidence),
        conditional=False,
        etag=False,
        max_age=0,
    )
    # The stored type as it is: given as the mimetype, a text type's charset was added twice.
    response.headers["Content-Type"] = evidence.file.media_type
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.post("/cases/<int:case_id>/criteria/<int:criterion_id>/evidence")
@login_required
def link(case_id: int, criterion_id: int) -> Response | tuple[str, int]:
    case = _case_or_404(case_id)
    authorize(current_user, CaseAction.CASE_EDIT, case)
    criterion = assessment.criterion_of_case(get_session(), case, criterion_id)
    if criterion is None:
        abort(404)
    if not assessment.is_editable(case):
        return _locked(case)
    form = LinkEvidenceForm()
    form.evidence.choices = [
        SelectChoice(e.id, e.title) for e in services.case_evidence(get_session(), case)
    ]
    if not form.validate_on_submit():
        abort(400)
    evidence = _evidence_of_case(case, form.evidence.data)
    db = get_session()
    try:
        services.link(db, case, evidence, criterion, current_actor())
    except assessment.CaseLocked:
        db.rollback()
        return _locked(case)
    db.commit()
    flash(
        _("“%(title)s” now supports %(code)s.", title=evidence.title, code=criterion.code),
        "success",
    )
    return redirect(
        url_for("cases.criterion", case_id=case.id, criterion_id=criterion.id) + "#evidence"
    )


@bp.post("/cases/<int:case_id>/criteria/<int:criterion_id>/evidence/<int:evidence_id>/unlink")
@login_required
def unlink(case_id: int, criterion_id: int, evidence_id: int) -> Response | tuple[str, int]:
    case = _case_or_404(case_id)
    authorize(current_user, CaseAction.CASE_EDIT, case)
    criterion = assessment.criterion_of_case(get_session(), case, criterion_id)
    if criterion is None:
        abort(404)
    evidence = _evidence_of_case(case, evidence_id)
    if not assessment.is_editable(case):
        return _locked(case)
    if not ButtonForm().validate_on_submit():
        abort(400)
    db = get_session()
    try:
        services.unlink(db, case, evidence, criterion, current_actor())
    except assessment.CaseLocked:
        db.rollback()
        return _locked(case)
    db.commit()
    flash(
        _("“%(title)s” no longer supports %(code)s.", title=evidence.title, code=criterion.code),
        "success",
    )
    return redirect(
        url_for("cases.criterion", case_id=case.id, criterion_id=criterion.id) + "#evidence"
    )
