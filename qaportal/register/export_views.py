"""Machine-readable exits of the register: the ELM ``Accreditation`` of a published
decision (public) and the agency's DEQAR report-submission CSV (the agency's staff).

Thin views: load through :mod:`qaportal.register.queries`, authorize, build with
:mod:`qaportal.register.elm` / :mod:`qaportal.register.deqar`, answer.
"""

from __future__ import annotations

import enum
import json
from typing import Any

from flask import Blueprint, Response, abort, current_app
from flask_login import current_user, login_required

from qaportal.access.policy import authorize, has_role, register_rules
from qaportal.audit.services import record
from qaportal.auth.models import AGENCY_STAFF_ROLES, User
from qaportal.db import get_session
from qaportal.orgs.models import Organisation
from qaportal.register import deqar, elm, queries
from qaportal.web.context import current_actor

bp = Blueprint("register_exports", __name__)


class ExportAction(enum.StrEnum):
    DEQAR = "register.deqar_export"  # obj: the agency (its own published reports)


def _agency_staff(user: User, agency: Any) -> bool:
    return bool(agency.is_agency) and has_role(user, agency.id, *AGENCY_STAFF_ROLES)


register_rules({ExportAction.DEQAR: _agency_staff})


@bp.get("/register/decisions/<int:decision_id>/accreditation.jsonld")
def accreditation(decision_id: int) -> Response:
    db = get_session()
    found = queries.published_decision(db, decision_id)
    if found is None:
        abort(404)
    document = elm.accreditation_document(db, found, current_app.config["BASE_URL"])
    response = Response(
        json.dumps(document, ensure_ascii=False, indent=2) + "\n", mimetype=elm.MEDIA_TYPE
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{elm.filename(found)}"'
    response.headers["Access-Control-Allow-Origin"] = "*"  # public data, read by wallets
    return response


@bp.get("/agencies/<int:agency_id>/register/deqar.csv")
@login_required
def deqar_csv(agency_id: int) -> Response:
    db = get_session()
    agency = db.get(Organisation, agency_id)
    if agency is None or not agency.is_agency:
        abort(404)
    authorize(current_user, ExportAction.DEQAR, agency)
    rows = deqar.deqar_rows(
        db,
        agency.id,
        base_url=current_app.config["BASE_URL"],
        activity=current_app.config.get("DEQAR_ACTIVITY"),
    )
    record(
        db,
        current_actor(),
        "register.deqar_exported",
        object_type="organisation",
        object_id=agency.id,
        organisation_id=agency.id,
        details={"rows": len(rows)},
    )
    db.commit()
    response = Response(deqar.rows_to_csv(rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="deqar-reports.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
