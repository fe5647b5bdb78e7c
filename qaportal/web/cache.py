"""Caching of public pages that do not depend on the visitor.

A view decorated with :func:`public_page` answers anonymous GETs from a server-side cache
(Flask-Caching) and marks its answer cacheable by browsers and proxies (``ETag``, a short
``Cache-Control: public``), answering ``If-None-Match`` with 304. Each entry carries the
*public version* it was rendered under, a random token that services replace when public
content changes (:func:`public_content_changed`, honoured after the transaction commits),
and counts only while the token is current, so a publication or withdrawal is visible on
the next request; the entry's timeout bounds anything else (a provider renaming itself) to
``PAGE_CACHE_SECONDS``. The token and the entry are read together, in one round trip.

What keeps one visitor's page from another:
- a request from a signed-in session (or any session carrying a user, a login cookie, an
  ``Authorization`` header, or flashed messages waiting) neither reads nor fills the cache,
  and keeps the ``no-store`` every other page has;
- the key holds nothing of the visitor but the language the page is rendered in, with the
  host, path and query string;
- an answer is stored only if rendering it left the session untouched and set no cookie:
  a page that generated a CSRF token, or consumed a flash, is never stored.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_app_context, make_response, request, session
from flask_babel import get_locale
from flask_caching import Cache
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

cache = Cache()

VERSION_KEY = "public-version"
_PENDING_BUMP = "qaportal.public_content_changed"
# Session keys that say the visitor is, or was being, someone: such requests bypass the cache.
_PERSONAL_SESSION_KEYS = ("_user_id", "sid", "_flashes")

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def init_app(app: Flask) -> None:
    """Chooses the store: Redis when ``CACHE_URL`` names one (shared by every worker and
    machine), else files in the instance folder (shared by the workers of one machine);
    ``CACHE_TYPE`` may name another Flask-Caching type (``SimpleCache`` for a single
    process, ``NullCache`` to turn caching off)."""
    url = app.config.get("CACHE_URL")
    kind = app.config.get("CACHE_TYPE") or ("RedisCache" if url else "FileSystemCache")
    settings: dict[str, Any] = {
        "CACHE_TYPE": kind,
        "CACHE_DEFAULT_TIMEOUT": app.config.get("PAGE_CACHE_SECONDS", 300),
        "CACHE_KEY_PREFIX": "qaportal:",
        "CACHE_THRESHOLD": 5000,
        "CACHE_NO_NULL_WARNING": True,  # NullCache is a deliberate choice (tests, debugging)
    }
    if url:
        settings["CACHE_REDIS_URL"] = url
    if kind == "FileSystemCache":
        folder = app.config.get("CACHE_DIR") or str(Path(app.instance_path) / "page-cache")
        Path(folder).mkdir(parents=True, exist_ok=True)
        settings["CACHE_DIR"] = folder
    cache.init_app(app, config=settings)


def _store() -> Any:
    return current_app.extensions["cache"][cache]


# ----- the public version -------------------------------------------------------------------


def public_version() -> str:
    """The current token; a fresh one when the store has none (first start, eviction): a
    random token, not a counter, so that a restarted count never meets old entries."""
    store = _store()
    version = store.get(VERSION_KEY)
    if version is None:
        version = secrets.token_hex(8)
        if not store.add(VERSION_KEY, version, timeout=0):  # another worker was first
            version = store.get(VERSION_KEY) or version
    return str(version)


def bump_public_version(store: Any | None = None) -> None:
    (store if store is not None else _store()).set(VERSION_KEY, secrets.token_hex(8), timeout=0)


def public_content_changed(session: Session) -> None:
    """Called by a service that publishes, retires or withdraws public content: once
    ``session`` commits, every cached public page is out of date. Bumping only after the
    commit matters: a page rendered from the old data in between would otherwise be stored
    under the new version."""
    if has_app_context() and cache in current_app.extensions.get("cache", {}):
        session.info[_PENDING_BUMP] = _store()


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session: Session) -> None:
    store = session.info.pop(_PENDING_BUMP, None)
    if store is not None:
        bump_public_version(store)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_BUMP, None)


def read_entry(key: str) -> tuple[str, Any]:
    """The current public version, and what ``key`` holds if it was stored under that
    version (else None): one round trip to the store (a Redis MGET)."""
    version, entry = _store().get_many(VERSION_KEY, key)
    if version is None:
        return public_version(), None
    if entry is None or entry[0] != version:
        return str(version), None
    return str(version), entry[1]


def write_entry(key: str, version: str, value: Any) -> None:
    _store().set(key, (version, value))


def cached_public_data(name: str, compute: Callable[[], T]) -> T:
    """``compute()``, kept under the public version: for figures drawn from public data
    only (facet counts, totals), which then cost one cache read until the next publication
    or withdrawal. ``name`` must say everything the figure depends on. The version is read
    before computing, so a figure computed while a publication commits is stored under the
    old version and never outlives it."""
    if not has_app_context() or cache not in current_app.extensions.get("cache", {}):
        return compute()
    key = f"data:{hashlib.sha256(name.encode()).hexdigest()}"
    version, value = read_entry(key)
    if value is None:
        value = compute()
        write_entry(key, version, value)
    return value  # type: ignore[no-any-return]


# ----- pages ---------------------------------------------------------------------------------


def anonymous_request() -> bool:
    """Whether the request may read and fill the cache: a GET or HEAD from nobody signed
    in (see the module's docstring)."""
    if request.method not in ("GET", "HEAD") or "Authorization" in request.headers:
        return False
    if current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies:
        return False
    return not any(key in session for key in _PERSONAL_SESSION_KEYS)


def _key() -> str:
    where = f"{request.host}|{request.path}|{request.query_string.decode('latin-1')}"
    digest = hashlib.sha256(where.encode()).hexdigest()
    return f"page:{get_locale() or ''}:{digest}"


def _public_headers(response: Response, etag: str) -> Response:
    seconds = current_app.config.get("PAGE_MAX_AGE_SECONDS", 60)
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={seconds}, must-revalidate"
    response.vary.update(("Accept-Language", "Cookie"))
    return response.make_conditional(request)


def storable(response: Response) -> bool:
    """Whether an answer may be kept for everyone: complete, and rendering it left the
    session untouched and set no cookie."""
    return not (
        response.status_code != 200
        or response.direct_passthrough
        or session.modified
        or "Set-Cookie" in response.headers
    )


def public_page(view: F) -> F:
    """Cache an anonymous page that depends only on the address, the language and the
    public version (see the module's docstring for what keeps visitors apart)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not anonymous_request():
            return view(*args, **kwargs)
        g.cacheable_page = True  # templates leave out what is per visitor (base.html)
        key = _key()
        version, hit = read_entry(key)
        if hit is not None:
            body, status, mimetype, etag = hit
            response = current_app.response_class(body, status=status, mimetype=mimetype)
            return _public_headers(response, etag)
        response = make_response(view(*args, **kwargs))
        if not storable(response):
            return response
        body = response.get_data()
        etag = hashlib.sha256(body).hexdigest()[:32]
        write_entry(key, version, (body, response.status_code, response.mimetype, etag))
        return _public_headers(response, etag)

    return wrapper  # type: ignore[return-value]
