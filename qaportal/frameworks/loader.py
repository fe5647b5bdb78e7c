"""Reading, checking and normalising the definition files in ``forms/`` (no database).

A definition file is YAML, validated against ``forms/schema/definition.schema.json`` and then
by the semantic checks below (unique codes, scale references, figure ranges, questions per
criterion), which the schema cannot express. Every problem is reported as a ``FormError``
carrying the file, the line and the path inside the document, e.g.
``forms/eqavet.yaml:42: criteria[3].code: duplicate code "I3"``.

A file without errors is *normalised*: defaults are filled in, ``default_questions`` are
copied into the criteria that have none, and rating questions get their scale's levels. The
normalised definition is what is stored, and its canonical JSON is what is hashed.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import yaml
from flask_babel import gettext as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from qaportal.frameworks.translations import (
    missing_translations,
    normalise_translations,
    translation_errors,
)
from qaportal.memo import Memo
from qaportal.paths import FORMS_DIR

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from qaportal.audit.services import Actor
    from qaportal.frameworks.services import LoadResult

SCHEMA_PATH = FORMS_DIR / "schema" / "definition.schema.json"
FILE_SUFFIXES = (".yaml", ".yml")
QA_ELEMENTS = ("micro_credential", "course", "learner_feedback", "peer_feedback")
KINDS = ("criteria", "questionnaire")
MAX_FILE_BYTES = 2_000_000
MAX_NODES = 200_000  # guards against alias bombs ("billion laughs")

DEFAULT_MAX_LENGTH = {"narrative": 20_000, "text": 2_000}
# Per figure unit: (default decimals, default min, default max, whole numbers only)
FIGURE_UNITS: dict[str, tuple[int, float | None, float | None, bool]] = {
    "percentage": (1, 0, 100, False),
    "number": (2, None, None, False),
    "count": (0, 0, None, True),
    "year": (0, 1900, 2100, True),
    "months": (0, 0, None, True),
    "hours": (1, 0, None, False),
    "ects": (1, 0, None, False),
    "eur": (2, 0, None, False),
}
# Which fields a question of each type may carry (besides code, type, prompt, help, required).
QUESTION_FIELDS: dict[str, frozenset[str]] = {
    "narrative": frozenset({"max_length"}),
    "text": frozenset({"max_length"}),
    "rating": frozenset({"scale"}),
    "figure": frozenset({"unit", "min", "max", "decimals"}),
    "evidence": frozenset(),
    "single_choice": frozenset({"options"}),
    "multiple_choice": frozenset({"options"}),
}
COMMON_QUESTION_FIELDS = frozenset({"code", "type", "prompt", "help", "required"})
_TYPED_FIELDS = frozenset().union(*QUESTION_FIELDS.values())
# A criterion's answer has one narrative, one rating and one set of evidence links.
ONE_PER_CRITERION = ("narrative", "rating", "evidence")

JsonPath = tuple[str | int, ...]


# ----- errors -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FormError:
    """One problem in one definition file."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


def format_path(path: Sequence[str | int]) -> str:
    """``("criteria", 3, "code")`` → ``criteria[3].code``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


# ----- YAML with line numbers ---------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """Safe YAML without implicit timestamps: a date written in a file stays text."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _TooLarge(Exception):
    pass


class _Builder:
    """Builds plain data from the composed node tree, noting the line of every path."""

    def __init__(self, loader: _Loader) -> None:
        self.loader = loader
        self.lines: dict[JsonPath, int] = {}
        self.problems: list[tuple[int, JsonPath, str]] = []
        self._count = 0
        self._active: set[int] = set()

    def build(self, node: yaml.Node, path: JsonPath, line: int) -> Any:
        self._count += 1
        if self._count > MAX_NODES:
            raise _TooLarge
        self.lines.setdefault(path, line)
        if id(node) in self._active:
            self.problems.append((line, path, _("an alias refers to itself")))
            return None
        if isinstance(node, yaml.MappingNode):
            self._active.add(id(node))
            try:
                return self._mapping(node, path)
            finally:
                self._active.discard(id(node))
        if isinstance(node, yaml.SequenceNode):
            self._active.add(id(node))
            try:
                return [
                    self.build(item, (*path, index), item.start_mark.line + 1)
                    for index, item in enumerate(node.value)
                ]
            finally:
                self._active.discard(id(node))
        return self.loader.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: JsonPath) -> dict[str, Any]:
        self.loader.flatten_mapping(node)  # resolves "<<" merge keys
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            key = (
                self.loader.construct_object(key_node, deep=True)
                if isinstance(key_node, yaml.ScalarNode)
                else None
            )
            if not isinstance(key, str):
                self.problems.append(
                    (key_line, path, _("field names must be text, not %(key)r", key=key))
                )
                continue
            if key in result:
                self.problems.append(
                    (
                        key_line,
                        (*path, key),
                        _(
                            'duplicate field "%(key)s" (first at line %(line)s)',
                            key=key,
                            line=first_line[key],
                        ),
                    )
                )
                continue
            first_line[key] = key_line
            result[key] = self.build(value_node, (*path, key), key_line)
        return result


