"""What every API answer shares: parsing the query string into a pydantic model, opaque
signed cursors, JSON errors, strong ETags with If-None-Match, caching and CORS headers.

Nothing here knows a resource: :mod:`qaportal.api.views` says what is listed and how.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, current_app, request
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeSerializer
from pydantic import BaseModel, ValidationError

from qaportal.api.schemas import ErrorBody, ErrorDetail
from qaportal.db import utcnow
from qaportal.web import cache as page_cache

M = TypeVar("M", bound=BaseModel)

MAX_AGE = 60
# The largest answer kept in the cache of public answers: every default page fits (a page of
# providers with their decisions is about 250 kB); the largest pages (up to a MB) are not
# worth a slot, and anyone asking for many distinct ones cannot fill the store with them.
MAX_KEPT_BYTES = 320 * 1024
PAGINATION_PARAMS = frozenset({"cursor", "limit"})
_ENTITY_TAG = r'(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"'
_IF_NONE_MATCH_RE = re.compile(rf"^\s*(?:\*|{_ENTITY_TAG}(?:\s*,\s*{_ENTITY_TAG})*)\s*$")
_TAG_RE = re.compile(_ENTITY_TAG)


class ApiError(Exception):
    """An answer the client caused: becomes ``{"error": {"code", "message"}}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def not_found() -> ApiError:
    # The same words for unknown and unpublished objects: nothing hints that one exists.
    return ApiError(404, "not_found", _("There is no published object with this identifier."))


def error_response(error: ApiError) -> Response:
    body = ErrorBody(error=ErrorDetail(code=error.code, message=error.message))
    response = Response(body.model_dump_json(), status=error.status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


# ----- the query string --------------------------------------------------------------------


def parse_query(model: type[M]) -> M:
    """The query string as ``model`` (which forbids unknown names), or a 400 naming the
    parameter. Empty values count as absent, as on the web pages' filter forms."""
    raw = request.args.to_dict(flat=False)
    repeated = sorted(name for name, values in raw.items() if len(values) > 1)
    if repeated:
        raise ApiError(
            400,
            "repeated_parameter",
            _("The parameter %(name)s is given more than once.", name=repeated[0]),
        )
    values = {name: v[0] for name, v in raw.items() if v[0] != ""}
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        name = ".".join(str(part) for part in first["loc"]) or "?"
        if first["type"] == "extra_forbidden":
            raise ApiError(
                400, "unknown_parameter", _("Unknown query parameter: %(name)s.", name=name)
            ) from None
        raise ApiError(
            400,
            "invalid_parameter",
            _("Invalid value for %(name)s: %(reason)s.", name=name, reason=first["msg"]),
        ) from None


def filters_of(query: BaseModel) -> dict[str, Any]:
    """The filters of a parsed query (without cursor and limit), as query-string values."""
    return {
        name: value.value if hasattr(value, "value") else value
        for name, value in query.model_dump(exclude=set(PAGINATION_PARAMS)).items()
        if value is not None
    }


# ----- cursors -----------------------------------------------------------------------------


def _serializer(resource: str) -> URLSafeSerializer:
    return _serializer_for(current_app.config["SECRET_KEY"], resource)


@functools.lru_cache(maxsize=32)
def _serializer_for(secret_key: str, resource: str) -> URLSafeSerializer:
    # Built once per list: deriving the signing key cost more than signing a cursor.
    return URLSafeSerializer(secret_key, salt=f"qaportal.api.{resource}")


def _digest(filters: dict[str, Any]) -> str:
    text = "&".join(f"{k}={filters[k]}" for k in sorted(filters))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode_cursor(resource: str, after_id: int, filters: dict[str, Any]) -> str:
    """Opaque and signed: the last id of the page, bound to the list and its filters, so a
    cursor cannot be forged to skip rows nor reused with other filters."""
    return str(_serializer(resource).dumps([after_id, _digest(filters)]))


def decode_cursor(resource: str, cursor: str | None, filters: dict[str, Any]) -> int | None:
    if cursor is None:
        return None
    invalid = ApiError(
        400, "invalid_cursor", _("The cursor is not one this list gave out with these filters.")
    )
    try:
        payload = _serializer(resource).loads(cursor)
    except (BadData, UnicodeError, ValueError):
        raise invalid from None
    if (
        not isinstance(payload, list)
        or len(payload) != 2
        or type(payload[0]) is not int
        or payload[1] != _digest(filters)
    ):
        raise invalid
    return int(payload[0])


# ----- answering ---------------------------------------------------------------------------


def _if_none_match() -> list[str] | None:
    """The entity tags of If-None-Match (``["*"]`` for any), None without the header."""
    header = request.headers.get("If-None-Match")
    if header is None:
        return None
    if not _IF_NONE_MATCH_RE.match(header):
        raise ApiError(
            400,
            "invalid_header",
            _('If-None-Match must be "*" or a list of quoted entity tags.'),
        )
    if header.strip() == "*":
        return ["*"]
    return [tag.removeprefix("W/") for tag in _TAG_RE.findall(header)]


def answer(
    model: type[BaseModel], data: dict[str, Any], *, links: dict[str, str] | None = None
) -> Response:
    """``data`` as JSON, with a strong ETag over its bytes, once it validates as ``model``.

    ``model`` is the answer model the OpenAPI document publishes for the route: an answer
    that breaks the document cannot be sent. The whole answer, items included, is validated
    and serialised in one call each inside pydantic-core: no Python code runs per row, where
    building each item's model in Python cost more than the rest of the answer.
    """
    wanted = _if_none_match()
    body = model.__pydantic_serializer__.to_json(model.model_validate(data))
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    link = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items()) if links else None
    return _respond(body, etag, link, wanted)


def _respond(body: bytes, etag: str, link: str | None, wanted: list[str] | None) -> Response:
    # Weak comparison, as RFC 9110 asks for If-None-Match.
    if wanted is not None and ("*" in wanted or etag in wanted):
        response = Response(status=304)
    else:
        response = Response(body, mimetype="application/json")
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response.vary.add("Accept-Encoding")
    if link:
        response.headers["Link"] = link
    return response


def kept_for_everyone(view: Callable[[], Response]) -> Callable[[], Response]:
    """Answers of a list kept in the public-page cache (:mod:`qaportal.web.cache`) under
    the public version, which every publication or withdrawal replaces, and the day (what
    is accredited or valid now changes at midnight): a list asked again costs one cache
    read, not its statements, its validation and its serialisation. The key is the
    address as asked (scheme, host, path, query string), which the answer's absolute links
    and signed cursors depend on, and nothing of the visitor; as for pages, a signed-in
    visitor's request neither reads nor fills the cache."""

    @functools.wraps(view)
    def wrapper() -> Response:
        if not page_cache.anonymous_request():
            return view()
        wanted = _if_none_match()  # a malformed header is refused, cached answer or not
        where = f"{request.scheme}|{request.host}|{request.path}|{request.query_string!r}"
        key = f"api:{utcnow().date()}:{hashlib.sha256(where.encode()).hexdigest()}"
        version, kept = page_cache.read_entry(key)
        if kept is not None:
            return _respond(*kept, wanted)
        response = view()
        if page_cache.storable(response) and (response.content_length or 0) <= MAX_KEPT_BYTES:
            kept = (response.get_data(), response.headers["ETag"], response.headers.get("Link"))
            page_cache.write_entry(key, version, kept)
        return response

    return wrapper


def cors(response: Response) -> Response:
    """Public reads from any origin, never with credentials (no cookie is honoured here)."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "ETag, Link"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "If-None-Match"
        response.headers["Access-Control-Max-Age"] = "86400"
    return response
