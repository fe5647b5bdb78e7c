"""The API's routes: parse the query (a 400 for anything the schema refuses), read through
the catalogue's search and :mod:`qaportal.register.queries` (which only ever return what
is published), build the answer model, send it with :func:`qaportal.api.http.answer`.
The four lists are rows of ``LISTS``, served by one handler (:func:`_list_view`).

Every route is a GET: the blueprint is exempt from CSRF for that reason only.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from qaportal.api import http, openapi, present
from qaportal.api import rows as api_rows
from qaportal.api.schemas import (
    MAX_ID,
    Decision,
    DecisionPage,
    NoQuery,
    Provider,
    ProviderPage,
    Query,
    RegisterQuery,
    ReportPage,
    SpecificationDetail,
    SpecificationPage,
    SpecificationQuery,
)
from qaportal.catalogue import search, services
from qaportal.db import get_session
from qaportal.register import queries
from qaportal.web.worklist import Formats

BASE = "/api/v1"
bp = Blueprint("api", __name__, url_prefix=BASE)
OPERATIONS: list[openapi.Operation] = []
# A list's items, and the id the next page starts after (None on the last page).
Items = tuple[list[dict[str, Any]], int | None]


def operation(
    rule: str,
    *,
    response: type[Any],
    summary: str,
    tag: str,
    query: type[Any] | None = None,
    ids: tuple[str, ...] = (),
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """A GET route that the OpenAPI document describes with these very models."""

    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        OPERATIONS.append(
            openapi.Operation(
                rule, view.__name__, summary, tag, response=response, query=query, ids=ids
            )
        )
        return bp.get(rule)(view)

    return decorate


@bp.errorhandler(http.ApiError)
def _api_error(error: http.ApiError) -> Response:
    return http.error_response(error)


@bp.after_request
def _cors(response: Response) -> Response:
    return http.cors(response)


def _id(value: str) -> int:
    """An id from the address. Taken as text, not with the ``int`` converter: a converter
    that refuses a value ends the URL matching with the app's HTML 404, and the API answers
    every unknown address in JSON, the same as for an unpublished object."""
    if not value.isascii() or not value.isdigit() or len(value) > 10:
        raise http.not_found()
    number = int(value)
    if not 1 <= number <= MAX_ID:
        raise http.not_found()
    return number


# ----- the document and unknown addresses --------------------------------------------------


@functools.cache
def _document() -> tuple[str, str]:
    """The document's text and its entity tag: the operations are fixed at import."""
    body = json.dumps(openapi.document(OPERATIONS, base_path=BASE), indent=1)
    return body, hashlib.sha256(body.encode()).hexdigest()[:32]


@bp.get("/openapi.json")
def openapi_document() -> Response:
    body, etag = _document()
    response = Response(body, mimetype="application/json")
    response.set_etag(etag, weak=False)
    response.headers["Cache-Control"] = f"public, max-age={http.MAX_AGE}"
    return response.make_conditional(request)


@bp.get("/<path:rest>")
def unknown(rest: str) -> Response:
    """Any other address under the API, including ids no database column can hold: the
    same JSON 404 as an unpublished object."""
    raise http.not_found()


# ----- specifications ----------------------------------------------------------------------


def _search_query(params: SpecificationQuery) -> search.SearchQuery:
    return search.SearchQuery(
        text=params.q or "",
        country=params.country,
        eqf_level=params.eqf,
        ects_min=Decimal(str(params.ects_min)) if params.ects_min is not None else None,
        ects_max=Decimal(str(params.ects_max)) if params.ects_max is not None else None,
        participation_form=params.form,
        language=params.language,
        provider_type=params.provider_type,
        accreditation=params.accreditation,
        provider_id=params.provider,
    )


@operation(
    "/specifications/<public_id>",
    response=SpecificationDetail,
    summary="One published specification",
    tag="catalogue",
)
def specification(public_id: str) -> Response:
    http.parse_query(NoQuery)
    version = (
        services.published_by_public_id(get_session(), public_id) if len(public_id) <= 36 else None
    )
    if version is None:
        raise http.not_found()
    spec = version.specification
    status = search.AccreditationFilter.status_of([spec.provider_id])[spec.provider_id]
    under = queries.current_accreditation_for_specs(get_session(), [spec.id]).get(spec.id)
    return http.answer(
        SpecificationDetail,
        present.specification_detail(version, status, under.id if under is not None else None),
    )


# ----- the register ------------------------------------------------------------------------


def _register_filters(params: RegisterQuery) -> queries.RegisterFilters:
    return queries.RegisterFilters(
        q=params.q,
        country=params.country,
        provider_type=params.provider_type.value if params.provider_type else None,
        decision=params.decision.value if params.decision else None,
        framework=params.framework,
        validity=params.validity,
        expiring_months=params.months,
    )


