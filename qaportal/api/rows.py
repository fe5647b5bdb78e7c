"""The catalogue's published entries as plain rows for the API's specification list.

The filters and the keyset are the catalogue's own (:func:`qaportal.catalogue.search.
filtered_after`); only the columns the answer shows are read, as tuples, then the page's
countries and languages in one more statement: no ORM object is built per row. Whether
each provider is accredited now is a column of the first statement (the catalogue's own
accreditation condition), not a third statement.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Date, Integer, Select, String, bindparam, select, type_coerce
from sqlalchemy.orm import Session

from qaportal.catalogue import search
from qaportal.catalogue.models import CatalogueEntry, CatalogueFacet, FacetKind
from qaportal.db import utcnow
from qaportal.memo import Memo
from qaportal.orgs.models import Organisation
from qaportal.register.queries import IdList, accredits_now, in_ids

# The order is the one present.specification_summaries unpacks.
COLUMNS = (
    CatalogueEntry.id.label("id"),
    CatalogueEntry.public_id.label("public_id"),
    CatalogueEntry.title.label("title"),
    CatalogueEntry.eqf_level.label("eqf_level"),
    CatalogueEntry.ects.label("ects"),
    CatalogueEntry.hours.label("hours"),
    CatalogueEntry.participation_form.label("participation_form"),
    CatalogueEntry.published_at.label("published_at"),
    CatalogueEntry.provider_id.label("provider_id"),
    Organisation.legal_name.label("provider_legal_name"),
    Organisation.acronym.label("provider_acronym"),
    Organisation.country.label("provider_country"),
    Organisation.provider_type.label("provider_type"),
    # Built once: the EXISTS is a tree that cost more to build per request than to run.
    accredits_now(CatalogueEntry.provider_id, bindparam("today", type_=Date)).label("accredited"),
)
# The countries and languages of a page's entries (regions are not shown), built once.
# The kind is read as the stored text: turning each of a page's facets (over a hundred)
# back into a FacetKind was about a quarter of the cost of reading them.
_FACETS_OF = (
    select(CatalogueFacet.entry_id, type_coerce(CatalogueFacet.kind, String), CatalogueFacet.value)
    .where(
        in_ids(CatalogueFacet.entry_id, bindparam("entry_ids", type_=IdList())),
        CatalogueFacet.kind.in_([FacetKind.COUNTRY, FacetKind.LANGUAGE]),
    )
    .order_by(CatalogueFacet.value)
)


# A list's statement, built once per set of filters and kept: building a statement and its
# cache key per request cost more than running it. The filters' values are in it; the
# page's place (``after_id``, ``limit``) and the day are bound at execution, so a client
# walking the pages of one list reuses one statement. The catalogue's accreditation
# filter compares with the day it is built on: the day is part of its key.
_PAGE_STATEMENTS: Memo[tuple[str, str, Any], Select[Any]] = Memo(256)


def _page_statement(session: Session, query: search.SearchQuery) -> Select[Any]:
    dialect = session.get_bind().dialect.name
    day = utcnow().date() if query.accreditation else None
    return _PAGE_STATEMENTS.get_or_make(
        (dialect, query.filters_key(), day),
        lambda: (
            search.filtered_after(session, query)
            .with_only_columns(*COLUMNS)
            .where(CatalogueEntry.id > bindparam("after_id", type_=Integer))
            .order_by(CatalogueEntry.id)
            .limit(bindparam("limit", type_=Integer))
        ),
    )


@dataclass
class Facets:
    countries: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    languages: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))


def specification_page(
    session: Session, query: search.SearchQuery, *, after_id: int | None, limit: int
) -> tuple[list[Any], Facets]:
    """Up to ``limit`` entries after ``after_id`` in id order (each with ``accredited``,
    true when its provider holds an accreditation now), and their facets by entry id (each
    list sorted). Two statements whatever ``limit``."""
    params = {"today": utcnow().date(), "after_id": after_id or 0, "limit": limit}
    rows = session.connection().execute(_page_statement(session, query), params).all()
    facets = Facets()
    if not rows:
        return rows, facets
    into = {
        FacetKind.COUNTRY.value: facets.countries,
        FacetKind.LANGUAGE.value: facets.languages,
    }
    found = session.connection().execute(_FACETS_OF, {"entry_ids": [row[0] for row in rows]})
    for entry_id, kind, value in found.all():
        into[kind][entry_id].append(value)
    return rows, facets
