"""The email outbox as agency admins see it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from qaportal.access.policy import authorize
from qaportal.db import get_session
from qaportal.notifications import services
from qaportal.notifications.access import NotificationAction
from qaportal.notifications.forms import STATUS_LABELS, OutboxFilterForm, RetryForm
from qaportal.notifications.models import OutboxMessage
from qaportal.orgs.models import Organisation, OrgKind
from qaportal.web.context import current_actor
from qaportal.web.loaders import organisation_or_404

bp = Blueprint("notifications", __name__)


def _message(agency: Organisation, message_id: int) -> OutboxMessage:
    return services.find_message(get_session(), agency.id, message_id) or abort(404)


@bp.get("/agencies/<int:agency_id>/outbox")
@login_required
def outbox(agency_id: int) -> str:
    agency = organisation_or_404(agency_id, OrgKind.AGENCY)
    authorize(current_user, NotificationAction.AGENCY_VIEW_OUTBOX, agency)
    filters = OutboxFilterForm(formdata=MultiDict(request.args))
    status = filters.selected_status()
    page = services.outbox_page(
        get_session(), agency.id, status=status, page=request.args.get("page", 1, type=int)
    )
    return render_template(
        "notifications/outbox.html",
        agency=agency,
        filters=filters,
        page=page,
        status_labels=STATUS_LABELS,
        page_args={"agency_id": agency.id, **({"status": status.value} if status else {})},
        failed=services.count_failed(get_session(), agency.id),
        retry_form=RetryForm(),
    )


@bp.post("/agencies/<int:agency_id>/outbox/retry-failed")
@login_required
def retry_all(agency_id: int) -> Response:
    agency = organisation_or_404(agency_id, OrgKind.AGENCY)
    authorize(current_user, NotificationAction.AGENCY_RETRY_OUTBOX, agency)
    if RetryForm().validate_on_submit():
        db = get_session()
        count = services.retry_all_failed(db, agency.id, current_actor())
        db.commit()
        if count:
            flash(
                ngettext(
                    "%(num)d failed message is queued again and goes out with the next round "
                    "of sending.",
                    "%(num)d failed messages are queued again and go out with the next round "
                    "of sending.",
                    count,
                ),
                "success",
            )
        else:
            flash(_("There are no failed messages to retry."), "info")
    return redirect(url_for("notifications.outbox", agency_id=agency.id))


@bp.get("/agencies/<int:agency_id>/outbox/<int:message_id>")
@login_required
def message(agency_id: int, message_id: int) -> str:
    agency = organisation_or_404(agency_id, OrgKind.AGENCY)
    authorize(current_user, NotificationAction.AGENCY_VIEW_OUTBOX, agency)
    row = services.message_row(_message(agency, message_id))
    return render_template(
        "notifications/message.html",
        agency=agency,
        message=row,
        status_labels=STATUS_LABELS,
    )


@bp.post("/agencies/<int:agency_id>/outbox/<int:message_id>/retry")
@login_required
def retry(agency_id: int, message_id: int) -> Response:
    agency = organisation_or_404(agency_id, OrgKind.AGENCY)
    authorize(current_user, NotificationAction.AGENCY_RETRY_OUTBOX, agency)
    found = _message(agency, message_id)
    form = RetryForm()
    if form.validate_on_submit():
        db = get_session()
        try:
            services.retry_message(db, found, current_actor(), organisation_id=agency.id)
        except services.RetryError:
            db.rollback()
            flash(_("Only a message that failed can be retried."), "error")
        else:
            db.commit()
            flash(
                _("The message is queued again and goes out with the next round of sending."),
                "success",
            )
    return redirect(url_for("notifications.message", agency_id=agency.id, message_id=found.id))
