"""Feedback pages: provider staff run campaigns and read results; respondents answer.

Respondents have no account. ``GET /f/<token>`` checks the link, keeps only a short-lived
pass (invitation and campaign ids, expiry) in the signed session cookie and redirects to
``/f``, so the token leaves the address bar at once; every respondent page is sent with
``Referrer-Policy: no-referrer``. The invitation is used up only when the answers are
stored, atomically (see :func:`qaportal.feedback.services.submit_response`).
"""

from __future__ import annotations

import re
import time
from typing import Any

import click
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.cli import with_appcontext
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.exceptions import HTTPException
from wtforms import SelectChoice

from qaportal import tasks
from qaportal.access.policy import authorize
from qaportal.audit.services import Actor
from qaportal.cases.access import CaseAction
from qaportal.catalogue.models import Specification
from qaportal.db import get_session, stream_with_session, utcnow
from qaportal.extensions import limiter
from qaportal.feedback import attach as attach_service
from qaportal.feedback import charts, exports, results, services
from qaportal.feedback import questionnaire as qn
from qaportal.feedback.access import FeedbackAction
from qaportal.feedback.forms import (
    AddressFileForm,
    AttachForm,
    CampaignForm,
    CodeEntryForm,
    CodesForm,
    ConfirmForm,
    SurveyFormBase,
    ThresholdForm,
    survey_form_class,
)
from qaportal.feedback.models import (
    DEFAULT_MIN_RESPONSES,
    Campaign,
    CampaignStatus,
    FeedbackKind,
)
from qaportal.frameworks.localize import version_title
from qaportal.jobs import runner as job_runner
from qaportal.jobs import services as job_services
from qaportal.memo import Memo
from qaportal.orgs import geo
from qaportal.web.context import current_actor
from qaportal.web.loaders import organisation_or_404

bp = Blueprint("feedback", __name__, cli_group="feedback")

PASS_KEY = "feedback_pass"  # noqa: S105 - a session key, not a secret
PROBLEM_KEY = "feedback_problem"
RESPONDENT_ENDPOINTS = {
    "feedback.redeem",
    "feedback.survey",
    "feedback.submit",
    "feedback.enter_code",
    "feedback.thanks",
    "feedback.codes",
}


def _config(name: str, default: Any) -> Any:
    return current_app.config.get(name, default)


def _threshold_default() -> int:
    return int(_config("FEEDBACK_MIN_RESPONSES", DEFAULT_MIN_RESPONSES))


def _submit_limit() -> str:
    return str(_config("FEEDBACK_SUBMIT_LIMIT", "60 per minute; 600 per hour"))


def _redeem_limit() -> str:
    return str(_config("FEEDBACK_REDEEM_LIMIT", "60 per minute; 600 per hour"))


@bp.after_request
def _respondent_headers(response: Response) -> Response:
    if request.endpoint in RESPONDENT_ENDPOINTS:
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(429)
def _too_many(error: HTTPException) -> tuple[str, int]:
    return (
        render_template(
            "errors/error.html",
            status=429,
            title=_("Too many requests"),
            message=_(
                "Too many answers or codes have come from your network in a short time. "
                "Please wait a minute and try again; nothing was lost that was stored."
            ),
        ),
        429,
    )


# ----- helpers -----------------------------------------------------------------------------


def _campaign_or_404(
    campaign_id: int, action: FeedbackAction = FeedbackAction.FEEDBACK_VIEW
) -> Campaign:
    campaign = services.load_campaign(get_session(), campaign_id)
    if campaign is None:
        abort(404)
    authorize(current_user, action, campaign)
    return campaign


def _base_url() -> str:
    return str(current_app.config["BASE_URL"])


def _threshold(campaign: Campaign) -> int:
    return services.campaign_threshold(get_session(), campaign, _threshold_default())


# ----- provider staff: campaigns ------------------------------------------------------------


@bp.get("/orgs/<int:org_id>/feedback")
@login_required
def campaigns(org_id: int) -> str:
    org = organisation_or_404(org_id)
    authorize(current_user, FeedbackAction.FEEDBACK_LIST, org)
    db = get_session()
    return render_template(
        "feedback/campaigns.html",
        org=org,
        campaigns=services.provider_campaigns(db, org.id),
        specifications=services.provider_specifications(db, org.id),
    )


