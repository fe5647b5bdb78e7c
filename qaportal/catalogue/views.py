"""Catalogue pages: provider staff edit specifications; everyone reads the public catalogue.

Thin views: load, ``authorize``, call a service, render. Staff pages live under the
provider (``/orgs/<org_id>/catalogue``); a specification of another provider is a 404.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    get_template_attribute,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from qaportal.access.policy import authorize, can
from qaportal.catalogue import cli, public_reads, search, services
from qaportal.catalogue.access import CatalogueAction
from qaportal.catalogue.completeness import ISSUED_CREDENTIAL_ELEMENTS, check_completeness
from qaportal.catalogue.forms import CatalogueFilterForm, SpecificationForm, choice
from qaportal.catalogue.labels import STATUS_LABELS
from qaportal.catalogue.models import (
    FacetKind,
    ParticipationForm,
    Specification,
    SpecificationVersion,
)
from qaportal.catalogue.validation import EQF_LEVELS
from qaportal.db import get_session
from qaportal.memo import Memo
from qaportal.orgs import geo
from qaportal.orgs.labels import provider_type_label
from qaportal.orgs.models import OrgKind, ProviderType
from qaportal.web.cache import cached_public_data, public_page
from qaportal.web.context import current_actor
from qaportal.web.forms import PortalForm
from qaportal.web.loaders import organisation_or_404

bp = Blueprint("catalogue", __name__, cli_group="catalogue")
cli.register(bp)

PER_PAGE = 20

# Completeness element -> the form field its message belongs to.
ELEMENT_FIELDS = {
    "title": "title",
    "issuer_regions": "issuer_regions",
    "awarding_bodies": "awarding_bodies",
    "outcomes": "outcomes",
    "workload": "ects",
    "level": "eqf_level",
    "assessment_type": "assessment_type",
    "participation_form": "participation_form",
    "quality_assurance": "quality_assurance",
}


@bp.app_template_filter("catalogue_choice")
def _choice_label(value: Any, name: str) -> str:
    return services.display_value(name, value)


@bp.app_template_filter("ects")
def _ects(value: Decimal | None) -> str:
    return "" if value is None else f"{Decimal(value).normalize():f}"


@bp.app_template_filter("spec_status")
def _spec_status(status: Any) -> str:
    return str(STATUS_LABELS.get(status, status))


# Shown in the visitor's language (the exports keep the codes and English names).
bp.add_app_template_filter(geo.place_name, "catalogue_region")
bp.add_app_template_filter(geo.any_language_name, "catalogue_language")


# ----- loading -----------------------------------------------------------------------------


def _spec_or_404(org_id: int, spec_id: int) -> Specification:
    spec = services.load_specification(get_session(), spec_id, provider_id=org_id)
    if spec is None:
        abort(404)
    return spec


def _redirect_show(spec: Specification, **args: Any) -> Response:
    return redirect(url_for("catalogue.show", org_id=spec.provider_id, spec_id=spec.id, **args))


# ----- provider staff ----------------------------------------------------------------------


@bp.get("/orgs/<int:org_id>/catalogue")
@login_required
def index(org_id: int) -> str:
    org = organisation_or_404(org_id, OrgKind.PROVIDER)
    authorize(current_user, CatalogueAction.CATALOGUE_VIEW, org)
    return render_template(
        "catalogue/index.html",
        org=org,
        specifications=services.provider_specifications(get_session(), org.id),
        can_edit=can(current_user, CatalogueAction.CATALOGUE_EDIT, org),
    )


def _handle_row_buttons(form: SpecificationForm) -> bool:
    """ "Add another …" buttons: one more empty row, nothing saved. True when handled."""
    if form.add_outcome.data:
        if len(form.outcomes.entries) < (form.outcomes.max_entries or 40):
            form.outcomes.append_entry()
        return True
    if form.add_body.data:
        if len(form.awarding_bodies.entries) < (form.awarding_bodies.max_entries or 10):
            form.awarding_bodies.append_entry()
        return True
    return False


def _show_problems(form: SpecificationForm, problems: dict[str, list[str]]) -> None:
    for name, messages in problems.items():
        for message in messages:
            form.add_problem(name, message)


def _show_missing(form: SpecificationForm, exc: services.IncompleteSpecification) -> None:
    for element in exc.report.missing:
        for message in element.messages:
            form.add_problem(ELEMENT_FIELDS[element.key], message)


@bp.route("/orgs/<int:org_id>/catalogue/new", methods=["GET", "POST"])
@login_required
def create(org_id: int) -> str | Response | tuple[str, int]:
    org = organisation_or_404(org_id, OrgKind.PROVIDER)
    authorize(current_user, CatalogueAction.CATALOGUE_EDIT, org)
    language = services.default_text_language(get_session(), org, str(get_locale() or ""))
    # A post without the field (a script, an old page) keeps the default; an empty or unknown
    # value is a field error.
    form = SpecificationForm(text_language=language, provider_country=org.country)
    if request.method == "GET":
        form.fill(services.SpecificationData(text_language=language))
    elif not _handle_row_buttons(form) and form.validate():
        db = get_session()
        data = form.to_data()
        if form.save_publish.data and services.is_blank(data):
            # Nothing to publish, and an empty draft would only clutter the catalogue.
            _show_missing(form, services.IncompleteSpecification(services.completeness_of(data)))
            flash(_("Nothing was saved or published: fill in the mandatory elements."), "error")
            form.ensure_spare_rows()
            return (
                render_template("catalogue/edit.html", org=org, form=form, spec=None, version=None),
                400,
            )
        try:
            version = services.create_specification(db, org, data, current_actor())
        except services.InvalidSpecification as exc:
            db.rollback()
            _show_problems(form, exc.problems)
        else:
            db.commit()
            if form.save_publish.data:
                return _publish_from_form(form, version)
            flash(_("Draft saved."), "success")
            return _redirect_show(version.specification)
    form.ensure_spare_rows()
    return render_template("catalogue/edit.html", org=org, form=form, spec=None, version=None)


def _publish_from_form(form: SpecificationForm, version: SpecificationVersion) -> str | Response:
    db = get_session()
    spec = version.specification
    try:
        services.publish(db, version, current_actor())
    except services.IncompleteSpecification as exc:
        db.rollback()
        _show_missing(form, exc)
        flash(
            _("The draft was saved but cannot be published: mandatory elements are missing."),
            "error",
        )
        # Continue on the draft's own edit page, with the messages beside the fields.
        form.lock_version.data = str(version.lock_version)
        form.ensure_spare_rows()
        return render_template(
            "catalogue/edit.html",
            org=spec.provider,
            form=form,
            spec=spec,
            version=version,
            action_url=url_for("catalogue.edit", org_id=spec.provider_id, spec_id=spec.id),
        )
    db.commit()
    flash(_("Version %(n)d is published.", n=version.number), "success")
    return _redirect_show(spec)


@bp.get("/orgs/<int:org_id>/catalogue/<int:spec_id>")
@login_required
def show(org_id: int, spec_id: int) -> str:
    spec = _spec_or_404(org_id, spec_id)
    authorize(current_user, CatalogueAction.SPEC_VIEW, spec)
    number = request.args.get("version", type=int)
    if number is not None:
        version = services.version_number(spec, number)
        if version is None:
            abort(404)
    else:
        version = services.draft_of(spec) or services.published_of(spec) or services.latest_of(spec)
    return render_template(
        "catalogue/show.html",
        org=spec.provider,
        spec=spec,
        version=version,
        draft=services.draft_of(spec),
        published=services.published_of(spec),
        report=check_completeness(version),
        issued_elements=ISSUED_CREDENTIAL_ELEMENTS,
        can_edit=can(current_user, CatalogueAction.SPEC_EDIT, spec) and spec.retired_at is None,
        can_retire=can(current_user, CatalogueAction.SPEC_RETIRE, spec) and spec.retired_at is None,
        can_delete=can(current_user, CatalogueAction.SPEC_EDIT, spec)
        and services.never_published(spec),
    )


@bp.route("/orgs/<int:org_id>/catalogue/<int:spec_id>/edit", methods=["GET", "POST"])
@login_required
def edit(org_id: int, spec_id: int) -> str | Response | tuple[str, int]:
    spec = _spec_or_404(org_id, spec_id)
    authorize(current_user, CatalogueAction.SPEC_EDIT, spec)
    version = services.draft_of(spec)
    if version is None or spec.retired_at is not None:
        flash(
            _("Published versions cannot change. Start a new version to edit this specification."),
            "info",
        )
        return _redirect_show(spec)
    form = SpecificationForm(
        text_language=version.text_language, provider_country=spec.provider.country
    )
    status = 200
    conflict = None
    if request.method == "GET":
        form.fill(services.SpecificationData.from_version(version), version.lock_version)
    elif not _handle_row_buttons(form) and form.validate():
        db = get_session()
        try:
            expected = int(form.lock_version.data or 0)
        except ValueError:
            expected = 0
        try:
            services.save_draft(
                db, version, form.to_data(), current_actor(), expected_lock_version=expected
            )
        except services.InvalidSpecification as exc:
            db.rollback()
            _show_problems(form, exc.problems)
        except services.EditConflict as exc:
            conflict = exc
            status = 409
            # Submitting again now overwrites the saved version, deliberately.
            form.lock_version.data = str(exc.current_lock_version)
        else:
            db.commit()
            if form.save_publish.data:
                return _publish_from_form(form, version)
            flash(_("Draft saved."), "success")
            return _redirect_show(spec)
    form.ensure_spare_rows()
    page = render_template(
        "catalogue/edit.html",
        org=spec.provider,
        form=form,
        spec=spec,
        version=version,
        conflict=conflict,
        action_url=url_for("catalogue.edit", org_id=spec.provider_id, spec_id=spec.id),
    )
    return page, status


def _publish_confirmation(spec: Specification, version: SpecificationVersion) -> str | Response:
    if not check_completeness(version).is_complete:
        flash(_("Publishing is possible once nothing is missing."), "error")
        return _redirect_show(spec)
    previous = services.published_of(spec)
    title = version.title or _("(untitled draft)")
    facts = [
        _(
            "Version %(n)d of “%(title)s” appears in the public catalogue and its exports "
            "for anyone to read.",
            n=version.number,
            title=title,
        ),
    ]
    if previous is not None:
        facts.append(
            _(
                "Version %(old)d is replaced: it leaves the public catalogue and stays in "
                "the history.",
                old=previous.number,
            )
        )
    facts.append(
        _(
            "A published version cannot change: later changes go into a new version, "
            "published in turn."
        )
    )
    return render_template(
        "web/confirm.html",
        heading=_("Publish version %(n)d of “%(title)s”?", n=version.number, title=title),
        rows=[(_("Provider"), spec.provider.display_name), (_("Version"), str(version.number))],
        facts=facts,
        action=url_for("catalogue.publish", org_id=spec.provider_id, spec_id=spec.id),
        hidden=[("lock_version", str(version.lock_version))],
        button_label=_("Publish version %(n)d", n=version.number),
        variant="",
        cancel_url=url_for("catalogue.show", org_id=spec.provider_id, spec_id=spec.id),
        back_label=_("Back to the draft"),
    )


@bp.route("/orgs/<int:org_id>/catalogue/<int:spec_id>/publish", methods=["GET", "POST"])
@login_required
def publish(org_id: int, spec_id: int) -> str | Response:
    """GET: the confirmation page, which says what will happen; POST: publish."""
    spec = _spec_or_404(org_id, spec_id)
    authorize(current_user, CatalogueAction.SPEC_EDIT, spec)
    version = services.draft_of(spec)
    if version is None or spec.retired_at is not None:
        flash(_("There is no draft to publish."), "error")
        return _redirect_show(spec)
    if request.method == "GET":
        return _publish_confirmation(spec, version)
    if request.form.get("lock_version") != str(version.lock_version):
        flash(_("The draft was changed since you opened it; review it and publish again."), "error")
        return _redirect_show(spec)
    db = get_session()
    try:
        services.publish(db, version, current_actor())
    except services.IncompleteSpecification as exc:
        db.rollback()
        flash(
            _(
                "Version %(n)d cannot be published: %(missing)s missing.",
                n=version.number,
                missing=", ".join(str(e.label) for e in exc.report.missing),
            ),
            "error",
        )
        return _redirect_show(spec)
    db.commit()
    flash(_("Version %(n)d is published.", n=version.number), "success")
    return _redirect_show(spec)


@bp.post("/orgs/<int:org_id>/catalogue/<int:spec_id>/new-version")
@login_required
def new_version(org_id: int, spec_id: int) -> Response:
    spec = _spec_or_404(org_id, spec_id)
    authorize(current_user, CatalogueAction.SPEC_EDIT, spec)
    db = get_session()
    try:
        version = services.new_version(db, spec, current_actor())
    except services.NotEditable:
        flash(_("A retired specification cannot change."), "error")
        return _redirect_show(spec)
    db.commit()
    flash(
        _(
            "Version %(n)d is a new draft; the published version stays public "
            "until you publish this one.",
            n=version.number,
        ),
        "success",
    )
    return redirect(url_for("catalogue.edit", org_id=spec.provider_id, spec_id=spec.id))


def _retire_confirmation(spec: Specification) -> str:
    published = services.published_of(spec)
    draft = services.draft_of(spec)
    title = (published or services.latest_of(spec)).title or _("(untitled draft)")
    facts = []
    if published is not None:
        facts.append(
            _(
                "Version %(n)d leaves the public catalogue and its exports; its public page "
                "says it is retired.",
                n=published.number,
            )
        )
    if draft is not None:
        facts.append(_("The draft of version %(n)d is retired unpublished.", n=draft.number))
    facts += [
        _("Nobody can edit, publish or start a new version of it any more."),
        _("Retiring cannot be undone; the history and the audit trail are kept."),
    ]
    return render_template(
        "web/confirm.html",
        heading=_("Retire “%(title)s”?", title=title),
        rows=[(_("Provider"), spec.provider.display_name)],
        facts=facts,
        action=url_for("catalogue.retire", org_id=spec.provider_id, spec_id=spec.id),
        button_label=_("Retire this micro-credential"),
        variant="warning",
        cancel_url=url_for("catalogue.show", org_id=spec.provider_id, spec_id=spec.id),
        back_label=_("Back to the micro-credential"),
    )


@bp.route("/orgs/<int:org_id>/catalogue/<int:spec_id>/retire", methods=["GET", "POST"])
@login_required
def retire(org_id: int, spec_id: int) -> str | Response:
    """GET: the confirmation page, which says what will happen; POST: retire."""
    spec = _spec_or_404(org_id, spec_id)
    authorize(current_user, CatalogueAction.SPEC_RETIRE, spec)
    if request.method == "GET":
        if spec.retired_at is not None:
            flash(_("This specification is already retired."), "info")
            return _redirect_show(spec)
        return _retire_confirmation(spec)
    db = get_session()
    try:
        services.retire(db, spec, current_actor())
    except services.NotEditable:
        flash(_("This specification is already retired."), "info")
        return _redirect_show(spec)
    db.commit()
    flash(_("The specification is retired and no longer in the public catalogue."), "success")
    return _redirect_show(spec)


@bp.route("/orgs/<int:org_id>/catalogue/<int:spec_id>/delete", methods=["GET", "POST"])
@login_required
def delete_draft(org_id: int, spec_id: int) -> str | Response:
    """GET: the confirmation page, which says what will happen; POST: delete."""
    spec = _spec_or_404(org_id, spec_id)
    authorize(current_user, CatalogueAction.SPEC_EDIT, spec)
    if not services.never_published(spec):
        flash(_("Published micro-credentials cannot be deleted; retire them instead."), "error")
        return _redirect_show(spec)
    form = PortalForm()  # the CSRF token is all a confirmation carries
    if not form.validate_on_submit():
        return render_template(
            "catalogue/delete.html",
            org=spec.provider,
            spec=spec,
            version=services.latest_of(spec),
            form=form,
        )
    db = get_session()
    title = services.latest_of(spec).title
    try:
        services.delete_draft(db, spec, current_actor())
    except services.InUse:
        db.rollback()
        flash(
            _(
                "This draft is named in a case or a feedback campaign and cannot be deleted; "
                "remove it there first."
            ),
            "error",
        )
        return _redirect_show(spec)
    db.commit()
    flash(_("The draft “%(title)s” is deleted.", title=title or _("Untitled")), "success")
    return redirect(url_for("catalogue.index", org_id=org_id))


@bp.get("/orgs/<int:org_id>/catalogue/<int:spec_id>/history")
@login_required
def history(org_id: int, spec_id: int) -> str:
    spec = _spec_or_404(org_id, spec_id)
    authorize(current_user, CatalogueAction.SPEC_VIEW, spec)
    versions = sorted(spec.versions, key=lambda v: v.number, reverse=True)
    numbers = [v.number for v in versions]
    new_n = request.args.get("b", type=int) or numbers[0]
    old_n = request.args.get("a", type=int) or (numbers[1] if len(numbers) > 1 else numbers[0])
    old, new = services.version_number(spec, old_n), services.version_number(spec, new_n)
    if old is None or new is None:
        abort(404)
    return render_template(
        "catalogue/history.html",
        org=spec.provider,
        spec=spec,
        versions=versions,
        diff=services.diff_versions(old, new),
        old=old,
        new=new,
    )


# ----- public catalogue --------------------------------------------------------------------


def _filter_form() -> tuple[CatalogueFilterForm, search.SearchQuery]:
    form = CatalogueFilterForm(request.args)
    form.validate()
    query = search.SearchQuery(
        text=(form.q.data or "") if not form.q.errors else "",
        country=(form.country.data or None) if not form.country.errors else None,
        language=(form.language.data or None) if not form.language.errors else None,
        page=request.args.get("page", 1, type=int) or 1,
        per_page=PER_PAGE,
        after_id=_cursor(request.args.get("after")),
    )
    if form.eqf.data in {str(n) for n in EQF_LEVELS}:
        query.eqf_level = int(form.eqf.data)
    # Blank (spaces only) passes the Optional validator: no bound, not a Decimal("") error.
    if (form.ects_min.data or "").strip() and not form.ects_min.errors:
        query.ects_min = Decimal(form.ects_min.data.strip())
    if (form.ects_max.data or "").strip() and not form.ects_max.errors:
        query.ects_max = Decimal(form.ects_max.data.strip())
    if form.form.data in {p.value for p in ParticipationForm}:
        query.participation_form = ParticipationForm(form.form.data)
    if form.provider_type.data in {t.value for t in ProviderType}:
        query.provider_type = ProviderType(form.provider_type.data)
    if form.accreditation.data in (
        search.AccreditationFilter.ACCREDITED,
        search.AccreditationFilter.NOT_YET,
    ):
        query.accreditation = form.accreditation.data
    return form, query


# Display labels of result rows, per (locale, kind, value): a result page shows 20 rows that
# mostly repeat a few dozen countries, languages and types, and each lookup through the
# template filters (pycountry, gettext) costs more than printing the row.
# A bound, not a size: distinct values are few (codes, levels, workloads).
_LABELS: Memo[tuple[str, str, Any], str] = Memo(20_000)
_LABEL_LOOKUPS: dict[str, Any] = {
    "country": geo.country_name,
    "language": geo.language_name,
    "provider_type": provider_type_label,
    "participation_form": lambda value: services.display_value("participation_form", value),
    "eqf": lambda n: _("EQF %(n)d", n=n),
    "ects": lambda ects: _("%(n)s ECTS", n=_ects(ects)),
    "hours": lambda n: ngettext("%(num)d hour", "%(num)d hours", n),
}
_SAFE_ID = re.compile(r"[A-Za-z0-9_-]+")


def _label(locale: str, kind: str, value: Any) -> str:
    key = (locale, kind, value)
    found = _LABELS.get(key)
    if found is None:
        found = _LABELS.put(key, str(_LABEL_LOOKUPS[kind](value)))
    return found


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One result as the results macro prints it: every string prepared once, in Python.

    The template escapes every one of them, translations included (its own ``_()`` would
    have trusted them; none holds markup)."""

    url: str
    title: str
    provider_url: str
    provider_name: str
    provider_type: str
    countries: str
    eqf: str | None
    workload: str | None
    participation: str
    languages: str
    accreditation: str


