"""The audit trail in words: what each action means, what its object is called, what its
details say.

The trail stores keys (``feedback.codes_generated``, ``feedback_campaign`` 12, ``{"count":
30}``) because they never change meaning; people read sentences ("Ana generated 30 survey
codes for campaign “Spring 2026 learners”"). The audit package cannot know every domain's
actions, so each domain declares its own words from its ``register(app)``:

* :func:`register_actions`: action key → phrase. A phrase is a lazy string formatted with
  ``actor``, ``object`` and the event's details, or a function of those values (for plurals,
  with ``ngettext``). A phrase whose values are missing, and an action nobody declared,
  fall back to a humanised form of the key, never the bare key.
* :func:`register_object_kind`: object type → its noun and a function that names many
  objects in one query, so a page of events costs one query per object type, not per row.
* :func:`register_details`: how detail keys are labelled and their coded values shown.
* :func:`register_object_values`: coded values whose words belong to their object (an
  answer's rating is worded by its criterion's scale, in the reader's language), looked up
  for many objects in one query, as names are; one lookup may word several keys.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from flask_babel import format_date, format_datetime, ngettext
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from qaportal.web.bounds import MAX_INT


class _Text(Protocol):
    def __str__(self) -> str: ...


Phrase = _Text | Callable[[Mapping[str, Any]], str]
# The names of many objects of one type, by their ids as the trail stores them (text).
NameLookup = Callable[[Session, Sequence[str]], Mapping[str, str]]
# Per event's object: {detail key: {code: words}}.
ObjectValues = Mapping[str, Mapping[str, str]]
# The words of some details' codes, per object: {object id: {detail key: {code: words}}}.
ValueLookup = Callable[[Session, Sequence[str]], Mapping[str, ObjectValues]]


@dataclass(frozen=True)
class ObjectKind:
    noun: _Text  # "campaign": used when the object has no name (gone, or nameless)
    names: NameLookup | None = None


@dataclass
class _Vocabulary:
    phrases: dict[str, Phrase] = field(default_factory=dict)
    objects: dict[str, ObjectKind] = field(default_factory=dict)
    labels: dict[str, _Text | None] = field(default_factory=dict)  # None: not shown
    values: dict[str, dict[str, _Text]] = field(default_factory=dict)
    # actions whose details are {field: [before, after]}
    changes: set[str] = field(default_factory=set)
    # (object type, the detail keys it words) → the lookup of its objects' words
    object_values: dict[tuple[str, tuple[str, ...]], ValueLookup] = field(default_factory=dict)


_WORDS = _Vocabulary()
_ISO_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
_ISO_MOMENT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(\+00:00|Z)?$")
_CODED = re.compile(r"^[a-z0-9]+(?:[_-][a-z0-9]+)+$")


def register_actions(phrases: Mapping[str, Phrase], *, changes: Iterable[str] = ()) -> None:
    """Declares what actions mean (idempotent: every app the process creates registers
    again). ``changes`` names actions whose details are ``{field: [before, after]}``."""
    _WORDS.phrases.update(phrases)
    _WORDS.changes.update(changes)


def register_object_kind(object_type: str, noun: _Text, names: NameLookup | None = None) -> None:
    """Domains give ``noun`` as ``lazy_pgettext("audit object", "case")``: translators then
    write it as the sentences put it, with its article where the language wants one there
    (French "le dossier")."""
    _WORDS.objects[object_type] = ObjectKind(noun, names)


def register_details(
    labels: Mapping[str, _Text | None] | None = None,
    values: Mapping[str, Mapping[str, _Text]] | None = None,
) -> None:
    """Labels of detail keys (``None`` hides a key: internal ids, lock versions) and the
    words for coded values, per key (``{"kind": {"peer": _l("Peer feedback")}}``)."""
    _WORDS.labels.update(labels or {})
    for key, words in (values or {}).items():
        _add_values(key, words)


def register_object_values(object_type: str, keys: Sequence[str], lookup: ValueLookup) -> None:
    """The ``keys`` details of events about ``object_type`` objects hold codes that
    ``lookup`` words for many objects at once (in the current language). Keys worded from
    the same rows share one lookup, so a page runs their query once."""
    _WORDS.object_values[(object_type, tuple(keys))] = lookup


def register_job_kind(kind: str, name: _Text) -> None:
    """A kind of background job in words: the name of its jobs in the trail and the value
    of their ``kind`` detail."""
    for key in ("job_kind", "kind"):
        _add_values(key, {kind: name})


def _add_values(key: str, words: Mapping[str, _Text]) -> None:
    """Domains share a key's vocabulary ("kind", "role"), so one code must mean one thing:
    a code worded twice differently would silently reword the other domain's entries."""
    known = _WORDS.values.setdefault(key, {})
    for code, text in words.items():
        if code in known and _msgid(known[code]) != _msgid(text):
            raise ValueError(f"{key}={code!r} is worded both {known[code]!r} and {text!r}")
        known[code] = text