@operation(
    "/decisions/<decision_id>",
    response=Decision,
    ids=("decision_id",),
    summary="One published decision",
    tag="register",
)
def decision(decision_id: str) -> Response:
    http.parse_query(NoQuery)
    found = queries.published_decision(get_session(), _id(decision_id))
    if found is None:
        raise http.not_found()
    return http.answer(Decision, present.decision(Formats(), found))


@operation(
    "/providers/<provider_id>",
    response=Provider,
    ids=("provider_id",),
    summary="One provider of the register",
    tag="register",
)
def provider(provider_id: str) -> Response:
    http.parse_query(NoQuery)
    found = queries.published_provider(get_session(), _id(provider_id))
    if found is None:
        raise http.not_found()
    return http.answer(Provider, present.provider(Formats(), found))


# ----- the lists ---------------------------------------------------------------------------


def _specification_items(db: Session, params: SpecificationQuery, after: int | None) -> Items:
    rows, facets = api_rows.specification_page(
        db, _search_query(params), after_id=after, limit=params.limit + 1
    )
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    items = present.specification_summaries(Formats(), rows, facets)
    return items, rows[-1].id if more else None


def _after_full_page(rows: Sequence[Any], limit: int) -> int | None:
    # The register's queries cap a page at MAX_LIMIT, so they cannot be asked for one row
    # more to know whether another page follows: a full page links to the next one.
    return rows[-1].id if len(rows) == limit else None


def _decision_items(db: Session, params: RegisterQuery, after: int | None) -> Items:
    rows = queries.published_decisions(
        db, _register_filters(params), after_id=after, limit=params.limit
    )
    urls = Formats()
    return [present.decision(urls, d) for d in rows], _after_full_page(rows, params.limit)


def _provider_items(db: Session, params: RegisterQuery, after: int | None) -> Items:
    rows = queries.published_providers(
        db, _register_filters(params), after_id=after, limit=params.limit
    )
    urls = Formats()
    return [present.provider(urls, p) for p in rows], _after_full_page(rows, params.limit)


def _report_items(db: Session, params: RegisterQuery, after: int | None) -> Items:
    # Keyset over the decisions (a report is reached through its published decision):
    # a page holds the reports of up to ``limit`` decisions, fewer when some have none.
    rows = queries.published_decisions(
        db, _register_filters(params), after_id=after, limit=params.limit
    )
    urls = Formats()
    items = [r for r in (present.report(urls, d) for d in rows) if r is not None]
    return items, _after_full_page(rows, params.limit)


@dataclass(frozen=True)
class Listing:
    """A list of the API: ``GET /<resource>`` answers ``page`` for a ``query``.

    ``read`` returns the page's items and, when another page follows, the id the next
    page starts after; :func:`_list_view` does the rest, the same for every list.
    """

    resource: str  # the path, the endpoint (``api.<resource>``) and the cursor's salt
    page: type[BaseModel]
    query: type[Query]
    read: Callable[[Session, Any, int | None], Items]
    summary: str
    tag: str


LISTS = (
    Listing(
        "specifications",
        SpecificationPage,
        SpecificationQuery,
        _specification_items,
        "Published micro-credential specifications (the public catalogue)",
        "catalogue",
    ),
    Listing(
        "decisions",
        DecisionPage,
        RegisterQuery,
        _decision_items,
        "Published accreditation decisions (the public register)",
        "register",
    ),
    Listing(
        "providers",
        ProviderPage,
        RegisterQuery,
        _provider_items,
        "Providers with published decisions, each with its decisions",
        "register",
    ),
    Listing(
        "reports",
        ReportPage,
        RegisterQuery,
        _report_items,
        "Published accreditation-report versions of published decisions",
        "register",
    ),
)


def _list_view(listing: Listing) -> Callable[[], Response]:
    endpoint = f"{bp.name}.{listing.resource}"

    def view() -> Response:
        params = http.parse_query(listing.query)
        filters = http.filters_of(params)
        after = http.decode_cursor(listing.resource, params.cursor, filters)
        items, last_id = listing.read(get_session(), params, after)
        next_url = None
        if last_id is not None:
            cursor = http.encode_cursor(listing.resource, last_id, filters)
            next_url = present.external(endpoint, **filters, limit=params.limit, cursor=cursor)
        links = {"next": next_url} if next_url else None
        return http.answer(listing.page, {"items": items, "next": next_url}, links=links)

    view.__name__ = view.__qualname__ = listing.resource
    return view


for _listing in LISTS:
    operation(
        f"/{_listing.resource}",
        response=_listing.page,
        query=_listing.query,
        summary=_listing.summary,
        tag=_listing.tag,
    )(http.kept_for_everyone(_list_view(_listing)))