def _result_rows(page: search.SearchPage) -> list[ResultRow]:
    locale = str(get_locale() or "")
    # One url_for per page, the id put in its place: ids are [A-Za-z0-9_-] (checked, else
    # url_for), which a path keeps as they are.
    detail = url_for("catalogue.public_detail", public_id="0").rsplit("/", 1)[0] + "/"
    provider = url_for("catalogue.provider_public", org_id=0).split("/0/", 1)
    accredited = _("Provider accredited")
    not_yet = _("Provider not yet accredited")
    rows = []
    for e in page.items:
        facets = page.facets.get(e.id, [])
        countries = [value for kind, value in facets if kind == "country"]
        languages = [value for kind, value in facets if kind == "language"]
        if e.ects is not None:
            workload: str | None = _label(locale, "ects", e.ects)
        elif e.hours:
            workload = _label(locale, "hours", e.hours)
        else:
            workload = None
        rows.append(
            ResultRow(
                url=detail + e.public_id
                if _SAFE_ID.fullmatch(e.public_id)
                else url_for("catalogue.public_detail", public_id=e.public_id),
                title=e.title,
                provider_url=f"{provider[0]}/{e.provider.id}/{provider[1]}",
                provider_name=e.provider.display_name,
                provider_type=_label(locale, "provider_type", e.provider.provider_type),
                countries=", ".join(_label(locale, "country", c) for c in countries),
                eqf=_label(locale, "eqf", e.eqf_level) if e.eqf_level else None,
                workload=workload,
                participation=_label(locale, "participation_form", e.participation_form)
                if e.participation_form
                else "",
                languages=", ".join(_label(locale, "language", c) for c in languages),
                accreditation=accredited
                if page.accreditation.get(e.provider_id) == "accredited"
                else not_yet,
            )
        )
    return rows


