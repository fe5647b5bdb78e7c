"""The decision page of a case (record the decision, appeal, the committee's outcome, the
follow-up of conditions, closing) and an agency's decision settings.

Views are thin: load, ``authorize``, call a service, render.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from qaportal.access.policy import authorize, can
from qaportal.cases import consequences, workflow
from qaportal.cases.access import CaseAction
from qaportal.cases.models import Case, CaseState
from qaportal.db import get_session, utcnow
from qaportal.decisions import appeals as appeal_services
from qaportal.decisions import complaints as complaint_services
from qaportal.decisions import followup, services
from qaportal.decisions import preview as decision_preview
from qaportal.decisions.access import DecisionAction
from qaportal.decisions.forms import (
    ActionForm,
    AnswerConditionForm,
    AppealForm,
    AssessConditionForm,
    CommitteeForm,
    ComplaintForm,
    ComplaintResponseForm,
    DecisionForm,
    RevisedDecisionForm,
    SettingsForm,
)
from qaportal.decisions.labels import appeal_label, condition_label, eqa_label, outcome_label
from qaportal.decisions.models import AppealOutcome, ConditionStatus, DecisionCondition
from qaportal.evidence import services as evidence_services
from qaportal.evidence.inspection import ACCEPTED_LABEL, Rejected
from qaportal.evidence.services import ReceivedFile
from qaportal.evidence.storage import get_storage
from qaportal.web.context import current_actor
from qaportal.web.errors import refused
from qaportal.web.loaders import organisation_or_404

bp = Blueprint("decisions", __name__)

# The decision page exists once the panel report is final.
_DECISION_STATES = frozenset(
    {
        CaseState.DECISION_PENDING,
        CaseState.DECIDED,
        CaseState.APPEAL,
        CaseState.FOLLOW_UP,
        CaseState.CLOSED,
        CaseState.PUBLISHED,
    }
)
# What the page's action buttons may ask for; the workflow table decides the rest.
_PLAIN_ACTIONS = frozenset({"start_follow_up", "close"})


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "outcome_label": outcome_label,
        "eqa_label": eqa_label,
        "condition_label": condition_label,
        "appeal_label": appeal_label,
        "accepted_types": ACCEPTED_LABEL,
        "state_label": workflow.state_label,
    }


@bp.app_context_processor
def _case_navigation() -> dict[str, Any]:
    """The "Decision" tab of a case's sub-navigation (templates/cases/_nav.html)."""

    def decision_links(case: Case) -> list[tuple[str, str, str]]:
        if not can(current_user, DecisionAction.VIEW, case):
            return []
        links = []
        if case.state in _DECISION_STATES:
            links.append(
                (
                    "decisions.decision",
                    _("Decision"),
                    url_for("decisions.decision", case_id=case.id),
                )
            )
        links.append(
            (
                "decisions.complaints",
                _("Complaints"),
                url_for("decisions.complaints", case_id=case.id),
            )
        )
        return links

    return {"decision_links": decision_links}


def _case_or_404(case_id: int) -> Case:
    case = get_session().get(Case, case_id)
    if case is None:
        abort(404)
    return case


def _criterion_choices(case: Case) -> list[SelectChoice]:
    return [SelectChoice(0, _("— no particular criterion —"))] + [
        SelectChoice(c.id, f"{c.code} {c.title}")
        for c in services.case_criteria(get_session(), case)
    ]


def _prepare(form: DecisionForm, case: Case) -> DecisionForm:
    choices = _criterion_choices(case)
    for entry in form.conditions.entries:
        entry.form.criterion.choices = choices
    return form


def _decision_data(form: DecisionForm) -> services.DecisionData:
    return services.DecisionData(
        outcome=form.outcome.data,
        eqa_status=form.eqa_status.data,
        rationale=form.rationale.data or "",
        valid_from=form.valid_from.data,
        valid_until=form.valid_until.data,
        conditions=[
            services.ConditionData(
                text=entry.form.text.data or "",
                criterion_id=entry.form.criterion.data or None,
                due_on=entry.form.due_on.data,
            )
            for entry in form.conditions.entries
        ],
    )


def _mark(form: Any, errors: dict[str, str]) -> str:
    """Put the service's field errors on the form; return the error about the rows."""
    general = ""
    for key, message in errors.items():
        if key == "conditions":
            general = message
        elif key.startswith("conditions-"):
            _prefix, index, name = key.split("-", 2)
            bound = form.conditions.entries[int(index)].form[name]
            bound.errors = [*bound.errors, message]
        elif key in form:
            form[key].errors = [*form[key].errors, message]
        else:
            general = general or message
    return general


