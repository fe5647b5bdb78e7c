"""The public catalogue's index and its full-text search, per database dialect.

``catalogue_entries`` holds one row per specification with a published version (title,
outcomes text and the filter values), ``catalogue_facets`` its countries, regions and
languages. The services keep both in sync on publish (the new version replaces the
superseded one) and retire (the row goes).

Full text:

- **SQLite**: the FTS5 table ``catalogue_fts`` (``content='catalogue_entries'``, columns
  title and outcomes_text, ``unicode61`` tokenizer without diacritics) is kept in sync by
  triggers created in migration 0002, so every insert/update/delete of an entry reaches the
  index in the same transaction. Ranked by ``bm25`` with the title weighted ×10.
- **PostgreSQL**: ``catalogue_entries.search_vector`` (tsvector, GIN index) is refreshed by
  :func:`refresh_search_vectors` with the ``simple`` configuration (no stemming: the
  catalogue is multilingual), title weight A and outcomes weight B; ranked by ``ts_rank``.

Both dialects search the same way: every word of the query must occur, each as a prefix.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    delete,
    false,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session, contains_eager, selectinload

from qaportal.catalogue.models import (
    CatalogueEntry,
    CatalogueFacet,
    FacetKind,
    ParticipationForm,
    SpecificationVersion,
)
from qaportal.catalogue.validation import country_of
from qaportal.db import get_session
from qaportal.orgs.models import Organisation, ProviderType
from qaportal.pagination import Page
from qaportal.web.cache import cached_public_data

FTS_TABLE = "catalogue_fts"
PG_TEXT_CONFIG = "simple"
MAX_QUERY_WORDS = 12
_QUERY_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)


# FTS5 tables (this one and the register's, migration 0018): not models.
SEARCH_INDEX_TABLES = (FTS_TABLE, "register_fts")


def is_search_index_table(name: str | None) -> bool:
    """Tables that are not models: FTS5 tables and their shadow tables (Alembic skips them)."""
    return bool(name) and str(name).startswith(SEARCH_INDEX_TABLES)


# ----- keeping the index in sync ---------------------------------------------------------


def _facets_of(version: SpecificationVersion) -> set[tuple[FacetKind, str]]:
    facets: set[tuple[FacetKind, str]] = set()
    for code in version.issuer_regions or []:
        facets.add((FacetKind.COUNTRY, country_of(code)))
        if "-" in code:
            facets.add((FacetKind.REGION, code.upper()))
    for code in version.languages or []:
        facets.add((FacetKind.LANGUAGE, code.lower()))
    return facets


def outcomes_text(version: SpecificationVersion) -> str:
    return "\n".join(o.statement for o in version.outcomes)


def index_published(session: Session, version: SpecificationVersion) -> CatalogueEntry:
    """Make ``version`` the catalogue entry of its specification (insert or replace)."""
    spec = version.specification
    entry = session.execute(
        select(CatalogueEntry)
        .where(CatalogueEntry.specification_id == spec.id)
        .options(selectinload(CatalogueEntry.facets))
    ).scalar_one_or_none()
    if entry is None:
        entry = CatalogueEntry(specification_id=spec.id)
        session.add(entry)
    entry.version_id = version.id
    entry.provider_id = spec.provider_id
    entry.public_id = spec.public_id
    entry.title = version.title
    entry.outcomes_text = outcomes_text(version)
    entry.eqf_level = version.eqf_level
    entry.ects = version.ects
    entry.hours = version.hours
    entry.participation_form = version.participation_form
    entry.published_at = version.published_at
    wanted = _facets_of(version)
    have = {(f.kind, f.value): f for f in entry.facets}
    for key, facet in have.items():
        if key not in wanted:
            entry.facets.remove(facet)
    for kind, value in sorted(wanted - set(have)):
        entry.facets.append(CatalogueFacet(kind=kind, value=value))
    session.flush()
    refresh_search_vectors(session, [entry.id])
    return entry


def unindex(session: Session, specification_id: int) -> None:
    session.execute(
        delete(CatalogueEntry).where(CatalogueEntry.specification_id == specification_id)
    )


def refresh_search_vectors(session: Session, entry_ids: Sequence[int] | None = None) -> None:
    """PostgreSQL: recompute ``search_vector`` (all NULL ones when no ids are given).

    SQLite needs nothing: its triggers keep the FTS5 table current.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    if entry_ids is not None:
        session.execute(_PG_REFRESH_IDS, {"ids": list(entry_ids)})
    else:
        session.execute(_PG_REFRESH_NULL)


