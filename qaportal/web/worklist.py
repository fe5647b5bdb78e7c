"""The dashboard's work lists, however many cases: a source's work counted per group and its
most urgent few rows cut by the database (:func:`tallier`, one prepared statement per
source, its constants written into its SQL), shown as a few task lines and counted groups
(:func:`shown`), with each text translated, date formatted and URL built once per panel, or
once per language (:class:`Texts`, :class:`Formats`);
windows whose length is a column compared in SQL (:class:`plus_days`). Imports no domain;
the domains' ``dashboard.py`` use it."""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import format_date, get_locale
from flask_babel.speaklater import LazyString
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    cast,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy import case as sql_case
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.sql.sqltypes import NullType
from sqlalchemy.sql.visitors import InternalTraversal, replacement_traverse

from qaportal.db import UTCDateTime
from qaportal.memo import Memo
from qaportal.web.dashboard import Item, Task, TaskGroup

# A panel lists this many of a source's most urgent tasks, or of each kind of a source's
# tasks; the rest are counted in groups.
FIRST_ITEMS = 5
KIND_ITEMS = 3


@dataclass(frozen=True)
class Tally:
    """What a :class:`Tallier` found: per group its number of rows and of overdue rows, and
    the first rows of all the groups together."""

    groups: dict[Any, tuple[int, int]]
    first: list[Any]


@dataclass(frozen=True)
class Tallier:
    """One prepared statement over a source's work: its rows counted per group (a GROUP BY)
    and its most urgent rows (a LIMIT), the two parts told apart by ``tally_part``. Built
    once (see :func:`tallier`) and run with the request's values as bound parameters:
    building SQLAlchemy statements (subqueries, unions) costs more than running them."""

    statement: Select[Any]
    key: str  # the name of the group's column

    def __call__(self, session: Session, **params: Any) -> Tally:
        groups: dict[Any, tuple[int, int]] = {}
        first = []
        # Plain rows, no ORM entities: the Core connection skips the ORM's per-statement work.
        for row in session.connection().execute(self.statement, params):
            if row.tally_part == _COUNTS:
                groups[getattr(row, self.key)] = (int(row.group_size), int(row.group_overdue))
            else:
                first.append(row)
        return Tally(groups, first)


_COUNTS, _FIRST = 0, 1
Columns = Any  # the ``.c`` of the query's subquery


def tallier(
    query: Select[Any],
    *,
    group: Callable[[Columns], ColumnElement[Any]],
    order_by: Callable[[Columns], Sequence[Any]],
    overdue: Callable[[Columns], ColumnElement[bool]] | None = None,
    each: Sequence[Any] = (),
) -> Tallier:
    """The statement counting the rows of ``query`` per ``group`` (a column of it; with how
    many are ``overdue``) and cutting its first rows by ``order_by``: the first FIRST_ITEMS
    of all, or the first KIND_ITEMS of ``each`` group named. The counting and cutting are
    the database's, so the rows that reach Python do not grow with the data. The callables
    get the columns of ``query`` as a subquery; request values go in as ``bindparam``s."""
    rows = query.subquery()
    key = group(rows.c)
    assert any(column is key for column in rows.c), "group by one of the query's columns"
    late: Any = literal_column("0", Integer)
    if overdue is not None:
        late = func.coalesce(func.sum(sql_case((overdue(rows.c), 1), else_=0)), 0)
    # The counts in the columns of the rows (the others empty), so that both parts make one
    # statement: one round trip and one execution per source instead of two.
    counts = select(
        literal_column(str(_COUNTS), Integer).label("tally_part"),
        *(column if column is key else _empty(column) for column in rows.c),
        func.count().label("group_size"),
        late.label("group_overdue"),
    ).group_by(key)
    if each:
        # One LIMIT per group (window functions are far slower on SQLite).
        cuts = [
            select(rows).where(key == name).order_by(*order_by(rows.c)).limit(KIND_ITEMS).subquery()
            for name in each
        ]
    else:
        cuts = [select(rows).order_by(*order_by(rows.c)).limit(FIRST_ITEMS).subquery()]
    first = [
        select(
            literal_column(str(_FIRST), Integer).label("tally_part"),
            *cut.c,
            literal_column("0", Integer).label("group_size"),
            literal_column("0", Integer).label("group_overdue"),
        )
        for cut in cuts
    ]
    both = union_all(counts, *first).subquery()
    statement = select(both).order_by(both.c.tally_part, *order_by(both.c))
    return Tallier(_written_in(statement), key.name)


