"""Fixed WTForms classes of the catalogue: the specification editor and the public filters.

Numbers are text inputs validated by :mod:`qaportal.catalogue.validation`, so an impossible
value comes back exactly as typed, with a message beside the field.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms import SelectChoice as choice
from wtforms.validators import Length, Optional, ValidationError

from qaportal.catalogue import validation as v
from qaportal.catalogue.labels import (
    AWARDING_BODY_LABELS,
    CYCLE_LABELS,
    FIELD_LABELS,
    INTEGRATION_LABELS,
    PARTICIPATION_LABELS,
    SUPERVISION_LABELS,
    text_language_choices,
)
from qaportal.catalogue.nqf import framework_for, nqf_problem
from qaportal.catalogue.services import OutcomeData, SpecificationData
from qaportal.web.forms import PortalForm, PortalSubform

MIN_OUTCOME_ROWS = 3
MIN_BODY_ROWS = 1
EMPTY_CHOICE = choice("", _l("— not given —"))


def _check(problem_of: Any) -> Any:
    def validator(_form: Any, field: Any) -> None:
        value = (field.data or "").strip() if isinstance(field.data, str) else field.data
        problem = problem_of(value)
        if problem:
            raise ValidationError(problem)

    return validator


def _check_codes(problem_of: Any, split: Any) -> Any:
    def validator(_form: Any, field: Any) -> None:
        problems = [p for p in (problem_of(code) for code in split(field.data or "")) if p]
        if problems:
            raise ValidationError(" ".join(problems))

    return validator


def _one_of(labels: dict[Any, Any]) -> Any:
    allowed = {key.value for key in labels}

    def validator(_form: Any, field: Any) -> None:
        if field.data not in (None, "") and field.data not in allowed:
            raise ValidationError(_l("Not a valid choice."))

    return validator


def _enum_select(name: str, labels: dict[Any, Any]) -> SelectField:
    return SelectField(
        FIELD_LABELS[name],
        choices=_choices(labels),
        validate_choice=False,
        validators=[_one_of(labels)],
        default="",
    )


def _choices(labels: dict[Any, Any]) -> list[Any]:
    return [EMPTY_CHOICE] + [choice(key.value, label) for key, label in labels.items()]


class OutcomeForm(PortalSubform):
    statement = TextAreaField(
        _l("Statement"),
        validators=[Optional(), Length(max=v.OUTCOME_MAX)],
        render_kw={"rows": 2},
    )
    esco_uri = StringField(
        _l("ESCO skill URI (optional)"),
        validators=[Optional(), Length(max=v.SHORT_TEXT_MAX), _check(v.esco_problem)],
        description=_l("e.g. http://data.europa.eu/esco/skill/…"),
        render_kw={"inputmode": "url"},
    )


def _name_when_details(form: Any, field: Any) -> None:
    # Not combined with Optional(): on an empty field it clears the errors found before it.
    if not (field.data or "").strip() and any(
        (form[key].data or "").strip() for key in AWARDING_BODY_DETAILS
    ):
        raise ValidationError(_l("The awarding body needs a name."))


class AwardingBodyForm(PortalSubform):
    name = StringField(
        AWARDING_BODY_LABELS["name"],
        validators=[_name_when_details, Length(max=v.SHORT_TEXT_MAX)],
    )
    url = StringField(
        _l("Web address (optional)"),
        validators=[Optional(), Length(max=v.URL_MAX), _check(v.url_problem)],
        render_kw={"inputmode": "url"},
    )
    legal_id = StringField(
        _l("Legal identifier (optional)"),
        description=_l("e.g. the business register number, LEI or national education code."),
        validators=[Optional(), Length(max=80)],
    )
    vat_id = StringField(
        _l("VAT identifier (optional)"),
        description=_l("With the country prefix, e.g. DE123456789."),
        validators=[Optional(), Length(max=40), _check(v.vat_id_problem)],
    )
    country = StringField(
        _l("Country (optional)"),
        description=_l("ISO 3166-1 code, e.g. DE."),
        validators=[Optional(), Length(max=10), _check(v.country_problem)],
    )
    region = StringField(
        _l("Region (optional)"),
        description=_l("ISO 3166-2 code, e.g. DE-BY."),
        validators=[Optional(), Length(max=10), _check(v.subdivision_problem)],
    )
    address = StringField(
        _l("Postal address (optional)"),
        description=_l("On one line: street, postcode, town, country."),
        validators=[Optional(), Length(max=v.SHORT_TEXT_MAX)],
    )

    def validate_region(self, field: StringField) -> None:
        region = (field.data or "").strip().upper()
        country = (self.country.data or "").strip().upper()
        if region and country and "-" in region and v.country_of(region) != country:
            raise ValidationError(
                _l("The region %(region)s is not in %(country)s.", region=region, country=country)
            )

    def as_dict(self) -> dict[str, str]:
        return {key: self[key].data or "" for key in ("name", "url", *AWARDING_BODY_DETAILS)}


AWARDING_BODY_DETAILS = ("url", "legal_id", "vat_id", "country", "region", "address")


class SpecificationForm(PortalForm):
    lock_version = HiddenField()

    title = StringField(FIELD_LABELS["title"], validators=[Optional(), Length(max=v.TITLE_MAX)])
    issuer_regions = StringField(
        FIELD_LABELS["issuer_regions"],
        description=_l("ISO 3166 codes separated by commas: a country (DE) or a region (DE-BY)."),
        validators=[
            Optional(),
            Length(max=v.CODES_MAX),
            _check_codes(v.region_problem, v.split_codes),
        ],
    )
    awarding_bodies = FieldList(
        FormField(AwardingBodyForm), min_entries=MIN_BODY_ROWS, max_entries=v.MAX_AWARDING_BODIES
    )
    outcomes = FieldList(
        FormField(OutcomeForm), min_entries=MIN_OUTCOME_ROWS, max_entries=v.MAX_OUTCOMES
    )
    ects = StringField(
        FIELD_LABELS["ects"],
        description=_l("More than 0 and at most 180, e.g. 5 or 2.5."),
        validators=[Optional(), Length(max=12), _check(v.ects_problem)],
        render_kw={"inputmode": "decimal"},
    )
    hours = StringField(
        FIELD_LABELS["hours"],
        description=_l("Whole hours, 1 to 5000."),
        validators=[Optional(), Length(max=12), _check(v.hours_problem)],
        render_kw={"inputmode": "numeric"},
    )
    eqf_level = SelectField(
        FIELD_LABELS["eqf_level"],
        choices=[EMPTY_CHOICE] + [choice(str(n), str(n)) for n in v.EQF_LEVELS],
        validate_choice=False,
        default="",
        validators=[_check(v.eqf_problem)],
    )
    qf_ehea_cycle = _enum_select("qf_ehea_cycle", CYCLE_LABELS)
    level_not_applicable = BooleanField(FIELD_LABELS["level_not_applicable"])
    # The valid levels depend on the provider's country: the service checks them against
    # its framework (qaportal.catalogue.nqf) and the message comes back beside this field.
    nqf_level = StringField(
        FIELD_LABELS["nqf_level"],
        description=_l(
            "Optional. Only when the qualification is placed in the national framework of "
            "the country in your organisation profile."
        ),
        validators=[Optional(), Length(max=4), _check(v.whole_number_problem)],
        render_kw={"inputmode": "numeric"},
    )
    max_duration_weeks = StringField(
        FIELD_LABELS["max_duration_weeks"],
        description=_l("The longest time a learner may take to complete it, 1 to 520 weeks."),
        validators=[Optional(), Length(max=12), _check(v.max_duration_problem)],
        render_kw={"inputmode": "numeric"},
    )
    assessment_type = TextAreaField(
        FIELD_LABELS["assessment_type"],
        description=_l("e.g. written exam of 90 minutes; graded project with oral defence."),
        validators=[Optional(), Length(max=v.MEDIUM_TEXT_MAX)],
    )
    participation_form = _enum_select("participation_form", PARTICIPATION_LABELS)
    participation_detail = StringField(
        FIELD_LABELS["participation_detail"],
        validators=[Optional(), Length(max=v.SHORT_TEXT_MAX)],
    )
    quality_assurance = TextAreaField(
        FIELD_LABELS["quality_assurance"],
        description=_l("The internal and external quality assurance behind the credential."),
        validators=[Optional(), Length(max=v.MEDIUM_TEXT_MAX)],
    )
    prerequisites = TextAreaField(
        FIELD_LABELS["prerequisites"], validators=[Optional(), Length(max=v.MEDIUM_TEXT_MAX)]
    )
    supervision = _enum_select("supervision", SUPERVISION_LABELS)
    grading_scheme = TextAreaField(
        FIELD_LABELS["grading_scheme"], validators=[Optional(), Length(max=v.MEDIUM_TEXT_MAX)]
    )
    integration = _enum_select("integration", INTEGRATION_LABELS)
    stackable_towards = StringField(
        FIELD_LABELS["stackable_towards"],
        description=_l("The credential it stacks towards, when stackable."),
        validators=[Optional(), Length(max=v.SHORT_TEXT_MAX)],
    )
    further_information = TextAreaField(
        FIELD_LABELS["further_information"],
        validators=[Optional(), Length(max=v.LONG_TEXT_MAX)],
    )
    languages = StringField(
        FIELD_LABELS["languages"],
        description=_l("ISO 639 codes separated by commas, e.g. en, de."),
        validators=[
            Optional(),
            Length(max=v.CODES_MAX),
            _check_codes(v.language_problem, v.split_languages),
        ],
    )
    text_language = SelectField(
        FIELD_LABELS["text_language"],
        description=_l(
            "The language the title, outcomes and other texts of this specification are "
            "written in; the exports tag them with it. It need not be a language of "
            "instruction."
        ),
        validators=[_check(v.text_language_problem)],
        validate_choice=False,  # the validator above names the problem
    )
    isced_f = StringField(
        FIELD_LABELS["isced_f"],
        description=_l("2 to 4 digits, e.g. 06 or 0613."),
        validators=[Optional(), Length(max=10), _check(v.isced_problem)],
        render_kw={"inputmode": "numeric"},
    )
    price_note = TextAreaField(
        FIELD_LABELS["price_note"], validators=[Optional(), Length(max=v.MEDIUM_TEXT_MAX)]
    )

    save = SubmitField(_l("Save draft"))
    save_publish = SubmitField(_l("Save and publish"))
    add_outcome = SubmitField(_l("Add another outcome"))
    add_body = SubmitField(_l("Add another awarding body"))

    def __init__(self, *args: Any, provider_country: str | None = None, **kwargs: Any) -> None:
        """``provider_country``: the country whose framework an NQF level is checked against
        here; without it the service checks it on saving (same message, same field)."""
        super().__init__(*args, **kwargs)
        # Names in the visitor's language, so built per request.
        self.text_language.choices = [choice(code, name) for code, name in text_language_choices()]
        self.provider_country = provider_country
        framework = framework_for(provider_country)
        if framework is not None:
            self.nqf_level.description = _l(
                "Optional. A level of the %(framework)s, %(first)d to %(last)d, when the "
                "qualification is placed in it.",
                framework=framework.name,
                first=framework.levels[0],
                last=framework.levels[-1],
            )

    def validate_nqf_level(self, field: StringField) -> None:
        if self.provider_country is None or v.whole_number_problem(field.data):
            return
        problem = nqf_problem(self.provider_country, (field.data or "").strip())
        if problem:
            raise ValidationError(problem)

    def validate_level_not_applicable(self, field: BooleanField) -> None:
        if field.data and (self.eqf_level.data or self.qf_ehea_cycle.data or self.nqf_level.data):
            raise ValidationError(_l("Either give a level or state that none applies, not both."))

    def validate_stackable_towards(self, field: StringField) -> None:
        if (field.data or "").strip() and self.integration.data != "stackable":
            raise ValidationError(_l("Only a stackable micro-credential stacks towards another."))

    # --- moving data between the form and the services -------------------------------

    def fill(self, data: SpecificationData, lock_version: int | None = None) -> None:
        """Load a version's data into a fresh form (GET)."""
        self.lock_version.data = str(lock_version or "")
        self.title.data = data.title
        self.issuer_regions.data = ", ".join(data.issuer_regions)
        self.ects.data = f"{Decimal(data.ects).normalize():f}" if data.ects is not None else ""
        self.hours.data = str(data.hours) if data.hours is not None else ""
        self.eqf_level.data = str(data.eqf_level) if data.eqf_level is not None else ""
        self.qf_ehea_cycle.data = data.qf_ehea_cycle.value if data.qf_ehea_cycle else ""
        self.level_not_applicable.data = data.level_not_applicable
        for name in ("nqf_level", "max_duration_weeks"):
            value = getattr(data, name)
            getattr(self, name).data = str(value) if value is not None else ""
        for name in ("assessment_type", "quality_assurance"):
            getattr(self, name).data = getattr(data, name)
        for name in (
            "participation_detail",
            "prerequisites",
            "grading_scheme",
            "stackable_towards",
            "further_information",
            "isced_f",
            "price_note",
        ):
            getattr(self, name).data = getattr(data, name) or ""
        for name in ("participation_form", "supervision", "integration"):
            value = getattr(data, name)
            getattr(self, name).data = value.value if value is not None else ""
        self.languages.data = ", ".join(data.languages)
        self.text_language.data = data.text_language
        _fill_rows(
            self.outcomes,
            [{"statement": o.statement, "esco_uri": o.esco_uri or ""} for o in data.outcomes],
            MIN_OUTCOME_ROWS,
        )
        _fill_rows(
            self.awarding_bodies,
            [
                {key: b.get(key) or "" for key in ("name", *AWARDING_BODY_DETAILS)}
                for b in data.awarding_bodies
            ],
            MIN_BODY_ROWS,
        )

    def to_data(self) -> SpecificationData:
        """The validated form as service data (only call after ``validate()``)."""
        return SpecificationData(
            title=self.title.data or "",
            issuer_regions=v.split_codes(self.issuer_regions.data),
            awarding_bodies=[row.form.as_dict() for row in self.awarding_bodies],
            outcomes=[
                OutcomeData(row.form.statement.data or "", row.form.esco_uri.data or None)
                for row in self.outcomes
            ],
            ects=Decimal(self.ects.data.strip()) if (self.ects.data or "").strip() else None,
            hours=int(self.hours.data.strip()) if (self.hours.data or "").strip() else None,
            eqf_level=int(self.eqf_level.data) if self.eqf_level.data else None,
            level_not_applicable=bool(self.level_not_applicable.data),
            nqf_level=_whole_number(self.nqf_level.data),
            max_duration_weeks=_whole_number(self.max_duration_weeks.data),
            qf_ehea_cycle=self.qf_ehea_cycle.data or None,  # type: ignore[arg-type]
            assessment_type=self.assessment_type.data or "",
            participation_form=self.participation_form.data or None,  # type: ignore[arg-type]
            participation_detail=self.participation_detail.data,
            quality_assurance=self.quality_assurance.data or "",
            prerequisites=self.prerequisites.data,
            supervision=self.supervision.data or None,  # type: ignore[arg-type]
            grading_scheme=self.grading_scheme.data,
            integration=self.integration.data or None,  # type: ignore[arg-type]
            stackable_towards=self.stackable_towards.data,
            further_information=self.further_information.data,
            languages=v.split_languages(self.languages.data),
            text_language=self.text_language.data or "",
            isced_f=(self.isced_f.data or "").strip() or None,
            price_note=self.price_note.data,
        )

    def ensure_spare_rows(self) -> None:
        """Always offer one empty outcome row and one empty awarding-body row to type in."""
        for rows, blank, keys in (
            (self.outcomes, {"statement": "", "esco_uri": ""}, ("statement", "esco_uri")),
            (
                self.awarding_bodies,
                dict.fromkeys(("name", *AWARDING_BODY_DETAILS), ""),
                ("name", *AWARDING_BODY_DETAILS),
            ),
        ):
            last = rows.entries[-1] if rows.entries else None
            filled = last is not None and any((last.form[k].data or "").strip() for k in keys)
            if (last is None or filled) and len(rows.entries) < (rows.max_entries or 99):
                rows.append_entry(blank)

    def add_problem(self, name: str, message: Any) -> None:
        """Attach a service-side message (completeness, validation) to a field."""
        field = getattr(self, name)
        if isinstance(field, FieldList):
            self.section_errors.setdefault(name, []).append(message)
        else:
            field.errors = [*field.errors, message]

    @property
    def section_errors(self) -> dict[str, list[Any]]:
        if not hasattr(self, "_section_errors"):
            self._section_errors: dict[str, list[Any]] = {}
        return self._section_errors

    @property
    def all_errors(self) -> list[tuple[Any, Any, Any]]:
        """(field id, label, message) of every problem, for the summary at the top."""
        result = []
        for name, field in self._fields.items():
            if isinstance(field, FieldList):
                for message in self.section_errors.get(name, []):
                    result.append((field.id, FIELD_LABELS[name], message))
                for row in field:
                    for sub in row.form:
                        for message in sub.errors:
                            result.append(
                                (sub.id, f"{FIELD_LABELS[name]}: {sub.label.text}", message)
                            )
            else:
                for message in field.errors:
                    result.append((field.id, field.label.text, message))
        return result


