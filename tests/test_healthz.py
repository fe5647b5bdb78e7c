"""/healthz: the database and the task queue, answered without signing in; 503 names what
failed (and only that) so a load balancer or scripts/production-shape.sh can act on it."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import pytest

from qaportal import create_app


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_healthy_portal_answers_ok_with_what_it_checked(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checked": ["database", "queue"]}
    assert "Set-Cookie" not in response.headers


def test_a_real_sqlite_queue_is_checked(app_config: dict[str, Any], tmp_path: Path):
    queue_file = tmp_path / "queue.sqlite3"
    app = create_app(
        {**app_config, "QUEUE_IMMEDIATE": False, "QUEUE_URL": f"sqlite:///{queue_file}"}
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert queue_file.exists()


def test_an_unreachable_queue_is_a_503_naming_the_queue(app_config: dict[str, Any], tmp_path):
    # A folder that does not exist: SQLite cannot open the queue file in it.
    missing = tmp_path / "no-such-folder" / "queue.sqlite3"
    app = create_app({**app_config, "QUEUE_IMMEDIATE": False, "QUEUE_URL": f"sqlite:///{missing}"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body == {"status": "failing", "failed": ["queue"]}
    assert "no-such-folder" not in response.get_data(as_text=True)


def test_a_redis_queue_that_is_down_is_a_503(app_config: dict[str, Any]):
    pytest.importorskip("redis")
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    app = create_app({**app_config, "QUEUE_IMMEDIATE": False, "QUEUE_URL": url})
    started = time.monotonic()
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["failed"] == ["queue"]
    assert time.monotonic() - started < 5


def test_an_unreachable_database_is_a_503_naming_the_database(app_config: dict[str, Any]):
    url = f"postgresql+psycopg://nobody:nothing@127.0.0.1:{_closed_port()}/none"
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": url})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "failing", "failed": ["database"]}
    assert "nobody" not in response.get_data(as_text=True)