_PG_REFRESH_IDS = text(
    "UPDATE catalogue_entries SET search_vector = "
    "setweight(to_tsvector('simple', title), 'A') || "
    "setweight(to_tsvector('simple', coalesce(outcomes_text, '')), 'B') "
    "WHERE id = ANY(:ids)"
)
_PG_REFRESH_NULL = text(
    "UPDATE catalogue_entries SET search_vector = "
    "setweight(to_tsvector('simple', title), 'A') || "
    "setweight(to_tsvector('simple', coalesce(outcomes_text, '')), 'B') "
    "WHERE search_vector IS NULL"
)


# ----- searching ---------------------------------------------------------------------------


class AccreditationFilter:
    """Accreditation status of a provider, as the public catalogue filters on it.

    The register domain plugs its published decisions in at start-up (:meth:`plug`), so the
    catalogue imports no domain; unplugged, every provider is "not yet accredited".
    """

    ACCREDITED = "accredited"
    NOT_YET = "not_accredited"
    # EXISTS over the provider's published decision that accredits it now, given the
    # provider id column; the set of accredited ids among some; per specification, the
    # published decision it is offered under.
    _exists: Callable[[Any], ColumnElement[bool]] | None = None
    _accredited: Callable[[Session, Iterable[int]], set[int]] | None = None
    _for_specs: Callable[[Session, Iterable[int]], dict[int, Any]] | None = None

    @classmethod
    def plug(
        cls,
        exists: Callable[[Any], ColumnElement[bool]],
        accredited: Callable[[Session, Iterable[int]], set[int]],
        for_specs: Callable[[Session, Iterable[int]], dict[int, Any]],
    ) -> None:
        cls._exists, cls._accredited, cls._for_specs = exists, accredited, for_specs

    @staticmethod
    def condition(status: str | None) -> ColumnElement[bool] | None:
        exists = AccreditationFilter._exists
        if exists is None:
            return false() if status == AccreditationFilter.ACCREDITED else None
        if status == AccreditationFilter.ACCREDITED:
            return exists(CatalogueEntry.provider_id)
        if status == AccreditationFilter.NOT_YET:
            return ~exists(CatalogueEntry.provider_id)
        return None

    @staticmethod
    def accredited_column(provider_id: Any) -> ColumnElement[bool]:
        """Whether the provider (a column) is accredited now, as a column to select. The
        register's condition binds today's date: a statement holding it is good for a day."""
        exists = AccreditationFilter._exists
        return false() if exists is None else exists(provider_id)

    @staticmethod
    def status(accredited: Any) -> str:
        """The status named by :meth:`accredited_column`'s value."""
        return AccreditationFilter.ACCREDITED if accredited else AccreditationFilter.NOT_YET

    @staticmethod
    def status_of(provider_ids: Iterable[int], session: Session | None = None) -> dict[int, str]:
        ids = set(provider_ids)
        accredited = AccreditationFilter._accredited
        if accredited is None or not ids:
            return dict.fromkeys(ids, AccreditationFilter.NOT_YET)
        found = accredited(session or get_session(), ids)
        return {
            pid: AccreditationFilter.ACCREDITED if pid in found else AccreditationFilter.NOT_YET
            for pid in ids
        }

    @staticmethod
    def for_specs(spec_ids: Iterable[int], session: Session | None = None) -> dict[int, Any]:
        """The register's published decision each specification is offered under."""
        for_specs = AccreditationFilter._for_specs
        if for_specs is None:
            return {}
        return for_specs(session or get_session(), spec_ids)