def parse_yaml(text: str) -> tuple[Any, dict[JsonPath, int], list[tuple[int, JsonPath, str]]]:
    """Parse one YAML document: ``(data, line of every path, problems)``.

    Raises ``yaml.YAMLError`` (with a mark) for syntax errors.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}, []
        builder = _Builder(loader)
        data = builder.build(node, (), node.start_mark.line + 1)
        return data, builder.lines, builder.problems
    finally:
        loader.dispose()


# ----- schema ------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    """The JSON Schema shipped beside the definition files."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


_TYPE_NAMES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping of fields",
    "null": "nothing",
}


def _describe(value: Any) -> str:
    if value is None:
        return _("nothing")
    if isinstance(value, bool):
        return _("%(value)s (true/false)", value=str(value).lower())
    if isinstance(value, int | float):
        return _("the number %(value)s", value=value)
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return _("a list")
    if isinstance(value, dict):
        return _("a mapping")
    return repr(value)


def _schema_messages(error: ValidationError, kind: str) -> Iterator[tuple[JsonPath, str]]:
    """Turn one jsonschema error into readable (path, message) pairs."""
    path: JsonPath = tuple(error.absolute_path)
    keyword = error.validator
    instance = error.instance
    if keyword == "required":
        match = re.match(r"^'(.+)' is a required property$", error.message)
        name = match.group(1) if match else error.message
        yield path, _('missing required field "%(name)s"', name=name)
    elif keyword == "additionalProperties" and isinstance(instance, dict):
        known = set(error.schema.get("properties", {}))
        for key in instance:
            if key not in known:
                yield (*path, key), _('unknown field "%(name)s"', name=key)
    elif keyword == "type":
        expected = error.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        wanted = _(" or ").join(_TYPE_NAMES.get(n, n) for n in names)
        message = _("expected %(wanted)s, got %(got)s", wanted=wanted, got=_describe(instance))
        if "string" in names and isinstance(instance, int | float | bool):
            message += " " + _("(put it in quotes)")
        yield path, message
    elif keyword == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        got = _describe(instance)
        yield path, _("%(got)s is not one of: %(allowed)s", got=got, allowed=allowed)
    elif keyword == "const":
        yield path, _("must be %(value)s", value=json.dumps(error.validator_value))
    elif keyword == "pattern":
        yield (
            path,
            _(
                "%(got)s has characters that are not allowed here (expected %(pattern)s)",
                got=_describe(instance),
                pattern=error.validator_value,
            ),
        )
    elif keyword == "minLength":
        yield path, _("must not be empty")
    elif keyword == "maxLength":
        yield path, _("is too long (at most %(n)s characters)", n=error.validator_value)
    elif keyword in ("minItems", "minProperties"):
        yield path, _("needs at least %(n)s entries", n=error.validator_value)
    elif keyword == "uniqueItems":
        yield path, _("has the same entry twice")
    elif keyword == "minimum":
        yield path, _("must be at least %(n)s", n=error.validator_value)
    elif keyword == "maximum":
        yield path, _("must be at most %(n)s", n=error.validator_value)
    elif keyword == "not" and error.validator_value == {}:
        # "properties": {"audience": {"not": {}}}: a field of the other kind of file
        name = path[-1] if path else ""
        yield path, _('"%(name)s" does not belong in a %(kind)s file', name=name, kind=kind)
    else:
        yield path, error.message


def _schema_errors(data: Any) -> list[tuple[JsonPath, str]]:
    out: list[tuple[JsonPath, str]] = []
    kind = str(data.get("kind", "")) if isinstance(data, dict) else ""
    for error in _validator().iter_errors(data):
        out.extend(_schema_messages(error, kind))
    return out


