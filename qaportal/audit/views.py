"""Browsing and verifying the audit trail (agency admins)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional, Regexp, ValidationError

from qaportal.access.policy import authorize
from qaportal.audit import queries
from qaportal.audit.access import AuditAction
from qaportal.audit.services import THROTTLE_WINDOW, close_windows, verify_chain
from qaportal.db import get_session
from qaportal.orgs.forms import choices
from qaportal.orgs.models import OrgKind
from qaportal.pagination import page_number
from qaportal.web.forms import PortalForm
from qaportal.web.loaders import organisation_or_404

bp = Blueprint("audit", __name__)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class AuditFilterForm(PortalForm):
    """The trail's filters: GET query parameters, so no CSRF token (they change nothing)."""

    class Meta:
        csrf = False

    organisation_ids: set[str] = set()  # replaced per request

    action = StringField(
        _l("Action starts with"),
        description=_l("e.g. auth. or organisation.updated"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=80),
            Regexp(r"^[a-z0-9_.]+$", message=_l("Use lower-case letters, digits, _ and . only.")),
        ],
    )
    actor = StringField(
        _l("Actor's email contains"), filters=[_strip], validators=[Optional(), Length(max=254)]
    )
    object_type = StringField(
        _l("Object type"),
        description=_l("e.g. user, organisation, invitation"),
        filters=[_strip],
        validators=[Optional(), Length(max=60)],
    )
    object_id = StringField(
        _l("Object id"), filters=[_strip], validators=[Optional(), Length(max=60)]
    )
    organisation = SelectField(_l("Organisation"), choices=[], validate_choice=False)
    date_from = DateField(
        _l("From (UTC)"),
        validators=[Optional()],
        format="%Y-%m-%d",
        render_kw={"placeholder": "YYYY-MM-DD"},
    )
    date_to = DateField(
        _l("Until (UTC, inclusive)"),
        validators=[Optional()],
        format="%Y-%m-%d",
        render_kw={"placeholder": "YYYY-MM-DD"},
    )

    def validate_organisation(self, field: SelectField) -> None:
        if field.data and field.data not in self.organisation_ids:
            raise ValidationError(_l("Choose an organisation from the list."))

    def validate_date_to(self, field: DateField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))

    def filters(self) -> queries.AuditFilters:
        """The filters whose values are valid; a field with an error is ignored."""

        def ok(name: str) -> Any:
            f = self[name]
            return None if f.errors or not f.data else f.data

        organisation = ok("organisation")
        return queries.AuditFilters(
            action=ok("action"),
            actor=ok("actor"),
            object_type=ok("object_type"),
            object_id=ok("object_id"),
            organisation_id=int(organisation) if organisation else None,
            date_from=ok("date_from"),
            date_to=ok("date_to"),
        )


_REASONS = {
    "link to the previous event does not match": _l(
        "its link to the previous event does not match"
    ),
    "content does not match its hash": _l("its content does not match its hash"),
    "newest events are missing": _l("the newest events are missing"),
}


@bp.get("/agencies/<int:agency_id>/audit")
@login_required
def index(agency_id: int) -> str:
    agency = organisation_or_404(agency_id, OrgKind.AGENCY)
    authorize(current_user, AuditAction.AGENCY_VIEW_AUDIT, agency)
    db = get_session()
    if close_windows(db):
        db.commit()
    form = AuditFilterForm(formdata=request.args)
    scope = [(str(oid), name) for oid, name in queries.scope_organisations(db, agency.id)]
    form.organisation_ids = {oid for oid, _name in scope}
    form.organisation.choices = choices([("", _("Any")), *scope])
    form.validate()
    filters = form.filters()
    page = queries.events_page(db, agency.id, filters, page_number(request.args.get("page")))
    args = {
        name: request.args.get(name)
        for name in form.data
        if request.args.get(name) and not form[name].errors
    }
    return render_template(
        "audit/index.html",
        agency=agency,
        form=form,
        page=page,
        page_args={"agency_id": agency.id, **args},
        filtered=any(v is not None for v in vars(filters).values()),
        bursts=queries.bursts_in_progress(db, agency.id),
        burst_minutes=int(THROTTLE_WINDOW.total_seconds() // 60),
    )


@bp.post("/agencies/<int:agency_id>/audit/verify")
@login_required
def verify(agency_id: int) -> Response:
    agency = organisation_or_404(agency_id, OrgKind.AGENCY)
    authorize(current_user, AuditAction.AGENCY_VIEW_AUDIT, agency)
    db = get_session()
    if close_windows(db):
        db.commit()
    report = verify_chain(db)
    if report.ok:
        flash(
            _(
                "The audit trail is intact: %(n)d events checked, every link matches.",
                n=report.checked,
            ),
            "success",
        )
    else:
        flash(
            _(
                "The audit trail is broken at event %(id)s: %(reason)s. "
                "%(n)d events before it are intact.",
                id=report.broken_event_id,
                reason=_REASONS.get(report.reason or "", report.reason),
                n=report.checked,
            ),
            "error",
        )
    return redirect(url_for("audit.index", agency_id=agency.id))
