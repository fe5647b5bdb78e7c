"""Accreditation cases: opening, the case page, workflow actions, screening, stage due dates,
the self-assessment, the internal-QA coverage, submission, and an agency's framework
requirements.

Views are thin: load, ``authorize``, call a service, render.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from qaportal.access.policy import CoreAction, authorize, can
from qaportal.cases import assessment, consequences, deadlines, screening, services, workflow
from qaportal.cases.access import CaseAction
from qaportal.cases.forms import (
    ButtonForm,
    DeadlineForm,
    LinkEvidenceForm,
    OpenCaseForm,
    TransitionForm,
    answer_form,
    requirements_form,
    screening_form,
)
from qaportal.cases.models import Case, CaseState
from qaportal.db import get_session, utcnow
from qaportal.frameworks.formbuilder import field_name
from qaportal.frameworks.localize import version_title
from qaportal.orgs.models import ProviderType
from qaportal.pagination import page_number
from qaportal.web.context import current_actor
from qaportal.web.errors import refused
from qaportal.web.loaders import organisation_or_404

bp = Blueprint("cases", __name__)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    from markupsafe import Markup

    return {
        "render_markdown": lambda text: Markup(assessment.render_markdown(text or "")),  # noqa: S704 - sanitised by nh3
        "statement_html": lambda text: Markup(assessment.statement_html(text or "")),  # noqa: S704 - sanitised by nh3
        "qa_label": lambda key: str(assessment.QA_ELEMENT_LABELS.get(key, key)),
    }


def _case_or_404(case_id: int) -> Case:
    case = services.load_case(get_session(), case_id)
    if case is None:
        abort(404)
    return case


def _locked(case: Case) -> tuple[str, int]:
    return (
        render_template(
            "errors/error.html",
            status=409,
            title=_("The self-assessment is read-only"),
            message=_(
                "Case %(reference)s is %(state)s: its self-assessment and evidence can no "
                "longer be changed. Nothing was stored.",
                reference=case.reference,
                state=workflow.state_label(case.state),
            ),
        ),
        409,
    )


def _read_submission(case: Case) -> None:
    """The self-assessment and evidence pages: 403 for the agency while the case is a draft."""
    authorize(current_user, CaseAction.CASE_VIEW, case)
    authorize(current_user, CaseAction.CASE_READ_SUBMISSION, case)


def _may_edit(case: Case) -> bool:
    return can(current_user, CaseAction.CASE_EDIT, case) and assessment.is_editable(case)


# ----- lists -------------------------------------------------------------------------------


def _filters(state: CaseState | None, overdue: bool) -> dict[str, str]:
    """The list's filters as query arguments, for its page links (those in use only)."""
    args = {"state": state.value} if state else {}
    return {**args, "overdue": "1"} if overdue else args


@bp.get("/cases")
@login_required
def index() -> str:
    authorize(current_user, CoreAction.VIEW_DASHBOARD)
    db = get_session()
    today = utcnow().date()
    # The dashboard's groups link here: ?state=<stage> and/or ?overdue=1 (unknown: ignored).
    state = next((s for s in CaseState if s.value == request.args.get("state")), None)
    overdue = request.args.get("overdue") == "1"
    number = page_number(request.args.get("page"))
    groups = []
    seen: set[int] = set()
    for membership in current_user.memberships:
        org = membership.organisation
        if org.id in seen or not can(current_user, CaseAction.CASE_LIST, org):
            continue
        seen.add(org.id)
        groups.append(
            {
                "org": org,
                "cases": services.list_cases(
                    db, org, state=state, overdue_on=today if overdue else None, page=number
                ),
                "may_open": can(current_user, CaseAction.CASE_OPEN, org),
            }
        )
    return render_template(
        "cases/index.html",
        groups=groups,
        state_label=workflow.state_label,
        today=today,
        state=state,
        overdue=overdue,
        page_args=_filters(state, overdue),
    )


