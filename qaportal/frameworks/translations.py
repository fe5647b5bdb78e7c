"""The ``translations:`` block of a definition file: checking it, listing what it lacks,
and its stored form (format: ``forms/README.md``, "Translations").

* :func:`translation_errors` checks the block against the file (unknown codes, empty texts,
  texts the base file does not have, lists of another length);
* :func:`missing_translations` lists the base texts a language lacks (``forms check``);
* :func:`normalise_translations` gives the stored form: each criterion carries its own
  translations, so that a ``Criterion`` row is enough to show it in any language
  (:mod:`qaportal.frameworks.localize` applies them).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

from flask_babel import gettext as _

from qaportal.frameworks.localize import (
    CRITERION_LISTS,
    CRITERION_TEXTS,
    QUESTION_TEXTS,
    TOP_KEYS,
    TOP_TEXTS,
    JsonPath,
    as_dict,
    as_list,
    base_language,
    by_code,
)

# ----- the base texts, each with where its translation lives -----------------------------------


def _question_texts(
    questions: Any, base: JsonPath, tbase: JsonPath
) -> Iterator[tuple[JsonPath, JsonPath, str]]:
    for index, question in enumerate(as_list(questions)):
        if not isinstance(question, dict) or "code" not in question:
            continue
        tpath = (*tbase, str(question["code"]))
        for name in QUESTION_TEXTS:
            if question.get(name):
                yield (*base, index, name), (*tpath, name), str(question[name])
        for o_index, option in enumerate(as_list(question.get("options"))):
            if isinstance(option, dict) and option.get("label") and "value" in option:
                yield (
                    (*base, index, "options", o_index, "label"),
                    (*tpath, "options", str(option["value"])),
                    str(option["label"]),
                )


def base_texts(data: Mapping[str, Any]) -> Iterator[tuple[JsonPath, JsonPath, str]]:
    """Every translatable text of a file as written: ``(path in the file, path in a
    language's translations, text)``. List items of ``guidance``/``evidence_hints`` are
    addressed by their index inside the translated list, which must be complete."""
    for name in TOP_TEXTS:
        if data.get(name):
            yield (name,), (name,), str(data[name])
    for name in ("citation", "note"):
        if as_dict(data.get("source")).get(name):
            yield ("source", name), ("source", name), str(data["source"][name])
    for scale_name, scale in as_dict(data.get("scales")).items():
        scale = as_dict(scale)
        if scale.get("title"):
            yield ("scales", scale_name, "title"), ("scales", scale_name, "title"), scale["title"]
        for index, level in enumerate(as_list(scale.get("levels"))):
            if not isinstance(level, dict) or "value" not in level:
                continue
            for name in ("label", "description"):
                if level.get(name):
                    yield (
                        ("scales", scale_name, "levels", index, name),
                        ("scales", scale_name, "levels", str(level["value"]), name),
                        str(level[name]),
                    )
    for index, group in enumerate(as_list(data.get("groups"))):
        if isinstance(group, dict) and "code" in group:
            for name in ("title", "description"):
                if group.get(name):
                    yield (
                        ("groups", index, name),
                        ("groups", str(group["code"]), name),
                        str(group[name]),
                    )
    yield from _question_texts(
        data.get("default_questions"), ("default_questions",), ("default_questions",)
    )
    for index, criterion in enumerate(as_list(data.get("criteria"))):
        if not isinstance(criterion, dict) or "code" not in criterion:
            continue
        tpath: JsonPath = ("criteria", str(criterion["code"]))
        for name in CRITERION_TEXTS:
            if criterion.get(name):
                yield ("criteria", index, name), (*tpath, name), str(criterion[name])
        for name in CRITERION_LISTS:
            for i, text in enumerate(as_list(criterion.get(name))):
                yield ("criteria", index, name, i), (*tpath, name, i), str(text)
        yield from _question_texts(
            criterion.get("questions"), ("criteria", index, "questions"), (*tpath, "questions")
        )
    for index, section in enumerate(as_list(data.get("sections"))):
        if not isinstance(section, dict) or "code" not in section:
            continue
        tpath = ("sections", str(section["code"]))
        for name in ("title", "description"):
            if section.get(name):
                yield ("sections", index, name), (*tpath, name), str(section[name])
        yield from _question_texts(
            section.get("questions"), ("sections", index, "questions"), (*tpath, "questions")
        )


def _lookup(tree: Any, path: JsonPath) -> Any:
    for part in path:
        if isinstance(part, int):
            if not isinstance(tree, list) or part >= len(tree):
                return None
            tree = tree[part]
        else:
            if not isinstance(tree, dict) or part not in tree:
                return None
            tree = tree[part]
    return tree


def missing_translations(
    data: Mapping[str, Any], languages: list[str]
) -> list[tuple[JsonPath, str]]:
    """``(path in the file, language)`` for every base text a language lacks. The base
    language itself never lacks anything."""
    translations = as_dict(data.get("translations"))
    base = base_language(data)
    out = []
    for lang in languages:
        if lang == base:
            continue
        block = translations.get(lang)
        for path, tpath, _text in base_texts(data):
            value = _lookup(block, tpath)
            if not (isinstance(value, str) and value.strip()):
                out.append((path, lang))
    return out


# ----- checking the block --------------------------------------------------------------------


class _Checker:
    def __init__(self) -> None:
        self.errors: list[tuple[JsonPath, str]] = []

    def add(self, path: JsonPath, message: str) -> None:
        self.errors.append((path, message))

    def mapping(self, value: Any, path: JsonPath) -> dict[str, Any] | None:
        if isinstance(value, dict):
            return value
        self.add(path, _("expected a mapping of fields"))
        return None

    def text(self, value: Any, base_value: Any, path: JsonPath) -> None:
        if not base_value:
            self.add(path, _("the base text has no such field to translate"))
        elif not isinstance(value, str):
            self.add(path, _("expected text"))
        elif not value.strip():
            self.add(path, _("must not be empty"))

    def fields(self, given: dict[str, Any], allowed: tuple[str, ...], path: JsonPath) -> None:
        for key in given:
            if key not in allowed:
                self.add((*path, key), _('unknown field "%(name)s"', name=key))

    def codes(
        self, given: Any, known: dict[str, Any], path: JsonPath, what: str
    ) -> Iterator[tuple[str, Any, dict[str, Any], JsonPath]]:
        """The entries of a code-keyed mapping, each with its base item; unknown codes are
        errors."""
        block = self.mapping(given, path)
        for code, value in (block or {}).items():
            if code not in known:
                self.add((*path, code), _('unknown %(what)s "%(code)s"', what=what, code=code))
                continue
            yield code, value, known[code], (*path, code)

    def questions(self, given: Any, base_questions: Any, path: JsonPath) -> None:
        known = by_code(base_questions)
        for _code, value, question, qpath in self.codes(given, known, path, _("question code")):
            entry = self.mapping(value, qpath)
            if entry is None:
                continue
            self.fields(entry, (*QUESTION_TEXTS, "options"), qpath)
            for name in QUESTION_TEXTS:
                if name in entry:
                    self.text(entry[name], question.get(name), (*qpath, name))
            if "options" in entry:
                options = {
                    str(o["value"]): o
                    for o in as_list(question.get("options"))
                    if isinstance(o, dict) and "value" in o
                }
                if not options:
                    self.add((*qpath, "options"), _("the question has no options"))
                    continue
                for _v, label, option, opath in self.codes(
                    entry["options"], options, (*qpath, "options"), _("option value")
                ):
                    self.text(label, option.get("label"), opath)

    def texts_list(self, given: Any, base_list: Any, path: JsonPath) -> None:
        base_items = as_list(base_list)
        if not isinstance(given, list):
            self.add(path, _("expected a list"))
            return
        if len(given) != len(base_items):
            self.add(
                path,
                _(
                    "has %(got)s entries; the base text has %(n)s (translate the whole list, "
                    "in the same order)",
                    got=len(given),
                    n=len(base_items),
                ),
            )
        for index, text in enumerate(given):
            if index < len(base_items):
                self.text(text, base_items[index], (*path, index))


def translation_errors(data: Mapping[str, Any]) -> list[tuple[JsonPath, str]]:
    """Problems of a file's ``translations`` block, each as (path, message)."""
    if "translations" not in data:
        return []
    check = _Checker()
    kind = str(data.get("kind") or "")
    block = check.mapping(data.get("translations"), ("translations",))
    for lang, texts in (block or {}).items():
        path: JsonPath = ("translations", lang)
        if lang == base_language(data):
            check.add(path, _("the file is written in %(lang)s already", lang=lang))
            continue
        texts = check.mapping(texts, path)
        if texts is None:
            continue
        for key in texts:
            if key not in TOP_KEYS.get(kind, TOP_KEYS["criteria"]):
                check.add((*path, key), _('unknown field "%(name)s"', name=key))
        for name in TOP_TEXTS:
            if name in texts:
                check.text(texts[name], data.get(name), (*path, name))
        if "source" in texts:
            source = check.mapping(texts["source"], (*path, "source"))
            if source is not None:
                check.fields(source, ("citation", "note"), (*path, "source"))
                for name in ("citation", "note"):
                    if name in source:
                        check.text(
                            source[name],
                            as_dict(data.get("source")).get(name),
                            (*path, "source", name),
                        )
        scales = as_dict(data.get("scales"))
        for _n, value, scale, spath in check.codes(
            texts.get("scales", {}), scales, (*path, "scales"), _("scale")
        ):
            entry = check.mapping(value, spath)
            if entry is None:
                continue
            check.fields(entry, ("title", "levels"), spath)
            if "title" in entry:
                check.text(entry["title"], scale.get("title"), (*spath, "title"))
            levels = by_code(scale.get("levels"), "value")
            for _v, level_value, level, lpath in check.codes(
                entry.get("levels", {}), levels, (*spath, "levels"), _("level value")
            ):
                level_entry = check.mapping(level_value, lpath)
                if level_entry is not None:
                    check.fields(level_entry, ("label", "description"), lpath)
                    for name in ("label", "description"):
                        if name in level_entry:
                            check.text(level_entry[name], level.get(name), (*lpath, name))
        groups = by_code(data.get("groups"))
        for _c, value, group, gpath in check.codes(
            texts.get("groups", {}), groups, (*path, "groups"), _("group code")
        ):
            entry = check.mapping(value, gpath)
            if entry is not None:
                check.fields(entry, ("title", "description"), gpath)
                for name in ("title", "description"):
                    if name in entry:
                        check.text(entry[name], group.get(name), (*gpath, name))
        if "default_questions" in texts:
            check.questions(
                texts["default_questions"],
                data.get("default_questions"),
                (*path, "default_questions"),
            )
        criteria = by_code(data.get("criteria"))
        for _c, value, criterion, cpath in check.codes(
            texts.get("criteria", {}), criteria, (*path, "criteria"), _("criterion code")
        ):
            entry = check.mapping(value, cpath)
            if entry is None:
                continue
            check.fields(entry, (*CRITERION_TEXTS, *CRITERION_LISTS, "questions"), cpath)
            for name in CRITERION_TEXTS:
                if name in entry:
                    check.text(entry[name], criterion.get(name), (*cpath, name))
            for name in CRITERION_LISTS:
                if name in entry:
                    check.texts_list(entry[name], criterion.get(name), (*cpath, name))
            if "questions" in entry:
                if "questions" not in criterion:
                    check.add(
                        (*cpath, "questions"),
                        _("the criterion uses the default questions: translate default_questions"),
                    )
                else:
                    check.questions(
                        entry["questions"], criterion["questions"], (*cpath, "questions")
                    )
        sections = by_code(data.get("sections"))
        for _c, value, section, spath in check.codes(
            texts.get("sections", {}), sections, (*path, "sections"), _("section code")
        ):
            entry = check.mapping(value, spath)
            if entry is None:
                continue
            check.fields(entry, ("title", "description", "questions"), spath)
            for name in ("title", "description"):
                if name in entry:
                    check.text(entry[name], section.get(name), (*spath, name))
            if "questions" in entry:
                check.questions(entry["questions"], section.get("questions"), (*spath, "questions"))
    return check.errors


# ----- the stored form -------------------------------------------------------------------------


def _level_texts(scale_texts: Mapping[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(as_dict(scale_texts.get("levels")))


def _question_translation(
    question: Mapping[str, Any], given: Mapping[str, Any], scales: Mapping[str, Any]
) -> dict[str, Any]:
    out = {k: copy.deepcopy(v) for k, v in given.items() if k in (*QUESTION_TEXTS, "options")}
    if question.get("type") == "rating":
        levels = _level_texts(as_dict(scales.get(str(question.get("scale")))))
        if levels:
            out["levels"] = levels
    return out


def normalise_translations(raw: Mapping[str, Any], doc: dict[str, Any]) -> None:
    """Store ``raw``'s translations in the normalised ``doc`` (changed in place): the file-level
    texts stay under ``doc["translations"]``; each criterion gets its own ``translations``
    (title, statement, lists, and its questions, the default ones included, with the labels of
    their rating scale). Files without translations are left exactly as before, so that their
    content hash, and so their stored version, does not change."""
    block = as_dict(raw.get("translations"))
    if not block:
        return
    top: dict[str, Any] = {}
    for lang, texts in block.items():
        texts = as_dict(texts)
        top[lang] = {
            k: copy.deepcopy(v)
            for k, v in texts.items()
            if k not in ("criteria", "default_questions", "sections")
        }
        scales = as_dict(texts.get("scales"))
        for section in doc.get("sections") or []:
            given = as_dict(as_dict(texts.get("sections")).get(str(section["code"])))
            entry = {k: copy.deepcopy(v) for k, v in given.items() if k in ("title", "description")}
            questions = {}
            for question in section["questions"]:
                q_given = as_dict(as_dict(given.get("questions")).get(str(question["code"])))
                translated = _question_translation(question, q_given, scales)
                if translated:
                    questions[str(question["code"])] = translated
            if questions:
                entry["questions"] = questions
            if entry:
                top[lang].setdefault("sections", {})[str(section["code"])] = entry
        raw_criteria = by_code(raw.get("criteria"))
        for criterion in doc.get("criteria") or []:
            code = str(criterion["code"])
            given = as_dict(as_dict(texts.get("criteria")).get(code))
            entry = {
                k: copy.deepcopy(v)
                for k, v in given.items()
                if k in (*CRITERION_TEXTS, *CRITERION_LISTS)
            }
            own = "questions" in raw_criteria.get(code, {})
            q_block = as_dict(given.get("questions") if own else texts.get("default_questions"))
            questions = {}
            for question in criterion["questions"]:
                translated = _question_translation(
                    question, as_dict(q_block.get(str(question["code"]))), scales
                )
                if translated:
                    questions[str(question["code"])] = translated
            if questions:
                entry["questions"] = questions
            if entry:
                criterion.setdefault("translations", {})[lang] = entry
    doc["translations"] = top