def _set_choices(form: CatalogueFilterForm) -> None:
    """The choices drawn from the catalogue: only the rendering reads them (the filters'
    values are checked where the query is built, ``validate_choice=False``)."""
    counts = search.cached_facet_counts(get_session())
    form.country.choices = [choice("", _("Any country"))] + [
        choice(code, f"{geo.place_name(code)} ({n})") for code, n in counts[FacetKind.COUNTRY]
    ]
    form.language.choices = [choice("", _("Any language"))] + [
        choice(code, f"{geo.any_language_name(code)} ({n})")
        for code, n in counts[FacetKind.LANGUAGE]
    ]
    form.provider_type.choices = [choice("", _("Any type"))] + [
        choice(t.value, provider_type_label(t)) for t in ProviderType
    ]


FILTER_FIELDS = (
    "country",
    "eqf",
    "ects_min",
    "ects_max",
    "form",
    "language",
    "provider_type",
    "accreditation",
)


# The fieldset's text inputs; its other fields are selects.
_TEXT_FILTERS = frozenset({"ects_min", "ects_max"})


def _render_filters(form: CatalogueFilterForm) -> Markup:
    _set_choices(form)
    # The macro's output is Markup: the fields escape the visitor's values.
    html: Markup = get_template_attribute("catalogue/_filters.html", "filters")(form)
    return html


