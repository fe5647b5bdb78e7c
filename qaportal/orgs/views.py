"""Organisation pages: provider profiles, staff, the agency's providers and reviewer pool."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from qaportal.access.policy import Action, authorize
from qaportal.db import get_session
from qaportal.orgs.models import Organisation

bp = Blueprint("orgs", __name__)


def _org_or_404(org_id: int) -> Organisation:
    from flask import abort

    org = get_session().get(Organisation, org_id)
    if org is None:
        abort(404)
    return org


@bp.get("/orgs/<int:org_id>")
@login_required
def show(org_id: int) -> str:
    org = _org_or_404(org_id)
    authorize(current_user, Action.ORG_VIEW, org)
    return render_template("orgs/show.html", org=org)


@bp.get("/orgs/<int:org_id>/staff")
@login_required
def staff(org_id: int) -> str:
    org = _org_or_404(org_id)
    authorize(current_user, Action.ORG_MANAGE_STAFF, org)
    return render_template("orgs/staff.html", org=org)


@bp.get("/agencies/<int:agency_id>/providers")
@login_required
def providers(agency_id: int) -> str:
    org = _org_or_404(agency_id)
    authorize(current_user, Action.AGENCY_MANAGE_PROVIDERS, org)
    return render_template("orgs/providers.html", org=org)


@bp.get("/agencies/<int:agency_id>/reviewers")
@login_required
def reviewers(agency_id: int) -> str:
    org = _org_or_404(agency_id)
    authorize(current_user, Action.AGENCY_MANAGE_REVIEWERS, org)
    return render_template("orgs/reviewers.html", org=org)