def _page(case: Case, status: int = 200, **forms: Any) -> tuple[str, int]:
    db = get_session()
    answer_forms = forms.pop("answer_forms", {})
    assess_forms = forms.pop("assess_forms", {})
    decision = services.current_decision(db, case.id)
    may_record = can(current_user, DecisionAction.RECORD, case)
    may_answer = can(current_user, DecisionAction.ANSWER, case)
    appeal = services.open_appeal(db, case.id)
    closes = services.appeal_closes(db, case, decision) if decision else None
    if case.state == CaseState.DECISION_PENDING and may_record and "form" not in forms:
        forms["form"] = _prepare(DecisionForm(formdata=None), case)
    if (
        case.state == CaseState.DECIDED
        and can(current_user, DecisionAction.APPEAL, case)
        and closes
        and utcnow() <= closes
        and "appeal_form" not in forms
    ):
        forms["appeal_form"] = AppealForm(formdata=None)
    if case.state == CaseState.APPEAL and may_record and appeal is not None:
        if "committee_form" not in forms:
            committee = CommitteeForm(formdata=None)
            committee.members.data = [m.user_id for m in appeal.committee]
            forms["committee_form"] = committee
        forms["committee_form"].members.choices = [
            SelectChoice(u.id, u.display_name)
            for u in appeal_services.committee_candidates(db, case)
        ]
        if "appeal_outcome_form" not in forms:
            forms["appeal_outcome_form"] = _prepare(RevisedDecisionForm(formdata=None), case)
    evidence_choices: list[SelectChoice] = []
    if case.state == CaseState.FOLLOW_UP and may_answer:
        from qaportal.evidence.services import case_evidence

        evidence_choices = [SelectChoice(0, _("— none —"))] + [
            SelectChoice(e.id, e.title) for e in case_evidence(db, case)
        ]
    actions = [
        t for t in workflow.available_transitions(current_user, case) if t.action in _PLAIN_ACTIONS
    ]
    return (
        render_template(
            "decisions/decision.html",
            case=case,
            decision=decision,
            history=[d for d in services.history(db, case.id) if d is not decision],
            appeals=services.appeals(db, case.id),
            open_appeal=appeal,
            appeal_closes=closes,
            now=utcnow(),
            may_record=may_record,
            may_answer=may_answer and case.state == CaseState.FOLLOW_UP,
            may_assess=can(current_user, DecisionAction.ASSESS, case)
            and case.state == CaseState.FOLLOW_UP,
            evidence_choices=evidence_choices,
            answer_forms=answer_forms,
            assess_forms=assess_forms,
            actions=actions,
            ConditionStatus=ConditionStatus,
            may_read=can(current_user, CaseAction.CASE_READ_SUBMISSION, case),
            **forms,
        ),
        status,
    )


def _authorized_case(case_id: int, action: DecisionAction) -> Case:
    case = _case_or_404(case_id)
    authorize(current_user, CaseAction.CASE_VIEW, case)
    authorize(current_user, action, case)
    return case


@bp.get("/cases/<int:case_id>/decision")
@login_required
def decision(case_id: int) -> tuple[str, int]:
    case = _authorized_case(case_id, DecisionAction.VIEW)
    return _page(case)


@bp.post("/cases/<int:case_id>/decision")
@login_required
def record_decision(case_id: int) -> str | tuple[str, int] | Response:
    case = _authorized_case(case_id, DecisionAction.RECORD)
    form = _prepare(DecisionForm(), case)
    if form.add_row.data:
        form.conditions.append_entry()
        _prepare(form, case)
        return _page(case, form=form)
    if case.state != CaseState.DECISION_PENDING:
        return refused(
            _(
                "Case %(reference)s is %(state)s: a decision is recorded only once the panel "
                "report is final. Nothing was stored.",
                reference=case.reference,
                state=workflow.state_label(case.state),
            )
        )
    if request.form.get("change"):
        return _page(case, form=form)  # back from the check page, everything kept
    if not form.validate_on_submit():
        return _page(case, 400, form=form)
    db = get_session()
    if not request.form.get("confirm"):
        # The filled form leads to the check page; only its "Record the decision" stores.
        data = _decision_data(form)
        today = utcnow().date()
        errors = services.validate(db, case, data, today=today)
        if errors:
            return _page(case, 400, form=form, condition_error=_mark(form, errors))
        return _check_page(case, decision_preview.preview(db, case, data, today=today))
    try:
        services.decide(db, case, _decision_data(form), current_user, current_actor())
    except services.DecisionError as exc:
        db.rollback()
        if not exc.errors:
            return refused(exc.message, exc.status)
        return _page(case, 400, form=form, condition_error=_mark(form, exc.errors))
    except workflow.TransitionError as exc:
        db.rollback()
        return refused(exc.message, exc.status)
    db.commit()
    flash(_("The decision is recorded; the provider has been told."), "success")
    return redirect(url_for("decisions.decision", case_id=case.id))