def _blank_filters_html() -> Markup:
    """The filter fieldset (some 180 options) with no value chosen: the same for every
    visitor of a locale until the next publication (its counts change), so it is kept under
    the public version. Rendered from an empty form, never the visitor's."""
    return cached_public_data(
        f"catalogue-filters:{get_locale() or ''}",
        lambda: _render_filters(CatalogueFilterForm(MultiDict())),
    )


def _attribute(value: str) -> str:
    """``value`` as WTForms' ``html_params`` writes it between double quotes."""
    return str(escape(value).replace(Markup('"'), Markup("&quot;")))


def _with_values(blank: str, form: CatalogueFilterForm) -> Markup | None:
    """The blank fieldset showing the visitor's values as WTForms writes them: in a select,
    the options of the chosen value marked ``selected`` (none if no option has it, as
    WTForms does with an unknown value); in a text input, the typed value. Each change stays
    inside its own field's element. None if an element is not as expected (the caller then
    renders the form): rendering each request through WTForms cost a third of the page."""
    html = blank
    for name in FILTER_FIELDS:
        field = form[name]
        if name in _TEXT_FILTERS:
            value = field._value()
            if not value:
                continue
            start = html.find(f'<input id="{field.id}" ')
            end = html.find(">", start)
            if start < 0 or end < 0 or not html[start:end].endswith(' value=""'):
                return None
            # Between the quotes of the empty value, the last attribute (sorted by name).
            html = f"{html[: end - 1]}{_attribute(value)}{html[end - 1 :]}"
        elif field.data is not None:
            if not isinstance(field.data, str):
                return None
            start = html.find(f'<select id="{field.id}" ')
            end = html.find("</select>", start)
            if start < 0 or end < 0:
                return None
            option = f'<option value="{_attribute(field.data)}">'
            chosen = f'<option selected value="{_attribute(field.data)}">'
            html = f"{html[:start]}{html[start:end].replace(option, chosen)}{html[end:]}"
    return Markup(html)  # noqa: S704 - built from the rendered fieldset and escaped values