class _Constant(ColumnElement[Any]):
    """A constant of a statement written into its SQL text rather than sent as a parameter,
    in the dialect's own literal syntax (``compiler.render_literal_value``)."""

    __visit_name__ = "qaportal_constant"
    inherit_cache = True
    _traverse_internals = [
        ("value", InternalTraversal.dp_plain_obj),
        ("type", InternalTraversal.dp_type),
    ]

    def __init__(self, value: Any, type_: Any) -> None:
        self.value, self.type = value, type_


@compiles(_Constant)
def _render_constant(element: _Constant, compiler: Any, **kw: Any) -> str:
    if isinstance(element.value, tuple):  # the right side of an IN
        values = ", ".join(compiler.render_literal_value(v, element.type) for v in element.value)
        return f"({values})"
    return compiler.render_literal_value(element.value, element.type)


def _constant(value: Any) -> bool:
    return isinstance(value, (int, str, enum.Enum)) and not isinstance(value, bool)


def _written_in(statement: Select[Any]) -> Select[Any]:
    """``statement`` with its constants (the states, roles and numbers the domains compare
    with, not the request's ``bindparam``s) written into its SQL text. A work list has a few
    dozen of them: each would be type-processed, and each IN list expanded into the SQL
    text, on every run. Integers, strings and enumerations only: their literal syntax is
    the same on every dialect we run on."""

    def replace(element: Any) -> Any:
        if not isinstance(element, BindParameter) or not element.unique or element.callable:
            return None
        value = element.value
        if element.expanding:
            if isinstance(value, (list, tuple)) and value and all(map(_constant, value)):
                return _Constant(tuple(value), element.type)
            return None
        return _Constant(value, element.type) if _constant(value) else None

    return replacement_traverse(statement, {}, replace)


def _empty(column: Any) -> Any:
    # Typed, so that the union keeps the column's type (dates stay dates on SQLite).
    empty = null() if isinstance(column.type, NullType) else cast(null(), column.type)
    return empty.label(column.name)


@dataclass(frozen=True)
class Kind:
    """How a source shows one kind of its work: the group's label from its count, the line
    of one of its rows, the page that lists them all, whether it waits on someone else."""

    label: Callable[[int], str]
    line: Callable[[Any], Task]
    url: str
    waiting: bool = False


def shown(found: Tally, kinds: dict[Any, Kind], key: str = "kind") -> list[Item]:
    """The first rows as lines, each by its kind (the row's column ``key``), then one
    counted group per kind found, in the order of ``kinds``."""
    items: list[Item] = [kinds[getattr(row, key)].line(row) for row in found.first]
    for name, kind in kinds.items():
        if name in found.groups:
            count, overdue = found.groups[name]
            items.append(TaskGroup(kind.label(count), kind.url, count, overdue, kind.waiting))
    return items


# Per language, lazy texts as translated: flask-babel keeps its catalogues for the process,
# so a translation does not change between requests. Keyed by what the text is (its
# function and arguments), not by the object: domains also make lazy texts per call. A
# bound, not a size: the texts are the code's own.
_TRANSLATED: Memo[tuple[Any, ...], str] = Memo(20_000)


# A line's text with plural forms: called with the line's values, it returns the text
# filled in, in the form for the count among them, e.g.
# ``lambda v: ngettext("%(num)d comment on %(reference)s", "%(num)d comments on …", v["n"], **v)``
# (a call pybabel sees, so both forms reach the catalogues).
Counted = Callable[[Mapping[str, Any]], str]