# ----- opening a case ----------------------------------------------------------------------


@bp.route("/providers/<int:provider_id>/cases/new", methods=["GET", "POST"])
@login_required
def open_case(provider_id: int) -> str | Response:
    provider = organisation_or_404(provider_id)
    authorize(current_user, CaseAction.CASE_OPEN, provider)
    db = get_session()
    agencies = services.agencies(db)
    form = OpenCaseForm()
    form.agency.choices = [SelectChoice(0, _("— choose an agency —"))] + [
        SelectChoice(a.id, a.display_name) for a in agencies
    ]
    agency_id = (
        form.agency.data if request.method == "POST" else request.args.get("agency", type=int)
    )
    if agency_id is None and len(agencies) == 1:
        agency_id = agencies[0].id
    agency = next((a for a in agencies if a.id == agency_id), None)
    options = services.framework_options(db, agency, provider) if agency else []
    form.frameworks.choices = [
        SelectChoice(o.framework_id, f"{o.title} (v{o.number})") for o in options
    ]
    required_ids = {o.framework_id for o in options if o.required}
    form.scope.choices = [
        SelectChoice(s.specification_id, s.title) for s in services.scope_options(db, provider)
    ]
    if request.method == "GET":
        form.agency.data = agency.id if agency else 0
        form.frameworks.data = sorted(required_ids)
        form.contact_name.data = current_user.display_name
        form.contact_email.data = current_user.email

    if form.validate_on_submit():
        if agency is None:
            form.agency.errors.append(_("Choose the agency you apply to."))
        else:
            try:
                case = services.open_case(
                    db,
                    provider,
                    agency,
                    framework_ids=form.frameworks.data or [],
                    specification_ids=form.scope.data or [],
                    contact_name=form.contact_name.data,
                    contact_email=form.contact_email.data,
                    title=form.title.data or "",
                    user=current_user,
                    actor=current_actor(),
                )
            except services.CaseError as exc:
                db.rollback()
                target = getattr(form, exc.field, None) if exc.field else None
                if target is not None:
                    target.errors.append(exc.message)
                else:
                    flash(exc.message, "error")
            else:
                db.commit()
                flash(_("Case %(reference)s is open.", reference=case.reference), "success")
                return redirect(url_for("cases.show", case_id=case.id))
    return render_template(
        "cases/open.html",
        form=form,
        provider=provider,
        agency=agency,
        options=options,
        required_ids=required_ids,
    )


# ----- the case ----------------------------------------------------------------------------


def _transition_forms(case: Case) -> list[dict[str, Any]]:
    forms = []
    for t in workflow.available_transitions(current_user, case):
        form = TransitionForm(formdata=None, action=t.action)
        forms.append({"transition": t, "form": form})
    return forms


def _deadline_form(case: Case, formdata: Any = None) -> DeadlineForm | None:
    if not can(current_user, CaseAction.CASE_SET_DEADLINES, case):
        return None
    form = DeadlineForm(formdata=formdata)
    form.stage.choices = [SelectChoice(s.state.value, str(s.label)) for s in deadlines.STAGES]
    if formdata is None:
        form.stage.data = case.state.value
    return form


def _show_page(case: Case, deadline_form: DeadlineForm | None = None, status: int = 200) -> Any:
    db = get_session()
    may_read = can(current_user, CaseAction.CASE_READ_SUBMISSION, case)
    deadline_rows = deadlines.deadlines(db, case)
    return (
        render_template(
            "cases/show.html",
            case=case,
            facts=services.case_facts(db, case),
            # The progress is shown only to those who may read the self-assessment.
            progress=assessment.tally(db, case) if may_read else None,
            transitions=_transition_forms(case),
            returned=screening.open_return(db, case),
            deadline=next((d for d in deadline_rows if d.stage == case.state), None),
            deadline_rows=deadline_rows,
            deadline_form=deadline_form or _deadline_form(case),
            stage_label=deadlines.stage_label,
            today=utcnow().date(),
            state_label=workflow.state_label,
            may_edit=_may_edit(case),
            may_read=may_read,
            may_screen=can(current_user, CaseAction.CASE_SCREEN, case),
        ),
        status,
    )


