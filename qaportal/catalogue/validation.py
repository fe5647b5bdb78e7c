"""Value rules of the catalogue, shared by the web forms, the services and the CSV import.

Pure functions, no Flask: each ``*_problem`` returns ``None`` when the value is acceptable
and a translated message otherwise.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal, InvalidOperation
from typing import Any

import pycountry
from flask_babel import lazy_gettext as _l

# Bounds of the Annex I values (absurd values are refused, not merely warned about).
ECTS_MAX = Decimal("180")
HOURS_MIN = 1
HOURS_MAX = 5000
EQF_LEVELS = range(1, 9)
# Annex I "maximum duration": up to ten years, in weeks.
MAX_DURATION_WEEKS = range(1, 521)

# Text lengths (a longer text is refused with a field-level message).
TITLE_MAX = 300
SHORT_TEXT_MAX = 300
URL_MAX = 500
OUTCOME_MAX = 1000
LONG_TEXT_MAX = 4000
MEDIUM_TEXT_MAX = 2000
CODES_MAX = 200
MAX_OUTCOMES = 40
MAX_AWARDING_BODIES = 10

# An ESCO skill (knowledge, skill or competence) concept: the only kind ELM's
# relatedESCOSkill accepts (its shape requires the ESCO skills scheme).
ESCO_SKILL_BASE = "http://data.europa.eu/esco/skill/"
ESCO_SKILL_RE = re.compile(
    r"^https?://data\.europa\.eu/esco/skill/"
    r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$",
    re.IGNORECASE,
)
# EU VAT identification number: two-letter prefix (EL for Greece) and 2 to 13 characters.
VAT_ID_RE = re.compile(r"^[A-Z]{2}[0-9A-Z+*]{2,13}$")
ISCED_F_RE = re.compile(r"^\d{2,4}$")
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_CODE_SPLIT_RE = re.compile(r"[\s,;]+")


def split_codes(raw: str | list[str] | None) -> list[str]:
    """``"de, DE-BY;fr"`` -> ``["DE", "DE-BY", "FR"]`` (upper-cased, de-duplicated, in order)."""
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else _CODE_SPLIT_RE.split(raw)
    seen: list[str] = []
    for item in items:
        code = item.strip().upper()
        if code and code not in seen:
            seen.append(code)
    return seen


def split_languages(raw: str | list[str] | None) -> list[str]:
    return [code.lower() for code in split_codes(raw)]


# The ISO tables never change while the portal runs, and a catalogue import asks about the
# same few codes thousands of times: the lookups are cached, the messages (which follow the
# reader's language) are not.
@functools.lru_cache(maxsize=4096)
def _known_region(code: str) -> bool:
    if "-" in code:
        return pycountry.subdivisions.get(code=code) is not None
    return len(code) == 2 and pycountry.countries.get(alpha_2=code) is not None


@functools.lru_cache(maxsize=4096)
def _language(code: str) -> Any:
    if len(code) == 2:
        return pycountry.languages.get(alpha_2=code)
    if len(code) == 3:
        return pycountry.languages.get(alpha_3=code) or pycountry.languages.get(bibliographic=code)
    return None


def region_problem(code: str) -> str | None:
    """ISO 3166-1 alpha-2 country or ISO 3166-2 subdivision code."""
    code = code.upper()
    if _known_region(code):
        return None
    if "-" in code:
        return str(_l("%(code)s is not an ISO 3166-2 region code.", code=code))
    return str(_l("%(code)s is not an ISO 3166-1 country code (two letters, e.g. DE).", code=code))


def country_problem(code: str | None) -> str | None:
    """An ISO 3166-1 alpha-2 country code (not a region)."""
    if not code:
        return None
    if "-" in code:
        return str(_l("The country is a two-letter ISO 3166-1 code, e.g. DE."))
    return region_problem(code)


def subdivision_problem(code: str | None) -> str | None:
    """An ISO 3166-2 subdivision code (not a whole country)."""
    if not code:
        return None
    if "-" not in code:
        return str(_l("The region is a subdivision code such as DE-BY."))
    return region_problem(code)


def whole_number_problem(value: str | int | None) -> str | None:
    if value is None or value == "":
        return None
    try:
        number = int(str(value))
    except ValueError:
        number = 0
    if number < 1:
        return str(_l("Enter a whole number, e.g. 6."))
    return None


def country_of(code: str) -> str:
    return code.split("-", 1)[0].upper()


def language_problem(code: str) -> str | None:
    """ISO 639-1 (two letters) or ISO 639-2/3 (three letters) language code."""
    code = code.lower()
    if _language(code) is None:
        return str(_l("%(code)s is not an ISO 639 language code (e.g. en, de, fin).", code=code))
    return None


# The EU's 24 official languages (ISO 639-1): what a specification's texts may be written in.
TEXT_LANGUAGES = (
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr",
    "hu", "it", "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv",
)  # fmt: skip


def text_language_problem(code: str | None) -> str | None:
    """The language of the texts: one of the EU's official languages, as ISO 639-1."""
    if (code or "").strip().lower() not in TEXT_LANGUAGES:
        return str(
            _l(
                "%(code)s is not the two-letter code of an official EU language (e.g. en, fi).",
                code=code or "",
            )
        )
    return None