@dataclass
class SearchQuery:
    text: str = ""
    country: str | None = None
    eqf_level: int | None = None
    ects_min: Decimal | None = None
    ects_max: Decimal | None = None
    participation_form: ParticipationForm | None = None
    language: str | None = None
    provider_type: ProviderType | None = None
    accreditation: str | None = None
    provider_id: int | None = None
    page: int = 1
    per_page: int = 20
    # Keyset cursor: the id of the last entry of the page before (title order only).
    after_id: int | None = None

    def filters_key(self) -> str:
        """What the matching set depends on (not the page): the key of its cached total."""
        return repr(
            (
                query_words(self.text),
                self.country,
                self.eqf_level,
                self.ects_min,
                self.ects_max,
                self.participation_form,
                self.language,
                self.provider_type,
                self.accreditation,
                self.provider_id,
            )
        )


@dataclass
class SearchPage(Page[CatalogueEntry]):
    """A page of search results with the providers' accreditation status, and the facets
    of each entry shown as (kind, value) pairs in value order (``entry.facets`` is not
    loaded: the page reads these)."""

    accreditation: dict[int, str] = field(default_factory=dict)
    facets: dict[int, list[tuple[str, str]]] = field(default_factory=dict)


def query_words(text_: str) -> list[str]:
    return [w.lower() for w in _QUERY_WORD_RE.findall(text_ or "")][:MAX_QUERY_WORDS]


def _fts5_expression(words: list[str]) -> str:
    # Words are [^\W_]+ only, so quoting them is safe; each is a prefix query.
    return " AND ".join(f'"{w}"*' for w in words)


def _pg_tsquery(words: list[str]) -> str:
    return " & ".join(f"{w}:*" for w in words)


def _facet_filter(kind: FacetKind, value: str) -> ColumnElement[bool]:
    return CatalogueEntry.id.in_(
        select(CatalogueFacet.entry_id).where(
            CatalogueFacet.kind == kind, CatalogueFacet.value == value
        )
    )


def _filtered(session: Session, query: SearchQuery) -> tuple[Select[Any], Any]:
    """The filtered statement and the rank expression (None without a text query)."""
    stmt = select(CatalogueEntry).join(Organisation, Organisation.id == CatalogueEntry.provider_id)
    conditions: list[ColumnElement[bool]] = []
    rank = None
    words = query_words(query.text)
    if words:
        if session.get_bind().dialect.name == "postgresql":
            tsquery = func.to_tsquery(PG_TEXT_CONFIG, _pg_tsquery(words))
            conditions.append(CatalogueEntry.search_vector.op("@@")(tsquery))
            rank = func.ts_rank(CatalogueEntry.search_vector, tsquery).desc()
        else:
            fts = table(FTS_TABLE)
            matches = (
                select(
                    literal_column("rowid").label("entry_id"),
                    literal_column(f"bm25({FTS_TABLE}, 10.0, 1.0)").label("score"),
                )
                .select_from(fts)
                .where(literal_column(FTS_TABLE).op("MATCH")(_fts5_expression(words)))
                .subquery("fts")
            )
            stmt = stmt.join(matches, matches.c.entry_id == CatalogueEntry.id)
            rank = matches.c.score.asc()
    if query.country:
        conditions.append(_facet_filter(FacetKind.COUNTRY, query.country.upper()))
    if query.language:
        conditions.append(_facet_filter(FacetKind.LANGUAGE, query.language.lower()))
    if query.eqf_level is not None:
        conditions.append(CatalogueEntry.eqf_level == query.eqf_level)
    if query.ects_min is not None:
        conditions.append(CatalogueEntry.ects >= query.ects_min)
    if query.ects_max is not None:
        conditions.append(CatalogueEntry.ects <= query.ects_max)
    if query.participation_form is not None:
        conditions.append(CatalogueEntry.participation_form == query.participation_form)
    if query.provider_type is not None:
        conditions.append(Organisation.provider_type == query.provider_type)
    if query.provider_id is not None:
        conditions.append(CatalogueEntry.provider_id == query.provider_id)
    accreditation = AccreditationFilter.condition(query.accreditation)
    if accreditation is not None:
        conditions.append(accreditation)
    if conditions:
        stmt = stmt.where(and_(*conditions))
    return stmt, rank


