"""Reading a feedback questionnaire (a ``FrameworkVersion`` of kind "questionnaire").

The questionnaires are data files in ``forms/questionnaires/`` (same schema family as the
criteria frameworks, checked by ``qaportal forms check``). Loading one stores an immutable,
content-hashed ``FrameworkVersion``; a campaign keeps the version it started with and each
response records the version it answered. This module turns the stored definition into
plain dataclasses: sections of items with stable codes, each one of

* ``rating``: a Likert item on a named scale whose level values are whole numbers;
* ``single_choice`` / ``multiple_choice``: options with stable codes;
* ``text``: a free-text comment with a maximum length.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from qaportal.feedback.models import FeedbackKind
from qaportal.frameworks.carry import CARRIED_FROM
from qaportal.frameworks.localize import current_language, languages_of, localize
from qaportal.frameworks.models import Framework, FrameworkKind, FrameworkVersion
from qaportal.memo import Memo

LIKERT = "rating"
SINGLE = "single_choice"
MULTIPLE = "multiple_choice"
TEXT = "text"
ITEM_TYPES = (LIKERT, SINGLE, MULTIPLE, TEXT)
DEFAULT_TEXT_LENGTH = 2000

# The questionnaire file (its ``code``) each kind of campaign asks by default.
DEFAULT_CODES = {FeedbackKind.LEARNER: "learner-feedback", FeedbackKind.PEER: "peer-feedback"}


class QuestionnaireError(ValueError):
    """The stored definition cannot be used as a feedback questionnaire."""


@dataclass(frozen=True)
class Option:
    code: str
    label: str


@dataclass(frozen=True)
class Level:
    value: int
    label: str


@dataclass(frozen=True)
class Item:
    code: str
    type: str
    prompt: str
    help: str = ""
    required: bool = False
    section: str = ""
    scale_code: str = ""
    levels: tuple[Level, ...] = ()
    options: tuple[Option, ...] = ()
    max_length: int = DEFAULT_TEXT_LENGTH
    breakdown: bool = False

    @property
    def is_likert(self) -> bool:
        return self.type == LIKERT

    @property
    def is_choice(self) -> bool:
        return self.type in (SINGLE, MULTIPLE)

    @property
    def is_text(self) -> bool:
        return self.type == TEXT

    def level_label(self, value: int) -> str:
        return next((lv.label for lv in self.levels if lv.value == value), str(value))

    def option_label(self, code: str) -> str:
        return next((o.label for o in self.options if o.code == code), code)

    @property
    def values(self) -> set[int]:
        return {lv.value for lv in self.levels}

    @property
    def option_codes(self) -> set[str]:
        return {o.code for o in self.options}


@dataclass(frozen=True)
class Section:
    code: str
    title: str
    description: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Questionnaire:
    code: str
    title: str
    description: str
    audience: str
    sections: tuple[Section, ...]
    scales: Mapping[str, tuple[Level, ...]] = field(default_factory=dict)

    @property
    def items(self) -> list[Item]:
        return [item for section in self.sections for item in section.items]

    def item(self, code: str) -> Item | None:
        return next((i for i in self.items if i.code == code), None)

    @property
    def likert_items(self) -> list[Item]:
        return [i for i in self.items if i.is_likert]

    @property
    def breakdown_items(self) -> list[Item]:
        return [i for i in self.items if i.breakdown and i.type == SINGLE]


def _levels(raw: Any, scale: str) -> tuple[Level, ...]:
    levels = raw.get("levels") if isinstance(raw, Mapping) else raw
    out = []
    for level in levels or []:
        try:
            value = int(str(level["value"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise QuestionnaireError(
                f"scale {scale!r}: Likert levels need whole-number values"
            ) from exc
        out.append(Level(value, str(level.get("label") or value)))
    if len(out) < 2:
        raise QuestionnaireError(f"scale {scale!r} needs at least two levels")
    return tuple(out)


def parse(definition: Mapping[str, Any]) -> Questionnaire:
    """The questionnaire described by a stored (or freshly read) definition."""
    if definition.get("kind") != FrameworkKind.QUESTIONNAIRE.value:
        raise QuestionnaireError("not a questionnaire")
    scales_raw = definition.get("scales") or {}
    scales: dict[str, tuple[Level, ...]] = {}
    sections = []
    seen: set[str] = set()
    for raw_section in definition.get("sections") or []:
        items = []
        for q in raw_section.get("questions") or []:
            code, kind = str(q["code"]), str(q["type"])
            if kind not in ITEM_TYPES:
                raise QuestionnaireError(f"item {code!r}: type {kind!r} is not for questionnaires")
            if code in seen:
                raise QuestionnaireError(f"item code {code!r} is used twice")
            seen.add(code)
            levels: tuple[Level, ...] = ()
            scale = ""
            if kind == LIKERT:
                scale = str(q.get("scale") or "")
                if scale not in scales_raw:
                    raise QuestionnaireError(f"item {code!r}: unknown scale {scale!r}")
                levels = scales.setdefault(scale, _levels(scales_raw[scale], scale))
            options = tuple(
                Option(str(o["value"]), str(o.get("label") or o["value"]))
                for o in (q.get("options") or [])
            )
            items.append(
                Item(
                    code=code,
                    type=kind,
                    prompt=str(q.get("prompt") or code),
                    help=str(q.get("help") or ""),
                    required=bool(q.get("required", False)),
                    section=str(raw_section.get("code") or ""),
                    scale_code=scale,
                    levels=levels,
                    options=options,
                    max_length=int(q.get("max_length") or DEFAULT_TEXT_LENGTH),
                    breakdown=bool(q.get("breakdown", False)),
                )
            )
        sections.append(
            Section(
                code=str(raw_section.get("code") or ""),
                title=str(raw_section.get("title") or ""),
                description=str(raw_section.get("description") or ""),
                items=tuple(items),
            )
        )
    if not seen:
        raise QuestionnaireError("the questionnaire has no items")
    return Questionnaire(
        code=str(definition.get("code") or ""),
        title=str(definition.get("title") or ""),
        description=str(definition.get("description") or ""),
        audience=str(definition.get("audience") or ""),
        sections=tuple(sections),
        scales=scales,
    )


# Parsed questionnaires by version id, content hash, carried marker and language, in the
# shared bounded memo (parsing the ~23 kB definition cost most of a submission's own time).
_PARSED: Memo[tuple[int, str, str, str], Questionnaire] = Memo(256)


def for_version(version: FrameworkVersion, lang: str | None = None) -> Questionnaire:
    """Parsed once per stored version and language (versions are immutable snapshots). The
    texts are in ``lang`` (default: the current locale), each one falling back to the file's
    own language; item, level and option codes are the same in every language."""
    # A version gains translations without a new hash (qaportal.frameworks.carry).
    carried = str(version.definition.get(CARRIED_FROM) or "")
    return for_stored(version.id, version.content_hash, carried, lambda: version.definition, lang)


def for_stored(
    version_id: int,
    content_hash: str,
    carried: str,
    definition: Callable[[], Mapping[str, Any]],
    lang: str | None = None,
) -> Questionnaire:
    """As :func:`for_version`, from the version's key columns and its ``CARRIED_FROM`` marker
    (``""`` if none); ``definition`` is called only when the memo lacks the questionnaire, so
    a caller that read the key columns alone need not load the definition at all."""
    lang = lang if lang is not None else current_language()
    key = (version_id, content_hash, carried, lang)
    found = _PARSED.get(key)
    if found is None:
        found = _PARSED.put(key, parse(localize(definition(), lang)))
    return found


def languages(version: FrameworkVersion) -> list[str]:
    """The languages the version's questionnaire is written or translated in."""
    return languages_of(version.definition)