@bp.route("/orgs/<int:org_id>/feedback/new", methods=["GET", "POST"])
@login_required
def new_campaign(org_id: int) -> str | Response:
    org = organisation_or_404(org_id)
    authorize(current_user, FeedbackAction.FEEDBACK_CREATE, org)
    db = get_session()
    form = CampaignForm()
    choices = services.provider_specifications(db, org.id)
    form.set_specifications(choices)
    if request.method == "GET" and not form.opens_on.data:
        today = utcnow().date()
        form.opens_on.data = today
    if form.validate_on_submit():
        try:
            campaign = services.create_campaign(
                db,
                org,
                kind=FeedbackKind(form.kind.data),
                title=form.title.data,
                opens_on=form.opens_on.data,
                closes_on=form.closes_on.data,
                specification_ids=form.specifications.data,
                actor=current_actor(),
            )
        except services.FeedbackError as exc:
            db.rollback()
            getattr(form, exc.field or "title").errors.append(exc.message)
        else:
            db.commit()
            flash(_("The campaign has been created. Now invite respondents."), "success")
            return redirect(url_for("feedback.campaign", campaign_id=campaign.id))
    return render_template(
        "feedback/new_campaign.html", org=org, form=form, has_specifications=bool(choices)
    )


@bp.get("/feedback/campaigns/<int:campaign_id>")
@login_required
def campaign(campaign_id: int) -> str:
    target = _campaign_or_404(campaign_id)
    db = get_session()
    summary = services.summaries(db, [target])[0]
    return render_template(
        "feedback/campaign.html",
        campaign=target,
        questionnaire_title=version_title(target.questionnaire_version),
        summary=summary,
        threshold=_threshold(target),
        specifications=sorted(
            services.specification_titles(db, target.specification_ids).items(),
            key=lambda pair: pair[1].casefold(),
        ),
    )


@bp.route("/feedback/campaigns/<int:campaign_id>/close", methods=["GET", "POST"])
@login_required
def close(campaign_id: int) -> str | Response:
    """GET: the confirmation page, which says what will happen; POST: close."""
    target = _campaign_or_404(campaign_id, FeedbackAction.FEEDBACK_MANAGE)
    form = ConfirmForm()
    if request.method == "GET":
        return _close_confirmation(target)
    if form.validate_on_submit():
        db = get_session()
        try:
            services.close_campaign(db, target, current_actor())
        except services.FeedbackError as exc:
            db.rollback()
            flash(exc.message, "error")
        else:
            db.commit()
            flash(_("The campaign is closed; its links and codes no longer work."), "success")
    return redirect(url_for("feedback.campaign", campaign_id=target.id))


def _close_confirmation(target: Campaign) -> str | Response:
    summary = services.summaries(get_session(), [target])[0]
    back = url_for("feedback.campaign", campaign_id=target.id)
    if summary.status == CampaignStatus.CLOSED:
        flash(_("This campaign is already closed."), "info")
        return redirect(back)
    return render_template(
        "web/confirm.html",
        heading=_("Close the campaign “%(title)s” now?", title=target.title),
        facts=[
            _(
                "Answers are no longer accepted. Links and codes not yet used stop working "
                "at once: %(n)d.",
                n=summary.invited - summary.used,
            ),
            _(
                "The addresses of the people invited by email are erased and no more "
                "reminders are sent. Invited by email: %(n)d.",
                n=summary.emails,
            ),
            _(
                "The answers received are kept and the results stay available. Answers "
                "received: %(n)d.",
                n=summary.responses,
            ),
            _("A closed campaign cannot be opened again."),
        ],
        action=url_for("feedback.close", campaign_id=target.id),
        button_label=_("Close the campaign"),
        variant="warning",
        cancel_url=back,
        back_label=_("Back to the campaign"),
    )


@bp.route("/feedback/campaigns/<int:campaign_id>/invitations", methods=["GET", "POST"])
@login_required
def invite(campaign_id: int) -> str | Response | tuple[str, int]:
    target = _campaign_or_404(campaign_id, FeedbackAction.FEEDBACK_MANAGE)
    form = AddressFileForm()
    problems: list[services.AddressProblem] = []
    if form.validate_on_submit():
        db = get_session()
        data = form.file.data.read(services.MAX_ADDRESS_FILE_BYTES + 1)
        try:
            count = services.invite_by_email(db, target, data, current_actor(), _base_url())
        except services.AddressListRejected as exc:
            db.rollback()
            problems = exc.problems
            form.file.errors.append(exc.message)
        except services.FeedbackError as exc:
            db.rollback()
            form.file.errors.append(exc.message)
        else:
            db.commit()
            flash(_("%(n)d invitations are on their way through the outbox.", n=count), "success")
            return redirect(url_for("feedback.campaign", campaign_id=target.id))
    status = 422 if form.errors else 200
    return (
        render_template("feedback/invite.html", campaign=target, form=form, problems=problems),
        status,
    )