def search(session: Session, query: SearchQuery) -> SearchPage:
    """One page of results: its rows with their provider, and their facets; the total comes
    from the cache kept under the public version (a COUNT only after a publication).

    Pages in title order that follow a "Next" link are read by keyset (``after_id``): a
    deep page costs what the first one does, where OFFSET would read every row before it.
    """
    stmt, rank = _filtered(session, query)
    total = cached_public_data(
        "catalogue-total:" + query.filters_key(),
        lambda: session.execute(
            stmt.with_only_columns(func.count(CatalogueEntry.id)).order_by(None)
        ).scalar_one(),
    )
    pages = max(1, math.ceil(total / query.per_page))
    number = min(max(1, query.page), pages)
    order = [rank] if rank is not None else []
    order += [CatalogueEntry.title, CatalogueEntry.id]
    paged = stmt.options(contains_eager(CatalogueEntry.provider)).order_by(*order)
    rows: Sequence[CatalogueEntry] = []
    if rank is None and query.after_id is not None and number > 1:
        rows = _rows(session, paged.where(_after(query.after_id)).limit(query.per_page))
    if not rows:  # no cursor, a ranked search, or a cursor whose entry has gone
        rows = _rows(session, paged.limit(query.per_page).offset((number - 1) * query.per_page))
    statuses = AccreditationFilter.status_of({e.provider_id for e in rows}, session)
    page = SearchPage(
        number,
        query.per_page,
        total,
        list(rows),
        accreditation=statuses,
        facets=_facets_by_entry(session, [e.id for e in rows]),
    )
    if rank is None and rows:
        page.next_args = {"after": rows[-1].id}
    return page


# Plain rows rather than ``selectinload``: the ORM's loader costs more than the query.
_PAGE_FACETS = (
    select(CatalogueFacet.entry_id, CatalogueFacet.kind, CatalogueFacet.value)
    .where(CatalogueFacet.entry_id.in_(bindparam("ids", expanding=True)))
    .order_by(CatalogueFacet.entry_id, CatalogueFacet.kind, CatalogueFacet.value)
)


