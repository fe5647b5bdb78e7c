"""The API reads no cookie session: every answer is the same for every visitor (CORS for
any origin, never with credentials), so decoding and re-signing the session cookie, and
the ``Vary: Cookie`` it adds, were work and a cache split for nothing.

:class:`SessionlessUnder` wraps the app's session interface: under the API's prefix a
request gets a :class:`ThrowawaySession`, empty whatever cookie came, and never saved (so
no ``Set-Cookie``). Without a session nothing can see a signed-in user: Flask-Login finds
no user id, the locale falls back to ``Accept-Language``. Writing to it is allowed, not
refused: the app's HTML error pages (a POST to an API address is a 405 page) put a CSRF
token in the session, and must still render. Every other address keeps the wrapped
interface untouched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask.sessions import SecureCookieSession, SessionInterface, SessionMixin

if TYPE_CHECKING:
    from flask import Flask, Request, Response


class ThrowawaySession(SecureCookieSession):
    """A request's session that starts empty and is dropped with the request."""


class SessionlessUnder(SessionInterface):
    def __init__(self, inner: SessionInterface, prefix: str) -> None:
        self.inner = inner
        self.prefix = prefix.rstrip("/")
        self.null_session_class = inner.null_session_class
        self.pickle_based = inner.pickle_based

    def _sessionless(self, request: Request) -> bool:
        path = request.path
        return path == self.prefix or path.startswith(self.prefix + "/")

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        if self._sessionless(request):
            return ThrowawaySession()
        return self.inner.open_session(app, request)

    def make_null_session(self, app: Flask) -> SessionMixin:
        return self.inner.make_null_session(app)

    def is_null_session(self, obj: object) -> bool:
        # Flask saves no null session: that is how a throwaway one is never saved.
        return isinstance(obj, ThrowawaySession) or self.inner.is_null_session(obj)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        self.inner.save_session(app, session, response)
