"""Review panels: the officer's panel page (pool, invitations, objections), the provider's
view of the announced panel with its objections, and the reviewer's invitation and workspace.

Views are thin: load, ``authorize``, call a service, render.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from qaportal.access.policy import CoreAction, authorize, can
from qaportal.cases import assessment, workflow
from qaportal.cases import services as case_services
from qaportal.cases.access import CaseAction
from qaportal.cases.models import Case, CaseState
from qaportal.db import get_session, utcnow
from qaportal.evidence.models import Evidence
from qaportal.reviews import queries, services
from qaportal.reviews import settings as review_settings
from qaportal.reviews.access import ReviewAction
from qaportal.reviews.forms import (
    DeclarationForm,
    InviteForm,
    ObjectionForm,
    PoolFilterForm,
    ResolveForm,
)
from qaportal.reviews.labels import objection_label, role_label, status_label
from qaportal.reviews.models import (
    LIVE,
    MemberStatus,
    ObjectionStatus,
    PanelMember,
    PanelObjection,
    PanelRole,
)
from qaportal.web.context import current_actor
from qaportal.web.errors import refused

bp = Blueprint("reviews", __name__)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "role_label": role_label,
        "status_label": status_label,
        "objection_label": objection_label,
        "state_label": workflow.state_label,
    }


# A panel is formed once the case has been accepted after screening.
_BEFORE_REVIEW = frozenset({CaseState.DRAFT, CaseState.SUBMITTED, CaseState.WITHDRAWN})


@bp.app_context_processor
def _case_navigation() -> dict[str, Any]:
    """The panel's pages in a case's sub-navigation (templates/cases/_nav.html), for those
    who may open them."""

    def panel_links(case: Case) -> list[tuple[str, str, str]]:
        links: list[tuple[str, str, str]] = []
        if case.state in _BEFORE_REVIEW:
            return links
        if can(current_user, ReviewAction.PANEL_MANAGE, case):
            links.append(
                ("reviews.panel", _("Review panel"), url_for("reviews.panel", case_id=case.id))
            )
        elif can(current_user, ReviewAction.PANEL_VIEW, case):
            links.append(
                ("reviews.members", _("Review panel"), url_for("reviews.members", case_id=case.id))
            )
        if can(current_user, ReviewAction.REVIEW_WORKSPACE, case) and not can(
            current_user, ReviewAction.PANEL_MANAGE, case
        ):
            links.append(
                (
                    "reviews.case_workspace",
                    _("Reviewer workspace"),
                    url_for("reviews.case_workspace", case_id=case.id),
                )
            )
        return links + _findings_links(case)

    return {"panel_links": panel_links}


def _findings_links(case: Case) -> list[tuple[str, str, str]]:
    pages = [
        (ReviewAction.JUDGE, "reviews.findings_index", _("My judgements")),
        (ReviewAction.READ_JUDGEMENTS, "reviews.consolidation", _("Consolidation")),
        (ReviewAction.SITE_VISIT_VIEW, "reviews.site_visit", _("Site visit")),
        (ReviewAction.REPORT_VIEW, "reviews.report_page", _("Panel report")),
    ]
    return [
        (endpoint, label, url_for(endpoint, case_id=case.id))
        for action, endpoint, label in pages
        if can(current_user, action, case)
    ]


def objection_window(case: Case) -> dt.timedelta:
    """The provider's time to object to an announced member: the case's agency's setting."""
    return review_settings.settings_for(get_session(), case.agency_id).objection_window


def _case_or_404(case_id: int) -> Case:
    case = get_session().get(Case, case_id)
    if case is None:
        abort(404)
    return case


def _member_or_404(case: Case, member_id: int) -> PanelMember:
    member = queries.member_of_case(get_session(), case.id, member_id)
    if member is None:
        abort(404)
    return member


def _refused(exc: services.PanelError) -> tuple[str, int]:
    return refused(exc.message, exc.status)