def _msgid(text: _Text) -> Any:
    # A lazy string's message id, so that registering the same words again (every app the
    # factory builds) is no clash, and comparing needs no locale.
    return getattr(text, "_args", text)


def value_words(key: str) -> Mapping[str, _Text]:
    """The words registered for the coded values of ``key`` (e.g. ``job_kind``)."""
    return _WORDS.values.get(key, {})


def labelled(key: str) -> bool:
    """Whether a detail key has words of its own (or is hidden), not a humanised key."""
    return key in _WORDS.labels


def declared(action: str) -> bool:
    return action in _WORDS.phrases


# ----- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Described:
    sentence: str  # "Ana generated 30 survey codes for campaign “Spring 2026 learners”"
    object_label: str | None  # "campaign “Spring 2026 learners”"
    details: list[tuple[str, str]]  # (label, value), in the order they were recorded


class _Event(Protocol):
    object_type: str | None
    object_id: str | None
    details: str | None


def integer_ids(ids: Sequence[str]) -> list[int]:
    """The trail's object ids (text) that an integer id column can hold, as numbers."""
    return [int(i) for i in ids if i.isascii() and i.isdigit() and int(i) <= MAX_INT]


def names_by_id(id_column: Any, name_column: Any) -> NameLookup:
    """A lookup for objects with an integer key: ``names_by_id(Campaign.id, Campaign.title)``.
    The name may be any SQL expression of the same table."""

    def lookup(session: Session, ids: Sequence[str]) -> Mapping[str, str]:
        numbers = integer_ids(ids)
        if not numbers:
            return {}
        rows = session.execute(select(id_column, name_column).where(id_column.in_(numbers)))
        return {str(key): str(name) for key, name in rows if name}

    return lookup


def _ids_by_type(events: Iterable[_Event]) -> dict[str, list[str]]:
    wanted: dict[str, set[str]] = defaultdict(set)
    for event in events:
        if event.object_type and event.object_id:
            wanted[event.object_type].add(event.object_id)
    return {object_type: sorted(ids) for object_type, ids in wanted.items()}


def object_names(session: Session, events: Iterable[_Event]) -> dict[tuple[str, str], str]:
    """The names of the events' objects: one query per object type that has a lookup."""
    found: dict[tuple[str, str], str] = {}
    for object_type, ids in _ids_by_type(events).items():
        kind = _WORDS.objects.get(object_type)
        if kind is None or kind.names is None:
            continue
        for object_id, name in kind.names(session, ids).items():
            found[(object_type, object_id)] = name
    return found