def _filters_html(form: CatalogueFilterForm) -> Markup:
    """The filter fieldset: the kept blank one, showing the visitor's values if any. A field
    with errors (its message, ``aria-invalid``) is rendered through WTForms, as is the
    fieldset whenever the blank one cannot take the values."""
    if not any(name in request.args for name in FILTER_FIELDS):
        return _blank_filters_html()
    if not any(form[name].errors for name in FILTER_FIELDS):
        fast = _with_values(str(_blank_filters_html()), form)
        if fast is not None:
            return fast
    return _render_filters(form)


def _cursor(value: str | None) -> int | None:
    """The keyset cursor of a "Next" link; anything else is ignored (the page number rules)."""
    return int(value) if value and value.isascii() and value.isdigit() and len(value) < 10 else None


def _filter_args(form: CatalogueFilterForm) -> dict[str, str]:
    return {name: field.data for name, field in form._fields.items() if field.data}


@bp.get("/catalogue")
@public_page
def public_index() -> str:
    form, query = _filter_form()
    page = search.search(get_session(), query)
    return render_template(
        "catalogue/public_index.html",
        form=form,
        page=page,
        filters_html=_filters_html(form),
        rows=_result_rows(page),
        args=_filter_args(form),
        searched=bool(request.args),
    )


def _facts_html(session: Any, found: public_reads.PublishedSpecification) -> Markup:
    """The Annex I elements, the note and the download links of a published version. A
    published version never changes (a change is a new version), and none of this names the
    provider, its accreditation or the visitor: rendered once per language and version."""

    def render() -> Markup:
        html: Markup = get_template_attribute("catalogue/_public_facts.html", "public_facts")(
            public_reads.full_version(session, found), found.public_id, ISSUED_CREDENTIAL_ELEMENTS
        )
        return html

    return cached_public_data(
        f"catalogue-facts:{get_locale() or ''}:{found.version_id}:{found.public_id}", render
    )