class Texts:
    """A panel's lazily translated texts, each translated at its first use and reused by
    the lines after it and by later requests (a translation lookup per line adds up on a
    long list)."""

    def __init__(self) -> None:
        self._done: dict[int, str] = {}
        self._locale: str | None = None

    def __call__(self, text: Any) -> str:
        if isinstance(text, str):
            return text
        done = self._done.get(id(text))
        if done is None:
            done = self._done[id(text)] = self._translate(text)
        return done

    def fill(self, text: Any, values: Mapping[str, Any]) -> str:
        """``text`` translated and filled in with ``values``. A :data:`Counted` text is
        called with them: its plural form depends on a count among them, so it is not
        translated once for every line."""
        if callable(text):
            return text(values)
        return self(text) % values

    def _translate(self, text: Any) -> str:
        if not isinstance(text, LazyString):
            return str(text)
        if self._locale is None:
            self._locale = str(get_locale() or "")
        key = (self._locale, text._func, text._args, tuple(text._kwargs.items()))
        try:
            found = _TRANSLATED.get(key)
        except TypeError:  # an unhashable argument
            return str(text)
        if found is None:
            found = _TRANSLATED.put(key, str(text))
        return found


# Values that URL converters put in a path as they are (anything else may be quoted).
_UNQUOTED = re.compile(r"[A-Za-z0-9_-]{1,64}")


# Per (language, day): a due date as format_date writes it. Due dates are days, and the same
# few recur on every dashboard, request after request. A bound, not a size.
_DAYS: Memo[tuple[str, dt.date], str] = Memo(20_000)


class Formats:
    """A panel's dates and URLs, each formatted or built once per distinct value: a line
    reuses what the lines before it computed (a day, what any request before it did)."""

    _SENTINEL = 987654321

    def __init__(self) -> None:
        self._dates: dict[dt.date, str] = {}
        self._patterns: dict[tuple[Any, ...], tuple[str, str]] = {}
        self._locale: str | None = None

    def date(self, value: dt.date | dt.datetime | None) -> str:
        if value is None:
            return ""
        found = self._dates.get(value)
        if found is None:
            found = self._dates[value] = self._format(value)
        return found

    def _format(self, value: dt.date | dt.datetime) -> str:
        if isinstance(value, dt.datetime):  # a moment: shown in the visitor's time zone
            return format_date(value)
        if self._locale is None:
            self._locale = str(get_locale() or "")
        key = (self._locale, value)
        found = _DAYS.get(key)
        if found is None:
            found = _DAYS.put(key, format_date(value))
        return found

    def url(
        self,
        endpoint: str,
        key: str,
        value: int | str,
        *,
        external: bool | None = None,
        **fixed: int | str,
    ) -> str:
        """``url_for(endpoint, _external=external, **{key: value}, **fixed)`` for an integer
        ``value`` or a string no converter quotes (in the path or the query string), the
        address built once per endpoint and ``fixed`` arguments."""
        if isinstance(value, str) and not _UNQUOTED.fullmatch(value):
            return url_for(endpoint, _external=external, **{key: value}, **fixed)
        shape = (endpoint, key, external, *fixed.items())
        around = self._patterns.get(shape)
        if around is None:
            pattern = url_for(endpoint, _external=external, **{key: self._SENTINEL}, **fixed)
            head, _sentinel, tail = pattern.partition(str(self._SENTINEL))
            around = self._patterns[shape] = (head, tail)
        return f"{around[0]}{value}{around[1]}"


class plus_days(FunctionElement[Any]):
    """``plus_days(moment, days)``: the UTC moment ``days`` (an integer expression, e.g. an
    agency's setting) after ``moment``, so that a window whose length is a column is
    compared in SQL. Each database has its own date arithmetic (below)."""

    type = UTCDateTime()
    inherit_cache = True
    name = "plus_days"


@compiles(plus_days)
def _plus_days_postgresql(element: plus_days, compiler: Any, **kw: Any) -> str:
    moment, days = list(element.clauses)
    moment_sql, days_sql = compiler.process(moment, **kw), compiler.process(days, **kw)
    return f"({moment_sql} + make_interval(days => {days_sql}))"


@compiles(plus_days, "sqlite")
def _plus_days_sqlite(element: plus_days, compiler: Any, **kw: Any) -> str:
    moment, days = list(element.clauses)
    # Text in the layout SQLAlchemy stores (microseconds kept to the millisecond), so that
    # it compares as text with stored and bound moments.
    return (
        f"strftime('%Y-%m-%d %H:%M:%f', {compiler.process(moment, **kw)}, "
        f"'+' || ({compiler.process(days, **kw)}) || ' days')"
    )
