"""Counts of feedback answers, maintained as responses arrive.

A results page reads a few hundred count rows instead of grouping every answer of the
campaign (1.5 million rows at 100,000 responses). :func:`add_response` runs in the
submission's transaction and adds to the counts with an UPSERT (``INSERT … ON CONFLICT DO
UPDATE SET count = count + excluded.count``): the database serialises the additions to one
row, so parallel submissions never lose one. Rows are written in key order so that two
submissions lock shared rows in the same order and cannot deadlock each other on PostgreSQL.

The invitation counts by channel live on the campaign row (``invited_by_email``,
``invited_by_code``): :func:`add_invitations` adds to them with an ``UPDATE … SET n = n + k``
in the transaction that creates the invitations, so a summary never counts invitations. The
number of invitations used needs no counter of its own: an invitation is used in exactly the
transaction that stores its response, so it equals the response count kept below (and
touching a shared counter row on every submission would serialise them for nothing).

Nothing here changes after a campaign closes: a closed campaign accepts no response, so its
counts are frozen with it. :func:`recompute` counts the same figures from the answers
themselves (tests and the benchmark compare the two); :func:`rebuild` replaces a campaign's
counts by that recomputation (``qaportal feedback rebuild-aggregates``, and the migration
that introduced them backfills the same way).

The counts carry nothing the answers do not: no text, no time, no response id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, delete, func, literal, select, text, update
from sqlalchemy.orm import Session, aliased

from qaportal.feedback.models import (
    NOT_STATED,
    AnswerCount,
    BreakdownCount,
    Campaign,
    FeedbackAnswer,
    FeedbackInvitation,
    FeedbackResponse,
    InvitationChannel,
    ResponseCount,
)
from qaportal.memo import Memo
from qaportal.precompiled import sequence_placeholder

AnswerKey = tuple[str, int, bool, int, str]  # item, specification key, is value, value, choice
BreakdownKey = tuple[str, str, str, int]  # group item, group choice, item, value
Counts = tuple[dict[AnswerKey, int], dict[BreakdownKey, int], dict[int, int]]


# The SQL of a many-row INSERT, built once per table, conflict keys, columns, number of rows
# and placeholder, and run with ``exec_driver_sql``: the driver gets the text and a flat tuple
# of values as they are. Through ``text()`` SQLAlchemy turned a dict of a hundred-odd named
# parameters into the driver's positional form on every execution, which cost more than
# the database's own work (a many-row ``insert().values()`` is not even cached compiled).
# The syntax (``ON CONFLICT … DO UPDATE``, ``excluded``) is the same in SQLite and
# PostgreSQL, and the values are plain strings, numbers, booleans and NULLs.
_INSERTS: Memo[tuple[str, tuple[str, ...], tuple[str, ...], int, str], str] = Memo(1024)
# Rows per statement at most (a questionnaire has a few dozen items, so a submission's rows
# fit in one; 200 rows of 7 columns stay far below either database's parameter limit).
MAX_VALUES_ROWS = 200


def _insert_sql(
    table: Table, conflict: tuple[str, ...], columns: tuple[str, ...], count: int, mark: str
) -> str:
    cache_key = (table.name, conflict, columns, count, mark)
    sql = _INSERTS.get(cache_key)
    if sql is None:
        row = "(" + ", ".join(mark for _ in columns) + ")"
        values = ", ".join(row for _ in range(count))
        # Names from the table's metadata and the code's own row keys, never from input.
        sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES {values}"  # noqa: S608
        if conflict:
            sql += (
                f" ON CONFLICT ({', '.join(conflict)})"
                f" DO UPDATE SET count = {table.name}.count + excluded.count"
            )
        _INSERTS.put(cache_key, sql)
    return sql


def insert_rows(
    session: Session, table: Table, rows: list[dict[str, Any]], conflict: Sequence[str] = ()
) -> None:
    """Insert ``rows`` (dicts with the same keys) in one statement of many ``VALUES`` rows,
    in their order; with ``conflict`` (the columns of a unique index, distinct among the
    rows), a row that exists gets the new row's ``count`` added instead.

    One statement rather than an executemany: PostgreSQL's driver runs an executemany as one
    execution per row, which took longer than all the rest of a submission."""
    if not rows:
        return
    connection = session.connection()
    mark = sequence_placeholder(connection.dialect)
    columns = tuple(rows[0])
    for start in range(0, len(rows), MAX_VALUES_ROWS):
        chunk = rows[start : start + MAX_VALUES_ROWS]
        values = tuple(row[name] for row in chunk for name in columns)
        sql = _insert_sql(table, tuple(conflict), columns, len(chunk), mark)
        connection.exec_driver_sql(sql, values)


@dataclass(frozen=True)
class Rows:
    """Rows for :func:`insert_rows` (``conflict``: the unique columns of an upsert)."""

    table: Table
    rows: list[dict[str, Any]]
    conflict: tuple[str, ...] = ()


# PostgreSQL statements of :func:`write`, by the parts' tables, conflict keys and columns.
_WRITES: Memo[tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...], str] = Memo(64)


def _unnest_sql(
    table: Table, conflict: tuple[str, ...], columns: tuple[str, ...], dialect: Any
) -> str:
    """An INSERT of the rows given as one array per column, in the arrays' order (so an
    upsert still locks its rows in key order)."""
    names = ", ".join(columns)
    arrays = ", ".join(f"%s::{table.c[name].type.compile(dialect=dialect)}[]" for name in columns)
    # Names from the table's metadata and the code's own row keys, never from input.
    sql = (
        f"INSERT INTO {table.name} ({names}) SELECT {names}"  # noqa: S608
        f" FROM unnest({arrays}) WITH ORDINALITY AS given ({names}, given_order)"
        " ORDER BY given_order"
    )
    if conflict:
        sql += (
            f" ON CONFLICT ({', '.join(conflict)})"
            f" DO UPDATE SET count = {table.name}.count + excluded.count"
        )
    return sql


def write(session: Session, parts: Sequence[Rows]) -> None:
    """Insert (or upsert) each part's rows, in order.

    On PostgreSQL the parts go as one statement, all but the last as data-modifying ``WITH``
    clauses, each part's rows as one array per column: one round trip instead of one per
    table, and the same text whatever the number of rows, so the driver parses it once and
    the server plans it once (prepared); many-row ``VALUES`` cost more than the inserts.
    Every submission sends the same clauses in the same order, so concurrent ones still lock
    shared count rows in one order. SQLite, in the process, runs them one by one."""
    parts = [part for part in parts if part.rows]
    if not parts:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        for part in parts:
            insert_rows(session, part.table, part.rows, part.conflict)
        return
    shapes = tuple((part.table.name, part.conflict, tuple(part.rows[0])) for part in parts)
    sql = _WRITES.get(shapes)
    if sql is None:
        statements = [
            _unnest_sql(part.table, part.conflict, columns, connection.dialect)
            for part, (_, _, columns) in zip(parts, shapes, strict=True)
        ]
        clauses = ", ".join(f"part{i} AS ({part})" for i, part in enumerate(statements[:-1]))
        sql = _WRITES.put(shapes, f"WITH {clauses} {statements[-1]}" if clauses else statements[0])
    values = [
        [row[name] for row in part.rows]
        for part, (_, _, columns) in zip(parts, shapes, strict=True)
        for name in columns
    ]
    connection.exec_driver_sql(sql, tuple(values))


def add_response(
    session: Session,
    campaign_id: int,
    specification_id: int | None,
    answers: Iterable[Mapping[str, Any]],
) -> None:
    """Count one stored response whose answer rows are ``answers`` (as inserted)."""
    write(session, response_counts(campaign_id, specification_id, answers))


def response_counts(
    campaign_id: int,
    specification_id: int | None,
    answers: Iterable[Mapping[str, Any]],
) -> list[Rows]:
    """The upserts that count one response whose answer rows are ``answers``."""
    spec = specification_id or NOT_STATED
    answer_rows: dict[AnswerKey, int] = Counter()
    likert: list[tuple[str, int]] = []
    chosen: list[tuple[str, str]] = []
    for row in answers:
        value = row.get("value")
        choice = row.get("choice") or ""
        answer_rows[(row["item_code"], spec, value is not None, value or 0, choice)] += 1
        if value is not None:
            likert.append((row["item_code"], value))
        elif choice:
            chosen.append((row["item_code"], choice))
    breakdown: dict[BreakdownKey, int] = Counter(
        (group, option, code, value) for group, option in chosen for code, value in likert
    )
    return [
        Rows(
            ResponseCount.__table__,
            [{"campaign_id": campaign_id, "specification_key": spec, "count": 1}],
            ("campaign_id", "specification_key"),
        ),
        Rows(
            AnswerCount.__table__,
            [
                {
                    "campaign_id": campaign_id,
                    "item_code": item,
                    "specification_key": s,
                    "is_value": is_value,
                    "value": value,
                    "choice": choice,
                    "count": n,
                }
                for (item, s, is_value, value, choice), n in sorted(answer_rows.items())
            ],
            ("campaign_id", "item_code", "specification_key", "value", "choice"),
        ),
        Rows(
            BreakdownCount.__table__,
            [
                {
                    "campaign_id": campaign_id,
                    "group_item": group,
                    "group_choice": option,
                    "item_code": item,
                    "value": value,
                    "count": n,
                }
                for (group, option, item, value), n in sorted(breakdown.items())
            ],
            ("campaign_id", "group_item", "group_choice", "item_code", "value"),
        ),
    ]


def add_invitations(
    session: Session, campaign: Campaign, channel: InvitationChannel, count: int
) -> None:
    """Count ``count`` new invitations of ``channel`` (in the caller's transaction).

    The addition is done by the database (``SET n = COALESCE(n, 0) + k``), so two uploads at
    once both count; the ORM reloads the attribute on its next read.
    """
    column = (
        Campaign.invited_by_email
        if channel == InvitationChannel.EMAIL
        else Campaign.invited_by_code
    )
    setattr(campaign, column.key, func.coalesce(column, 0) + count)
    session.flush()


@dataclass(frozen=True)
class InvitationTotals:
    emails: int
    codes: int
    used: int


def invitation_totals(campaign: Campaign, responses: int) -> InvitationTotals:
    """The maintained invitation counts of a campaign with ``responses`` responses."""
    used = campaign.invitations_used if campaign.swept_at is not None else responses
    return InvitationTotals(
        campaign.invited_by_email or 0, campaign.invited_by_code or 0, used or 0
    )


def recount_invitations(
    session: Session, campaign_ids: Iterable[int]
) -> dict[int, InvitationTotals]:
    """The same figures counted from the invitation rows (only while a campaign runs: a
    closed campaign's invitations are deleted and its counts kept)."""
    ids = list(campaign_ids)
    counts: dict[int, Counter[str]] = {cid: Counter() for cid in ids}
    if ids:
        i = FeedbackInvitation
        for cid, channel, used, n in session.execute(
            select(i.campaign_id, i.channel, i.used, func.count())
            .where(i.campaign_id.in_(ids))
            .group_by(i.campaign_id, i.channel, i.used)
        ):
            counts[cid][InvitationChannel(channel).value] += n
            if used:
                counts[cid]["used"] += n
    return {cid: InvitationTotals(c["email"], c["code"], c["used"]) for cid, c in counts.items()}


# ----- reading ------------------------------------------------------------------------------


def answer_counts(
    session: Session, campaign_id: int
) -> list[tuple[str, int | None, int | None, str, int]]:
    """(item, specification or None, value or None, choice, count), as the results need."""
    c = AnswerCount
    return [
        (item, spec or None, value if is_value else None, choice, n)
        for item, spec, is_value, value, choice, n in session.execute(
            select(c.item_code, c.specification_key, c.is_value, c.value, c.choice, c.count).where(
                c.campaign_id == campaign_id
            )
        )
    ]


def response_sizes(
    session: Session, campaign_ids: Iterable[int]
) -> dict[int, dict[int | None, int]]:
    """Responses per campaign and micro-credential named (None: not stated)."""
    out: dict[int, dict[int | None, int]] = {}
    ids = list(campaign_ids)
    if not ids:
        return out
    for cid, spec, n in session.execute(
        select(
            ResponseCount.campaign_id, ResponseCount.specification_key, ResponseCount.count
        ).where(ResponseCount.campaign_id.in_(ids))
    ):
        out.setdefault(cid, {})[spec or None] = n
    return out


def breakdown_counts(
    session: Session, campaign_id: int, group_item: str
) -> list[tuple[str, str, int, int]]:
    """(group choice, Likert item, value, count) for the answers to ``group_item``."""
    b = BreakdownCount
    return [
        (choice, item, value, n)
        for choice, item, value, n in session.execute(
            select(b.group_choice, b.item_code, b.value, b.count).where(
                b.campaign_id == campaign_id, b.group_item == group_item
            )
        )
    ]


def maintained(session: Session, campaign_id: int) -> Counts:
    """The maintained counts of a campaign, keyed like :func:`recompute`'s."""
    a, b = AnswerCount, BreakdownCount
    answers = {
        (item, spec, bool(is_value), value, choice): n
        for item, spec, is_value, value, choice, n in session.execute(
            select(a.item_code, a.specification_key, a.is_value, a.value, a.choice, a.count).where(
                a.campaign_id == campaign_id
            )
        )
    }
    breakdown = {
        (group, option, item, value): n
        for group, option, item, value, n in session.execute(
            select(b.group_item, b.group_choice, b.item_code, b.value, b.count).where(
                b.campaign_id == campaign_id
            )
        )
    }
    responses = {
        spec: n
        for spec, n in session.execute(
            select(ResponseCount.specification_key, ResponseCount.count).where(
                ResponseCount.campaign_id == campaign_id
            )
        )
    }
    return answers, breakdown, responses


# ----- recomputing from the answers ---------------------------------------------------------


def _answer_source(campaign_id: int) -> Any:
    a = FeedbackAnswer
    return (
        select(
            a.campaign_id,
            a.item_code,
            func.coalesce(a.specification_id, literal(NOT_STATED)).label("specification_key"),
            a.value.is_not(None).label("is_value"),
            func.coalesce(a.value, literal(0)).label("value"),
            a.choice,
            func.count().label("count"),
        )
        .where(a.campaign_id == campaign_id)
        .group_by(a.campaign_id, a.item_code, a.specification_id, a.value, a.choice)
    )


def _breakdown_source(campaign_id: int) -> Any:
    a, g = FeedbackAnswer, aliased(FeedbackAnswer)
    return (
        select(
            a.campaign_id,
            g.item_code.label("group_item"),
            g.choice.label("group_choice"),
            a.item_code,
            a.value,
            func.count().label("count"),
        )
        .join(g, g.response_id == a.response_id)
        .where(
            a.campaign_id == campaign_id,
            g.campaign_id == campaign_id,
            a.value.is_not(None),
            g.choice != "",
        )
        .group_by(a.campaign_id, g.item_code, g.choice, a.item_code, a.value)
    )


def _response_source(campaign_id: int) -> Any:
    r = FeedbackResponse
    return (
        select(
            r.campaign_id,
            func.coalesce(r.specification_id, literal(NOT_STATED)).label("specification_key"),
            func.count().label("count"),
        )
        .where(r.campaign_id == campaign_id)
        .group_by(r.campaign_id, r.specification_id)
    )


def recompute(session: Session, campaign_id: int) -> Counts:
    """The same counts as :func:`maintained`, counted from every answer of the campaign."""
    answers = {
        (item, spec, bool(is_value), value, choice): n
        for _, item, spec, is_value, value, choice, n in session.execute(
            _answer_source(campaign_id)
        )
    }
    breakdown = {
        (group, option, item, value): n
        for _, group, option, item, value, n in session.execute(_breakdown_source(campaign_id))
    }
    responses = {spec: n for _, spec, n in session.execute(_response_source(campaign_id))}
    return answers, breakdown, responses


def refresh_statistics(session: Session) -> None:
    """Let the planner see the rows a bulk import just wrote. Without it PostgreSQL plans
    the recount for the tables' old, tiny sizes: 1M freshly loaded answers took over 11
    minutes to recount, 15 s after ``ANALYZE``."""
    tables = [m.__table__.name for m in (FeedbackInvitation, FeedbackResponse, FeedbackAnswer)]
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE " + ", ".join(tables)))
    else:
        for name in tables:
            session.execute(text(f"ANALYZE {name}"))


def rebuild(session: Session, campaign_ids: Iterable[int]) -> None:
    """Replace the campaigns' counts by a recomputation (in the caller's transaction)."""
    ids = list(campaign_ids)
    running = session.execute(
        select(Campaign.id).where(Campaign.id.in_(ids), Campaign.swept_at.is_(None))
    ).scalars()
    for cid, totals in recount_invitations(session, running).items():
        session.execute(
            update(Campaign)
            .where(Campaign.id == cid)
            .values(invited_by_email=totals.emails, invited_by_code=totals.codes)
            .execution_options(synchronize_session=False)
        )
    for cid in ids:
        for model, source in (
            (AnswerCount, _answer_source(cid)),
            (BreakdownCount, _breakdown_source(cid)),
            (ResponseCount, _response_source(cid)),
        ):
            table = model.__table__
            session.execute(delete(model).where(model.campaign_id == cid))
            session.execute(
                table.insert().from_select([c.name for c in source.selected_columns], source)
            )