def _check_page(case: Case, preview: decision_preview.DecisionPreview) -> str:
    """Check your decision: what will be stored and what follows, with what was typed
    carried in hidden fields for "Record the decision" and "Change"."""
    typed = [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in {"csrf_token", "confirm", "change", "add_row"}
    ]
    return render_template("decisions/check.html", case=case, preview=preview, hidden=typed)


@bp.post("/cases/<int:case_id>/decision/appeal")
@login_required
def appeal(case_id: int) -> tuple[str, int] | Response:
    case = _authorized_case(case_id, DecisionAction.APPEAL)
    form = AppealForm()
    if not form.validate_on_submit():
        return _page(case, 400, appeal_form=form)
    db = get_session()
    storage = get_storage()
    try:
        document = _received(form.document)
    except Rejected as exc:
        form.document.errors = [*form.document.errors, exc.message]
        return _page(case, 400, appeal_form=form)
    try:
        appeal_services.lodge_appeal(
            db,
            case,
            form.grounds.data or "",
            current_user,
            current_actor(),
            document=document,
            storage=storage,
        )
    except services.DecisionError as exc:
        db.rollback()
        if document is not None:
            document.discard()
        if "grounds" in exc.errors:
            form.grounds.errors = [*form.grounds.errors, exc.errors["grounds"]]
            return _page(case, 400, appeal_form=form)
        return refused(exc.message, exc.status)
    except workflow.TransitionError as exc:
        db.rollback()
        return refused(exc.message, exc.status)
    db.commit()
    flash(_("Your appeal has been lodged; the agency has been told."), "success")
    return redirect(url_for("decisions.decision", case_id=case.id))


@bp.post("/cases/<int:case_id>/decision/committee")
@login_required
def committee(case_id: int) -> tuple[str, int] | Response:
    case = _authorized_case(case_id, DecisionAction.RECORD)
    db = get_session()
    appeal_row = services.open_appeal(db, case.id)
    form = CommitteeForm()
    if appeal_row is None:
        return refused(_("No appeal is open on this case. Nothing was stored."))
    if not form.validate_on_submit():
        return _page(case, 400, committee_form=form)
    try:
        appeal_services.name_committee(
            db, case, appeal_row, form.members.data or [], current_actor()
        )
    except services.DecisionError as exc:
        db.rollback()
        if "members" in exc.errors:
            form.members.errors = [*form.members.errors, exc.errors["members"]]
            return _page(case, 400, committee_form=form)
        return refused(exc.message, exc.status)
    db.commit()
    flash(_("The appeals committee is named."), "success")
    return redirect(url_for("decisions.decision", case_id=case.id))


@bp.post("/cases/<int:case_id>/decision/appeal-outcome")
@login_required
def appeal_outcome(case_id: int) -> tuple[str, int] | Response:
    case = _authorized_case(case_id, DecisionAction.RECORD)
    db = get_session()
    appeal_row = services.open_appeal(db, case.id)
    form = _prepare(RevisedDecisionForm(), case)
    if appeal_row is None:
        return refused(_("No appeal is open on this case. Nothing was stored."))
    if form.add_row.data:
        form.conditions.append_entry()
        _prepare(form, case)
        return _page(case, appeal_outcome_form=form)
    if not form.validate_on_submit():
        return _page(case, 400, appeal_outcome_form=form)
    revised = _decision_data(form) if form.appeal_outcome.data == AppealOutcome.REVISED else None
    try:
        appeal_services.decide_appeal(
            db,
            case,
            appeal_row,
            form.appeal_outcome.data or "",
            form.reasoning.data or "",
            revised,
            current_user,
            current_actor(),
        )
    except services.DecisionError as exc:
        db.rollback()
        if not exc.errors:
            return refused(exc.message, exc.status)
        return _page(case, 400, appeal_outcome_form=form, revised_error=_mark(form, exc.errors))
    except workflow.TransitionError as exc:
        db.rollback()
        return refused(exc.message, exc.status)
    db.commit()
    flash(_("The appeal is decided; the provider has been told."), "success")
    return redirect(url_for("decisions.decision", case_id=case.id))


