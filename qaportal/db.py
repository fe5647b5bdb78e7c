"""Database engine, request-scoped sessions and the declarative base."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from flask import Flask, current_app, g, stream_with_context
from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stores naive UTC, hands back aware UTC, on SQLite and PostgreSQL alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use qaportal.db.utcnow()")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Chosen for a web workload of many short reads and few small writes (figures and the
# reasoning in README.md, "SQLite settings"; tests/benchmarks/bench_sqlite.py measures them):
# - WAL lets readers run while one writer writes; with synchronous=NORMAL a commit does not
#   wait for fsync, only checkpoints do. The database survives a crash of the app; a power
#   loss may undo the last transactions, never corrupt the file.
# - busy_timeout makes a writer wait its turn instead of failing at once.
# - cache_size (negative: KiB), mmap_size and temp_store keep hot pages and the temporary
#   b-trees of sorts and GROUP BYs in memory, per connection.
SQLITE_PRAGMAS: tuple[str, ...] = (
    "foreign_keys=ON",
    "journal_mode=WAL",
    "synchronous=NORMAL",
    "busy_timeout=10000",
    "cache_size=-32768",
    "temp_store=MEMORY",
    "mmap_size=268435456",
)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling opens no transaction before a SELECT and
    # commits at the RELEASE of an outer SAVEPOINT; we begin transactions ourselves.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


# SQLite has one writer at a time, and a transaction that read before it writes fails at
# once (SQLITE_BUSY_SNAPSHOT, no waiting) if another writer committed in between. So a
# transaction starts as BEGIN IMMEDIATE, which waits its turn for the write lock, at its
# first statement that writes or locks (a SAVEPOINT, DDL, or SELECT ... FOR UPDATE, which
# SQLite itself ignores). Reads before that run on their own, as PostgreSQL's READ
# COMMITTED would, so pages that only read, or a worker rendering a PDF between its reads
# and its writes, never hold the lock that every writer waits for.
_PENDING_BEGIN = "qaportal.sqlite_pending_begin"
_READS = ("SELECT", "PRAGMA")


def locks_rows(statement: Any) -> bool:
    """Whether ``statement`` (a SQLAlchemy statement, or None) is a ``SELECT … FOR UPDATE``:
    SQLAlchemy keeps that on a private attribute, read here alone."""
    return getattr(statement, "_for_update_arg", None) is not None


def _takes_write_lock(statement: str, context: Any) -> bool:
    if not statement.lstrip()[:6].upper().startswith(_READS):
        return True
    return locks_rows(getattr(getattr(context, "compiled", None), "statement", None))


def _sqlite_begin(conn: Any) -> None:
    if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
        conn.info[_PENDING_BEGIN] = True


def _sqlite_before_execute(
    conn: Any, cursor: Any, statement: str, _params: Any, context: Any, _many: bool
) -> None:
    if conn.info.get(_PENDING_BEGIN) and _takes_write_lock(statement, context):
        cursor.execute("BEGIN IMMEDIATE")
        conn.info[_PENDING_BEGIN] = False


def _sqlite_end(conn: Any) -> None:
    conn.info[_PENDING_BEGIN] = False


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "before_cursor_execute", _sqlite_before_execute)
        event.listen(engine, "commit", _sqlite_end)
        event.listen(engine, "rollback", _sqlite_end)
        return engine
    engine = create_engine(url, pool_pre_ping=True)
    event.listen(engine, "before_cursor_execute", _note_write)
    for ending in ("begin", "commit", "rollback"):
        event.listen(engine, ending, _forget_writes)
    return engine


# psycopg prepares a statement on the server after its fifth run on a connection, saving
# PostgreSQL the parsing and analysis of it (a dashboard's union of work lists plans in
# milliseconds and runs in less than one), but it forgets every prepared statement at each
# ROLLBACK. So a request that only read ends its transaction with COMMIT, which changes
# nothing either, and the statements stay prepared on the pooled connection.
_WROTE = "qaportal.wrote"


_DATA_CHANGE = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)


@functools.lru_cache(maxsize=1024)
def _may_write(statement: str) -> bool:
    """False for a SELECT, or a WITH query whose parts change no data. Cached: the statements
    are the same few strings, compiled once by SQLAlchemy, and a dashboard's is 10 kB."""
    head = statement.lstrip()[:6].upper()
    if head == "SELECT" or head[:4] in ("SET ", "SHOW"):
        # Row locks (FOR UPDATE) and SET LOCAL end the same way at COMMIT as at ROLLBACK.
        return False
    return head[:4] != "WITH" or _DATA_CHANGE.search(statement) is not None


def _note_write(
    conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
) -> None:
    if not conn.info.get(_WROTE) and _may_write(statement):
        conn.info[_WROTE] = True


@contextlib.contextmanager
def generic_plans(session: Session) -> Iterator[None]:
    """Within the block, PostgreSQL runs prepared statements on their generic plan. For the
    dashboards' work lists: unions of a dozen parts over a handful of rows, planned in
    milliseconds and run in a fraction of one, where PostgreSQL would otherwise plan each
    run anew for its values (its "auto" mode keeps custom plans whose cost looks lower).
    Not for searches over skewed data, where the values' own plan matters."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    connection = session.connection()
    connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
    try:
        yield
    finally:
        connection.exec_driver_sql("SET LOCAL plan_cache_mode = auto")


def _forget_writes(conn: Any) -> None:
    conn.info.pop(_WROTE, None)


def _only_read(session: Session) -> bool:
    """Whether the session's open transaction, on PostgreSQL, ran nothing but SELECTs and
    holds no change waiting to be flushed."""
    conn = session.info.get(_CONNECTION)
    if conn is None or session.new or session.dirty or session.deleted:
        return False
    return (
        session.in_transaction() and conn.dialect.name == "postgresql" and not conn.info.get(_WROTE)
    )


T = TypeVar("T")
_CONNECTION = "qaportal.connection"


def _remember_connection(session: Session, _transaction: Any, connection: Any) -> None:
    session.info[_CONNECTION] = connection


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    event.listen(sessions, "after_begin", _remember_connection)
    app.extensions["qaportal.db"] = sessions
    app.extensions["qaportal.engine"] = engine
    app.teardown_appcontext(_close_session)


def get_engine() -> Engine:
    return current_app.extensions["qaportal.engine"]


def get_session() -> Session:
    """The session of the current app context (one per request), created on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["qaportal.db"]()
    return g.db_session


def stream_with_session(lines: Iterable[T]) -> Iterator[T]:
    """``stream_with_context`` for a response that reads the database as it streams.

    Flask tears the request's app context down (closing its session) as soon as the view
    returns, before the body is streamed; the stream pushes that context again, and its
    reads reopen the closed session, which no teardown would close: one pooled connection
    lost per download until the garbage collector happened to free it, and under a few
    concurrent downloads the pool ran dry. The stream hands the session back to the
    context, whose teardown at the stream's end closes it as for any request.
    """
    session = get_session()

    def reading() -> Iterator[T]:
        g.db_session = session
        yield from lines

    return stream_with_context(reading())


def _close_session(exc: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is None:
        return
    try:
        if exc is not None:
            session.rollback()
        elif _only_read(session):
            session.commit()
    finally:
        session.close()