def survey_language(
    version: FrameworkVersion,
    requested: str,
    portal_languages: Collection[str],
    agency_default: str | None,
) -> tuple[str, bool]:
    """The language a survey link asks for, if the campaign offers it (its questionnaire has
    it and the portal speaks it); else the agency's default language (or the questionnaire's
    own). The flag says the requested language was not offered."""
    offered = [lang for lang in languages(version) if lang in portal_languages]
    if requested in offered:
        return requested, False
    if agency_default in offered:
        return str(agency_default), True
    return (offered[0] if offered else languages(version)[0]), True


# ----- finding (and if need be loading) the version a new campaign asks ---------------------


def latest_version(session: Session, code: str) -> FrameworkVersion | None:
    return session.execute(
        select(FrameworkVersion)
        .join(Framework, Framework.id == FrameworkVersion.framework_id)
        .where(
            Framework.code == code,
            Framework.kind == FrameworkKind.QUESTIONNAIRE,
            Framework.owner_agency_id.is_(None),
        )
        .order_by(FrameworkVersion.number.desc())
        .limit(1)
    ).scalar_one_or_none()


def _questionnaire_file(code: str) -> Path | None:
    from qaportal.paths import FORMS_DIR

    for path in sorted(Path(FORMS_DIR).rglob("*.y*ml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(data, Mapping) and data.get("code") == code:
            return path
    return None


def _load_file(session: Session, path: Path) -> None:
    """Store the file as a new version through the frameworks loader (checked, hashed)."""
    from qaportal.frameworks.loader import load_file

    load_file(session, path)


def current_version(session: Session, kind: FeedbackKind) -> FrameworkVersion:
    """The newest stored version of the default questionnaire for ``kind``.

    When it has never been loaded (a fresh database), the file in ``forms/`` is loaded now.
    """
    code = DEFAULT_CODES[kind]
    version = latest_version(session, code)
    if version is None:
        path = _questionnaire_file(code)
        if path is None:
            raise QuestionnaireError(f"no questionnaire file with code {code!r} in forms/")
        _load_file(session, path)
        version = latest_version(session, code)
        if version is None:  # pragma: no cover
            raise QuestionnaireError(f"questionnaire {code!r} could not be loaded")
    return version