def object_values(
    session: Session, events: Iterable[_Event]
) -> dict[tuple[str, str], ObjectValues]:
    """The words of the events' object-bound codes (:func:`register_object_values`), by
    (object type, object id): one query per lookup that has objects on the page."""
    events = list(events)
    found: dict[tuple[str, str], dict[str, Mapping[str, str]]] = defaultdict(dict)
    for (object_type, keys), lookup in _WORDS.object_values.items():
        # Only objects whose events may hold a key: a page full of cases need not look
        # up the panel's levels of every one (a stray match costs a row, never a word).
        quoted = [json.dumps(key) for key in keys]
        holding = (e for e in events if any(q in (e.details or "") for q in quoted))
        ids = _ids_by_type(holding).get(object_type)
        if ids:
            for object_id, words in lookup(session, ids).items():
                found[(object_type, object_id)].update(
                    (key, words[key]) for key in keys if key in words
                )
    return dict(found)


class _Worded(str):
    """A code already put in its object's words: shown as it is."""


def _with_object_words(details: Mapping[str, Any], words: ObjectValues) -> dict[str, Any]:
    def word(key: str, value: Any) -> Any:
        if isinstance(value, list):
            return [word(key, v) for v in value]
        if isinstance(value, str) and value in words[key]:
            return _Worded(words[key][value])
        return value

    return {k: word(k, v) if k in words else v for k, v in details.items()}


def humanise(key: str) -> str:
    """``case.screening_saved`` → "Case: screening saved"; ``legal_name`` → "Legal name"."""
    head, _dot, tail = key.rpartition(".")
    words = re.sub(r"[_.]+", " ", tail).strip()
    if not head:
        return words[:1].upper() + words[1:]
    return f"{re.sub(r'[_.]+', ' ', head).strip().capitalize()}: {words}"


def _object_label(object_type: str | None, object_id: str | None, name: str | None) -> str | None:
    if not object_type:
        return None
    kind = _WORDS.objects.get(object_type)
    noun = str(kind.noun) if kind is not None else humanise(object_type).lower()
    if name:
        return _("%(noun)s “%(name)s”", noun=noun, name=name)
    if object_id:
        # Not resolved: gone since, or a kind without names. The number still tells two
        # such objects apart.
        return _("%(noun)s no. %(id)s", noun=noun, id=object_id)
    return noun


def _value(key: str, value: Any) -> str:
    if isinstance(value, _Worded):
        return str(value)
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(_value(key, v) for v in value)
    words = _WORDS.values.get(key, {})
    if isinstance(value, dict):  # coded keys, e.g. screening checks: worded as the key's values
        return "; ".join(
            f"{words[k] if k in words else _label(k)}: {_value(k, v)}" for k, v in value.items()
        )
    text = str(value)
    if text in words:
        return str(words[text])
    try:
        if _ISO_DATE.match(text):
            return format_date(dt.date.fromisoformat(text))
        if _ISO_MOMENT.match(text):
            return format_datetime(dt.datetime.fromisoformat(text), rebase=False) + " UTC"
    except ValueError:
        return text
    if _CODED.match(text):  # a coded value nobody put in words
        return _humanise_code(text)
    return text


def worded(key: str, code: str) -> str:
    """A coded value of ``key`` in the words registered for it, else humanised
    ("report-document" reads "Report document"), never the bare code."""
    words = _WORDS.values.get(key, {})
    return str(words[code]) if code in words else _humanise_code(code)


def _humanise_code(code: str) -> str:
    return code.replace("_", " ").replace("-", " ").capitalize()


def _label(key: str) -> str:
    label = _WORDS.labels.get(key)
    return str(label) if label is not None else humanise(key)


def hidden(key: str) -> bool:
    if key in _WORDS.labels:
        return _WORDS.labels[key] is None
    return key == "id" or key.endswith(("_id", "_ids"))


def _details(action: str, data: Mapping[str, Any]) -> list[tuple[str, str]]:
    rows = []
    for key, value in data.items():
        if hidden(key) or value is None or value in ("", [], {}):
            continue
        if action in _WORDS.changes and isinstance(value, list) and len(value) == 2:
            shown = _(
                "%(before)s → %(after)s", before=_value(key, value[0]), after=_value(key, value[1])
            )
        else:
            shown = _value(key, value)
        rows.append((_label(key), shown))
    return rows


