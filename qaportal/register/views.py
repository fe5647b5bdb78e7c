"""The public register (no sign-in) and the agency's publish / withdraw steps.

Public pages read only :mod:`qaportal.register.queries`; an unknown, unpublished or withdrawn
decision and a provider without a published decision all answer the same 404, so a page
never hints that something unpublished exists. The agency's steps are thin: load the case,
authorize, call :mod:`qaportal.register.services`, render.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from werkzeug.wrappers import Response
from wtforms import SelectChoice as choice

from qaportal.access.policy import authorize, can
from qaportal.cases.access import CaseAction
from qaportal.cases.models import Case
from qaportal.db import get_session
from qaportal.decisions.labels import condition_label, eqa_label, outcome_label
from qaportal.decisions.models import Outcome
from qaportal.frameworks.models import Framework, FrameworkKind, FrameworkVersion
from qaportal.orgs.geo import country_name
from qaportal.orgs.labels import provider_type_label
from qaportal.orgs.models import ProviderType
from qaportal.register import queries, services
from qaportal.register.access import RegisterAction
from qaportal.register.forms import PublishForm, RegisterFilterForm, WithdrawPublicationForm
from qaportal.reporting import services as reporting
from qaportal.reporting.models import GeneratedDocument
from qaportal.reporting.store import get_store
from qaportal.web.cache import public_page
from qaportal.web.context import current_actor
from qaportal.web.errors import refused

bp = Blueprint("register", __name__)
PER_PAGE = 25


def _register_panel(case: Case) -> services.PanelState | None:
    """The register's part of the decision page, for the staff of the case's agency."""
    if not can(current_user, RegisterAction.PUBLISH, case):
        return None
    return services.panel_state(get_session(), case)


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {
        "register_panel": _register_panel,
        "register_outcome": outcome_label,
        "register_eqa": eqa_label,
        "register_condition": condition_label,
        "register_country": country_name,
        "register_provider_type": provider_type_label,
    }


# ----- public pages ------------------------------------------------------------------------


def _filter_form() -> tuple[RegisterFilterForm, queries.RegisterFilters | None]:
    """The form as submitted and the filters it yields (None when a value is invalid)."""
    form = RegisterFilterForm(request.args)
    db = get_session()
    form.country.choices = [choice("", _("Any country"))] + [
        choice(code, country_name(code)) for code in queries.register_countries(db)
    ]
    form.provider_type.choices = [choice("", _("Any type"))] + [
        choice(t.value, provider_type_label(t)) for t in ProviderType
    ]
    form.decision.choices = [choice("", _("Any decision"))] + [
        choice(o.value, outcome_label(o)) for o in Outcome
    ]
    # Criteria frameworks only (questionnaires are not what a decision follows), named by the
    # title of their newest version, not by their internal code.
    newest = (
        select(FrameworkVersion.framework_id, func.max(FrameworkVersion.number).label("number"))
        .group_by(FrameworkVersion.framework_id)
        .subquery()
    )
    named = db.execute(
        select(Framework.code, FrameworkVersion.title)
        .join(newest, newest.c.framework_id == Framework.id)
        .join(
            FrameworkVersion,
            (FrameworkVersion.framework_id == Framework.id)
            & (FrameworkVersion.number == newest.c.number),
        )
        .where(Framework.kind == FrameworkKind.CRITERIA)
        .order_by(FrameworkVersion.title)
    )
    form.framework.choices = [choice("", _("Any framework"))] + [
        choice(code, title) for code, title in named
    ]
    if not request.args:
        return form, queries.RegisterFilters()
    if not form.validate():
        return form, None
    return form, queries.RegisterFilters(
        q=form.q.data or None,
        country=form.country.data or None,
        provider_type=form.provider_type.data or None,
        decision=form.decision.data or None,
        framework=form.framework.data or None,
        validity=form.validity.data or None,
        expiring_months=form.months.data or 6,
    )


def _filter_args(form: RegisterFilterForm) -> dict[str, Any]:
    args = {name: f.data for name, f in form._fields.items() if f.data not in (None, "")}
    if form.validity.data != "expiring":
        args.pop("months", None)  # only meaningful with "expiring"
    return args


@bp.get("/register")
@public_page
def index() -> tuple[str, int]:
    form, filters = _filter_form()
    after = request.args.get("after", type=int)
    providers: list[queries.RegisterProvider] = []
    if filters is not None:
        # One more than shown tells whether a next page exists.
        providers = queries.published_providers(
            get_session(), filters, after_id=after, limit=PER_PAGE + 1
        )
    more = len(providers) > PER_PAGE
    providers = providers[:PER_PAGE]
    return (
        render_template(
            "register/index.html",
            form=form,
            providers=providers,
            args=_filter_args(form),
            next_after=providers[-1].id if more else None,
            first_page=after is not None,
            searched=bool(request.args),
            invalid=filters is None,
        ),
        200 if filters is not None else 400,
    )


@bp.get("/register/providers/<int:provider_id>")
@public_page
def provider(provider_id: int) -> str:
    found = queries.published_provider(get_session(), provider_id)
    if found is None:
        abort(404)
    return render_template("register/provider.html", provider=found)


@bp.get("/register/decisions/<int:decision_id>")
@public_page
def decision(decision_id: int) -> str:
    found = queries.published_decision(get_session(), decision_id)
    if found is None:
        abort(404)
    return render_template("register/decision.html", decision=found, preview=False)


@bp.get("/register/decisions/<int:decision_id>/report")
def report(decision_id: int) -> Response:
    """The latest published report version of the decision, as an attachment; the URL stays
    the same when the agency re-issues the report."""
    db = get_session()
    found = queries.published_decision(db, decision_id)
    if found is None or found.report is None:
        abort(404)
    document = db.get(GeneratedDocument, found.report.document_id)
    store = get_store()
    if document is None or not store.exists(document.storage_path):
        abort(404)

    response = send_file(
        store.open(document.storage_path),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=reporting.download_name(document),
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# ----- the agency's steps ------------------------------------------------------------------


def _case(case_id: int) -> Case:
    case = get_session().get(Case, case_id)
    if case is None:
        abort(404)
    authorize(current_user, CaseAction.CASE_VIEW, case)
    authorize(current_user, RegisterAction.PUBLISH, case)
    return case


def _back(case: Case) -> Response:
    return redirect(url_for("decisions.decision", case_id=case.id))


@bp.route("/cases/<int:case_id>/register/publish", methods=["GET", "POST"])
@login_required
def publish(case_id: int) -> str | Response | tuple[str, int]:
    case = _case(case_id)
    db = get_session()
    current = services.current_decision(db, case)
    refusal = services.publish_refusal(db, current)
    if refusal or current is None:
        return refused(refusal or "")
    form = PublishForm()
    if form.validate_on_submit():
        services.publish(db, case, current, user=current_user, actor=current_actor())
        db.commit()
        flash(_("The decision is published in the public register."), "success")
        return _back(case)
    return render_template(
        "register/publish.html",
        case=case,
        decision=services.preview(db, case, current),
        form=form,
        preview=True,
    )


@bp.route("/cases/<int:case_id>/register/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(case_id: int) -> str | Response | tuple[str, int]:
    case = _case(case_id)
    db = get_session()
    current = services.current_decision(db, case)
    publication = services.publication_of(db, current) if current else None
    if publication is None or publication.withdrawn_at is not None:
        return refused(_("This decision is not in the register."))
    form = WithdrawPublicationForm()
    if form.validate_on_submit():
        services.withdraw(
            db, case, publication, form.reason.data, user=current_user, actor=current_actor()
        )
        db.commit()
        flash(_("The decision is withdrawn from the public register."), "success")
        return _back(case)
    return (
        render_template("register/withdraw.html", case=case, publication=publication, form=form),
        422 if form.errors else 200,
    )
