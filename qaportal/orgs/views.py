"""Organisation pages: profiles, staff, the agency's providers and reviewer pool."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from qaportal.access.policy import authorize, can
from qaportal.auth.invitations import InvitationError, invite
from qaportal.auth.models import Membership, OneTimeToken, ReviewerCategory, Role, TokenPurpose
from qaportal.db import get_session
from qaportal.evidence.storage import get_storage
from qaportal.orgs import geo, queries
from qaportal.orgs import logo as agency_logo
from qaportal.orgs import staff as staff_services
from qaportal.orgs.access import OrgAction, grantable_roles
from qaportal.orgs.forms import (
    InviteForm,
    LogoForm,
    NewProviderForm,
    ProfileForm,
    ProviderSearchForm,
    ReviewerFilterForm,
    ReviewerInviteForm,
    ReviewerProfileForm,
)
from qaportal.orgs.labels import provider_type_label, reviewer_category_label, role_label
from qaportal.orgs.models import Organisation, OrgKind
from qaportal.orgs.services import create_organisation, update_profile
from qaportal.pagination import page_number
from qaportal.web.context import current_actor, link_settings

bp = Blueprint("orgs", __name__)

# Names for codes, usable in every template.
bp.add_app_template_filter(geo.country_name, "country_name")
bp.add_app_template_filter(geo.region_name, "region_name")
bp.add_app_template_filter(geo.language_name, "language_name")
bp.add_app_template_filter(provider_type_label, "provider_type_label")
bp.add_app_template_filter(reviewer_category_label, "reviewer_category_label")
bp.add_app_template_filter(role_label, "role_label")


def _org_or_404(org_id: int) -> Organisation:
    org = queries.load_organisation(get_session(), org_id)
    if org is None:
        abort(404)
    return org


def _agency_or_404(agency_id: int) -> Organisation:
    org = _org_or_404(agency_id)
    if not org.is_agency:
        abort(404)
    return org


# ----- profile -----------------------------------------------------------------------------


@bp.get("/orgs/<int:org_id>")
@login_required
def show(org_id: int) -> str:
    org = _org_or_404(org_id)
    authorize(current_user, OrgAction.ORG_VIEW, org)
    return render_template(
        "orgs/show.html",
        org=org,
        can_edit=can(current_user, OrgAction.ORG_EDIT, org),
        can_manage_staff=can(current_user, OrgAction.ORG_MANAGE_STAFF, org),
    )


@bp.route("/orgs/<int:org_id>/edit", methods=["GET", "POST"])
@login_required
def edit(org_id: int) -> str | Response:
    org = _org_or_404(org_id)
    authorize(current_user, OrgAction.ORG_EDIT, org)
    form = ProfileForm(obj=org, kind=org.kind)
    if request.method == "GET" and org.provider_type and "provider_type" in form:
        form.provider_type.data = org.provider_type.value
    if form.validate_on_submit():
        db = get_session()
        changed = update_profile(db, org, form.profile_data(), current_actor())
        db.commit()
        if changed:
            flash(_("The profile has been saved."), "success")
        else:
            flash(_("Nothing was changed."), "info")
        return redirect(url_for("orgs.show", org_id=org.id))
    return render_template("orgs/edit.html", org=org, form=form)


@bp.route("/agencies/<int:agency_id>/logo", methods=["GET", "POST"])
@login_required
def logo(agency_id: int) -> tuple[str, int] | Response:
    agency = _agency_or_404(agency_id)
    authorize(current_user, OrgAction.ORG_EDIT, agency)
    form = LogoForm()
    if form.validate_on_submit():
        db = get_session()
        upload = form.logo.data
        try:
            agency_logo.save_logo(
                db, get_storage(), agency, upload.stream, upload.filename, current_actor()
            )
        except agency_logo.LogoRefused as exc:
            form.logo.errors = [str(exc)]
        else:
            db.commit()
            flash(_("The logo has been saved; new documents will show it."), "success")
            return redirect(url_for("orgs.logo", agency_id=agency.id))
    page = render_template("orgs/logo.html", org=agency, form=form)
    return page, 400 if form.errors else 200


# ----- staff -------------------------------------------------------------------------------


def _render_staff(org: Organisation, form: InviteForm) -> str:
    db = get_session()
    return render_template(
        "orgs/staff.html",
        org=org,
        form=form,
        members=queries.members(db, org.id),
        invitations=queries.pending_invitations(db, org.id),
        me=current_user.id,
    )


@bp.get("/orgs/<int:org_id>/staff")
@login_required
def staff(org_id: int) -> str:
    org = _org_or_404(org_id)
    authorize(current_user, OrgAction.ORG_MANAGE_STAFF, org)
    return _render_staff(org, InviteForm(roles=grantable_roles(current_user, org)))


@bp.post("/orgs/<int:org_id>/staff/invite")
@login_required
def invite_staff(org_id: int) -> str | Response:
    org = _org_or_404(org_id)
    authorize(current_user, OrgAction.ORG_MANAGE_STAFF, org)
    form = InviteForm(roles=grantable_roles(current_user, org))
    if form.validate_on_submit():
        db = get_session()
        try:
            invite(db, org, form.email.data, Role(form.role.data), current_actor(), link_settings())
        except InvitationError as exc:
            db.rollback()
            form.email.errors.append(str(exc))
        else:
            db.commit()
            flash(_("An invitation has been sent to %(email)s.", email=form.email.data), "success")
            return redirect(url_for("orgs.staff", org_id=org.id))
    return _render_staff(org, form)


def _membership_or_404(org: Organisation, membership_id: int) -> Membership:
    membership = (
        get_session()
        .execute(
            select(Membership)
            .where(Membership.id == membership_id, Membership.organisation_id == org.id)
            .options(joinedload(Membership.user), joinedload(Membership.organisation))
        )
        .scalar_one_or_none()
    )
    if membership is None:
        abort(404)
    return membership


def _member_confirmation(org: Organisation, membership: Membership, remove: bool) -> str:
    """The page that says what removing or deactivating this person does, before it is done."""
    user = membership.user
    name, role = user.display_name, role_label(membership.role)
    if remove:
        heading = _("Remove %(name)s from %(org)s?", name=name, org=org.display_name)
        facts = [
            _(
                "%(name)s loses the role “%(role)s” in %(org)s and every page of it.",
                name=name,
                role=role,
                org=org.display_name,
            ),
            _("Open invitations of %(email)s to this role are revoked.", email=user.email),
            _(
                "Their account stays: they keep their other memberships and can be invited "
                "again later."
            ),
        ]
        action = url_for("orgs.remove_member", org_id=org.id, membership_id=membership.id)
        label = _("Remove %(name)s", name=name)
    else:
        others = len(user.memberships)
        heading = _("Deactivate the account of %(name)s?", name=name)
        facts = [
            _("%(name)s is signed out at once and can no longer sign in.", name=name),
            _(
                "This applies in every organisation they belong to (%(n)d), not only in %(org)s.",
                n=others,
                org=org.display_name,
            ),
            _("Their memberships and their work stay; you can reactivate them later."),
        ]
        action = url_for("orgs.deactivate_member", org_id=org.id, membership_id=membership.id)
        label = _("Deactivate %(name)s", name=name)
    return render_template(
        "web/confirm.html",
        heading=heading,
        rows=[
            (_("Name"), name),
            (_("Email address"), user.email),
            (_("Role"), role),
            (_("Organisation"), org.display_name),
        ],
        facts=facts,
        action=action,
        button_label=label,
        variant="warning",
        cancel_url=url_for("orgs.staff", org_id=org.id),
        back_label=_("Back to the staff page"),
    )


@bp.route("/orgs/<int:org_id>/members/<int:membership_id>/remove", methods=["GET", "POST"])
@login_required
def remove_member(org_id: int, membership_id: int) -> str | Response:
    """GET: the confirmation page, which says what will happen; POST: remove."""
    org = _org_or_404(org_id)
    authorize(current_user, OrgAction.ORG_MANAGE_STAFF, org)
    membership = _membership_or_404(org, membership_id)
    if request.method == "GET":
        if membership.user_id == current_user.id:
            flash(_("You cannot remove yourself."), "error")
            return redirect(url_for("orgs.staff", org_id=org.id))
        return _member_confirmation(org, membership, remove=True)
    db = get_session()
    try:
        staff_services.remove_membership(db, membership, current_actor())
    except staff_services.StaffError as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        db.commit()
        flash(_("The membership has been removed."), "success")
    return redirect(url_for("orgs.staff", org_id=org.id))


def _set_active(org_id: int, membership_id: int, active: bool) -> Response:
    org = _org_or_404(org_id)
    authorize(current_user, OrgAction.ORG_MANAGE_STAFF, org)
    membership = _membership_or_404(org, membership_id)
    back = redirect(url_for("orgs.staff", org_id=org.id))
    if membership.user_id == current_user.id:
        flash(_("You cannot deactivate your own account."), "error")
        return back
    db = get_session()
    target = queries.load_user_with_memberships(db, membership.user_id)
    if target is None:
        abort(404)
    authorize(current_user, OrgAction.USER_SET_ACTIVE, target)
    try:
        staff_services.set_user_active(db, target, active, current_actor())
    except staff_services.StaffError as exc:
        db.rollback()
        flash(str(exc), "error")
        return back
    db.commit()
    if active:
        flash(_("%(name)s can sign in again.", name=target.display_name), "success")
    else:
        flash(
            _("%(name)s has been deactivated and signed out.", name=target.display_name),
            "success",
        )
    return back


@bp.route("/orgs/<int:org_id>/members/<int:membership_id>/deactivate", methods=["GET", "POST"])
@login_required
def deactivate_member(org_id: int, membership_id: int) -> str | Response:
    """GET: the confirmation page, which says what will happen; POST: deactivate."""
    if request.method == "GET":
        org = _org_or_404(org_id)
        authorize(current_user, OrgAction.ORG_MANAGE_STAFF, org)
        membership = _membership_or_404(org, membership_id)
        target = queries.load_user_with_memberships(get_session(), membership.user_id)
        if target is None:
            abort(404)
        authorize(current_user, OrgAction.USER_SET_ACTIVE, target)
        if membership.user_id == current_user.id:
            flash(_("You cannot deactivate your own account."), "error")
            return redirect(url_for("orgs.staff", org_id=org.id))
        return _member_confirmation(org, membership, remove=False)
    return _set_active(org_id, membership_id, False)


@bp.post("/orgs/<int:org_id>/members/<int:membership_id>/reactivate")
@login_required
def reactivate_member(org_id: int, membership_id: int) -> Response:
    return _set_active(org_id, membership_id, True)


@bp.post("/orgs/<int:org_id>/invitations/<int:invitation_id>/revoke")
@login_required
def revoke_invitation(org_id: int, invitation_id: int) -> Response:
    org = _org_or_404(org_id)
    authorize(current_user, OrgAction.ORG_MANAGE_STAFF, org)
    db = get_session()
    invitation = db.execute(
        select(OneTimeToken).where(
            OneTimeToken.id == invitation_id,
            OneTimeToken.organisation_id == org.id,
            OneTimeToken.purpose == TokenPurpose.INVITATION,
        )
    ).scalar_one_or_none()
    if invitation is None:
        abort(404)
    try:
        staff_services.revoke_invitation(db, invitation, current_actor())
    except staff_services.StaffError as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        db.commit()
        flash(_("The invitation to %(email)s has been revoked.", email=invitation.email), "success")
    return redirect(url_for("orgs.staff", org_id=org.id))


# ----- the agency's providers --------------------------------------------------------------


@bp.get("/agencies/<int:agency_id>/providers")
@login_required
def providers(agency_id: int) -> str:
    agency = _agency_or_404(agency_id)
    authorize(current_user, OrgAction.AGENCY_MANAGE_PROVIDERS, agency)
    form = ProviderSearchForm(formdata=request.args)
    search = form.q.data if form.validate() else None
    page = queries.providers_page(
        get_session(), agency.id, search, page_number(request.args.get("page"))
    )
    return render_template(
        "orgs/providers.html",
        org=agency,
        form=form,
        page=page,
        page_args={"agency_id": agency.id, **({"q": search} if search else {})},
    )


@bp.route("/agencies/<int:agency_id>/providers/new", methods=["GET", "POST"])
@login_required
def new_provider(agency_id: int) -> str | Response:
    agency = _agency_or_404(agency_id)
    authorize(current_user, OrgAction.AGENCY_MANAGE_PROVIDERS, agency)
    form = NewProviderForm(kind=OrgKind.PROVIDER)
    if form.validate_on_submit():
        db = get_session()
        actor = current_actor()
        provider = create_organisation(
            db, OrgKind.PROVIDER, actor, managing_agency_id=agency.id, **form.profile_data()
        )
        if form.admin_email.data:
            try:
                invite(
                    db, provider, form.admin_email.data, Role.PROVIDER_ADMIN, actor, link_settings()
                )
            except InvitationError as exc:
                db.rollback()
                form.admin_email.errors.append(str(exc))
                return render_template("orgs/new_provider.html", org=agency, form=form)
        db.commit()
        if form.admin_email.data:
            flash(
                _(
                    "%(org)s has been created and %(email)s has been invited as its administrator.",
                    org=provider.display_name,
                    email=form.admin_email.data,
                ),
                "success",
            )
        else:
            flash(_("%(org)s has been created.", org=provider.display_name), "success")
        return redirect(url_for("orgs.show", org_id=provider.id))
    return render_template("orgs/new_provider.html", org=agency, form=form)


# ----- the reviewer pool -------------------------------------------------------------------


@bp.get("/agencies/<int:agency_id>/reviewers")
@login_required
def reviewers(agency_id: int) -> str:
    agency = _agency_or_404(agency_id)
    authorize(current_user, OrgAction.AGENCY_MANAGE_REVIEWERS, agency)
    form = ReviewerFilterForm(formdata=request.args)
    form.validate()
    category = form.category.data if form.category.data in set(ReviewerCategory) else None
    country = form.country.data if geo.is_country(form.country.data) else None
    language = form.language.data if form.language.data and not form.language.errors else None
    available = {"yes": True, "no": False}.get(form.available.data or "")
    filters = queries.ReviewerFilters(
        category=ReviewerCategory(category) if category else None,
        country=country,
        language=language,
        available=available,
    )
    page = queries.reviewers_page(
        get_session(), agency.id, filters, page_number(request.args.get("page"))
    )
    args = {
        "category": category,
        "country": country,
        "language": language,
        "available": form.available.data if available is not None else None,
    }
    return render_template(
        "orgs/reviewers.html",
        org=agency,
        form=form,
        page=page,
        page_args={"agency_id": agency.id, **{k: v for k, v in args.items() if v}},
    )


@bp.route("/agencies/<int:agency_id>/reviewers/invite", methods=["GET", "POST"])
@login_required
def invite_reviewer(agency_id: int) -> str | Response:
    agency = _agency_or_404(agency_id)
    authorize(current_user, OrgAction.AGENCY_MANAGE_REVIEWERS, agency)
    form = ReviewerInviteForm()
    if form.validate_on_submit():
        db = get_session()
        try:
            staff_services.invite_reviewer(
                db,
                agency,
                form.email.data,
                form.display_name.data,
                form.profile_data(),
                current_actor(),
                link_settings(),
            )
        except (staff_services.StaffError, InvitationError) as exc:
            db.rollback()
            form.email.errors.append(str(exc))
        else:
            db.commit()
            flash(
                _(
                    "%(name)s has been added to the reviewer pool and invited by email.",
                    name=form.display_name.data,
                ),
                "success",
            )
            return redirect(url_for("orgs.reviewers", agency_id=agency.id))
    return render_template("orgs/reviewer_form.html", org=agency, form=form, membership=None)


@bp.route("/agencies/<int:agency_id>/reviewers/<int:membership_id>/edit", methods=["GET", "POST"])
@login_required
def edit_reviewer(agency_id: int, membership_id: int) -> str | Response:
    agency = _agency_or_404(agency_id)
    authorize(current_user, OrgAction.AGENCY_MANAGE_REVIEWERS, agency)
    db = get_session()
    membership = queries.load_reviewer_membership(db, agency.id, membership_id)
    if membership is None:
        abort(404)
    profile = membership.reviewer_profile
    form = ReviewerProfileForm(obj=profile)
    if request.method == "GET" and profile is not None:
        form.category.data = profile.category.value
        form.country.data = profile.country or ""
        form.languages.data = ", ".join(geo.split_languages(profile.languages))
    if form.validate_on_submit():
        changed = staff_services.update_reviewer(
            db, membership, form.profile_data(), current_actor()
        )
        db.commit()
        if changed:
            flash(_("The reviewer profile has been saved."), "success")
        else:
            flash(_("Nothing was changed."), "info")
        return redirect(url_for("orgs.reviewers", agency_id=agency.id))
    return render_template("orgs/reviewer_form.html", org=agency, form=form, membership=membership)
