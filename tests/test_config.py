"""Configuration from the environment: safe local defaults, and a production mode that refuses
to start unsafely."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest

from qaportal import create_app
from qaportal.config import ConfigError, load_config
from tests.conftest import login

STRONG_KEY = "k" * 48


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts from an environment without QAPORTAL_* settings."""
    for name in list(os.environ):
        if name.startswith("QAPORTAL_") and name != "QAPORTAL_TEST_DATABASE_URL":
            monkeypatch.delenv(name)


def test_default_database_is_an_sqlite_file_in_the_instance_folder(tmp_path: Path):
    cfg = load_config(tmp_path)
    assert cfg["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'qaportal.sqlite3'}"
    assert cfg["UPLOAD_FOLDER"] == str(tmp_path / "uploads")
    assert cfg["PRODUCTION"] is False


def test_instance_path_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    instance = tmp_path / "somewhere" / "instance"
    monkeypatch.setenv("QAPORTAL_INSTANCE_PATH", str(instance))
    app = create_app()
    try:
        assert Path(app.instance_path) == instance.resolve()
        assert app.config["SQLALCHEMY_DATABASE_URI"] == (
            f"sqlite:///{instance.resolve() / 'qaportal.sqlite3'}"
        )
        assert (instance / "uploads").is_dir()
    finally:
        app.extensions["qaportal.engine"].dispose()


def test_settings_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("QAPORTAL_DATABASE_URL", "postgresql+psycopg://u:p@db.example/qa")
    monkeypatch.setenv("QAPORTAL_UPLOAD_FOLDER", str(tmp_path / "files"))
    monkeypatch.setenv("QAPORTAL_BASE_URL", "https://qa.example.org/")
    monkeypatch.setenv("QAPORTAL_MAIL_HOST", "smtp.example.org")
    monkeypatch.setenv("QAPORTAL_MAIL_PORT", "587")
    monkeypatch.setenv("QAPORTAL_MAIL_STARTTLS", "true")
    monkeypatch.setenv("QAPORTAL_MAX_CONTENT_LENGTH", "1048576")
    cfg = load_config(tmp_path)
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example/qa"
    assert cfg["UPLOAD_FOLDER"] == str(tmp_path / "files")
    assert cfg["BASE_URL"] == "https://qa.example.org"
    assert (cfg["MAIL_HOST"], cfg["MAIL_PORT"], cfg["MAIL_STARTTLS"]) == (
        "smtp.example.org",
        587,
        True,
    )
    assert cfg["MAX_CONTENT_LENGTH"] == 1048576


def test_local_secret_key_is_generated_once_and_kept(tmp_path: Path):
    first = load_config(tmp_path)["SECRET_KEY"]
    key_file = tmp_path / "secret_key"
    assert key_file.read_text().strip() == first
    assert len(first) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_config(tmp_path)["SECRET_KEY"] == first
    other = tmp_path / "other"
    other.mkdir()
    assert load_config(other)["SECRET_KEY"] != first


def test_secret_key_from_the_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("QAPORTAL_SECRET_KEY", STRONG_KEY)
    assert load_config(tmp_path)["SECRET_KEY"] == STRONG_KEY
    assert not (tmp_path / "secret_key").exists()


def _production(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    monkeypatch.setenv("QAPORTAL_ENV", "production")
    settings = {"SECRET_KEY": STRONG_KEY, "BASE_URL": "https://qa.example.org"}
    settings.update(env)
    for name, value in settings.items():
        if value:
            monkeypatch.setenv("QAPORTAL_" + name, value)


def test_production_starts_with_a_safe_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    _production(monkeypatch)
    cfg = load_config(tmp_path)
    assert cfg["PRODUCTION"] is True
    assert cfg["SESSION_COOKIE_SECURE"] is True
    assert cfg["REMEMBER_COOKIE_SECURE"] is True
    assert cfg["SECRET_KEY"] == STRONG_KEY
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"SECRET_KEY": ""}, "QAPORTAL_SECRET_KEY"),
        ({"SECRET_KEY": "too-short"}, "QAPORTAL_SECRET_KEY"),
        ({"SECURE_COOKIES": "false"}, "secure cookies"),
        ({"BASE_URL": "http://qa.example.org"}, "https://"),
    ],
    ids=["no-secret-key", "short-secret-key", "insecure-cookies", "http-base-url"],
)
def test_production_refuses_an_unsafe_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], complaint: str
):
    _production(monkeypatch, **env)
    monkeypatch.setenv("QAPORTAL_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigError, match=re.escape(complaint)):
        create_app()
    assert not (tmp_path / "secret_key").exists()


def _set_cookies(response: Any) -> list[str]:
    return response.headers.getlist("Set-Cookie")


def test_session_cookie_is_httponly_and_samesite(client, demo):
    response = login(client, "admin@agency.example.org", demo.password)
    cookies = [c for c in _set_cookies(response) if c.startswith("qaportal_session=")]
    assert cookies, _set_cookies(response)
    for cookie in cookies:
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert "Secure" not in cookie  # plain http on localhost during development


def test_production_cookies_are_secure(app_config: dict[str, Any]):
    app = create_app(
        {
            **app_config,
            "PRODUCTION": True,
            "SECRET_KEY": STRONG_KEY,
            "BASE_URL": "https://localhost",
        }
    )
    try:
        assert app.config["SESSION_COOKIE_SECURE"] is True
        client = app.test_client()
        page = client.get("/login", base_url="https://localhost")
        cookies = [c for c in _set_cookies(page) if c.startswith("qaportal_session=")]
        assert cookies
        for cookie in cookies:
            assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    finally:
        app.extensions["qaportal.engine"].dispose()
