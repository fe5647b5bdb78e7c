"""Core statements of a hot path compiled once and run through the driver.

``Connection.execute`` looks a statement up in SQLAlchemy's compiled cache, rebuilds its
cache key and turns the parameters into the driver's form on every call: about a fifth of a
millisecond, more than a one-row UPDATE or INSERT takes on SQLite, and a survey submission
runs four such statements. :func:`execute` compiles a statement once per dialect and parameter
names, keeps its SQL text, the driver's parameter order and each parameter's bind
processor (the same conversions SQLAlchemy applies, e.g. :class:`qaportal.db.UTCDateTime`
to naive UTC, a date to SQLite's text), and runs it with ``exec_driver_sql``: the engine's
events (the SQLite write lock, PostgreSQL's note of a write, the tests' statement counters)
see it as before.

Only statements whose SQL text is complete at compile time qualify: no expanding ``IN``
lists, no Python-side column defaults or ``onupdate`` values (SQLAlchemy computes those per
execution), no RETURNING. Anything else is refused when it is first compiled, not run
wrongly. Result rows come as the driver returns them, without SQLAlchemy's result
processing: a SELECT run this way must select only plain values (no dates on SQLite,
where they are text, and no JSON to decode).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection, CursorResult, Dialect
from sqlalchemy.sql.base import Executable

from qaportal.db import locks_rows
from qaportal.memo import Memo

# Driver parameter styles that take a sequence in the statement's order; the others
# (``named``, ``pyformat``) take a mapping by name.
_POSITIONAL = frozenset({"qmark", "numeric", "format"})
# The one placeholder of each driver parameter style whose drivers take a plain sequence of
# values for it (sqlite3: qmark; psycopg: pyformat, which takes ``%s`` too).
_SEQUENCE_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def sequence_placeholder(dialect: Dialect) -> str:
    """The placeholder for SQL text built by hand and run with a flat sequence of values."""
    return _SEQUENCE_PLACEHOLDERS[dialect.paramstyle]


@dataclass(frozen=True)
class DriverStatement:
    """One statement compiled for one dialect and one set of parameter names."""

    sql: str
    order: tuple[str, ...]  # the parameters' names, in the driver's order if positional
    positional: bool
    fixed: Mapping[str, Any]  # values bound in the statement itself, already converted
    processors: Mapping[str, Callable[[Any], Any]]

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        """The driver's parameters for ``values`` (a KeyError names a missing one)."""
        merged = dict(self.fixed)
        for name, value in values.items():
            process = self.processors.get(name)
            merged[name] = value if process is None or value is None else process(value)
        if self.positional:
            return tuple(merged[name] for name in self.order)
        return {name: merged[name] for name in self.order}


class NotPrecompilable(ValueError):
    pass


# Keyed by the statement object: they are module-level constants, so a few dozen at most.
_COMPILED: Memo[tuple[Executable, Dialect, tuple[str, ...]], DriverStatement] = Memo(128)


def compile_for(statement: Executable, dialect: Dialect, names: tuple[str, ...]) -> DriverStatement:
    """``statement`` compiled for ``dialect`` with the parameters ``names`` (the columns an
    INSERT without ``values()`` sets), once."""
    return _COMPILED.get_or_make(
        (statement, dialect, names), lambda: _compile(statement, dialect, names)
    )


def _compile(statement: Executable, dialect: Dialect, names: tuple[str, ...]) -> DriverStatement:
    compiled: Any = statement.compile(dialect=dialect, column_keys=list(names))
    problem = None
    if (
        compiled.literal_execute_params
        or compiled.post_compile_params
        or compiled.escaped_bind_names
    ):
        problem = "parameters rendered at execution (expanding IN, literal_execute) or escaped"
    elif compiled.insert_prefetch or compiled.update_prefetch:
        problem = "Python-side column defaults or onupdate values"
    elif compiled.effective_returning:
        problem = "RETURNING"
    elif locks_rows(statement):
        problem = "FOR UPDATE"
    if problem:
        raise NotPrecompilable(f"{problem}: {compiled.string[:80]!r}")
    processors: dict[str, Callable[[Any], Any]] = {}
    fixed: dict[str, Any] = {}
    # By the names the SQL text uses (an anonymous parameter's is made up at compile time).
    for bind, name in compiled.bind_names.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors[name] = process
        if not bind.required and name not in names:
            value = bind.effective_value
            fixed[name] = value if process is None or value is None else process(value)
    positional = dialect.paramstyle in _POSITIONAL
    return DriverStatement(
        sql=compiled.string,
        order=tuple(
            compiled.positiontup if positional else sorted(set(compiled.bind_names.values()))
        ),
        positional=positional,
        fixed=fixed,
        processors=processors,
    )


def execute(
    connection: Connection, statement: Executable, values: Mapping[str, Any]
) -> CursorResult[Any]:
    """``connection.execute(statement, values)`` for a statement built once (see above)."""
    compiled = compile_for(statement, connection.dialect, tuple(values))
    return connection.exec_driver_sql(compiled.sql, compiled.parameters(values))