def canonical_language(code: str) -> str:
    """ISO 639-1 when the language has one (``deu`` -> ``de``), else the ISO 639-3 code."""
    code = code.strip().lower()
    found = _language(code)
    if found is None:
        return code
    return getattr(found, "alpha_2", None) or found.alpha_3


def language_name(code: str) -> str:
    found = (
        pycountry.languages.get(alpha_2=code)
        if len(code) == 2
        else pycountry.languages.get(alpha_3=code)
    )
    return found.name if found else code


def region_name(code: str) -> str:
    if "-" in code:
        sub = pycountry.subdivisions.get(code=code)
        return sub.name if sub else code
    country = pycountry.countries.get(alpha_2=code)
    return country.name if country else code


def ects_problem(value: Decimal | str | None) -> str | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(_l("Enter a number of ECTS credits, e.g. 5 or 2.5."))
    if not number.is_finite() or number <= 0 or number > ECTS_MAX:
        return str(_l("ECTS credits must be more than 0 and at most %(max)s.", max=int(ECTS_MAX)))
    if number != number.quantize(Decimal("0.01")):
        return str(_l("ECTS credits can have at most two decimals."))
    return None


def hours_problem(value: int | str | None) -> str | None:
    if value is None or value == "":
        return None
    try:
        number = int(str(value))
    except ValueError:
        return str(_l("Enter a whole number of hours."))
    if not HOURS_MIN <= number <= HOURS_MAX:
        return str(_l("Hours must be between %(min)d and %(max)d.", min=HOURS_MIN, max=HOURS_MAX))
    return None


def eqf_problem(value: int | str | None) -> str | None:
    if value is None or value == "":
        return None
    try:
        number = int(str(value))
    except ValueError:
        number = 0
    if number not in EQF_LEVELS:
        return str(_l("The EQF level must be a whole number from 1 to 8."))
    return None


def isced_problem(value: str | None) -> str | None:
    if not value:
        return None
    if not ISCED_F_RE.match(value):
        return str(_l("An ISCED-F 2013 field code has 2 to 4 digits, e.g. 0613."))
    return None


def esco_problem(value: str | None) -> str | None:
    """An ESCO skill URI: the ESCO skill namespace followed by the concept's UUID."""
    if not value:
        return None
    if not ESCO_SKILL_RE.match(value.strip()):
        return str(
            _l(
                "An ESCO skill URI is http://data.europa.eu/esco/skill/ followed by the "
                "skill's identifier, e.g. "
                "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d."
            )
        )
    return None


def canonical_esco_uri(value: str) -> str:
    """The form ESCO publishes (http, lower-case UUID); other values are returned as given."""
    match = ESCO_SKILL_RE.match(value.strip())
    return ESCO_SKILL_BASE + match.group(1).lower() if match else value


def max_duration_problem(value: int | str | None) -> str | None:
    if value is None or value == "":
        return None
    try:
        number = int(str(value))
    except ValueError:
        number = 0
    if number not in MAX_DURATION_WEEKS:
        return str(
            _l(
                "The maximum duration is a whole number of weeks from %(min)d to %(max)d.",
                min=MAX_DURATION_WEEKS[0],
                max=MAX_DURATION_WEEKS[-1],
            )
        )
    return None


def canonical_vat_id(value: str) -> str:
    """``de 123 456-789`` -> ``DE123456789``: the form VIES and the exports use."""
    return re.sub(r"[\s.-]", "", value).upper()


def vat_id_problem(value: str | None) -> str | None:
    if not value:
        return None
    if not VAT_ID_RE.match(canonical_vat_id(value)):
        return str(
            _l(
                "A VAT identifier starts with the two-letter country prefix, "
                "e.g. DE123456789 or FI12345678."
            )
        )
    return None


def url_problem(value: str | None) -> str | None:
    if not value:
        return None
    if len(value) > URL_MAX or not URL_RE.match(value):
        return str(_l("Enter a web address starting with https:// or http://."))
    return None
