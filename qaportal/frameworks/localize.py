"""Showing a definition in one language: the stored ``translations`` applied to a copy.

A file's texts are written in its ``language`` (the base language); ``translations`` (checked
and stored by :mod:`qaportal.frameworks.translations`, format in ``forms/README.md``) gives
other languages, looked up by the file's stable codes, never by position.
:func:`localize` / :func:`localize_criterion` return a copy in one language, text by text
falling back to the base language; the title helpers serve lists and templates.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from flask_babel import get_locale

JsonPath = tuple[str | int, ...]
QUESTION_TEXTS = ("prompt", "help")
CRITERION_TEXTS = ("title", "statement")
CRITERION_LISTS = ("guidance", "evidence_hints")
TOP_TEXTS = ("title", "description")
TOP_KEYS = {
    "criteria": frozenset(
        {*TOP_TEXTS, "source", "scales", "groups", "default_questions", "criteria"}
    ),
    "questionnaire": frozenset({*TOP_TEXTS, "source", "scales", "sections"}),
}


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def by_code(items: Any, key: str = "code") -> dict[str, dict[str, Any]]:
    return {
        str(item[key]): item for item in as_list(items) if isinstance(item, dict) and key in item
    }


def current_language() -> str:
    """The language texts are shown in: the request's locale (the user's choice, then the
    browser's), or the one a background job forced (reports); "" outside both."""
    try:
        locale = get_locale()
    except RuntimeError:  # no application context at all
        locale = None
    return str(locale) if locale else ""


def base_language(definition: Mapping[str, Any]) -> str:
    return str(definition.get("language") or "en")


def languages_of(definition: Mapping[str, Any]) -> list[str]:
    """The base language, then the translated ones, in the order the file gives them."""
    base = base_language(definition)
    return [base, *(lang for lang in as_dict(definition.get("translations")) if lang != base)]


# ----- applying a language ----------------------------------------------------------------------


def _apply(target: dict[str, Any], texts: Mapping[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        value = texts.get(name)
        if isinstance(value, str) and value.strip():
            target[name] = value


def _apply_list(target: dict[str, Any], texts: Mapping[str, Any], name: str) -> None:
    given = texts.get(name)
    base = target.get(name)
    if isinstance(given, list) and isinstance(base, list):
        target[name] = [
            given[i] if i < len(given) and isinstance(given[i], str) and given[i].strip() else text
            for i, text in enumerate(base)
        ]


def _apply_levels(levels: Any, texts: Mapping[str, Any]) -> None:
    for level in as_list(levels):
        if isinstance(level, dict):
            _apply(level, as_dict(texts.get(str(level.get("value")))), ("label", "description"))


def _apply_question(question: dict[str, Any], texts: Mapping[str, Any]) -> None:
    _apply(question, texts, QUESTION_TEXTS)
    options = as_dict(texts.get("options"))
    for option in as_list(question.get("options")):
        label = options.get(str(option.get("value")))
        if isinstance(label, str) and label.strip():
            option["label"] = label
    if "levels" in texts:
        _apply_levels(question.get("levels"), as_dict(texts["levels"]))


def _copy_without_translations(
    definition: Mapping[str, Any], *also_left: str
) -> tuple[dict[str, Any], Any]:
    """A deep copy of ``definition`` without its ``translations`` (returned beside it, not
    copied), the ``also_left`` keys kept in place as None for the caller to fill: only
    strings are ever taken from the translations, and copying every language's texts cost
    more than the rest of showing a criterion."""
    out = copy.deepcopy(
        {
            key: None if key in also_left else value
            for key, value in definition.items()
            if key != "translations"
        }
    )
    return out, definition.get("translations")


def localize_criterion(criterion: Mapping[str, Any], lang: str | None) -> dict[str, Any]:
    """A copy of a stored criterion definition in ``lang``, text by text falling back to the
    base language."""
    out, translations = _copy_without_translations(criterion)
    texts = as_dict(as_dict(translations).get(lang or ""))
    if not texts:
        return out
    _apply(out, texts, CRITERION_TEXTS)
    for name in CRITERION_LISTS:
        _apply_list(out, texts, name)
    q_texts = as_dict(texts.get("questions"))
    for question in as_list(out.get("questions")):
        if isinstance(question, dict):
            _apply_question(question, as_dict(q_texts.get(str(question.get("code")))))
    return out


def localize(definition: Mapping[str, Any], lang: str | None) -> dict[str, Any]:
    """A copy of a stored (normalised) definition in ``lang``; every text the language lacks
    stays in the base language. The copy has no ``translations`` left."""
    out, translations = _copy_without_translations(definition, "criteria")
    texts = as_dict(as_dict(translations).get(lang or ""))
    if "criteria" in definition:
        out["criteria"] = [localize_criterion(c, lang) for c in as_list(definition["criteria"])]
    if not texts:
        return out
    _apply(out, texts, TOP_TEXTS)
    if isinstance(out.get("source"), dict):
        _apply(out["source"], as_dict(texts.get("source")), ("citation", "note"))
    scale_texts = as_dict(texts.get("scales"))
    for name, scale in as_dict(out.get("scales")).items():
        given = as_dict(scale_texts.get(name))
        _apply(scale, given, ("title",))
        _apply_levels(scale.get("levels"), as_dict(given.get("levels")))
    group_texts = as_dict(texts.get("groups"))
    for group in as_list(out.get("groups")):
        _apply(group, as_dict(group_texts.get(str(group.get("code")))), ("title", "description"))
    section_texts = as_dict(texts.get("sections"))
    for section in as_list(out.get("sections")):
        given = as_dict(section_texts.get(str(section.get("code"))))
        _apply(section, given, ("title", "description"))
        q_texts = as_dict(given.get("questions"))
        for question in as_list(section.get("questions")):
            _apply_question(question, as_dict(q_texts.get(str(question.get("code")))))
    return out


def localized_title(definition: Mapping[str, Any] | None, lang: str | None, default: str) -> str:
    """The file's title in ``lang`` (e.g. for a ``FrameworkVersion``), else ``default``."""
    texts = as_dict(as_dict(as_dict(definition).get("translations")).get(lang or ""))
    title = texts.get("title")
    return title if isinstance(title, str) and title.strip() else default


def version_title(version: Any, lang: str | None = None) -> str:
    """A framework or questionnaire version's title in ``lang`` (default: the current
    language), else its stored (English) title."""
    lang = current_language() if lang is None else lang
    return localized_title(getattr(version, "definition", None), lang, str(version.title))


def criterion_title(criterion_definition: Mapping[str, Any] | None, lang: str | None,
                    default: str) -> str:  # fmt: skip
    """A stored criterion's title in ``lang``, else ``default`` (its stored title)."""
    texts = as_dict(as_dict(as_dict(criterion_definition).get("translations")).get(lang or ""))
    title = texts.get("title")
    return title if isinstance(title, str) and title.strip() else default


def title_of(criterion: Any, lang: str | None = None) -> str:
    """A ``Criterion`` row's title in ``lang`` (default: the current language); for
    templates, which show criterion titles in many places."""
    lang = current_language() if lang is None else lang
    return criterion_title(getattr(criterion, "definition", None), lang, str(criterion.title))