def _facets_by_entry(session: Session, ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    found: dict[int, list[tuple[str, str]]] = {entry_id: [] for entry_id in ids}
    if ids:
        for entry_id, kind, value in session.connection().execute(_PAGE_FACETS, {"ids": ids}):
            found[entry_id].append((str(kind), value))
    return found


def _rows(session: Session, stmt: Select[Any]) -> Sequence[CatalogueEntry]:
    return session.execute(stmt).unique().scalars().all()


def _after(entry_id: int) -> ColumnElement[bool]:
    """Entries after ``entry_id`` in (title, id) order; written so that an index on title
    serves the range (``title >= t`` first)."""
    title = select(CatalogueEntry.title).where(CatalogueEntry.id == entry_id).scalar_subquery()
    return and_(
        CatalogueEntry.title >= title,
        or_(CatalogueEntry.title > title, CatalogueEntry.id > entry_id),
    )


# One provider's entries in title order (its public catalogue page): plain columns, the
# statements built once. The same rows, order and paging as :func:`search` with only
# ``provider_id`` set, whose cached total they share.
_ENTRY_COLUMNS = (
    CatalogueEntry.id,
    CatalogueEntry.public_id,
    CatalogueEntry.title,
    CatalogueEntry.eqf_level,
    CatalogueEntry.ects,
    CatalogueEntry.hours,
    CatalogueEntry.participation_form,
    CatalogueEntry.provider_id,
)
_OF_PROVIDER = CatalogueEntry.provider_id == bindparam("provider_id")
_PROVIDER_TOTAL = select(func.count(CatalogueEntry.id)).where(_OF_PROVIDER)
_PROVIDER_ROWS = (
    select(*_ENTRY_COLUMNS)
    .where(_OF_PROVIDER)
    .order_by(CatalogueEntry.title, CatalogueEntry.id)
    .limit(bindparam("limit"))
)
_PROVIDER_ROWS_AT = _PROVIDER_ROWS.offset(bindparam("offset"))
_PROVIDER_ROWS_AFTER = _PROVIDER_ROWS.where(_after(bindparam("after_id")))


def provider_page(
    session: Session,
    provider: Any,
    accreditation: str,
    *,
    page: int = 1,
    per_page: int = 20,
    after_id: int | None = None,
) -> SearchPage:
    """A page of ``provider``'s entries (title order, keyset after a "Next" link), as
    :func:`search` would give it for ``SearchQuery(provider_id=provider.id)``, but with
    plain rows: each carries ``provider`` (the object given), and the provider's
    ``accreditation`` is known to the caller, so two statements read the page."""
    query = SearchQuery(provider_id=provider.id, per_page=per_page)
    total = cached_public_data(
        "catalogue-total:" + query.filters_key(),
        lambda: (
            session.connection().execute(_PROVIDER_TOTAL, {"provider_id": provider.id}).scalar_one()
        ),
    )
    number = min(max(1, page), max(1, math.ceil(total / per_page)))
    params: dict[str, Any] = {"provider_id": provider.id, "limit": per_page}
    connection = session.connection()
    rows: list[Any] = []
    if after_id is not None and number > 1:
        rows = list(connection.execute(_PROVIDER_ROWS_AFTER, {**params, "after_id": after_id}))
    if not rows:  # no cursor, or a cursor whose entry has gone
        offset = (number - 1) * per_page
        rows = list(connection.execute(_PROVIDER_ROWS_AT, {**params, "offset": offset}))
    items = [SimpleNamespace(**row._mapping, provider=provider) for row in rows]
    result = SearchPage(
        number,
        per_page,
        total,
        items,
        accreditation={provider.id: accreditation} if items else {},
        facets=_facets_by_entry(session, [e.id for e in items]),
    )
    if items:
        result.next_args = {"after": items[-1].id}
    return result


def cached_facet_counts(session: Session) -> dict[FacetKind, list[tuple[str, int]]]:
    """:func:`facet_counts` of the whole catalogue, recomputed only after a publication."""
    return cached_public_data("catalogue-facets", lambda: facet_counts(session))


def facet_counts(
    session: Session, provider_id: int | None = None
) -> dict[FacetKind, list[tuple[str, int]]]:
    """Values of each facet with their number of published specifications, in one query."""
    stmt = select(CatalogueFacet.kind, CatalogueFacet.value, func.count()).group_by(
        CatalogueFacet.kind, CatalogueFacet.value
    )
    if provider_id is not None:
        stmt = stmt.join(CatalogueEntry, CatalogueEntry.id == CatalogueFacet.entry_id).where(
            CatalogueEntry.provider_id == provider_id
        )
    result: dict[FacetKind, list[tuple[str, int]]] = {kind: [] for kind in FacetKind}
    for kind, value, count in session.execute(stmt.order_by(CatalogueFacet.value)):
        result[FacetKind(kind)].append((value, count))
    return result


def filtered_after(
    session: Session, query: SearchQuery, *, after_id: int | None = None
) -> Select[Any]:
    """The filtered entries (joined to their provider, ``Organisation``) after
    ``after_id``, unordered: the statement :func:`search_after` pages, for a caller that
    reads plain columns of it (the API builds no ORM object per row)."""
    stmt, _rank = _filtered(session, query)
    if after_id is not None:
        stmt = stmt.where(CatalogueEntry.id > after_id)
    return stmt


def search_after(
    session: Session, query: SearchQuery, *, after_id: int | None = None, limit: int = 50
) -> list[CatalogueEntry]:
    """A keyset page of the filtered entries in id order, for the API's cursors: the
    entries after ``after_id`` stay the same whatever is published before them (offsets
    and rank order would shift). Two statements whatever ``limit`` (rows, then facets)."""
    stmt = filtered_after(session, query, after_id=after_id)
    return list(
        session.execute(
            stmt.options(
                contains_eager(CatalogueEntry.provider), selectinload(CatalogueEntry.facets)
            )
            .order_by(CatalogueEntry.id)
            .limit(limit)
        )
        .unique()
        .scalars()
        .all()
    )