def _condition_or_404(case: Case, condition_id: int) -> Any:
    condition = followup.condition_of(get_session(), case, condition_id)
    if condition is None:
        abort(404)
    return condition


@bp.post("/cases/<int:case_id>/decision/conditions/<int:condition_id>/answer")
@login_required
def answer_condition(case_id: int, condition_id: int) -> tuple[str, int] | Response:
    case = _authorized_case(case_id, DecisionAction.ANSWER)
    condition = _condition_or_404(case, condition_id)
    form = AnswerConditionForm()
    return _condition_step(
        case,
        condition,
        form,
        "answer_forms",
        lambda db, document: followup.answer_condition(
            db,
            case,
            condition,
            form.answer.data or "",
            form.evidence.data or None,
            current_user,
            current_actor(),
            document=document,
            storage=get_storage(),
        ),
        _("Your answer is saved; the agency will assess it."),
        upload=form.document,
    )


@bp.post("/cases/<int:case_id>/decision/conditions/<int:condition_id>/assess")
@login_required
def assess_condition(case_id: int, condition_id: int) -> tuple[str, int] | Response:
    case = _authorized_case(case_id, DecisionAction.ASSESS)
    condition = _condition_or_404(case, condition_id)
    form = AssessConditionForm()
    return _condition_step(
        case,
        condition,
        form,
        "assess_forms",
        lambda db, _document: followup.assess_condition(
            db,
            case,
            condition,
            form.met.data == "yes",
            form.comment.data or "",
            current_user,
            current_actor(),
        ),
        _("The assessment is saved."),
    )


def _received(field: Any) -> ReceivedFile | None:
    """The file sent in the form's ``field``, checked by the evidence domain (type, size,
    archives) before anything is stored; None when no file was chosen. Raises ``Rejected``,
    whose message belongs to the field."""
    upload = field.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    return evidence_services.receive_upload(
        get_storage(), upload.stream, upload.filename, current_app.config
    )


def _condition_step(
    case: Case,
    condition: DecisionCondition,
    form: Any,
    page_key: str,
    save: Callable[[Session, ReceivedFile | None], Any],
    done: str,
    *,
    upload: Any = None,
) -> tuple[str, int] | Response:
    """Validate ``form``, receive the file of its ``upload`` field if one was sent, call
    ``save`` and commit; on refusal re-render the decision page with the form (what was
    typed kept) under ``page_key``."""
    if not form.validate_on_submit():
        return _page(case, 400, **{page_key: {condition.id: form}})
    try:
        document = _received(upload) if upload is not None else None
    except Rejected as exc:
        upload.errors = [*upload.errors, exc.message]
        return _page(case, 400, **{page_key: {condition.id: form}})
    db = get_session()
    try:
        save(db, document)
    except services.DecisionError as exc:
        db.rollback()
        if document is not None:
            document.discard()
        if not exc.errors:
            return refused(exc.message, exc.status)
        _mark(form, exc.errors)
        return _page(case, 400, **{page_key: {condition.id: form}})
    db.commit()
    flash(done, "success")
    return redirect(url_for("decisions.decision", case_id=case.id) + f"#condition-{condition.id}")


def _act_confirmation(case: Case, action: str) -> str | Response:
    chosen = next(
        (t for t in workflow.available_transitions(current_user, case) if t.action == action),
        None,
    )
    back = url_for("decisions.decision", case_id=case.id)
    if chosen is None:
        return redirect(back)
    return render_template(
        "web/confirm.html",
        **consequences.confirmation(case, chosen),
        action=url_for("decisions.act", case_id=case.id, action=chosen.action),
        cancel_url=back,
        back_label=_("Back to the decision page"),
    )