@bp.get("/cases/<int:case_id>")
@login_required
def show(case_id: int) -> Any:
    case = _case_or_404(case_id)
    authorize(current_user, CaseAction.CASE_VIEW, case)
    return _show_page(case)


@bp.post("/cases/<int:case_id>/deadlines")
@login_required
def set_deadline(case_id: int) -> Any:
    case = _case_or_404(case_id)
    authorize(current_user, CaseAction.CASE_SET_DEADLINES, case)
    form = _deadline_form(case, formdata=request.form)
    assert form is not None  # authorised above
    if not form.validate_on_submit():
        return _show_page(case, form, 400)
    db = get_session()
    try:
        row = deadlines.set_deadline(
            db,
            case,
            CaseState(form.stage.data),
            form.due_on.data,
            current_user,
            current_actor(),
        )
    except deadlines.DeadlineError as exc:
        db.rollback()
        target = getattr(form, exc.field, None) if exc.field else None
        if target is not None:
            target.errors = [*target.errors, exc.message]
        else:
            flash(exc.message, "error")
        return _show_page(case, form, 400 if target is not None else 409)
    db.commit()
    flash(
        _(
            "Due date set: %(what)s by %(date)s.",
            what=deadlines.stage_label(row.stage),
            date=format_date(row.due_on),
        ),
        "success",
    )
    return redirect(url_for("cases.show", case_id=case.id) + "#deadlines")


# ----- screening ---------------------------------------------------------------------------


def _screening_page(
    case: Case, form: Any = None, problems: list[Any] | None = None, status: int = 200
) -> Any:
    db = get_session()
    stored = screening.answers(db, case)
    if form is None and case.state == CaseState.SUBMITTED:
        data = {}
        for code, row in stored.items():
            data[f"met_{code}"] = "yes" if row.met else "no"
            data[f"note_{code}"] = row.note
        form = screening_form(screening.CHECKLIST, data)
    return (
        render_template(
            "cases/screening.html",
            case=case,
            checklist=screening.CHECKLIST,
            stored=stored,
            form=form,
            problems=problems or [],
            transitions=[
                t for t in _transition_forms(case) if t["transition"].party == workflow.Party.AGENCY
            ],
            state_label=workflow.state_label,
        ),
        status,
    )


@bp.route("/cases/<int:case_id>/screening", methods=["GET", "POST"])
@login_required
def screening_page(case_id: int) -> Any:
    case = _case_or_404(case_id)
    authorize(current_user, CaseAction.CASE_SCREEN, case)
    if request.method == "GET":
        return _screening_page(case)
    form = screening_form(screening.CHECKLIST, {}, formdata=request.form)
    if case.state != CaseState.SUBMITTED:
        return (
            render_template(
                "errors/error.html",
                status=409,
                title=_("This case is not being screened"),
                message=_(
                    "Case %(reference)s is %(state)s: only a submitted case is screened. "
                    "Nothing was stored.",
                    reference=case.reference,
                    state=workflow.state_label(case.state),
                ),
            ),
            409,
        )
    if not form.validate_on_submit():
        return _screening_page(case, form, status=400)
    posted = {
        item.code: screening.Answer(
            form[f"met_{item.code}"].data == "yes", form[f"note_{item.code}"].data or ""
        )
        for item in screening.CHECKLIST
    }
    db = get_session()
    try:
        screening.save_checklist(db, case, posted, current_user, current_actor())
    except screening.ScreeningError as exc:
        db.rollback()
        for code, message in exc.errors.items():
            bound = form[f"note_{code}"]
            bound.errors = [*bound.errors, message]
        if not exc.errors:
            flash(exc.message, "error")
        return _screening_page(case, form, status=400)
    db.commit()
    flash(_("Screening checklist saved."), "success")
    return redirect(url_for("cases.screening_page", case_id=case.id))