# ----- semantic checks ------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _duplicates(
    items: list[Any], key: str, base: JsonPath, what: str, *, fold_case: bool = False
) -> Iterator[tuple[JsonPath, str]]:
    seen: dict[Any, int] = {}
    for index, item in enumerate(items):
        value = _as_dict(item).get(key)
        if not isinstance(value, str):
            continue
        folded = value.casefold() if fold_case else value
        if folded in seen:
            yield (
                (*base, index, key),
                _(
                    'duplicate %(what)s "%(value)s" (also at %(where)s)',
                    what=what,
                    value=value,
                    where=format_path((*base, seen[folded])),
                ),
            )
        else:
            seen[folded] = index


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_figure(question: dict[str, Any], path: JsonPath) -> Iterator[tuple[JsonPath, str]]:
    unit = question.get("unit")
    if unit not in FIGURE_UNITS:
        return
    default_decimals, default_min, default_max, whole = FIGURE_UNITS[unit]
    decimals = question.get("decimals", default_decimals)
    if not isinstance(decimals, int):
        return
    if whole and decimals:
        yield (*path, "decimals"), _("a %(unit)s figure is a whole number: decimals must be 0",
                                      unit=unit)  # fmt: skip
    low = question.get("min", default_min)
    high = question.get("max", default_max)
    for name, value in (("min", low), ("max", high)):
        if not _is_number(value):
            continue
        if decimals == 0 and float(value) != int(value):
            yield (*path, name), _("must be a whole number (the figure has no decimals)")
        if unit == "percentage" and not 0 <= value <= 100:
            yield (*path, name), _("a percentage lies between 0 and 100")
    if _is_number(low) and _is_number(high) and low > high:
        yield (
            (*path, "min"),
            _("min (%(low)s) is greater than max (%(high)s)", low=low, high=high),
        )


def _check_questions(
    questions: list[Any],
    base: JsonPath,
    *,
    kind: str,
    scales: dict[str, Any],
    seen_codes: dict[str, JsonPath],
) -> Iterator[tuple[JsonPath, str]]:
    per_type: dict[str, JsonPath] = {}
    for index, question in enumerate(questions):
        if not isinstance(question, dict):
            continue
        path = (*base, index)
        code = question.get("code")
        if isinstance(code, str):
            if code in seen_codes:
                yield (
                    (*path, "code"),
                    _(
                        'duplicate question code "%(code)s" (also at %(where)s)',
                        code=code,
                        where=format_path(seen_codes[code]),
                    ),
                )
            else:
                seen_codes[code] = path
        qtype = question.get("type")
        if qtype not in QUESTION_FIELDS:
            continue
        for name in question:
            if name in _TYPED_FIELDS and name not in QUESTION_FIELDS[qtype]:
                yield (
                    (*path, name),
                    _(
                        '"%(name)s" does not apply to a %(type)s question',
                        name=name,
                        type=qtype,
                    ),
                )
        if kind == "criteria" and qtype in ONE_PER_CRITERION:
            if qtype in per_type:
                yield (
                    path,
                    _(
                        "a criterion has at most one %(type)s question (also at %(where)s)",
                        type=qtype,
                        where=format_path(per_type[qtype]),
                    ),
                )
            else:
                per_type[qtype] = path
        if kind == "questionnaire" and qtype == "evidence":
            yield (*path, "type"), _("a questionnaire cannot ask for evidence")
        if qtype == "rating":
            scale = question.get("scale")
            if scale is None:
                if len(scales) != 1:
                    hint = (
                        _("define one under scales:")
                        if not scales
                        else _("name one of %(names)s with scale:", names=", ".join(sorted(scales)))
                    )
                    yield path, _("rating question without a scale: %(hint)s", hint=hint)
            elif isinstance(scale, str) and scale not in scales:
                yield (*path, "scale"), _('unknown scale "%(name)s"', name=scale)
        elif qtype == "figure":
            yield from _check_figure(question, path)
        elif qtype in ("single_choice", "multiple_choice"):
            yield from _duplicates(
                _as_list(question.get("options")), "value", (*path, "options"), _("option value")
            )