@bp.route(
    "/cases/<int:case_id>/decision/<any(start_follow_up, close):action>", methods=["GET", "POST"]
)
@login_required
def act(case_id: int, action: str) -> str | tuple[str, int] | Response:
    """GET: the confirmation page, which says what will happen; POST: take the step."""
    case = _authorized_case(case_id, DecisionAction.RECORD)
    if request.method == "GET":
        return _act_confirmation(case, action)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    db = get_session()
    try:
        done = workflow.apply_transition(db, case, action, current_user, current_actor())
    except workflow.TransitionError as exc:
        db.rollback()
        message = exc.message
        if exc.problems:
            message = " ".join([message, *(str(p.message) for p in exc.problems)])
        return refused(message, exc.status)
    db.commit()
    flash(
        _(
            "Case %(reference)s is now %(state)s.",
            reference=case.reference,
            state=workflow.state_label(done.target),
        ),
        "success",
    )
    return redirect(url_for("decisions.decision", case_id=case.id))


# ----- complaints about the process -------------------------------------------------------


def _complaints_page(
    case: Case,
    form: ComplaintForm | None = None,
    responses: dict[int, ComplaintResponseForm] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    may_complain = can(current_user, DecisionAction.COMPLAIN, case)
    return (
        render_template(
            "decisions/complaints.html",
            case=case,
            complaints=complaint_services.complaints(get_session(), case.id),
            form=(form or ComplaintForm(formdata=None)) if may_complain else None,
            may_respond=can(current_user, DecisionAction.RESPOND, case),
            responses=responses or {},
            may_read=can(current_user, CaseAction.CASE_READ_SUBMISSION, case),
        ),
        status,
    )


@bp.route("/cases/<int:case_id>/complaints", methods=["GET", "POST"])
@login_required
def complaints(case_id: int) -> tuple[str, int] | Response:
    case = _authorized_case(case_id, DecisionAction.VIEW)
    if request.method == "GET":
        return _complaints_page(case)
    authorize(current_user, DecisionAction.COMPLAIN, case)
    form = ComplaintForm()
    if not form.validate_on_submit():
        return _complaints_page(case, form, status=400)
    db = get_session()
    try:
        complaint_services.lodge_complaint(
            db, case, form.text.data or "", current_user, current_actor()
        )
    except services.DecisionError as exc:
        db.rollback()
        if not exc.errors:
            return refused(exc.message, exc.status)
        _mark(form, exc.errors)
        return _complaints_page(case, form, status=400)
    db.commit()
    flash(_("Your complaint has been sent to the agency."), "success")
    return redirect(url_for("decisions.complaints", case_id=case.id))


@bp.post("/cases/<int:case_id>/complaints/<int:complaint_id>/respond")
@login_required
def respond(case_id: int, complaint_id: int) -> tuple[str, int] | Response:
    case = _authorized_case(case_id, DecisionAction.RESPOND)
    db = get_session()
    complaint = next(
        (c for c in complaint_services.complaints(db, case.id) if c.id == complaint_id), None
    )
    if complaint is None:
        abort(404)
    form = ComplaintResponseForm()
    if not form.validate_on_submit():
        return _complaints_page(case, responses={complaint.id: form}, status=400)
    try:
        complaint_services.respond_complaint(
            db, case, complaint, form.response.data or "", current_user, current_actor()
        )
    except services.DecisionError as exc:
        db.rollback()
        if not exc.errors:
            return refused(exc.message, exc.status)
        _mark(form, exc.errors)
        return _complaints_page(case, responses={complaint.id: form}, status=400)
    db.commit()
    flash(_("The response is sent to the provider."), "success")
    return redirect(url_for("decisions.complaints", case_id=case.id))


# ----- the agency's settings --------------------------------------------------------------


@bp.route("/agencies/<int:agency_id>/decision-settings", methods=["GET", "POST"])
@login_required
def settings(agency_id: int) -> str | Response:
    agency = organisation_or_404(agency_id)
    authorize(current_user, DecisionAction.SETTINGS, agency)
    db = get_session()
    current = services.settings_for(db, agency.id)
    form = SettingsForm(data=current.__dict__ if request.method == "GET" else None)
    if form.validate_on_submit():
        services.save_settings(
            db,
            agency.id,
            services.Settings(
                form.validity_years.data, form.appeal_days.data, form.expiry_notice_months.data
            ),
            current_actor(),
        )
        db.commit()
        flash(_("Decision settings saved."), "success")
        return redirect(url_for("decisions.settings", agency_id=agency.id))
    return render_template("decisions/settings.html", agency=agency, form=form)
