"""Carrying a newer version's translations over to the older stored versions of a form.

A version is a snapshot of its file, so a case that started before a file gained its
``translations:`` block would stay in the base language for good. Translations are tied to
texts, not to versions: where an older version has, under the same stable code, exactly the
same base-language texts as the newer one, the newer translations fit it word for word.

The unit compared is the one a reader sees together: a criterion (title, statement, lists,
its questions and their rating labels), a questionnaire section's heading, each of its
questions, a scale, a group, the file's title, description and source. If any base text of a
unit changed, the older version keeps what it had for it: a half-translated criterion, or a
translation of words the older version does not say, would be worse than the base text.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from qaportal.frameworks.localize import JsonPath, as_dict, as_list, base_language, by_code
from qaportal.frameworks.translations import base_texts

Unit = tuple[str, ...]
# Marks where a version's carried translations came from; part of the questionnaire cache key,
# since a carried version keeps its content hash (the hash names the file it was loaded from).
CARRIED_FROM = "translations_from"


def _unit(tpath: JsonPath) -> Unit | None:
    head = str(tpath[0])
    if head in ("title", "description", "source"):
        return (head,)
    if head in ("scales", "groups", "criteria"):
        return (head, str(tpath[1]))
    if head == "sections":
        if len(tpath) > 3 and tpath[2] == "questions":
            return (head, str(tpath[1]), "questions", str(tpath[3]))
        return (head, str(tpath[1]))
    return None  # default questions are expanded into each criterion when stored


def _level_texts(questions: Any) -> list[tuple[Any, ...]]:
    """Rating questions carry their scale's labels, and their translations carry them too."""
    return [
        (question.get("code"), level.get("value"), level.get("label"), level.get("description"))
        for question in as_list(questions)
        if isinstance(question, dict)
        for level in as_list(question.get("levels"))
        if isinstance(level, dict)
    ]


def signatures(definition: Mapping[str, Any]) -> dict[Unit, list[Any]]:
    """Every unit of a stored definition with its base-language texts."""
    out: dict[Unit, list[Any]] = defaultdict(list)
    for _path, tpath, text in base_texts(definition):
        unit = _unit(tpath)
        if unit is not None:
            out[unit].append((tpath, text))
    for criterion in as_list(definition.get("criteria")):
        if isinstance(criterion, dict) and "code" in criterion:
            unit = ("criteria", str(criterion["code"]))
            out[unit].extend(_level_texts(criterion.get("questions")))
    for section in as_list(definition.get("sections")):
        if isinstance(section, dict) and "code" in section:
            for question in as_list(section.get("questions")):
                if isinstance(question, dict) and "code" in question:
                    unit = ("sections", str(section["code"]), "questions", str(question["code"]))
                    out[unit].extend(_level_texts([question]))
    return dict(out)


def _carry_top(target: dict[str, Any], texts: Mapping[str, Any], unit: Unit) -> None:
    head = unit[0]
    if len(unit) == 1:
        if head in texts:
            target[head] = copy.deepcopy(texts[head])
    elif head in ("scales", "groups"):
        value = as_dict(texts.get(head)).get(unit[1])
        if value:
            target.setdefault(head, {})[unit[1]] = copy.deepcopy(value)
    elif head == "sections":
        given = as_dict(as_dict(texts.get("sections")).get(unit[1]))
        section = target.setdefault("sections", {}).setdefault(unit[1], {})
        if len(unit) == 2:
            section.update({k: v for k, v in given.items() if k in ("title", "description")})
        else:
            value = as_dict(given.get("questions")).get(unit[3])
            if value:
                section.setdefault("questions", {})[unit[3]] = copy.deepcopy(value)
        if not section:
            del target["sections"][unit[1]]


def carry_translations(
    newer: Mapping[str, Any], older: Mapping[str, Any], *, source: str = ""
) -> tuple[dict[str, Any], list[str]] | None:
    """``older`` with ``newer``'s translations of every unit whose base texts are the same in
    both, and the codes of the criteria that gained them; ``None`` if nothing would change.
    Translations of ``older``'s other units, and languages ``newer`` lacks, are kept."""
    new_block = as_dict(newer.get("translations"))
    if not new_block or base_language(newer) != base_language(older):
        return None
    new_units, old_units = signatures(newer), signatures(older)
    same = {unit for unit, texts in new_units.items() if old_units.get(unit) == texts}
    out = copy.deepcopy(dict(older))
    block = out.setdefault("translations", {})
    for lang, texts in new_block.items():
        target = block.setdefault(lang, {})
        for unit in sorted(same):
            if unit[0] != "criteria":
                _carry_top(target, as_dict(texts), unit)
        if "sections" in target and not target["sections"]:
            del target["sections"]
    newer_criteria = by_code(newer.get("criteria"))
    carried: list[str] = []
    for criterion in as_list(out.get("criteria")):
        code = str(criterion.get("code"))
        if ("criteria", code) not in same:
            continue
        given = as_dict(newer_criteria.get(code, {}).get("translations"))
        if given:
            own = criterion.setdefault("translations", {})
            before = copy.deepcopy(own)
            own.update(copy.deepcopy(given))
            if own != before:
                carried.append(code)
    for lang in [lang for lang, texts in block.items() if not texts]:
        del block[lang]
    if not block:
        del out["translations"]
    if out == dict(older):
        return None
    if source:
        out[CARRIED_FROM] = source
    return out, carried


def without_translations(definition: Mapping[str, Any] | None) -> dict[str, Any]:
    """A stored definition without anything carrying may change: what must stay immutable."""
    out = {k: v for k, v in as_dict(definition).items() if k not in ("translations", CARRIED_FROM)}
    if isinstance(out.get("criteria"), list):
        out["criteria"] = [
            {k: v for k, v in c.items() if k != "translations"} if isinstance(c, dict) else c
            for c in out["criteria"]
        ]
    return out
