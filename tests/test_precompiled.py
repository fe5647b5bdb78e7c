"""qaportal.precompiled: statements run through the driver store exactly what SQLAlchemy's
own execution stores, are seen by the engine's events, and statements whose SQL is not
complete at compile time are refused rather than run wrongly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection

from qaportal import precompiled
from qaportal.db import UTCDateTime, utcnow
from tests.conftest import QueryCounter

metadata = MetaData()
things = Table(
    "precompiled_things",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("at", UTCDateTime()),
    Column("day", Date),
    Column("flag", Boolean, nullable=False, server_default="0"),
    Column("note", String(50)),
    Column("amount", Numeric(6, 2)),
)
defaulted = Table(
    "precompiled_defaulted",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("at", UTCDateTime(), default=utcnow),
)
INSERT = things.insert()
# Parameters not named after columns (an UPDATE's would be taken as new values).
MARK = (
    update(things)
    .where(
        things.c.id == bindparam("thing"), things.c.at < bindparam("before", type_=UTCDateTime())
    )
    .values(flag=True, note="marked")
)


@pytest.fixture
def connection(app: Flask) -> Iterator[Connection]:
    engine = app.extensions["qaportal.engine"]
    metadata.create_all(engine)
    try:
        with engine.connect() as conn:
            yield conn
            conn.rollback()
    finally:
        metadata.drop_all(engine)


def _stored(conn: Connection, thing: int) -> tuple[Any, ...]:
    # The driver's own values, without SQLAlchemy's result processing: what is on disk.
    sql = "SELECT at, day, flag, note, amount FROM precompiled_things WHERE id = " + str(thing)
    return tuple(conn.exec_driver_sql(sql).one())


def test_stores_what_sqlalchemy_stores(connection: Connection) -> None:
    at = dt.datetime(2026, 12, 2, 5, 30, 0, tzinfo=dt.UTC)  # no microseconds: the edge case
    row = {"at": at, "day": dt.date(2026, 12, 2), "note": "café", "amount": Decimal("12.50")}
    connection.execute(insert(things), {"id": 1, **row})
    precompiled.execute(connection, INSERT, {"id": 2, **row})
    assert _stored(connection, 2) == _stored(connection, 1)

    before = at + dt.timedelta(seconds=1)
    connection.execute(MARK, {"thing": 1, "before": before})
    result = precompiled.execute(connection, MARK, {"thing": 2, "before": before})
    assert result.rowcount == 1
    assert _stored(connection, 2) == _stored(connection, 1)
    flag, note = connection.execute(
        select(things.c.flag, things.c.note).where(things.c.id == 2)
    ).one()
    assert (flag, note) == (True, "marked")
    # A bound moment compares as SQLAlchemy's does: not before itself.
    assert precompiled.execute(connection, MARK, {"thing": 2, "before": at}).rowcount == 0


def test_none_and_missing_values(connection: Connection) -> None:
    precompiled.execute(connection, INSERT, {"id": 3, "at": None, "day": None, "note": None})
    assert _stored(connection, 3)[:2] == (None, None)
    with pytest.raises(KeyError, match="before"):
        precompiled.execute(connection, MARK, {"thing": 3})


def test_the_engine_events_see_each_statement(app: Flask, connection: Connection) -> None:
    with QueryCounter(app.extensions["qaportal.engine"]) as counter:
        precompiled.execute(connection, INSERT, {"id": 4, "note": "x"})
        precompiled.execute(connection, MARK, {"thing": 4, "before": utcnow()})
    assert counter.count == 2


@pytest.mark.parametrize(
    ("statement", "values", "reason"),
    [
        (defaulted.insert(), {"id": 1}, "Python-side column defaults"),
        (
            things.delete().where(things.c.id.in_(bindparam("ids", expanding=True))),
            {"ids": [1]},
            "IN",
        ),
        (things.insert().returning(things.c.id), {"id": 1}, "RETURNING"),
        (
            select(things.c.note).where(things.c.id == bindparam("id")).with_for_update(),
            {"id": 1},
            "FOR UPDATE",
        ),
    ],
)
def test_refuses_what_is_not_complete_at_compile_time(
    connection: Connection, statement: Any, values: dict[str, Any], reason: str
) -> None:
    with pytest.raises(precompiled.NotPrecompilable, match=reason):
        precompiled.execute(connection, statement, values)


def test_a_select_of_plain_values(connection: Connection) -> None:
    moment = bindparam("now", type_=UTCDateTime())
    query = select(things.c.id, (things.c.at <= moment).label("due")).where(
        things.c.id == bindparam("thing")
    )
    at = utcnow()
    precompiled.execute(connection, INSERT, {"id": 5, "at": at})
    due = precompiled.execute(connection, query, {"thing": 5, "now": at}).one().due
    early = precompiled.execute(
        connection, query, {"thing": 5, "now": at - dt.timedelta(microseconds=1)}
    )
    assert (bool(due), bool(early.one().due)) == (True, False)