def _whole_number(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw else None


def _fill_rows(field_list: FieldList, rows: list[dict[str, str]], minimum: int) -> None:
    while field_list.entries:
        field_list.pop_entry()
    for row in rows:
        field_list.append_entry(row)
    while len(field_list.entries) < minimum:
        field_list.append_entry()


# ----- public catalogue filters (GET) ----------------------------------------------------


class CatalogueFilterForm(PortalSubform):
    """The public search form: plain GET parameters, no CSRF, kept after submit."""

    q = StringField(
        _l("Search titles and learning outcomes"), validators=[Optional(), Length(max=200)]
    )
    country = SelectField(_l("Country of the issuer"), choices=[], validate_choice=False)
    eqf = SelectField(
        _l("EQF level"),
        choices=[choice("", _l("Any level"))] + [choice(str(n), str(n)) for n in v.EQF_LEVELS],
        validate_choice=False,
    )
    ects_min = StringField(
        _l("ECTS from"), validators=[Optional(), Length(max=12)], render_kw={"inputmode": "decimal"}
    )
    ects_max = StringField(
        _l("ECTS to"), validators=[Optional(), Length(max=12)], render_kw={"inputmode": "decimal"}
    )
    form = SelectField(
        _l("Form of participation"),
        choices=[choice("", _l("Any form"))]
        + [choice(k.value, lbl) for k, lbl in PARTICIPATION_LABELS.items()],
        validate_choice=False,
    )
    language = SelectField(_l("Language of instruction"), choices=[], validate_choice=False)
    provider_type = SelectField(_l("Type of provider"), choices=[], validate_choice=False)
    accreditation = SelectField(
        _l("Accreditation status of the provider"),
        choices=[
            choice("", _l("Any status")),
            choice("accredited", _l("Accredited")),
            choice("not_accredited", _l("Not yet accredited")),
        ],
        validate_choice=False,
    )

    def validate_ects_min(self, field: StringField) -> None:
        _range_value(field)

    def validate_ects_max(self, field: StringField) -> None:
        _range_value(field)


def _range_value(field: StringField) -> None:
    value = (field.data or "").strip()
    if not value:
        return
    try:
        number = Decimal(value)
    except Exception:
        raise ValidationError(_l("Enter a number, e.g. 5.")) from None
    if not number.is_finite() or number < 0 or number > v.ECTS_MAX:
        raise ValidationError(_l("Between 0 and 180."))