def _semantic_errors(data: Any, owner_rule: bool | None) -> list[tuple[JsonPath, str]]:
    """Checks the schema cannot express. Robust to data that already failed the schema."""
    if not isinstance(data, dict):
        return []
    out: list[tuple[JsonPath, str]] = []
    kind = data.get("kind")
    scales = _as_dict(data.get("scales"))
    for name, scale in scales.items():
        out.extend(
            _duplicates(
                _as_list(_as_dict(scale).get("levels")),
                "value",
                ("scales", name, "levels"),
                _("level value"),
            )
        )
    if owner_rule is True and "owner_agency" not in data:
        out.append(
            ((), _("an agency's own file must name its agency: owner_agency: <legal name or id>"))
        )
    elif owner_rule is False and "owner_agency" in data:
        out.append(
            (
                ("owner_agency",),
                _("owner_agency belongs only in files in QAPORTAL_FORMS_EXTRA_DIR"),
            )
        )

    if kind == "criteria":
        groups = _as_list(data.get("groups"))
        out.extend(_duplicates(groups, "code", ("groups",), _("group code")))
        group_codes = {g.get("code") for g in groups if isinstance(g, dict)}
        defaults = data.get("default_questions")
        if isinstance(defaults, list):
            out.extend(
                _check_questions(
                    defaults, ("default_questions",), kind=kind, scales=scales, seen_codes={}
                )
            )
        criteria = _as_list(data.get("criteria"))
        out.extend(_duplicates(criteria, "code", ("criteria",), _("code"), fold_case=True))
        for index, criterion in enumerate(criteria):
            if not isinstance(criterion, dict):
                continue
            path: JsonPath = ("criteria", index)
            group = criterion.get("group")
            if isinstance(group, str) and group not in group_codes:
                out.append(((*path, "group"), _('unknown group "%(code)s"', code=group)))
            questions = criterion.get("questions")
            if questions is None:
                if not isinstance(defaults, list):
                    message = _("the criterion has no questions and the file no default_questions")
                    out.append((path, message))
                effective = _as_list(defaults)
            else:
                effective = _as_list(questions)
                out.extend(
                    _check_questions(
                        effective, (*path, "questions"), kind=kind, scales=scales, seen_codes={}
                    )
                )
            has_evidence = any(
                isinstance(q, dict) and q.get("type") == "evidence" for q in effective
            )
            if criterion.get("evidence_required") is True and not has_evidence and effective:
                out.append(
                    (
                        (*path, "evidence_required"),
                        _("evidence is required but the criterion has no evidence question"),
                    )
                )
    elif kind == "questionnaire":
        sections = _as_list(data.get("sections"))
        out.extend(_duplicates(sections, "code", ("sections",), _("section code")))
        seen: dict[str, JsonPath] = {}
        for index, section in enumerate(sections):
            out.extend(
                _check_questions(
                    _as_list(_as_dict(section).get("questions")),
                    ("sections", index, "questions"),
                    kind=kind,
                    scales=scales,
                    seen_codes=seen,
                )
            )
    out.extend(translation_errors(data))
    return out


# ----- normalisation ----------------------------------------------------------------------------


def _normalise_question(
    question: dict[str, Any], scales: dict[str, Any], *, required: bool
) -> dict[str, Any]:
    q = dict(question)
    q.setdefault("help", "")
    q.setdefault("required", required)
    qtype = q["type"]
    if qtype in DEFAULT_MAX_LENGTH:
        q.setdefault("max_length", DEFAULT_MAX_LENGTH[qtype])
    elif qtype == "rating":
        name = q.get("scale") or next(iter(scales))
        q["scale"] = name
        q["levels"] = copy.deepcopy(scales[name]["levels"])
    elif qtype == "figure":
        decimals, low, high, _whole = FIGURE_UNITS[q["unit"]]
        q.setdefault("decimals", decimals)
        if low is not None:
            q.setdefault("min", low)
        if high is not None:
            q.setdefault("max", high)
    return q


def normalise(data: dict[str, Any]) -> dict[str, Any]:
    """Fill in defaults; expand ``default_questions``. Only for data that passed the checks."""
    doc = copy.deepcopy(data)
    doc.setdefault("language", "en")
    doc.setdefault("description", "")
    doc.setdefault("provider_types", [])
    scales = doc.setdefault("scales", {})
    if doc["kind"] == "criteria":
        doc.setdefault("groups", [])
        defaults = doc.pop("default_questions", None)
        for criterion in doc["criteria"]:
            criterion.setdefault("guidance", [])
            criterion.setdefault("evidence_hints", [])
            criterion.setdefault("required", True)
            criterion.setdefault("evidence_required", False)
            criterion.setdefault("qa_elements", [])
            questions = criterion.get("questions") or copy.deepcopy(defaults) or []
            criterion["questions"] = [
                _normalise_question(
                    q,
                    scales,
                    required=criterion["evidence_required"] if q["type"] == "evidence" else True,
                )
                for q in questions
            ]
    else:
        for section in doc["sections"]:
            section.setdefault("description", "")
            section["questions"] = [
                _normalise_question(q, scales, required=False) for q in section["questions"]
            ]
    doc.pop("translations", None)
    normalise_translations(data, doc)
    return doc