# ----- the officer's panel page ---------------------------------------------------------


def _panel_page(
    case: Case,
    invite_form: InviteForm | None = None,
    resolve_forms: dict[int, ResolveForm] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    db = get_session()
    filters = PoolFilterForm(request.args)
    filters.validate()
    pool = queries.pool(
        db,
        case,
        queries.PoolFilters(
            expertise=(filters.expertise.data or "").strip()
            if not filters.expertise.errors
            else "",
            country=(filters.country.data or "").strip() if not filters.country.errors else "",
            language=(filters.language.data or "").strip() if not filters.language.errors else "",
        ),
    )
    members = queries.panel(db, case.id)
    live_ids = {m.user_id for m in members if m.status in LIVE}
    if invite_form is None:
        invite_form = InviteForm(formdata=None)
    invite_form.reviewer.choices = [SelectChoice(0, _("— choose a reviewer —"))] + [
        SelectChoice(row.user_id, row.name) for row in pool if row.user_id not in live_ids
    ]
    objections = queries.objections(db, case.id)
    forms = resolve_forms or {}
    for o in objections:
        if o.status == ObjectionStatus.OPEN and o.id not in forms:
            forms[o.id] = ResolveForm(formdata=None)
    return (
        render_template(
            "reviews/panel.html",
            case=case,
            may_read=can(current_user, CaseAction.CASE_READ_SUBMISSION, case),
            filters=filters,
            pool=pool,
            members=members,
            live_ids=live_ids,
            warnings=queries.warnings(members),
            invite_form=invite_form,
            objections=objections,
            resolve_forms=forms,
            may_invite=case.state == CaseState.IN_REVIEW,
            announceable=any(
                m.status == MemberStatus.ACTIVE and m.announced_at is None for m in members
            ),
            window=objection_window(case),
        ),
        status,
    )


@bp.get("/cases/<int:case_id>/panel")
@login_required
def panel(case_id: int) -> tuple[str, int]:
    case = _case_or_404(case_id)
    authorize(current_user, ReviewAction.PANEL_MANAGE, case)
    return _panel_page(case)


@bp.post("/cases/<int:case_id>/panel/invite")
@login_required
def invite(case_id: int) -> tuple[str, int] | Response:
    case = _case_or_404(case_id)
    authorize(current_user, ReviewAction.PANEL_MANAGE, case)
    form = InviteForm()
    if not form.validate_on_submit() or not form.reviewer.data:
        if not form.reviewer.data and not form.reviewer.errors:
            form.reviewer.errors = [_("Choose a reviewer of the agency's pool.")]
        return _panel_page(case, form, status=400)
    db = get_session()
    try:
        member = services.invite(
            db, case, form.reviewer.data, PanelRole(form.role.data), current_user, current_actor()
        )
    except services.PanelError as exc:
        db.rollback()
        target = getattr(form, exc.field, None) if exc.field else None
        if target is None:
            return _refused(exc)
        target.errors = [*target.errors, exc.message]
        return _panel_page(case, form, status=exc.status)
    db.commit()
    flash(
        _(
            "%(name)s is invited as %(role)s; they see the case once they have declared.",
            name=member.user.display_name,
            role=role_label(member.role),
        ),
        "success",
    )
    return redirect(url_for("reviews.panel", case_id=case.id))


@bp.post("/cases/<int:case_id>/panel/members/<int:member_id>/withdraw")
@login_required
def withdraw(case_id: int, member_id: int) -> tuple[str, int] | Response:
    case = _case_or_404(case_id)
    authorize(current_user, ReviewAction.PANEL_MANAGE, case)
    member = _member_or_404(case, member_id)
    db = get_session()
    try:
        services.withdraw(db, case, member, current_actor())
    except services.PanelError as exc:
        db.rollback()
        return _refused(exc)
    db.commit()
    flash(_("%(name)s is off the panel.", name=member.user.display_name), "success")
    return redirect(url_for("reviews.panel", case_id=case.id))


@bp.post("/cases/<int:case_id>/panel/announce")
@login_required
def announce(case_id: int) -> tuple[str, int] | Response:
    case = _case_or_404(case_id)
    authorize(current_user, ReviewAction.PANEL_MANAGE, case)
    db = get_session()
    try:
        count = services.announce(db, case, current_actor())
    except services.PanelError as exc:
        db.rollback()
        return _refused(exc)
    db.commit()
    announced = ngettext(
        "%(num)d member announced to the provider, who may now object.",
        "%(num)d members announced to the provider, who may now object.",
        count,
    )
    flash(announced, "success")
    return redirect(url_for("reviews.panel", case_id=case.id))


@bp.post("/cases/<int:case_id>/panel/objections/<int:objection_id>/resolve")
@login_required
def resolve(case_id: int, objection_id: int) -> tuple[str, int] | Response:
    case = _case_or_404(case_id)
    authorize(current_user, ReviewAction.PANEL_MANAGE, case)
    db = get_session()
    objection = db.get(PanelObjection, objection_id)
    if objection is None or objection.case_id != case.id:
        abort(404)
    form = ResolveForm()
    if not form.validate_on_submit():
        return _panel_page(case, resolve_forms={objection.id: form}, status=400)
    try:
        services.resolve(
            db, objection, form.decision.data == "uphold", form.comment.data, current_actor()
        )
    except services.PanelError as exc:
        db.rollback()
        if exc.field and exc.field in form:
            form[exc.field].errors = [*form[exc.field].errors, exc.message]
            return _panel_page(case, resolve_forms={objection.id: form}, status=exc.status)
        return _refused(exc)
    db.commit()
    flash(_("The objection is answered; the provider has been told."), "success")
    return redirect(url_for("reviews.panel", case_id=case.id))


# ----- the announced panel, as the provider sees it --------------------------------------------


def _members_page(
    case: Case, forms: dict[int, ObjectionForm] | None = None, status: int = 200
) -> tuple[str, int]:
    db = get_session()
    window = objection_window(case)
    now = utcnow()
    members = [
        m
        for m in queries.panel(db, case.id)
        if m.status == MemberStatus.ACTIVE and m.announced_at is not None
    ]
    may_object = can(current_user, ReviewAction.PANEL_OBJECT, case)
    forms = forms or {}
    closes = {m.id: services.objection_closes(m, window) for m in members}
    if may_object:
        for m in members:
            if m.id not in forms and closes[m.id] and now <= closes[m.id]:
                forms[m.id] = ObjectionForm(formdata=None)
    return (
        render_template(
            "reviews/members.html",
            case=case,
            may_read=can(current_user, CaseAction.CASE_READ_SUBMISSION, case),
            members=members,
            closes=closes,
            forms=forms if may_object else {},
            objections=queries.objections(db, case.id),
        ),
        status,
    )


@bp.get("/cases/<int:case_id>/panel/members")
@login_required
def members(case_id: int) -> tuple[str, int]:
    case = _case_or_404(case_id)
    authorize(current_user, ReviewAction.PANEL_VIEW, case)
    return _members_page(case)


@bp.post("/cases/<int:case_id>/panel/members/<int:member_id>/object")
@login_required
def object_to(case_id: int, member_id: int) -> tuple[str, int] | Response:
    case = _case_or_404(case_id)
    authorize(current_user, ReviewAction.PANEL_OBJECT, case)
    member = _member_or_404(case, member_id)
    form = ObjectionForm()
    db = get_session()
    if not form.validate_on_submit():
        return _members_page(case, {member.id: form}, 400)
    try:
        services.object_to(
            db, member, current_actor(), form.reason.data, window=objection_window(case)
        )
    except services.PanelError as exc:
        db.rollback()
        if exc.field == "reason":
            form.reason.errors = [*form.reason.errors, exc.message]
            return _members_page(case, {member.id: form}, exc.status)
        return _refused(exc)
    db.commit()
    flash(_("Your objection has been sent to the agency."), "success")
    return redirect(url_for("reviews.members", case_id=case.id))


# ----- the reviewer's side --------------------------------------------------------------


@bp.get("/reviews")
@login_required
def workspace() -> str:
    authorize(current_user, CoreAction.VIEW_DASHBOARD)
    rows = queries.assignments(get_session(), current_user.id)
    return render_template(
        "reviews/workspace.html",
        invitations=[r for r in rows if r.status == MemberStatus.INVITED],
        cases=[r for r in rows if r.status == MemberStatus.ACTIVE],
    )


def _invitation_page(
    member: PanelMember, form: DeclarationForm, status: int = 200
) -> tuple[str, int]:
    return (
        render_template(
            "reviews/invitation.html",
            member=member,
            case=member.case,
            form=form,
            guidance=review_settings.settings_for(get_session(), member.case.agency_id).guidance(),
        ),
        status,
    )


@bp.route("/reviews/invitations/<int:member_id>", methods=["GET", "POST"])
@login_required
def invitation(member_id: int) -> tuple[str, int] | Response:
    db = get_session()
    member = db.get(PanelMember, member_id)
    if member is None:
        abort(404)
    authorize(current_user, ReviewAction.REVIEW_DECLARE, member)
    form = DeclarationForm()
    if request.method == "GET":
        return _invitation_page(member, DeclarationForm(formdata=None))
    if member.status != MemberStatus.INVITED:
        return _invitation_page(member, form, 409)
    if not form.validate_on_submit():
        return _invitation_page(member, form, 400)
    actor = current_actor()
    try:
        if form.answer.data == "accept":
            services.accept(db, member, actor, form.note.data or "")
        elif form.answer.data == "conflict":
            services.declare_conflict(db, member, actor, form.conflict.data or "")
        else:
            services.decline(db, member, actor)
    except services.PanelError as exc:
        db.rollback()
        if exc.field == "conflict":
            form.conflict.errors = [*form.conflict.errors, exc.message]
            return _invitation_page(member, form, exc.status)
        return _refused(exc)
    db.commit()
    if member.status == MemberStatus.ACTIVE:
        flash(
            _(
                "Thank you: you now have access to case %(reference)s.",
                reference=member.case.reference,
            ),
            "success",
        )
        return redirect(url_for("reviews.case_workspace", case_id=member.case_id))
    if member.status == MemberStatus.CONFLICT:
        flash(
            _("Thank you for declaring: the agency has been told, and you are off the panel."),
            "success",
        )
    else:
        flash(_("You have declined the invitation; the agency has been told."), "success")
    return redirect(url_for("reviews.workspace"))


@bp.get("/reviews/cases/<int:case_id>")
@login_required
def case_workspace(case_id: int) -> str:
    case = _case_or_404(case_id)
    authorize(current_user, CaseAction.CASE_VIEW, case)
    authorize(current_user, ReviewAction.REVIEW_WORKSPACE, case)
    db = get_session()
    may_read = can(current_user, CaseAction.CASE_READ_SUBMISSION, case)
    summaries = []
    if may_read:
        summaries = list(
            db.execute(
                select(Evidence)
                .where(
                    Evidence.case_id == case.id,
                    Evidence.original_filename.like("feedback-summary-%"),
                )
                .order_by(Evidence.uploaded_at)
            ).scalars()
        )
    return render_template(
        "reviews/case.html",
        case=case,
        may_read=may_read,
        facts=case_services.case_facts(db, case),
        progress=assessment.tally(db, case) if may_read else None,
        scope_problems=assessment.scope_problems(db, case),
        summaries=summaries,
        members=[m for m in queries.panel(db, case.id) if m.status == MemberStatus.ACTIVE],
    )


# The findings' routes join this blueprint.
from qaportal.reviews import findings_views as _findings_views  # noqa: E402, F401