def _transition_confirmation(case: Case, action: str | None) -> str | Response:
    """The page that says what an action will do; only the form it carries moves the case."""
    chosen = next(
        (t for t in workflow.available_transitions(current_user, case) if t.action == action),
        None,
    )
    if chosen is None or not consequences.needs_confirmation(chosen):
        return redirect(url_for("cases.show", case_id=case.id))
    if chosen.action == "submit":
        # The completeness check is the submission's confirmation page.
        return redirect(url_for("cases.submit", case_id=case.id))
    return render_template(
        "web/confirm.html",
        **consequences.confirmation(case, chosen),
        action=url_for("cases.transition", case_id=case.id),
        hidden=[("action", chosen.action)],
        cancel_url=url_for("cases.show", case_id=case.id),
        back_label=_("Back to the case"),
    )


@bp.route("/cases/<int:case_id>/transition", methods=["GET", "POST"])
@login_required
def transition(case_id: int) -> str | Response | tuple[str, int]:
    """GET ``?action=…``: the confirmation page of a one-click action; POST: take it."""
    case = _case_or_404(case_id)
    authorize(current_user, CaseAction.CASE_TRANSITION, case)
    if request.method == "GET":
        return _transition_confirmation(case, request.args.get("action"))
    form = TransitionForm()
    if not form.validate_on_submit():
        abort(400)
    db = get_session()
    try:
        done = workflow.apply_transition(
            db, case, form.action.data, current_user, current_actor(), reason=form.reason.data
        )
    except workflow.GuardFailed as exc:
        db.rollback()
        if form.action.data == "screen":
            return _screening_page(case, problems=exc.problems, status=409)
        return (
            render_template(
                "cases/submit.html",
                case=case,
                problems=_problem_links(case, exc.problems),
                transitions=_transition_forms(case),
                blocked=True,
                consequences=consequences.consequences,
            ),
            409,
        )
    except workflow.TransitionError as exc:
        db.rollback()
        return refused(exc.message, exc.status)
    db.commit()
    flash(
        _(
            "Case %(reference)s is now %(state)s.",
            reference=case.reference,
            state=workflow.state_label(done.target),
        ),
        "success",
    )
    return redirect(url_for("cases.show", case_id=case.id))


# ----- self-assessment ---------------------------------------------------------------------


@bp.get("/cases/<int:case_id>/self-assessment")
@login_required
def self_assessment(case_id: int) -> str:
    case = _case_or_404(case_id)
    _read_submission(case)
    return render_template(
        "cases/self_assessment.html",
        case=case,
        overview=assessment.overview(get_session(), case),
        may_edit=_may_edit(case),
        returned=screening.open_return(get_session(), case),
    )


def _criterion_or_404(case: Case, criterion_id: int) -> tuple[Any, Any]:
    """The criterion and its spec (questions, scale), if it is one of the case's."""
    found = assessment.criterion_with_spec(get_session(), case, criterion_id)
    if found is None:
        abort(404)
    return found


def _criterion_page(
    case: Case, criterion: Any, spec: Any, answer: Any, form: Any, status: int = 200
) -> tuple[str, int]:
    db = get_session()
    may_edit = _may_edit(case)
    evidence = assessment.criterion_evidence(db, case, criterion.id)
    link_form = None
    if may_edit and evidence.others:
        link_form = LinkEvidenceForm(formdata=None)
        link_form.evidence.choices = [SelectChoice(e.id, e.title) for e in evidence.others]
    return (
        render_template(
            "cases/criterion.html",
            case=case,
            criterion=criterion,
            spec=spec,
            answer=answer,
            form=form if may_edit else None,
            evidence=evidence.linked,
            link_form=link_form,
            unlink_form=ButtonForm(formdata=None),
            may_edit=may_edit,
            returned=screening.open_return(db, case),
            next_row=assessment.next_unfinished(db, case, criterion.id) if may_edit else None,
        ),
        status,
    )


