"""The email outbox as agency admins see it."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from qaportal.access.policy import Action, authorize
from qaportal.db import get_session
from qaportal.orgs.models import Organisation

bp = Blueprint("notifications", __name__)


@bp.get("/agencies/<int:agency_id>/outbox")
@login_required
def outbox(agency_id: int) -> str:
    agency = get_session().get(Organisation, agency_id) or abort(404)
    authorize(current_user, Action.AGENCY_VIEW_OUTBOX, agency)
    return render_template("notifications/outbox.html", agency=agency)
