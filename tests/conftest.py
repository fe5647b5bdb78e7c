"""Shared fixtures: a real database (SQLite file, or PostgreSQL when
QAPORTAL_TEST_DATABASE_URL is set), migrated once per run and emptied between tests."""

from __future__ import annotations

import gc
import os
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError

from qaportal import create_app
from qaportal.models import Base

PG_URL = os.environ.get("QAPORTAL_TEST_DATABASE_URL")


def in_ci() -> bool:
    """CI sets CI=true: there a missing browser or database fails a test instead of skipping it."""
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def skip_or_fail(reason: str) -> None:
    """Skip locally; under CI, fail, so that a missing part can never pass unnoticed."""
    if in_ci():
        pytest.fail(f"{reason} (CI is set, so this fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres") and not PG_URL:
        skip_or_fail("needs PostgreSQL: set QAPORTAL_TEST_DATABASE_URL")


def _create_pg_database(admin_url: str, name: str) -> str:
    url = make_url(admin_url)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(admin_url: str, name: str) -> None:
    """Drop a test database. Only our own leftover connections are ended: an autovacuum
    worker may be connected too, which an unprivileged role cannot end (so no FORCE); it
    leaves within moments, hence the retries."""
    engine = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for attempt in range(40):
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND usename = current_user "
                    "AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            try:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                break
            except OperationalError:  # "being accessed by other users"
                if attempt == 39:
                    raise
                time.sleep(0.25)
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database for this test session (one per xdist worker)."""
    from qaportal.migrate import upgrade

    if PG_URL:
        name = f"qaportal_test_{uuid.uuid4().hex[:10]}"
        url = _create_pg_database(PG_URL, name)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    upgrade("head", url=url)
    yield url
    if PG_URL:
        _drop_pg_database(PG_URL, name)


def empty_database(engine: Engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # A connection a test left idle in a transaction (an unread streamed response,
            # say) would block TRUNCATE for ever: end it, and never wait long for a lock.
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND usename = current_user "
                    "AND pid <> pg_backend_pid()"
                )
            )
            conn.execute(text("SET LOCAL lock_timeout = '20s'"))
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(
            text(
                "INSERT INTO audit_chain_head (id, last_event_id, last_hash) VALUES (1, NULL, :h)"
            ),
            {"h": "0" * 64},
        )


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    """Override in a test module to change settings; CSRF stays on, as in production."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "SECRET_KEY": "test-secret-key-" + "x" * 32,
        "RATELIMIT_STORAGE_URI": "memory://",
        "BASE_URL": "http://localhost",
        # Queued tasks run at once, in the request (tests/test_tasks.py covers the queue).
        "QUEUE_IMMEDIATE": True,
        # Still argon2id, at a cost that keeps hundreds of sign-ins in tests quick.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_KIB": 1024,
        # Tests write rows directly, past the services that bump the public pages' cache;
        # tests/test_page_cache.py turns it on.
        "CACHE_TYPE": "NullCache",
    }


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    application = create_app(app_config)
    engine = application.extensions["qaportal.engine"]
    empty_database(engine)
    yield application
    engine.dispose()
    if engine.dialect.name == "postgresql":
        # A connection a test dropped without closing is finalised by the garbage collector
        # whenever it next runs. Later, its server connection ended by the next test's
        # empty_database, its rollback fails and logs a traceback from inside whatever the
        # collector interrupted: once that was CPython 3.11 building an AST (werkzeug's URL
        # builder), which then failed with "AST constructor recursion depth mismatch".
        # Collected here, while its server connection is alive, it closes quietly.
        gc.collect()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def demo(app: Flask) -> Any:
    """The demo data set: an agency, two providers, a user for every role."""
    from qaportal.demo import seed_demo

    with app.app_context():
        return seed_demo()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, url: str = "/") -> str:
    """The CSRF token of the client's session, read from a page like a browser would."""
    response = client.get(url, follow_redirects=True)
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def post_form(
    client: FlaskClient,
    url: str,
    data: dict[str, Any],
    *,
    token_from: str | None = None,
    **kwargs: Any,
) -> Any:
    """POST like a browser: first fetch a page for the CSRF token, then submit."""
    payload = {"csrf_token": csrf_token(client, token_from or url), **data}
    response = client.post(url, data=payload, **kwargs)
    if kwargs.get("content_type") == "multipart/form-data":
        # The test client spools a large body to a temporary file, which werkzeug closes
        # only after following redirects; left to the garbage collector, it warns in
        # whichever test runs then.
        response.request.input_stream.close()
    return response


def login(client: FlaskClient, email: str, password: str) -> Any:
    response = post_form(client, "/login", {"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


class QueryCounter:
    """Counts SQL statements, for tests that guard against N+1 queries."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.count = 0

    def _count(self, *_args: Any) -> None:
        self.count += 1

    def __enter__(self) -> QueryCounter:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)


@pytest.fixture
def count_queries(app: Flask) -> Any:
    return lambda: QueryCounter(app.extensions["qaportal.engine"])


# ----- a real local SMTP server (aiosmtpd) -------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the moment of asking)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalSMTP:
    """A running aiosmtpd server; ``messages`` holds what it received, parsed, in order."""

    host = "127.0.0.1"

    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: list[Any] = []  # email.message.EmailMessage
        self.envelopes: list[tuple[str, list[str]]] = []  # (MAIL FROM, RCPT TOs)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import email
        import email.policy

        raw = (envelope.original_content or envelope.content).replace(b"\r\n", b"\n")
        self.messages.append(email.message_from_bytes(raw, policy=email.policy.default))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def config(self) -> dict[str, Any]:
        """The settings that point the portal at this server (merge into ``app_config``)."""
        return {
            "MAIL_HOST": self.host,
            "MAIL_PORT": self.port,
            "MAIL_FROM": "qaportal <noreply@qaportal.test>",
        }


@pytest.fixture
def smtp_server() -> Iterator[LocalSMTP]:
    """A real SMTP server on 127.0.0.1 and a free port, for one test."""
    from aiosmtpd.controller import Controller

    recorder = LocalSMTP(free_port())
    controller = Controller(recorder, hostname=recorder.host, port=recorder.port)
    controller.start()
    try:
        yield recorder
    finally:
        controller.stop()


def link_in_mail(message: Any, path_prefix: str) -> str:
    """The path (e.g. ``/invitations/…``) of the first link in a received email's text."""
    body = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"[^\s]+)", body)
    assert match, f"no {path_prefix} link in: {body}"
    return match.group(1)


def send_mail(app: Flask) -> str:
    """Run ``qaportal mail send`` like an operator would; returns its output."""
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    return result.output


def shown_day(value: Any) -> str:
    """A day (or a moment's day) as English pages show it: ``qaportal.web.i18n.day``."""
    from babel.dates import format_date

    return format_date(value, "medium", locale="en")