@bp.route("/cases/<int:case_id>/criteria/<int:criterion_id>", methods=["GET", "POST"])
@login_required
def criterion(case_id: int, criterion_id: int) -> str | Response | tuple[str, int]:
    case = _case_or_404(case_id)
    _read_submission(case)
    criterion, spec = _criterion_or_404(case, criterion_id)
    db = get_session()
    if request.method == "GET":
        answer = assessment.find_answer(db, case, criterion)
        form = answer_form(
            criterion, answer=answer, lock_version=answer.lock_version if answer else 0
        )
        return _criterion_page(case, criterion, spec, answer, form)

    authorize(current_user, CaseAction.CASE_EDIT, case)
    if not assessment.is_editable(case):
        return _locked(case)
    form = answer_form(criterion, formdata=request.form)
    if not form.validate_on_submit():
        answer = assessment.find_answer(db, case, criterion)
        return _criterion_page(case, criterion, spec, answer, form, 400)
    posted = form.answer_data()  # evidence is linked on its own, not through this form
    try:
        expected = int(form.lock_version.data or 0)
    except ValueError:
        expected = -1
    try:
        assessment.save_answer(
            db,
            case,
            criterion,
            assessment.AnswerData(posted.narrative, posted.rating, posted.values),
            expected,
            current_user,
            current_actor(),
            spec=spec,
        )
    except assessment.CaseLocked:
        db.rollback()
        return _locked(case)
    except assessment.InvalidAnswer as exc:
        db.rollback()
        for code, message in exc.errors.items():
            if field_name(code) in form:
                bound = form[field_name(code)]
                bound.errors = [*bound.errors, message]
        answer = assessment.find_answer(db, case, criterion)
        return _criterion_page(case, criterion, spec, answer, form, 400)
    except assessment.AnswerConflict:
        db.rollback()
        return _conflict(case, criterion, spec, posted)
    db.commit()
    flash(_("Saved %(code)s.", code=criterion.code), "success")
    if request.form.get("then") == "next":
        following = assessment.next_unfinished(db, case, criterion.id)
        if following is None:
            return redirect(url_for("cases.submit", case_id=case.id))
        return redirect(url_for("cases.criterion", case_id=case.id, criterion_id=following.id))
    return redirect(url_for("cases.criterion", case_id=case.id, criterion_id=criterion.id))


def _conflict(case: Case, criterion: Any, spec: Any, posted: Any) -> tuple[str, int]:
    """Someone saved in between: show both versions; the form holds the user's text and the
    saved version's lock, so saving again is a deliberate choice."""
    db = get_session()
    saved = assessment.find_answer(db, case, criterion)
    from qaportal.auth.models import User

    saved_by = db.get(User, saved.updated_by_id) if saved and saved.updated_by_id else None
    scale = {o.value: o.label for o in spec.scale}
    labels = {q.code: q.prompt for q in spec.value_questions}
    return (
        render_template(
            "cases/conflict.html",
            case=case,
            criterion=criterion,
            spec=spec,
            saved=saved,
            saved_by=saved_by,
            mine={
                "narrative": posted.narrative,
                "rating": scale.get(posted.rating or "", posted.rating),
                "values": posted.values,
            },
            saved_rating=scale.get(saved.rating or "", saved.rating) if saved else None,
            labels=labels,
            form=answer_form(
                criterion, answer=posted, lock_version=saved.lock_version if saved else 0
            ),
        ),
        409,
    )


# ----- coverage and submission -------------------------------------------------------------