@bp.post("/feedback/campaigns/<int:campaign_id>/reminders")
@login_required
def remind(campaign_id: int) -> Response:
    target = _campaign_or_404(campaign_id, FeedbackAction.FEEDBACK_MANAGE)
    if ConfirmForm().validate_on_submit():
        db = get_session()
        count = services.send_reminders(db, current_actor(), _base_url(), campaign=target)
        db.commit()
        if count:
            flash(_("%(n)d reminders are on their way.", n=count), "success")
        else:
            flash(
                _(
                    "Nobody to remind: everyone has answered, was reminded in the last "
                    "%(days)d days or has had %(max)d reminders.",
                    days=services.REMINDER_INTERVAL.days,
                    max=services.MAX_REMINDERS,
                ),
                "info",
            )
    return redirect(url_for("feedback.campaign", campaign_id=target.id))


@bp.route("/feedback/campaigns/<int:campaign_id>/codes", methods=["GET", "POST"])
@login_required
def codes(campaign_id: int) -> str | tuple[str, int]:
    target = _campaign_or_404(campaign_id, FeedbackAction.FEEDBACK_MANAGE)
    form = CodesForm()
    if form.validate_on_submit():
        db = get_session()
        try:
            printed = services.generate_codes(
                db, target, form.count.data, current_actor(), _base_url()
            )
        except services.FeedbackError as exc:
            db.rollback()
            form.count.errors.append(exc.message)
        else:
            db.commit()
            return render_template(
                "feedback/codes_print.html",
                campaign=target,
                codes=printed,
                closes_on=services.last_day(target),
                code_url=_base_url() + url_for("feedback.survey"),
            )
    return (
        render_template("feedback/codes.html", campaign=target, form=form),
        422 if form.errors else 200,
    )


@bp.get("/feedback/campaigns/<int:campaign_id>/results")
@login_required
def results_page(campaign_id: int) -> str:
    target = _campaign_or_404(campaign_id)
    found = results.campaign_results(get_session(), target, _threshold(target))
    return render_template(
        "feedback/results.html", campaign=target, results=found, charts=_charts(found)
    )


def _charts(found: results.CampaignResults) -> list[Any]:
    return charts.result_charts(found)