@bp.get("/catalogue/<public_id>")
@public_page
def public_detail(public_id: str) -> str:
    if len(public_id) > 36:
        abort(404)
    db = get_session()
    found = public_reads.published(db, public_id)
    if found is None:
        abort(404)
    # A case's scope holds only its provider's specifications (cases.services.open_case),
    # so a specification is offered under a current accreditation only if its provider is
    # accredited now: the register is asked only then.
    offered_under = (
        search.AccreditationFilter.for_specs([found.specification_id]).get(found.specification_id)
        if found.accreditation == search.AccreditationFilter.ACCREDITED
        else None
    )
    return render_template(
        "catalogue/public_detail.html",
        version=found.version,
        provider_id=found.provider_id,
        provider_name=found.provider_name,
        provider_type=found.provider_type,
        accreditation=found.accreditation,
        offered_under=offered_under,
        facts_html=_facts_html(db, found),
    )


@bp.get("/catalogue/<public_id>/elm-credential-template.jsonld")
def elm_credential_template(public_id: str) -> Response:
    """The unsigned European Digital Credential template of a published specification."""
    from qaportal.catalogue import exports_edc
    from qaportal.register import elm as register_elm  # the register reads the catalogue

    version = (
        services.published_by_public_id(get_session(), public_id) if len(public_id) <= 36 else None
    )
    if version is None:
        abort(404)
    base = current_app.config["BASE_URL"]
    document = exports_edc.build_credential_template(
        version,
        base,
        accreditation=register_elm.catalogue_accreditation(get_session(), version, base),
    )
    response = Response(
        json.dumps(document, ensure_ascii=False, indent=2) + "\n", mimetype=exports_edc.MEDIA_TYPE
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{exports_edc.filename(version)}"'
    )
    response.headers["Access-Control-Allow-Origin"] = "*"  # public data, fetched by issuers
    return response


@bp.get("/providers/<int:org_id>/catalogue")
@public_page
def provider_public(org_id: int) -> str:
    provider = public_reads.provider(get_session(), org_id)
    if provider is None:
        abort(404)
    page = search.provider_page(
        get_session(),
        provider,
        provider.accreditation,
        page=request.args.get("page", 1, type=int) or 1,
        per_page=PER_PAGE,
        after_id=_cursor(request.args.get("after")),
    )
    return render_template(
        "catalogue/provider_public.html",
        provider=provider,
        page=page,
        rows=_result_rows(page),
        accreditation=provider.accreditation,
    )