# Where a language has articles, the objects' nouns come with theirs, as a noun stands
# alone ("le dossier", "das Verfahren"); the word before the object in a phrase may contract
# or decline it. (word before the object, article) → the words that replace the two. Only
# that word of the phrase and the article change, never a name inside a value; the
# languages' words do not overlap, so one table serves them all.
_GERMAN_DATIVE = {"von": "vom", "zu": "zum", "bei": "beim", "mit": None, "aus": None}
_BEFORE_ARTICLE: dict[tuple[str, str], str] = {
    # French: a preposition contracts with a masculine or plural article.
    ("de", "le"): "du",
    ("à", "le"): "au",
    ("de", "les"): "des",
    ("à", "les"): "aux",
    # German: nouns are given in the nominative; a dative preposition declines the article
    # (and may contract with it: "von dem" is "vom")...
    **{(p, a): short or f"{p} dem" for p, short in _GERMAN_DATIVE.items() for a in ("der", "das")},
    **{(p, "die"): "zur" if p == "zu" else f"{p} der" for p in _GERMAN_DATIVE},
    # ...and a verb or an accusative preposition declines the masculine one.
    **{(w, "der"): f"{w} den" for w in ("hat", "konnte", "für", "gegen", "um", "durch")},
}
_OBJECT = "\x00object\x00"  # where the object goes, until the word before it is known
_BEFORE_OBJECT = re.compile(r"(\w+) " + re.escape(_OBJECT))


def _with_object(sentence: str, label: str) -> str:
    article, _space, noun_and_name = label.partition(" ")

    def place(match: re.Match[str]) -> str:
        said = _BEFORE_ARTICLE.get((match[1], article))
        if said is None or not noun_and_name:
            return f"{match[1]} {label}"
        return f"{said} {noun_and_name}"

    return _BEFORE_OBJECT.sub(place, sentence, count=1).replace(_OBJECT, label)


def _sentence(action: str, values: Mapping[str, Any]) -> str:
    label = str(values.get("object") or "")
    if not label:
        return _phrased(action, values)
    return _with_object(_phrased(action, {**values, "object": _OBJECT}), label)


def _phrased(action: str, values: Mapping[str, Any]) -> str:
    phrase = _WORDS.phrases.get(action)
    if phrase is not None:
        try:
            if callable(phrase):
                return phrase(values)
            return str(phrase) % values
        except (KeyError, TypeError, ValueError):
            pass  # details recorded before the phrase wanted them: say less, not nothing
    what = humanise(action)
    if values.get("object"):
        return _(
            "%(actor)s — %(action)s: %(object)s",
            actor=values["actor"],
            action=what,
            object=values["object"],
        )
    return _("%(actor)s — %(action)s", actor=values["actor"], action=what)


def load_details(raw: str | None) -> dict[str, Any]:
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return {"text": raw}
    return data if isinstance(data, dict) else {"value": data}


def describe(
    action: str,
    actor: str,
    object_type: str | None,
    object_id: str | None,
    details: Mapping[str, Any],
    name: str | None = None,
    values_of_object: ObjectValues | None = None,
) -> Described:
    """The event in words. ``values_of_object``: the words of its object-bound codes, as
    :func:`object_values` found them for its object."""
    label = _object_label(object_type, object_id, name)
    if values_of_object:
        details = _with_object_words(details, values_of_object)
    # Numbers stay numbers for "%(count)d" and plurals; everything else is put in words.
    values: dict[str, Any] = {
        k: v if isinstance(v, int) and not isinstance(v, bool) else _value(k, v)
        for k, v in details.items()
    }
    values.update(actor=actor, object=label or "")
    sentence = _sentence(action, values)
    repeats = details.get("count")
    if "first" in details and "last" in details and isinstance(repeats, int):
        # a window of repeats that joined the trail as one event (record_repeated)
        sentence = ngettext(
            "%(sentence)s — once more",
            "%(sentence)s — %(num)d more times",
            repeats,
            sentence=sentence,
        )
    return Described(sentence, label, _details(action, details))
