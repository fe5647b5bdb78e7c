"""Browsing the audit trail (agency admins)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from qaportal.access.policy import Action, authorize
from qaportal.db import get_session
from qaportal.orgs.models import Organisation

bp = Blueprint("audit", __name__)


@bp.get("/agencies/<int:agency_id>/audit")
@login_required
def index(agency_id: int) -> str:
    agency = get_session().get(Organisation, agency_id) or abort(404)
    authorize(current_user, Action.AGENCY_VIEW_AUDIT, agency)
    return render_template("audit/index.html", agency=agency)
