"""The agency's review settings page, beside its decision settings, and its link on the
agency admin's dashboard. Routes of the review blueprint (qaportal/reviews/views.py)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from qaportal.access.policy import authorize, can
from qaportal.auth.models import Membership, User
from qaportal.db import get_session
from qaportal.reviews import settings as review_settings
from qaportal.reviews.access import ReviewAction
from qaportal.reviews.forms import ReviewSettingsForm
from qaportal.reviews.views import bp
from qaportal.web.context import current_actor
from qaportal.web.dashboard import Link
from qaportal.web.loaders import organisation_or_404


@bp.route("/agencies/<int:agency_id>/review-settings", methods=["GET", "POST"])
@login_required
def settings(agency_id: int) -> tuple[str, int] | Response:
    agency = organisation_or_404(agency_id)
    authorize(current_user, ReviewAction.SETTINGS, agency)
    db = get_session()
    current = review_settings.settings_for(db, agency.id)
    form = ReviewSettingsForm(data=current.__dict__ if request.method == "GET" else None)
    if form.validate_on_submit():
        values = review_settings.Settings(
            form.objection_days.data, form.factual_check_days.data, form.coi_guidance.data or ""
        )
        review_settings.save_settings(db, agency.id, values, current_actor())
        db.commit()
        flash(_("Review settings saved."), "success")
        return redirect(url_for("reviews.settings", agency_id=agency.id))
    page = render_template(
        "reviews/settings.html",
        agency=agency,
        form=form,
        defaults=review_settings.defaults(),
        general_guidance=[str(text) for text in review_settings.GENERAL_COI_GUIDANCE],
    )
    return page, 400 if form.errors else 200


def settings_links(user: User, membership: Membership) -> list[Link]:
    org = membership.organisation
    if can(user, ReviewAction.SETTINGS, org):
        return [Link(_("Review settings"), url_for("reviews.settings", agency_id=org.id))]
    return []