def canonical_json(definition: Mapping[str, Any]) -> str:
    return json.dumps(definition, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(definition: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a normalised definition."""
    return hashlib.sha256(canonical_json(definition).encode("utf-8")).hexdigest()


# ----- checking files -------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedFile:
    """The outcome of checking one file: its errors, or its normalised definition and hash."""

    path: Path
    name: str  # as shown in messages
    errors: tuple[FormError, ...]
    definition_json: str | None = None
    content_hash: str | None = None
    lines: Mapping[JsonPath, int] = field(default_factory=dict)
    extra: bool | None = None  # from QAPORTAL_FORMS_EXTRA_DIR (True), shipped (False)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def definition(self) -> dict[str, Any]:
        """A fresh copy of the normalised definition (only for files without errors)."""
        if self.definition_json is None:
            raise ValueError(f"{self.name} has errors")
        return json.loads(self.definition_json)

    def line_of(self, *path: str | int) -> int | None:
        return _line_for(self.lines, tuple(path))


def _line_for(lines: Mapping[JsonPath, int], path: JsonPath) -> int | None:
    for end in range(len(path), -1, -1):
        line = lines.get(path[:end])
        if line is not None:
            return line
    return None


def display_name(path: Path) -> str:
    """The path relative to the working directory when below it, else absolute."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


_OK_CACHE: Memo[tuple[str, str, bool | None], CheckedFile] = Memo(64)


def _check_text(text: str, name: str, owner_rule: bool | None) -> CheckedFile:
    def error(line: int | None, path: JsonPath, message: str) -> FormError:
        return FormError(name, line, format_path(path), message)

    try:
        data, lines, problems = parse_yaml(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = " ".join(p for p in (exc.context, exc.problem) if p)
        if exc.context_mark and mark and exc.context_mark.line != mark.line:
            detail += " " + _(
                "(what is unfinished starts at line %(n)s)", n=exc.context_mark.line + 1
            )
        return CheckedFile(
            Path(name),
            name,
            (error(mark.line + 1 if mark else 1, (), _("YAML syntax error: %(d)s", d=detail)),),
        )
    except yaml.YAMLError as exc:
        return CheckedFile(Path(name), name, (error(1, (), _("YAML error: %(d)s", d=str(exc))),))
    except _TooLarge:
        return CheckedFile(
            Path(name), name, (error(1, (), _("the file has too many nodes or aliases")),)
        )
    if data is None:
        return CheckedFile(Path(name), name, (error(1, (), _("the file is empty")),))
    lines = MappingProxyType(lines)
    errors = [error(line, path, message) for line, path, message in problems]
    found = _schema_errors(data) + _semantic_errors(data, owner_rule)
    errors += [error(_line_for(lines, path), path, message) for path, message in found]
    errors.sort(key=lambda e: (e.line or 0, e.path))
    if errors:
        return CheckedFile(Path(name), name, tuple(errors), lines=lines)
    definition = normalise(data)
    return CheckedFile(
        Path(name),
        name,
        (),
        definition_json=canonical_json(definition),
        content_hash=content_hash(definition),
        lines=lines,
    )


def check_text(text: str, name: str, *, owner_rule: bool | None = None) -> CheckedFile:
    """Check a definition given as text. ``owner_rule``: True requires ``owner_agency``,
    False forbids it, None allows either. Files without errors are remembered (the demo and
    the tests load the same files often); errors are worked out anew, in the current locale."""
    key = (hashlib.sha256(text.encode("utf-8")).hexdigest(), name, owner_rule)
    cached = _OK_CACHE.get(key)
    if cached is not None:
        return cached
    checked = _check_text(text, name, owner_rule)
    if checked.ok:
        _OK_CACHE.put(key, checked)
    return checked


def check_file(path: Path, *, extra: bool | None = None) -> CheckedFile:
    """Check one file. ``extra``: True for a file of QAPORTAL_FORMS_EXTRA_DIR (must name its
    agency), False for a shipped one (must not), None when it is not known."""
    name = display_name(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            message = _("the file is larger than %(n)s bytes", n=MAX_FILE_BYTES)
            return CheckedFile(path, name, (FormError(name, None, "", message),), extra=extra)
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        message = _("cannot read the file: %(reason)s", reason=str(exc))
        return CheckedFile(path, name, (FormError(name, None, "", message),), extra=extra)
    checked = check_text(text, name, owner_rule=extra)
    return CheckedFile(
        path,
        name,
        checked.errors,
        checked.definition_json,
        checked.content_hash,
        checked.lines,
        extra,
    )


def definition_files(directory: Path) -> list[Path]:
    """The definition files in ``directory`` and its sub-folders (e.g. ``questionnaires/``),
    except the ``schema`` folder and hidden ones."""
    if not directory.is_dir():
        return []
    found = []
    for path in directory.rglob("*"):
        parts = path.relative_to(directory).parts
        if parts[0] == "schema" or any(part.startswith(".") for part in parts):
            continue
        if path.is_file() and path.suffix.lower() in FILE_SUFFIXES:
            found.append(path)
    return sorted(found)


def default_directories(extra_dir: str | Path | None = None) -> list[Path]:
    """The shipped ``forms/`` and, when configured, the agencies' extra directory."""
    dirs = [FORMS_DIR]
    if extra_dir:
        dirs.append(Path(extra_dir))
    return dirs


def _is_within(path: Path, directory: Path | None) -> bool:
    if directory is None:
        return False
    try:
        path.resolve().relative_to(directory.resolve())
    except ValueError:
        return False
    return True


def _origin(path: Path, extra_dir: Path | None) -> bool | None:
    if _is_within(path, extra_dir):
        return True
    if _is_within(path, FORMS_DIR):
        return False
    return None


def check_paths(
    paths: Iterable[str | Path] | None = None, *, extra_dir: str | Path | None = None
) -> list[CheckedFile]:
    """Check files and directories (default: ``forms/`` and the extra directory), including
    the checks across files: the same code (for the same owner) in two files."""
    extra = Path(extra_dir) if extra_dir else None
    files: list[Path] = []
    for item in paths if paths is not None else default_directories(extra):
        item = Path(item)
        files.extend(definition_files(item) if item.is_dir() else [item])
    results = [check_file(path, extra=_origin(path, extra)) for path in files]

    seen: dict[tuple[str, str], CheckedFile] = {}
    out: list[CheckedFile] = []
    for checked in results:
        if checked.ok:
            definition = checked.definition
            key = (str(definition.get("owner_agency", "")), definition["code"])
            if key in seen:
                first = seen[key]
                message = _(
                    'framework code "%(code)s" is already used by %(file)s',
                    code=definition["code"],
                    file=first.name,
                )
                error = FormError(checked.name, checked.line_of("code"), "code", message)
                checked = CheckedFile(
                    checked.path, checked.name, (error,), lines=checked.lines, extra=checked.extra
                )
            else:
                seen[key] = checked
        out.append(checked)
    return out


def translation_gaps(checked: CheckedFile, languages: Iterable[str]) -> list[FormError]:
    """Every text of a file without errors that lacks a translation into one of
    ``languages`` (shown in the base language meanwhile), as ``FILE:LINE: PATH: no fr
    translation``."""
    if not checked.ok:
        return []
    try:
        data, _lines, _problems = parse_yaml(checked.path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, _TooLarge):
        return []
    return [
        FormError(
            checked.name,
            checked.line_of(*path),
            format_path(path),
            _("no %(lang)s translation", lang=lang),
        )
        for path, lang in missing_translations(data, list(languages))
    ]


def all_errors(results: Iterable[CheckedFile]) -> list[FormError]:
    return [error for checked in results for error in checked.errors]


def load_file(session: Session, path: str | Path, actor: Actor | None = None) -> LoadResult:
    """Check and store one file (see ``qaportal.frameworks.services.load_forms``); returns
    its ``LoadResult``. Raises ``FormsInvalid`` when the file has errors."""
    from qaportal.audit.services import Actor as _Actor
    from qaportal.frameworks.services import load_forms

    (result,) = load_forms(session, actor or _Actor.system("forms"), paths=[Path(path)])
    return result