def _csv_response(lines: Any, name: str) -> Response:
    return Response(
        stream_with_session(lines),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@bp.get("/feedback/campaigns/<int:campaign_id>/answers.csv")
@login_required
def export_answers(campaign_id: int) -> Response:
    target = _campaign_or_404(campaign_id)
    db = get_session()
    threshold = _threshold(target)
    summary = services.summaries(db, [target])[0]
    if summary.responses < threshold:
        flash(_("There are not enough responses yet to export them."), "error")
        return redirect(url_for("feedback.results_page", campaign_id=target.id))
    questionnaire = qn.for_version(target.questionnaire_version)
    return _csv_response(
        exports.answers_csv(db, target, questionnaire, threshold),
        f"feedback-{target.id}-answers.csv",
    )


@bp.get("/feedback/campaigns/<int:campaign_id>/aggregates.csv")
@login_required
def export_aggregates(campaign_id: int) -> Response:
    target = _campaign_or_404(campaign_id)
    found = results.campaign_results(get_session(), target, _threshold(target))
    if not found.shown:
        flash(_("There are not enough responses yet to export results."), "error")
        return redirect(url_for("feedback.results_page", campaign_id=target.id))
    return _csv_response(exports.aggregates_csv(found), f"feedback-{target.id}-results.csv")


@bp.route("/feedback/campaigns/<int:campaign_id>/attach", methods=["GET", "POST"])
@login_required
def attach(campaign_id: int) -> str | Response | tuple[str, int]:
    target = _campaign_or_404(campaign_id, FeedbackAction.FEEDBACK_MANAGE)
    db = get_session()
    found = results.campaign_results(db, target, _threshold(target))
    cases = attach_service.attachable_cases(db, target.provider_id)
    form = AttachForm()
    form.case.choices = [
        SelectChoice(c.id, f"{c.reference} — {c.title or c.agency.display_name}") for c in cases
    ]
    if found.shown and form.validate_on_submit():
        case = next((c for c in cases if c.id == form.case.data), None)
        if case is None:
            abort(404)
        authorize(current_user, CaseAction.CASE_EDIT, case)
        try:
            attach_service.check_attachable(db, target, case)
        except services.FeedbackError as exc:
            form.case.errors.append(exc.message)
        else:
            # The PDF is rendered and stored by a background job (qaportal.jobs), off the
            # request; the status page follows the job.
            job = attach_service.queue_summary(
                db, target, case, actor=current_actor(), locale=str(get_locale() or "en")
            )
            db.commit()
            tasks.dispatch(job.id)
            return redirect(url_for("feedback.attach_status", campaign_id=target.id, job_id=job.id))
    return (
        render_template(
            "feedback/attach.html", campaign=target, form=form, results=found, cases=cases
        ),
        422 if form.errors else 200,
    )


@bp.get("/feedback/campaigns/<int:campaign_id>/attach/<job_id>")
@login_required
def attach_status(campaign_id: int, job_id: str) -> str:
    target = _campaign_or_404(campaign_id, FeedbackAction.FEEDBACK_MANAGE)
    db = get_session()
    job = attach_service.summary_job(db, target, job_id) or abort(404)
    return render_template(
        "feedback/attach_status.html",
        campaign=target,
        job=job_runner.status_of(db, job),
        form=ConfirmForm(),
    )


@bp.post("/feedback/campaigns/<int:campaign_id>/attach/<job_id>/retry")
@login_required
def attach_retry(campaign_id: int, job_id: str) -> Response:
    target = _campaign_or_404(campaign_id, FeedbackAction.FEEDBACK_MANAGE)
    db = get_session()
    job = attach_service.summary_job(db, target, job_id) or abort(404)
    case = attach_service.summary_job_case(db, job)
    if case is not None:
        authorize(current_user, CaseAction.CASE_EDIT, case)
    if ConfirmForm().validate_on_submit():
        try:
            job_services.retry(db, job, current_actor())
        except job_services.JobError:
            db.rollback()
            flash(_("Only a job that failed can be tried again."), "error")
        else:
            db.commit()
            tasks.dispatch(job.id)
    return redirect(url_for("feedback.attach_status", campaign_id=target.id, job_id=job.id))


@bp.get("/orgs/<int:org_id>/feedback/specifications/<int:spec_id>")
@login_required
def trend(org_id: int, spec_id: int) -> str:
    org = organisation_or_404(org_id)
    authorize(current_user, FeedbackAction.FEEDBACK_LIST, org)
    db = get_session()
    spec = db.get(Specification, spec_id)
    if spec is None or spec.provider_id != org.id:
        abort(404)
    try:
        kind = FeedbackKind(request.args.get("kind", FeedbackKind.LEARNER.value))
    except ValueError:
        abort(404)
    threshold = services.threshold_for(db, org.managing_agency_id, _threshold_default())
    return render_template(
        "feedback/trend.html",
        org=org,
        spec_id=spec.id,
        title=services.specification_titles(db, [spec.id])[spec.id],
        trend=results.specification_trend(db, org.id, spec.id, kind, threshold),
        kinds=list(FeedbackKind),
    )


# ----- agency settings ---------------------------------------------------------------------


@bp.route("/agencies/<int:agency_id>/feedback-settings", methods=["GET", "POST"])
@login_required
def settings(agency_id: int) -> str | Response | tuple[str, int]:
    agency = organisation_or_404(agency_id)
    authorize(current_user, FeedbackAction.FEEDBACK_SETTINGS, agency)
    db = get_session()
    form = ThresholdForm()
    if request.method == "GET":
        form.min_responses.data = services.threshold_for(db, agency.id, _threshold_default())
    if form.validate_on_submit():
        try:
            services.set_threshold(db, agency, form.min_responses.data, current_actor())
        except services.FeedbackError as exc:
            db.rollback()
            form.min_responses.errors.append(exc.message)
        else:
            db.commit()
            flash(_("The feedback settings have been saved."), "success")
            return redirect(url_for("feedback.settings", agency_id=agency.id))
    return (
        render_template("feedback/settings.html", agency=agency, form=form),
        422 if form.errors else 200,
    )


# ----- respondents (no account) -------------------------------------------------------------


def _pass_minutes() -> int:
    return int(_config("FEEDBACK_PASS_MINUTES", 180))


def _store_pass(invitation_id: int, campaign_id: int) -> None:
    session[PASS_KEY] = {
        "i": invitation_id,
        "c": campaign_id,
        "x": int(time.time()) + 60 * _pass_minutes(),
    }


def _current_pass() -> tuple[int, int] | None:
    entry = session.get(PASS_KEY)
    if not isinstance(entry, dict):
        return None
    try:
        invitation_id, campaign_id, expires = int(entry["i"]), int(entry["c"]), int(entry["x"])
    except (KeyError, TypeError, ValueError):
        session.pop(PASS_KEY, None)
        return None
    if expires < time.time():
        session.pop(PASS_KEY, None)
        return None
    return invitation_id, campaign_id


PROBLEM_STATUS = {"unknown": 404, "used": 410, "closed": 410, "not_open": 200, "no_pass": 400}


def _problem_page(reason: str, campaign: Campaign | None = None) -> tuple[str, int]:
    info = None
    if campaign is not None:
        info = {
            "title": campaign.title,
            "opens_on": campaign.opens_at.date(),
            "closes_on": services.last_day(campaign),
        }
    return (
        render_template("feedback/respondent_problem.html", reason=reason, campaign=info),
        PROBLEM_STATUS.get(reason, 400),
    )


def _remember_problem(problem: services.LinkProblem) -> None:
    campaign = problem.campaign
    session[PROBLEM_KEY] = {
        "reason": problem.reason,
        "title": campaign.title if campaign else None,
        "opens_on": campaign.opens_at.date().isoformat() if campaign else None,
        "closes_on": services.last_day(campaign).isoformat() if campaign else None,
    }


LANGUAGE_NOTE_KEY = "feedback_language_note"
_LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


def _choose_language(campaign: Campaign, requested: str | None) -> None:
    """A link's ``?lang=`` (the language of the invitation) sets the respondent's interface
    and survey language; a language the campaign does not offer falls back to the agency's
    default, and the survey page says so."""
    session.pop(LANGUAGE_NOTE_KEY, None)
    if requested is None:
        return
    requested = requested.strip()[:20]
    agency = campaign.provider.managing_agency
    chosen, fell_back = qn.survey_language(
        campaign.questionnaire_version,
        requested,
        current_app.config["LANGUAGES"],
        agency.text_language if agency is not None else None,
    )
    session["lang"] = chosen
    if fell_back:
        session[LANGUAGE_NOTE_KEY] = requested if _LANGUAGE_TAG.match(requested) else ""


def _redeem(token: str | None, requested_language: str | None = None) -> Response:
    session.pop(PASS_KEY, None)
    try:
        invitation = services.redeem(get_session(), token)
    except services.LinkProblem as problem:
        _remember_problem(problem)
    else:
        _store_pass(invitation.id, invitation.campaign_id)
        _choose_language(invitation.campaign, requested_language)
    return redirect(url_for("feedback.survey"), code=303)


@bp.get("/f/<token>")
@limiter.limit(_redeem_limit)
def redeem(token: str) -> Response:
    """Exchange the token for a short-lived pass, and take the token out of the address bar."""
    return _redeem(token, request.args.get("lang"))


@bp.post("/f/code")
@limiter.limit(_redeem_limit)
def enter_code() -> Response | tuple[str, int]:
    form = CodeEntryForm()
    if form.validate_on_submit():
        # A typed code opens the survey in the language asked for, as a link does
        return _redeem(form.code.data, form.lang.data or str(get_locale() or ""))
    return _code_entry_page(form, form.lang.data, 422)


def _code_entry_page(
    form: CodeEntryForm, requested: str | None, status: int = 200
) -> tuple[str, int]:
    """The entry page, in the language asked for if the portal speaks it: shown without
    storing anything, the choice is made when a code is redeemed."""
    requested = (requested or "").strip()[:20]
    form.lang.data = requested
    languages = current_app.config["LANGUAGES"]
    with force_locale(requested if requested in languages else str(get_locale() or "en")):
        return render_template("feedback/enter_code.html", form=form), status


def _language_note() -> str | None:
    """Why the survey is not in the language its link asked for, if it is not."""
    requested = session.get(LANGUAGE_NOTE_KEY)
    if requested is None:
        return None
    shown = geo.language_name(str(get_locale() or "en"))
    if requested:
        return _(
            "This survey is not available in %(requested)s; it is shown in %(shown)s.",
            requested=geo.language_name(str(requested)),
            shown=shown,
        )
    return _(
        "This survey is not available in the language the link asked for; it is shown in "
        "%(shown)s.",
        shown=shown,
    )


# The questions of an unanswered survey form, rendered, by form class and language. The form
# class stands for one questionnaire version in one language and one list of
# micro-credentials (see survey_form_class), so with no answers and no errors its fields
# always render alike; rendering the 80-odd radio buttons was most of the page's time. The
# key keeps the class alive, so its identity cannot be reused.
_FIELDS_HTML: Memo[tuple[type[Any], str], Markup] = Memo(512)


def _items_by_section(form: Any, context: services.SurveyContext) -> list[tuple[Any, list[Any]]]:
    return [
        (section, [form.item_field(item) for item in section.items])
        for section in context.questionnaire.sections
    ]


def _fields_html(form_class: type[Any], context: services.SurveyContext) -> Markup:
    """The rendered questions of a form nobody has filled in yet (a GET of the survey)."""
    key = (form_class, str(get_locale() or ""))
    html = _FIELDS_HTML.get(key)
    if html is None:
        form = form_class()
        html = Markup(  # noqa: S704 - the output of an autoescaping template
            render_template(
                "feedback/_survey_fields.html",
                form=form,
                items_by_section=_items_by_section(form, context),
            )
        )
        # Templates edited while the development server runs must show at once.
        if not current_app.jinja_env.auto_reload:
            _FIELDS_HTML.put(key, html)
    return html


def _survey_page(
    form: Any,
    context: services.SurveyContext,
    status: int = 200,
    *,
    fields_html: Markup | None = None,
) -> tuple[str, int]:
    """``fields_html``: the questions, already rendered (a fresh form); without it they are
    rendered from ``form`` (its answers and errors)."""
    return (
        render_template(
            "feedback/survey.html",
            form=form,
            survey=context,
            language_note=_language_note(),
            fields_html=fields_html,
            items_by_section=[] if fields_html else _items_by_section(form, context),
        ),
        status,
    )


@bp.get("/f")
def survey() -> str | tuple[str, int]:
    problem = session.pop(PROBLEM_KEY, None)
    if isinstance(problem, dict):
        return render_template(
            "feedback/respondent_problem.html",
            reason=problem.get("reason"),
            campaign=problem if problem.get("title") else None,
        ), PROBLEM_STATUS.get(str(problem.get("reason")), 400)
    current = _current_pass()
    if current is None:
        return _code_entry_page(CodeEntryForm(), request.args.get("lang"))
    db = get_session()
    try:
        invitation = services.usable_invitation(db, *current)
    except services.LinkProblem as problem:
        session.pop(PASS_KEY, None)
        return _problem_page(problem.reason, problem.campaign)
    context = services.survey_context(db, invitation)
    form_class = survey_form_class(context.questionnaire, context.specifications)
    # The page's own form only carries the CSRF token (the same for every form of the
    # session); the questions come rendered.
    return _survey_page(ConfirmForm(), context, fields_html=_fields_html(form_class, context))


def _plain_answers(form_class: type[SurveyFormBase]) -> services.Answers | None:
    """The answers of a submission the survey form would accept, read without building it
    (see ``SurveyFormBase.plain_answers``); ``None``: build the form. Only where the form
    would read ``request.form`` alone (Flask-WTF reads files, or a JSON body, instead) and
    CSRFProtect has checked the token, as the form's own check then relies on too
    (``g.csrf_valid``)."""
    if request.files or not request.form or not g.get("csrf_valid", False):
        return None
    return form_class.plain_answers(request.form)


@bp.post("/f")
@limiter.limit(_submit_limit)
def submit() -> Response | tuple[str, int]:
    current = _current_pass()
    if current is None:
        return _problem_page("no_pass")
    db = get_session()
    try:
        # Plain columns, not the invitation with its campaign as ORM objects: only a
        # submission that fails shows a page that needs them.
        target = services.submission_target(db, *current)
    except services.LinkProblem as problem:
        session.pop(PASS_KEY, None)
        return _problem_page(problem.reason, problem.campaign)
    specifications = services.specification_choices(db, target.specification_ids, titles=False)
    form_class = survey_form_class(target.questionnaire, specifications)
    form = None
    answers = _plain_answers(form_class)
    if answers is None:
        form, answers = _checked_form(form_class)
        if answers is None:
            return _refused(db, current, form)
    try:
        services.store_response(db, target, answers)
    except services.LinkProblem as problem:
        db.rollback()
        session.pop(PASS_KEY, None)
        return _problem_page(problem.reason, problem.campaign)
    except services.SubmissionError as exc:
        db.rollback()
        form = form or _checked_form(form_class)[0]  # the page shows what was typed
        form.form_errors.append(exc.message)
        return _refused(db, current, form)
    db.commit()
    session.pop(PASS_KEY, None)
    session.pop(LANGUAGE_NOTE_KEY, None)
    return redirect(url_for("feedback.thanks"), code=303)


def _checked_form(form_class: type[SurveyFormBase]) -> tuple[SurveyFormBase, Any]:
    """The survey form read from the request, and its answers if it accepts them."""
    form = form_class()
    unknown = form.unknown_fields(list(request.form.keys()))
    valid = form.validate_on_submit()
    if unknown:
        form.form_errors.append(
            _(
                "Your answers include questions this survey does not have (%(codes)s). "
                "Nothing was stored; please check your answers and send them again.",
                codes=", ".join(unknown)[:200],
            )
        )
        return form, None
    return form, form.answers() if valid else None


def _refused(db: Any, current: tuple[int, int], form: SurveyFormBase) -> tuple[str, int]:
    """The survey again, with what was typed and what is wrong; it needs the campaign."""
    try:
        invitation = services.usable_invitation(db, *current)
    except services.LinkProblem as problem:  # used meanwhile, in another tab
        session.pop(PASS_KEY, None)
        return _problem_page(problem.reason, problem.campaign)
    return _survey_page(form, services.survey_context(db, invitation), 422)


@bp.get("/f/thanks")
def thanks() -> str:
    return render_template("feedback/thanks.html")


# ----- commands ----------------------------------------------------------------------------


@bp.cli.command("remind")
@click.option("--campaign", "campaign_id", type=int, help="Only this campaign.")
@click.option(
    "--interval-days",
    type=int,
    default=services.REMINDER_INTERVAL.days,
    show_default=True,
    help="Days since the last message before an invitee is reminded again.",
)
@with_appcontext
def remind_command(campaign_id: int | None, interval_days: int) -> None:
    """Remind invitees who have not answered; sweep campaigns that have closed."""
    import datetime as dt

    db = get_session()
    actor = Actor.system("cli")
    swept = services.sweep_closed_campaigns(db, actor)
    target = None
    if campaign_id is not None:
        target = db.get(Campaign, campaign_id)
        if target is None:
            raise click.ClickException(f"no campaign {campaign_id}")
    count = services.send_reminders(
        db,
        actor,
        str(current_app.config["BASE_URL"]),
        campaign=target,
        interval=dt.timedelta(days=interval_days),
    )
    db.commit()
    click.echo(f"{count} reminders queued; {swept} closed campaigns swept.")


@bp.cli.command("sweep")
@with_appcontext
def sweep_command() -> None:
    """Erase the addresses of closed campaigns and re-write their invitations."""
    db = get_session()
    swept = services.sweep_closed_campaigns(db, Actor.system("cli"))
    db.commit()
    click.echo(f"{swept} closed campaigns swept.")


@bp.cli.command("rebuild-aggregates")
@click.option("--campaign", "campaign_ids", type=int, multiple=True, help="Only this campaign.")
@with_appcontext
def rebuild_aggregates_command(campaign_ids: tuple[int, ...]) -> None:
    """Recount the results of campaigns from their stored answers (after a bulk import)."""
    from sqlalchemy import select

    from qaportal.feedback import aggregates

    db = get_session()
    ids = list(campaign_ids) or list(db.execute(select(Campaign.id)).scalars())
    aggregates.refresh_statistics(db)
    aggregates.rebuild(db, ids)
    db.commit()
    click.echo(f"{len(ids)} campaigns recounted.")
