"""Fixed WTForms classes of the organisation domain."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from qaportal.auth.models import ReviewerCategory, Role
from qaportal.orgs import geo
from qaportal.orgs.labels import (
    PROVIDER_TYPE_LABELS,
    REVIEWER_CATEGORY_LABELS,
    role_label,
)
from qaportal.orgs.models import OrgKind
from qaportal.web.forms import PortalForm


def choices(pairs: Iterable[tuple[str, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as the options of a select (WTForms 3.3 deprecates bare tuples)."""
    return [SelectChoice(value, label) for value, label in pairs]


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


# ----- validators --------------------------------------------------------------------------


def _known_country(form: FlaskForm, field: SelectField) -> None:
    if field.data and not geo.is_country(field.data):
        raise ValidationError(_l("Choose a country from the list."))


def _region_in_country(form: FlaskForm, field: StringField) -> None:
    if not field.data:
        return
    if geo.find_region(field.data) is None:
        raise ValidationError(_l("Enter an ISO 3166-2 region code, for example DE-BY or FI-18."))
    country = form.country.data if "country" in form else None
    if not country:
        raise ValidationError(_l("Choose the country first."))
    if not geo.region_in_country(field.data, country):
        raise ValidationError(_l("This region is not in the chosen country."))


_URL_SPACE = re.compile(r"\s")


def _http_url(form: FlaskForm, field: StringField) -> None:
    if not field.data:
        return
    parts = urlsplit(field.data)
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or "." not in parts.hostname
        or _URL_SPACE.search(field.data)
    ):
        raise ValidationError(
            _l("Enter a web address starting with https:// or http://, e.g. https://example.org.")
        )


def _iso_languages(form: FlaskForm, field: StringField) -> None:
    unknown = [code for code in geo.split_languages(field.data) if geo.find_language(code) is None]
    if unknown:
        raise ValidationError(
            lazy_ngettext(
                "Unknown language code: %(codes)s. Use two-letter ISO 639-1 codes, "
                "e.g. en, de, fr.",
                "Unknown language codes: %(codes)s. Use two-letter ISO 639-1 codes, "
                "e.g. en, de, fr.",
                len(unknown),
                codes=", ".join(unknown),
            )
        )


_IDENTIFIER = Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9 ._/-]*$",
    message=_l("Use letters, digits, spaces and . _ / - only."),
)


def _compact_vat_id(value: Any) -> Any:
    """``de 123 456-789`` -> ``DE123456789``, the form VIES and the exports use."""
    return re.sub(r"[\s.-]", "", value).upper() if isinstance(value, str) else value


# EU VAT identification number: two-letter prefix (EL for Greece) and 2 to 13 characters.
_VAT_ID = Regexp(
    r"^[A-Z]{2}[0-9A-Z+*]{2,13}$",
    message=_l(
        "A VAT identifier starts with the two-letter country prefix, "
        "e.g. DE123456789 or FI12345678."
    ),
)


# ----- organisation profile ----------------------------------------------------------------


def _provider_type_choices() -> list[tuple[str, str]]:
    return [("", _l("— choose —"))] + [
        (t.value, label) for t, label in PROVIDER_TYPE_LABELS.items()
    ]


def _country_field() -> SelectField:
    """An ISO 3166-1 country, chosen from the list the form's __init__ fills in."""
    return SelectField(
        _l("Country"),
        choices=[],
        validate_choice=False,
        filters=[_upper],
        validators=[_known_country],
    )


