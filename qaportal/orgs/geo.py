"""Countries, regions and languages (ISO 3166-1, ISO 3166-2, ISO 639-1) via pycountry.

Names are translated into the visitor's language with pycountry's own message catalogues.
"""

from __future__ import annotations

import functools
import gettext
import unicodedata

import pycountry
from flask import has_request_context
from flask_babel import get_locale


def _locale() -> str:
    if not has_request_context():
        return "en"
    return str(get_locale() or "en")


@functools.cache
def _catalogue(domain: str, locale: str) -> gettext.NullTranslations:
    if locale == "en":
        return gettext.NullTranslations()
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[locale], fallback=True)


def _translate(domain: str, text: str) -> str:
    return _catalogue(domain, _locale()).gettext(text)


def _sort_key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def normalise_code(code: str | None) -> str:
    return (code or "").strip().upper()


# ----- countries ---------------------------------------------------------------------------


def find_country(code: str | None) -> object | None:
    code = normalise_code(code)
    if len(code) != 2 or not code.isalpha():
        return None
    return pycountry.countries.get(alpha_2=code)


def is_country(code: str | None) -> bool:
    return find_country(code) is not None


def country_name(code: str | None) -> str:
    country = find_country(code)
    if country is None:
        return code or ""
    name = getattr(country, "common_name", None) or country.name
    return _translate("iso3166-1", name)


def country_choices() -> list[tuple[str, str]]:
    """(alpha-2, name) for every country, sorted by name in the visitor's language."""
    names = [(c.alpha_2, country_name(c.alpha_2)) for c in pycountry.countries]
    return sorted(names, key=lambda pair: _sort_key(pair[1]))


# ----- regions -----------------------------------------------------------------------------


def find_region(code: str | None) -> object | None:
    code = normalise_code(code)
    if "-" not in code or len(code) > 10:
        return None
    return pycountry.subdivisions.get(code=code)


def region_in_country(region: str | None, country: str | None) -> bool:
    found = find_region(region)
    return found is not None and found.country_code == normalise_code(country)


def region_name(code: str | None) -> str:
    region = find_region(code)
    if region is None:
        return code or ""
    return _translate("iso3166-2", region.name)


def place_name(code: str | None) -> str:
    """A country (ISO 3166-1 alpha-2) or a region (ISO 3166-2) in the visitor's language."""
    return region_name(code) if "-" in (code or "") else country_name(code)


# ----- languages ---------------------------------------------------------------------------


def find_language(code: str | None) -> object | None:
    code = (code or "").strip().lower()
    if len(code) != 2 or not code.isalpha():
        return None
    return pycountry.languages.get(alpha_2=code)


@functools.cache
def language_codes() -> tuple[str, ...]:
    """The ISO 639-1 codes, in pycountry's order."""
    return tuple(lang.alpha_2 for lang in pycountry.languages if hasattr(lang, "alpha_2"))


def language_name(code: str | None) -> str:
    language = find_language(code)
    if language is None:
        return code or ""
    return _translate("iso639-3", language.name)


def any_language_name(code: str | None) -> str:
    """An ISO 639-1 or ISO 639-3 language (the catalogue takes both) in the visitor's
    language."""
    code = (code or "").strip().lower()
    if len(code) != 3:
        return language_name(code)
    language = pycountry.languages.get(alpha_3=code)
    return _translate("iso639-3", language.name) if language else code


def language_choices() -> list[tuple[str, str]]:
    names = [(code, language_name(code)) for code in language_codes()]
    return sorted(names, key=lambda pair: _sort_key(pair[1]))


def split_languages(value: str | None) -> list[str]:
    """'en, de fr' or 'en,de' -> ['en', 'de', 'fr'] (lower case, duplicates dropped)."""
    seen: list[str] = []
    for part in (value or "").replace(";", ",").replace(" ", ",").split(","):
        code = part.strip().lower()
        if code and code not in seen:
            seen.append(code)
    return seen