@bp.get("/cases/<int:case_id>/coverage")
@login_required
def coverage(case_id: int) -> str:
    case = _case_or_404(case_id)
    _read_submission(case)
    return render_template(
        "cases/coverage.html", case=case, coverage=assessment.coverage(get_session(), case)
    )


def _problem_links(case: Case, problems: list[Any]) -> list[dict[str, Any]]:
    out = []
    for p in problems:
        url = None
        if p.criterion_id is not None:
            url = url_for("cases.criterion", case_id=case.id, criterion_id=p.criterion_id)
            if p.kind == assessment.ProblemKind.EVIDENCE:
                url += "#evidence"
        elif p.kind in (assessment.ProblemKind.SCOPE, assessment.ProblemKind.FRAMEWORKS):
            url = url_for("cases.show", case_id=case.id) + "#scope"
        elif p.specification_id is not None:
            url = _specification_url(case, p.specification_id)
        out.append({"message": p.message, "url": url, "kind": p.kind.value})
    return out


def _specification_url(case: Case, specification_id: int) -> str | None:
    """The catalogue's page for a specification, where its Annex I elements are edited."""
    from werkzeug.routing import BuildError

    try:
        return url_for("catalogue.show", org_id=case.provider_id, spec_id=specification_id)
    except BuildError:  # the catalogue is not registered
        return None


@bp.get("/cases/<int:case_id>/submit")
@login_required
def submit(case_id: int) -> str:
    """The completeness check, and the confirmation page of the submission."""
    case = _case_or_404(case_id)
    _read_submission(case)
    problems = assessment.completeness_problems(get_session(), case)
    return render_template(
        "cases/submit.html",
        case=case,
        problems=_problem_links(case, problems),
        transitions=_transition_forms(case),
        blocked=False,
        consequences=consequences.consequences,
    )


# ----- the agency's framework requirements -------------------------------------------------


def _provider_type_labels() -> list[tuple[str, str]]:
    from qaportal.orgs.labels import provider_type_label

    return [("", _("every type"))] + [(t.value, str(provider_type_label(t))) for t in ProviderType]


@bp.route("/agencies/<int:agency_id>/framework-requirements", methods=["GET", "POST"])
@login_required
def requirements(agency_id: int) -> str | Response:
    agency = organisation_or_404(agency_id)
    authorize(current_user, CaseAction.AGENCY_MANAGE_FRAMEWORKS, agency)
    db = get_session()
    frameworks = services.agency_frameworks(db, agency)
    versions = services.current_versions(db, [f.id for f in frameworks])
    types = _provider_type_labels()
    table = services.requirements_table(db, agency)
    cells, data = [], {}
    for f in frameworks:
        for ptype, label in types:
            name = f"req_{f.id}_{ptype or 'all'}"
            title = version_title(versions[f.id]) if f.id in versions else f.code
            cells.append((name, f"{title}: {label}"))
            data[name] = table.get((f.id, ptype), "")
    form = requirements_form(
        cells, data, formdata=request.form if request.method == "POST" else None
    )
    if form.validate_on_submit():
        choices = {}
        for f in frameworks:
            for ptype, _label in types:
                choices[(f.id, ptype)] = form[f"req_{f.id}_{ptype or 'all'}"].data or ""
        changes = services.set_requirements(db, agency, choices, current_actor())
        db.commit()
        saved = ngettext(
            "Framework requirements saved (%(num)d change).",
            "Framework requirements saved (%(num)d changes).",
            len(changes),
        )
        flash(saved, "success")
        return redirect(url_for("cases.requirements", agency_id=agency.id))
    rows = [
        {
            "framework": f,
            "version": versions.get(f.id),
            "title": version_title(versions[f.id]) if f.id in versions else f.code,
            "cells": [(form[f"req_{f.id}_{ptype or 'all'}"], label) for ptype, label in types],
        }
        for f in frameworks
    ]
    return render_template(
        "cases/requirements.html", agency=agency, form=form, rows=rows, types=types
    )