class ProfileForm(PortalForm):
    """The profile of an organisation. For agencies the provider type is removed."""

    legal_name = StringField(
        _l("Legal name"), filters=[_strip], validators=[DataRequired(), Length(max=300)]
    )
    acronym = StringField(_l("Acronym"), filters=[_strip], validators=[Optional(), Length(max=40)])
    country = _country_field()
    region = StringField(
        _l("Region"),
        description=_l("ISO 3166-2 code of the region, for example DE-BY (Bavaria). Optional."),
        filters=[_upper],
        validators=[Optional(), Length(max=10), _region_in_country],
    )
    provider_type = SelectField(
        _l("Type of provider"),
        choices=[],
        validate_choice=False,
        validators=[DataRequired(message=_l("Choose the type of provider."))],
    )
    website = URLField(
        _l("Website"),
        description=_l("Starting with https:// or http://"),
        filters=[_strip],
        validators=[Optional(), Length(max=500), _http_url],
    )
    deqar_id = StringField(
        _l("DEQAR identifier"),
        filters=[_strip],
        validators=[Optional(), Length(max=40), _IDENTIFIER],
    )
    erasmus_code = StringField(
        _l("Erasmus code"),
        filters=[_strip],
        validators=[Optional(), Length(max=40), _IDENTIFIER],
    )
    legal_id = StringField(
        _l("Legal identifier"),
        description=_l("e.g. the business register number, LEI or national education code."),
        filters=[_strip],
        validators=[Optional(), Length(max=80), _IDENTIFIER],
    )
    vat_id = StringField(
        _l("VAT identifier"),
        description=_l("With the country prefix, e.g. DE123456789."),
        filters=[_compact_vat_id],
        validators=[Optional(), Length(max=40), _VAT_ID],
    )
    street_address = StringField(
        _l("Postal address"),
        description=_l("On one line: street, postcode, town, country."),
        filters=[_strip],
        validators=[Optional(), Length(max=300)],
    )
    text_language = SelectField(
        _l("Language of the name and acronym"),
        description=_l(
            "How exports such as the European Learning Model tag the name. Left open, they "
            "use the language of the specification being exported."
        ),
        choices=[],
        validators=[Optional()],
    )

    def __init__(self, *args: Any, kind: OrgKind = OrgKind.PROVIDER, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        from qaportal.catalogue.labels import text_language_choices

        self.text_language.choices = choices(
            [("", _l("— the specification's language —")), *text_language_choices()]
        )
        self.country.choices = choices([("", _l("— choose —")), *geo.country_choices()])
        if kind == OrgKind.AGENCY:
            del self.provider_type
        else:
            self.country.validators = [
                DataRequired(message=_l("Choose a country from the list.")),
                _known_country,
            ]
            self.provider_type.choices = choices(_provider_type_choices())

    def validate_provider_type(self, field: SelectField) -> None:
        if field.data and field.data not in {t.value for t in PROVIDER_TYPE_LABELS}:
            raise ValidationError(_l("Choose the type of provider from the list."))

    def profile_data(self) -> dict[str, Any]:
        """The values to hand to the service (``None`` for what was left empty)."""
        names = (
            "legal_name",
            "acronym",
            "country",
            "region",
            "provider_type",
            "website",
            "deqar_id",
            "erasmus_code",
            "legal_id",
            "vat_id",
            "street_address",
            "text_language",
        )
        return {name: (self[name].data or None) for name in names if name in self}


class NewProviderForm(ProfileForm):
    admin_email = EmailField(
        _l("Email address of the provider's first administrator"),
        description=_l("Optional. They receive an invitation to set up their account."),
        filters=[_lower],
        validators=[
            Optional(),
            Length(max=254),
            Email(message=_l("Enter a valid email address.")),
        ],
    )


# ----- staff -------------------------------------------------------------------------------


# Weakest first: the order in which an invitation form offers a default.
_ROLE_POWER = (
    Role.REVIEWER,
    Role.PROVIDER_EDITOR,
    Role.AGENCY_OFFICER,
    Role.PROVIDER_ADMIN,
    Role.AGENCY_ADMIN,
)


class InviteForm(PortalForm):
    email = EmailField(
        _l("Email address"),
        filters=[_lower],
        validators=[
            DataRequired(),
            Length(max=254),
            Email(message=_l("Enter a valid email address.")),
        ],
    )
    role = SelectField(_l("Role"), choices=[], validate_choice=False)

    def __init__(self, *args: Any, roles: list[Role] | tuple[Role, ...] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.allowed_roles = list(roles)
        self.role.choices = choices((r.value, role_label(r)) for r in self.allowed_roles)
        # A blank form preselects the weakest role, so a hurried click never hands out
        # admin rights; a submitted form keeps what the user chose.
        if not self.is_submitted() and self.allowed_roles:
            self.role.data = min(self.allowed_roles, key=_ROLE_POWER.index).value

    def validate_role(self, field: SelectField) -> None:
        if field.data not in {r.value for r in self.allowed_roles}:
            raise ValidationError(_l("You cannot give this role."))


# ----- reviewer pool -----------------------------------------------------------------------


def _category_choices() -> list[tuple[str, str]]:
    return [(c.value, label) for c, label in REVIEWER_CATEGORY_LABELS.items()]


class ReviewerProfileForm(PortalForm):
    category = SelectField(_l("Category"), choices=[], validate_choice=False)
    expertise = TextAreaField(
        _l("Expertise"),
        description=_l("Fields, sectors and QA experience, in a few lines."),
        filters=[_strip],
        validators=[Optional(), Length(max=2000)],
    )
    country = _country_field()
    languages = StringField(
        _l("Languages"),
        description=_l("Two-letter ISO 639-1 codes separated by commas, e.g. en, de, fr."),
        filters=[_strip],
        validators=[Optional(), Length(max=200), _iso_languages],
    )
    available = BooleanField(_l("Available for new reviews"), default=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.category.choices = choices(_category_choices())
        self.country.choices = choices([("", _l("— none —")), *geo.country_choices()])

    def validate_category(self, field: SelectField) -> None:
        if field.data not in {c.value for c in ReviewerCategory}:
            raise ValidationError(_l("Choose a category from the list."))

    def profile_data(self) -> dict[str, Any]:
        return {
            "category": ReviewerCategory(self.category.data),
            "expertise": self.expertise.data or "",
            "country": self.country.data or None,
            "languages": ",".join(geo.split_languages(self.languages.data)),
            "available": bool(self.available.data),
        }


class ReviewerInviteForm(ReviewerProfileForm):
    email = EmailField(
        _l("Email address"),
        filters=[_lower],
        validators=[
            DataRequired(),
            Length(max=254),
            Email(message=_l("Enter a valid email address.")),
        ],
    )
    display_name = StringField(
        _l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=200)]
    )


# ----- list filters (GET, no CSRF: they change nothing) ------------------------------------


class _GetForm(PortalForm):
    class Meta:
        csrf = False


class ProviderSearchForm(_GetForm):
    q = StringField(_l("Search"), filters=[_strip], validators=[Optional(), Length(max=100)])


class ReviewerFilterForm(_GetForm):
    category = SelectField(_l("Category"), choices=[], validate_choice=False)
    country = SelectField(_l("Country"), choices=[], validate_choice=False, filters=[_upper])
    language = StringField(
        _l("Language"),
        description=_l("ISO 639-1 code, e.g. en"),
        filters=[_lower],
        validators=[Optional(), Length(max=2), _iso_languages],
    )
    available = SelectField(
        _l("Availability"),
        choices=[],
        validate_choice=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.category.choices = choices([("", _l("Any")), *_category_choices()])
        self.country.choices = choices([("", _l("Any")), *geo.country_choices()])
        self.available.choices = choices(
            [("", _l("Any")), ("yes", _l("Available")), ("no", _l("Not available"))]
        )


class LogoForm(PortalForm):
    logo = FileField(
        _l("Logo"),
        description=_l(
            "A PNG or JPEG image of at most 1 MB, printed on the cover and the running header "
            "of every document of the agency. SVG is not accepted."
        ),
        validators=[FileRequired(message=_l("Choose an image to upload."))],
    )
