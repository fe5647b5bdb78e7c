"""National qualifications frameworks (NQF) of European countries, carried as data.

A specification's ``nqf_level`` is a level of the framework of its provider's country
(``Organisation.country``); the exports name it as ELM ``NQFLevel``. Nothing is fetched at
run time.

Where the URIs come from:

- ``QDR_SCHEME`` is the EU Vocabularies concept scheme the EDC generic shapes require an
  ``NQFLevel`` concept to be ``skos:inScheme`` of (``:NQFLevelRestriction`` in
  ``shared/standards/elm-edc-generic-full.shacl.ttl``).
- ``NqfFramework.scheme_uri`` is the framework's URI in the Commission's Qualifications
  Dataset Register as the LOMS schema (``QualificationFrameworkEnum``) lists it:
  ``http://data.europa.eu/esco/qdr/QF/{code}`` (Greece is ``EL``, the Belgian
  communities ``BE2``/``BE3``/``BE4``).
- Level concepts: EU Vocabularies gives each level an opaque identifier
  (``http://data.europa.eu/snb/qdr/c_<hash>``) that cannot be derived and was not found
  published as a list, so ``level_uri`` follows LOMS, which names an NQF level as framework
  URI plus level notation: ``{scheme_uri}/level/{n}``. Replacing a country's pattern with
  the real hashed concepts is a data change in ``_LEVEL_CONCEPTS`` below, not a code change.

Level ranges are the numbered levels of each framework as referenced to the EQF. Belgium is
left out on purpose: it has one framework per community and the provider's country alone
cannot choose between them.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

QDR_SCHEME = "http://data.europa.eu/snb/qdr/25831c2"
QDR_FRAMEWORK_BASE = "http://data.europa.eu/esco/qdr/QF/"


@dataclass(frozen=True)
class NqfFramework:
    country: str  # ISO 3166-1 alpha-2
    name: str  # the framework's own name, untranslated (a proper noun)
    levels: range
    scheme_uri: str

    def level_uri(self, level: int) -> str:
        if level not in self.levels:
            raise ValueError(f"level {level} is not in the {self.country} NQF")
        known = _LEVEL_CONCEPTS.get(self.country, {})
        return known.get(level) or f"{self.scheme_uri}/level/{level}"

    def level_label(self, level: int) -> str:
        return f"{self.name} {level}"


# Exact EU Vocabularies level concepts, where known (country -> level -> URI).
_LEVEL_CONCEPTS: dict[str, dict[int, str]] = {}


def _framework(country: str, name: str, top: int, qdr_code: str | None = None) -> NqfFramework:
    return NqfFramework(
        country=country,
        name=name,
        levels=range(1, top + 1),
        scheme_uri=QDR_FRAMEWORK_BASE + (qdr_code or country),
    )


NQF_FRAMEWORKS: dict[str, NqfFramework] = {
    fw.country: fw
    for fw in (
        _framework("AT", "NQR", 8),
        _framework("BG", "NQF Bulgaria", 8),
        _framework("CH", "NQR-CH", 8),
        _framework("CY", "CyQF", 8),
        _framework("CZ", "NSK", 8),
        _framework("DE", "DQR", 8),
        _framework("DK", "NQF Denmark", 8),
        _framework("EE", "EKR", 8),
        _framework("ES", "MECU", 8),
        _framework("FI", "NQF Finland", 8),
        _framework("FR", "CNCP", 8),
        _framework("GR", "HQF", 8, "EL"),
        _framework("HR", "HKO", 8),
        _framework("HU", "MKKR", 8),
        _framework("IE", "NFQ", 10),
        _framework("IS", "ISQF", 7),
        _framework("IT", "QNQ", 8),
        _framework("LI", "NQFL", 8),
        _framework("LT", "LTKS", 8),
        _framework("LU", "CLQ", 8),
        _framework("LV", "LKI", 8),
        _framework("MT", "MQF", 8),
        _framework("NL", "NLQF", 8),
        _framework("PL", "PRK", 8),
        _framework("PT", "QNQ", 8),
        _framework("RO", "CNC", 8),
        _framework("SE", "SeQF", 8),
        _framework("SI", "SOK", 10),
        _framework("SK", "SKKR", 8),
    )
}


def framework_for(country: str | None) -> NqfFramework | None:
    return NQF_FRAMEWORKS.get((country or "").strip().upper())


def nqf_problem(country: str | None, level: int | str | None) -> str | None:
    """Why ``level`` cannot be an NQF level of ``country``'s framework, or ``None``."""
    if level is None or level == "":
        return None
    try:
        number = int(str(level))
    except ValueError:
        return str(_l("The NQF level must be a whole number."))
    framework = framework_for(country)
    if framework is None:
        if not country:
            return str(
                _l(
                    "An NQF level needs the provider's country: enter it in the "
                    "organisation profile first, or leave the NQF level empty."
                )
            )
        return str(
            _l(
                "No national qualifications framework is known for %(country)s: "
                "leave the NQF level empty.",
                country=country.upper(),
            )
        )
    if number not in framework.levels:
        return str(
            _l(
                "The national framework %(framework)s has levels %(first)d to %(last)d.",
                framework=framework.name,
                first=framework.levels[0],
                last=framework.levels[-1],
            )
        )
    return None
