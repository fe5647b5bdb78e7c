"""The panel's findings and report: a member's judgements per criterion, the site visit, the
chair's consolidation and outcome, sending the draft report, and the factual-accuracy check
(the provider's comments, the panel's responses, finalising).

Views are thin: load, ``authorize``, call a service, render. Routes join the review
blueprint (:mod:`qaportal.reviews.views` imports this module).
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from qaportal.access.policy import authorize, can
from qaportal.cases import workflow
from qaportal.cases.access import CaseAction
from qaportal.cases.assessment import render_markdown
from qaportal.cases.models import Case, CaseState
from qaportal.db import get_session
from qaportal.frameworks.localize import title_of
from qaportal.reviews import findings, report
from qaportal.reviews.access import ReviewAction
from qaportal.reviews.forms import (
    FindingForm,
    OutcomeForm,
    ResponseForm,
    SiteVisitForm,
    comment_field_name,
    factual_comments_form,
)
from qaportal.reviews.models import FactualComment, Outcome, VisitFormat
from qaportal.reviews.views import bp
from qaportal.web.context import current_actor
from qaportal.web.errors import refused


def _case(case_id: int, *actions: Any) -> Case:
    case = get_session().get(Case, case_id)
    if case is None:
        abort(404)
    authorize(current_user, CaseAction.CASE_VIEW, case)
    for action in actions:
        authorize(current_user, action, case)
    return case


def _facts_or_404(case: Case, criterion_id: int) -> findings.CriterionFacts:
    facts = findings.criterion_facts(get_session(), case, criterion_id)
    if facts is None:
        abort(404)
    return facts


def _lock(form: Any) -> int:
    try:
        return int(form.lock_version.data or 0)
    except ValueError:
        return -1


def _field_error(form: Any, exc: findings.FindingError) -> bool:
    if exc.field and exc.field in form:
        form[exc.field].errors = [*form[exc.field].errors, exc.message]
        return True
    return False


def _finding_form(facts: findings.CriterionFacts, formdata: Any = None, **data: Any) -> Any:
    form = FindingForm(formdata=formdata, **data)
    form.level.choices = [SelectChoice(o.value, o.label) for o in facts.scale]
    return form


def _finding_data(form: Any) -> findings.FindingData:
    return findings.FindingData(
        form.level.data or "", form.rationale.data or "", form.recommendations.data or ""
    )


def _markdown(text: str) -> Markup:
    return Markup(render_markdown(text or ""))  # noqa: S704 - sanitised by nh3


@bp.app_context_processor
def _findings_helpers() -> dict[str, Any]:
    return {"review_markdown": _markdown}


# ----- a member's judgements ------------------------------------------------------------------


@bp.get("/reviews/cases/<int:case_id>/findings")
@login_required
def findings_index(case_id: int) -> str:
    case = _case(case_id, ReviewAction.JUDGE)
    db = get_session()
    member = findings.active_member(db, case, current_user)
    if member is None:
        abort(403)
    return render_template(
        "reviews/findings.html",
        case=case,
        criteria=findings.criteria(db, case),
        mine=findings.judgements_of(db, member),
        editable=case.state == CaseState.IN_REVIEW,
        may_consolidate=can(current_user, ReviewAction.CONSOLIDATE, case),
    )


def _judgement_page(
    case: Case, facts: findings.CriterionFacts, form: Any, status: int = 200
) -> tuple[str, int]:
    return (
        render_template(
            "reviews/judgement.html",
            case=case,
            facts=facts,
            form=form,
            editable=case.state == CaseState.IN_REVIEW,
            heading=_("Your judgement of %(code)s", code=facts.code),
            action=url_for("reviews.judgement", case_id=case.id, criterion_id=facts.id),
        ),
        status,
    )


def _conflict_page(
    case: Case, facts: findings.CriterionFacts, mine: findings.FindingData, saved: Any, form: Any
) -> tuple[str, int]:
    return (
        render_template(
            "reviews/finding_conflict.html",
            case=case,
            facts=facts,
            mine=mine,
            mine_level=findings.level_label(facts.scale, mine.level),
            saved=saved,
            saved_level=findings.level_label(facts.scale, saved.level) if saved else "",
            form=form,
            action=request.path,
        ),
        409,
    )


@bp.route("/reviews/cases/<int:case_id>/findings/<int:criterion_id>", methods=["GET", "POST"])
@login_required
def judgement(case_id: int, criterion_id: int) -> tuple[str, int] | Response:
    case = _case(case_id, ReviewAction.JUDGE)
    facts = _facts_or_404(case, criterion_id)
    db = get_session()
    member = findings.active_member(db, case, current_user)
    if member is None:
        abort(403)
    saved = findings.find_judgement(db, member, facts.id)
    if request.method == "GET":
        initial = {"lock_version": str(saved.lock_version)} if saved else {}
        return _judgement_page(case, facts, _finding_form(facts, obj=saved, **initial))
    form = _finding_form(facts, request.form)
    if not form.validate_on_submit():
        return _judgement_page(case, facts, form, 400)
    data = _finding_data(form)
    try:
        findings.save_judgement(db, case, member, facts, data, _lock(form), current_actor())
    except findings.FindingError as exc:
        db.rollback()
        if _field_error(form, exc):
            return _judgement_page(case, facts, form, exc.status)
        return refused(exc.message, exc.status)
    except findings.FindingConflict:
        db.rollback()
        saved = findings.find_judgement(db, member, facts.id)
        form.lock_version.data = str(saved.lock_version if saved else 0)
        return _conflict_page(case, facts, data, saved, form)
    db.commit()
    flash(_("Your judgement of %(code)s is saved.", code=facts.code), "success")
    return redirect(url_for("reviews.findings_index", case_id=case.id))


# ----- the chair's consolidation ----------------------------------------------------------------


def _consolidation_page(
    case: Case,
    outcome_form: Any = None,
    problems: list[Any] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    db = get_session()
    may_consolidate = can(current_user, ReviewAction.CONSOLIDATE, case)
    saved = findings.report_of(db, case)
    if outcome_form is None:
        initial: dict[str, Any] = {}
        if saved is not None:
            initial = {
                "outcome": saved.outcome.value if saved.outcome else None,
                "summary": saved.summary,
                "lock_version": str(saved.lock_version),
            }
        outcome_form = OutcomeForm(formdata=None, **initial)
    outcome_form.outcome.choices = [
        SelectChoice(o.value, str(findings.OUTCOME_LABELS[o])) for o in Outcome
    ]
    sendable = [
        t
        for t in workflow.available_transitions(current_user, case)
        if t.action == "send_draft_report"
    ]
    return (
        render_template(
            "reviews/consolidation.html",
            case=case,
            data=findings.consolidation(db, case),
            report=saved,
            outcome_label=str(findings.OUTCOME_LABELS[saved.outcome])
            if saved and saved.outcome
            else "",
            visit=findings.site_visit(db, case),
            outcome_form=outcome_form,
            may_consolidate=may_consolidate and case.state == CaseState.IN_REVIEW,
            may_send=bool(sendable),
            problems=problems,
        ),
        status,
    )


@bp.get("/reviews/cases/<int:case_id>/consolidation")
@login_required
def consolidation(case_id: int) -> tuple[str, int]:
    case = _case(case_id, ReviewAction.READ_JUDGEMENTS)
    return _consolidation_page(case)


def _consolidate_page(
    case: Case, facts: findings.CriterionFacts, form: Any, status: int = 200
) -> tuple[str, int]:
    db = get_session()
    row = next(r for r in findings.consolidation(db, case).rows if r.criterion.id == facts.id)
    return (
        render_template(
            "reviews/judgement.html",
            case=case,
            facts=facts,
            form=form,
            row=row,
            editable=case.state == CaseState.IN_REVIEW,
            heading=_("The panel's judgement of %(code)s", code=facts.code),
            action=url_for("reviews.consolidate", case_id=case.id, criterion_id=facts.id),
        ),
        status,
    )


@bp.route("/reviews/cases/<int:case_id>/consolidation/<int:criterion_id>", methods=["GET", "POST"])
@login_required
def consolidate(case_id: int, criterion_id: int) -> tuple[str, int] | Response:
    case = _case(case_id, ReviewAction.CONSOLIDATE)
    facts = _facts_or_404(case, criterion_id)
    db = get_session()
    saved = findings.consolidated(db, case).get(facts.id)
    if request.method == "GET":
        initial = {"lock_version": str(saved.lock_version)} if saved else {}
        return _consolidate_page(case, facts, _finding_form(facts, obj=saved, **initial))
    form = _finding_form(facts, request.form)
    if not form.validate_on_submit():
        return _consolidate_page(case, facts, form, 400)
    data = _finding_data(form)
    try:
        findings.save_consolidated(
            db, case, facts, data, _lock(form), current_user, current_actor()
        )
    except findings.FindingError as exc:
        db.rollback()
        if _field_error(form, exc):
            return _consolidate_page(case, facts, form, exc.status)
        return refused(exc.message, exc.status)
    except findings.FindingConflict:
        db.rollback()
        saved = findings.consolidated(db, case).get(facts.id)
        form.lock_version.data = str(saved.lock_version if saved else 0)
        return _conflict_page(case, facts, data, saved, form)
    db.commit()
    flash(_("The panel's judgement of %(code)s is saved.", code=facts.code), "success")
    return redirect(url_for("reviews.consolidation", case_id=case.id) + f"#criterion-{facts.id}")


@bp.post("/reviews/cases/<int:case_id>/outcome")
@login_required
def outcome(case_id: int) -> tuple[str, int] | Response:
    case = _case(case_id, ReviewAction.CONSOLIDATE)
    form = OutcomeForm()
    form.outcome.choices = [SelectChoice(o.value, str(findings.OUTCOME_LABELS[o])) for o in Outcome]
    if not form.validate_on_submit():
        return _consolidation_page(case, form, status=400)
    db = get_session()
    try:
        findings.save_outcome(
            db,
            case,
            Outcome(form.outcome.data),
            form.summary.data or "",
            _lock(form),
            current_user,
            current_actor(),
        )
    except findings.FindingError as exc:
        db.rollback()
        if _field_error(form, exc):
            return _consolidation_page(case, form, status=exc.status)
        return refused(exc.message, exc.status)
    except findings.FindingConflict:
        db.rollback()
        return refused(
            _("Someone changed the outcome meanwhile. Reload the page and try again."), 409
        )
    db.commit()
    flash(_("The panel's recommended outcome is saved."), "success")
    return redirect(url_for("reviews.consolidation", case_id=case.id) + "#outcome")


def _take(case: Case, action: str, page: Any) -> tuple[str, int] | Response:
    """Take a workflow action of the panel; a refused guard shows what is missing on
    ``page``."""
    db = get_session()
    try:
        done = workflow.apply_transition(db, case, action, current_user, current_actor())
    except workflow.GuardFailed as exc:
        db.rollback()
        return page(case, problems=exc.problems, status=409)
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
    return redirect(url_for("reviews.report_page", case_id=case.id))


@bp.post("/reviews/cases/<int:case_id>/send")
@login_required
def send_report(case_id: int) -> tuple[str, int] | Response:
    case = _case(case_id, ReviewAction.CONSOLIDATE)
    return _take(case, "send_draft_report", _consolidation_page)


# ----- the site visit -----------------------------------------------------------------------


def _visit_form(formdata: Any = None, visit: Any = None) -> SiteVisitForm:
    initial: dict[str, Any] = {}
    if visit is not None and formdata is None:
        initial = {
            "visit_date": visit.visit_date,
            "format": visit.format.value,
            "agenda": visit.agenda,
            "notes": visit.notes,
            "lock_version": str(visit.lock_version),
            **(visit.participants or {}),
        }
    form = SiteVisitForm(formdata=formdata, **initial)
    form.format.choices = [
        SelectChoice(f.value, str(findings.FORMAT_LABELS[f])) for f in VisitFormat
    ]
    return form


def _visit_page(case: Case, form: Any = None, status: int = 200) -> tuple[str, int]:
    visit = findings.site_visit(get_session(), case)
    editable = (
        can(current_user, ReviewAction.SITE_VISIT_EDIT, case) and case.state == CaseState.IN_REVIEW
    )
    return (
        render_template(
            "reviews/site_visit.html",
            case=case,
            visit=visit,
            form=(form or _visit_form(visit=visit)) if editable else None,
            groups=findings.PARTICIPANT_GROUPS,
            format_label=str(findings.FORMAT_LABELS[visit.format]) if visit else "",
        ),
        status,
    )


@bp.route("/reviews/cases/<int:case_id>/site-visit", methods=["GET", "POST"])
@login_required
def site_visit(case_id: int) -> tuple[str, int] | Response:
    case = _case(case_id, ReviewAction.SITE_VISIT_VIEW)
    if request.method == "GET":
        return _visit_page(case)
    authorize(current_user, ReviewAction.SITE_VISIT_EDIT, case)
    form = _visit_form(request.form)
    if not form.validate_on_submit():
        return _visit_page(case, form, 400)
    db = get_session()
    data = findings.VisitData(
        form.visit_date.data,
        form.format.data or "",
        {code: form[code].data or "" for code, _label in findings.PARTICIPANT_GROUPS},
        form.agenda.data or "",
        form.notes.data or "",
    )
    try:
        findings.save_site_visit(db, case, data, _lock(form), current_user, current_actor())
    except findings.FindingError as exc:
        db.rollback()
        if _field_error(form, exc):
            return _visit_page(case, form, exc.status)
        return refused(exc.message, exc.status)
    except findings.FindingConflict:
        db.rollback()
        return refused(
            _("Someone changed the visit record meanwhile. Reload the page and try again."), 409
        )
    db.commit()
    flash(_("The site visit record is saved."), "success")
    return redirect(url_for("reviews.site_visit", case_id=case.id))


# ----- the draft report and the factual check --------------------------------------------------


def _comments_form(draft: report.DraftReport, formdata: Any = None) -> Any:
    return factual_comments_form(
        [(r.criterion.id, f"{r.criterion.code} {title_of(r.criterion)}") for r in draft.rows],
        formdata,
    )


def report_page_view(
    case: Case,
    comments_form: Any = None,
    response_forms: dict[int, Any] | None = None,
    problems: list[Any] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    db = get_session()
    draft = report.draft_report(db, case)
    may_comment = (
        can(current_user, ReviewAction.REPORT_COMMENT, case)
        and case.state == CaseState.FACTUAL_CHECK
        and not draft.submitted
    )
    may_respond = (
        can(current_user, ReviewAction.REPORT_RESPOND, case)
        and case.state == CaseState.FACTUAL_CHECK
    )
    forms = response_forms or {}
    if may_respond:
        for c in draft.comments:
            forms.setdefault(c.id, ResponseForm(formdata=None, response=c.response or None))
    return (
        render_template(
            "reviews/report.html",
            case=case,
            draft=draft,
            comments_form=(comments_form or _comments_form(draft)) if may_comment else None,
            field_name=comment_field_name,
            response_forms=forms if may_respond else {},
            may_finalise=any(
                t.action == "finalise_report"
                for t in workflow.available_transitions(current_user, case)
            ),
            problems=problems,
            format_label=str(findings.FORMAT_LABELS[draft.visit.format]) if draft.visit else "",
            groups=findings.PARTICIPANT_GROUPS,
        ),
        status,
    )


def _report_page(case: Case, problems: list[Any] | None = None, status: int = 200) -> Any:
    return report_page_view(case, problems=problems, status=status)


@bp.get("/cases/<int:case_id>/report")
@login_required
def report_page(case_id: int) -> tuple[str, int]:
    case = _case(case_id, ReviewAction.REPORT_VIEW)
    return report_page_view(case)


@bp.post("/cases/<int:case_id>/report/comments")
@login_required
def factual_comments(case_id: int) -> tuple[str, int] | Response:
    case = _case(case_id, ReviewAction.REPORT_VIEW, ReviewAction.REPORT_COMMENT)
    db = get_session()
    draft = report.draft_report(db, case)
    form = _comments_form(draft, request.form)
    if not form.validate_on_submit():
        return report_page_view(case, comments_form=form, status=400)
    per_criterion = {
        r.criterion.id: form[comment_field_name(r.criterion.id)].data or "" for r in draft.rows
    }
    try:
        made = report.submit_comments(
            db, case, form.general.data or "", per_criterion, current_user, current_actor()
        )
    except findings.FindingError as exc:
        db.rollback()
        return refused(exc.message, exc.status)
    db.commit()
    if made:
        flash(_("Your comments have been sent to the panel and the agency."), "success")
    else:
        flash(_("You told the panel that the report contains no factual errors."), "success")
    return redirect(url_for("reviews.report_page", case_id=case.id))


@bp.post("/cases/<int:case_id>/report/comments/<int:comment_id>/respond")
@login_required
def respond(case_id: int, comment_id: int) -> tuple[str, int] | Response:
    case = _case(case_id, ReviewAction.REPORT_RESPOND)
    db = get_session()
    comment = db.get(FactualComment, comment_id)
    if comment is None or comment.case_id != case.id:
        abort(404)
    form = ResponseForm()
    if not form.validate_on_submit():
        return report_page_view(case, response_forms={comment.id: form}, status=400)
    try:
        report.respond(db, case, comment, form.response.data or "", current_user, current_actor())
    except findings.FindingError as exc:
        db.rollback()
        if _field_error(form, exc):
            return report_page_view(case, response_forms={comment.id: form}, status=exc.status)
        return refused(exc.message, exc.status)
    db.commit()
    flash(_("The panel's response is saved."), "success")
    return redirect(url_for("reviews.report_page", case_id=case.id) + f"#comment-{comment.id}")


@bp.post("/cases/<int:case_id>/report/finalise")
@login_required
def finalise(case_id: int) -> tuple[str, int] | Response:
    case = _case(case_id, ReviewAction.REPORT_RESPOND)
    return _take(case, "finalise_report", _report_page)
