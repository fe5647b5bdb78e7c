"""What a request costs beyond the work it must do (prints figures; not a pytest test).

    nice -n 5 .venv/bin/python -m tests.benchmarks.bench_requests [--providers 200]
        [--specs 2000] [--repeat 200]

One app on a fresh SQLite database with the demo and a generated catalogue, requests
through the Flask test client (no network), interleaved so that every figure and its
baseline come from the same moments of a shared machine:

- the anonymous catalogue list with a cold page cache (the public version bumped before
  every request: a full render) and a warm one, beside a minimal Flask page served by the
  same app (same middleware, hooks and database);
- a signed-in request's identity: the SQL statements and time to load the session, the user,
  the memberships and their organisations (qaportal.auth.services.resume_session), beside
  the loading it replaced (session row, then user, memberships, organisations: four
  selects), measured on the same rows; and the signed-in dashboard's statements and time.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import selectinload

OFFICER = "officer@agency.example.org"


class Counter:
    def __init__(self, engine: Any) -> None:
        self.engine, self.n = engine, 0

    def _count(self, *_a: Any) -> None:
        self.n += 1

    def __enter__(self) -> Counter:
        self.n = 0
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)


def _old_identity(db: Any, token: str) -> Any:
    """The loading before issue 14, kept here as the baseline: the session row by its hash,
    then the user with selectinloads of memberships and organisations."""
    from qaportal.auth.models import Membership, User, UserSession
    from qaportal.auth.services import session_token_hash

    row = db.execute(
        select(UserSession).where(UserSession.token_hash == session_token_hash(token))
    ).scalar_one()
    user = db.execute(
        select(User)
        .where(User.id == row.user_id)
        .options(selectinload(User.memberships).selectinload(Membership.organisation))
    ).scalar_one()
    return [m.organisation.display_name for m in user.memberships]


def _new_identity(db: Any, token: str, limits: Any) -> Any:
    from qaportal.auth.services import resume_session

    user = resume_session(db, token, limits)
    return [m.organisation.display_name for m in user.memberships]


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _interleaved(repeat: int, cases: dict[str, Callable[[], Any]]) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeat):
        for name, run in cases.items():
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--providers", type=int, default=200)
    parser.add_argument("--specs", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args(argv)

    from flask import session as flask_session

    from qaportal import create_app
    from qaportal.auth import session_loader
    from qaportal.catalogue.cli import generate_catalogue
    from qaportal.db import get_session
    from qaportal.demo import seed_demo
    from qaportal.migrate import upgrade
    from qaportal.web import cache as page_cache

    workdir = Path(tempfile.mkdtemp(prefix="qaportal-bench-requests-"))
    url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    upgrade("head", url=url)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(workdir / "instance"),
            "SECRET_KEY": "benchmark-" + "x" * 40,
            "RATELIMIT_ENABLED": False,
            "QUEUE_IMMEDIATE": True,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_KIB": 1024,
        }
    )

    @app.get("/_bench/minimal")
    def _minimal() -> str:
        return "ok"

    @app.get("/_bench/token")
    def _token() -> str:
        return flask_session.get(session_loader.SESSION_KEY, "")

    engine = app.extensions["qaportal.engine"]
    with app.app_context():
        db = get_session()
        password = seed_demo(db).password
        generate_catalogue(db, args.providers, args.specs, 1)
        db.commit()
    print(
        f"SQLite, {args.providers} providers, {args.specs} specifications, "
        f"median of {args.repeat} interleaved requests each, cache: "
        f"{type(app.extensions['cache'][page_cache.cache]).__name__}\n"
    )

    anonymous = app.test_client()
    for path in ("/_bench/minimal", "/catalogue"):
        assert anonymous.get(path).status_code == 200  # first-request work is not the page

    def cold() -> None:
        with app.app_context():
            page_cache.bump_public_version()
        assert anonymous.get("/catalogue").status_code == 200

    def bump_only() -> None:
        with app.app_context():
            page_cache.bump_public_version()

    times = _interleaved(
        args.repeat,
        {
            "minimal": lambda: anonymous.get("/_bench/minimal"),
            "bump": bump_only,
            "cold": cold,
            # right after "cold", which filled the entry of the current version
            "warm": lambda: anonymous.get("/catalogue"),
        },
    )
    minimal = _median_ms(times["minimal"])
    warm = _median_ms(times["warm"])
    cold_ms = _median_ms(times["cold"]) - _median_ms(times["bump"])
    print(f"{'anonymous request':<44} {'median ms':>10} {'vs minimal':>11}")
    print(f"{'minimal Flask page, same app (baseline)':<44} {minimal:>10.2f} {1:>10.1f}x")
    print(f"{'catalogue list, warm page cache':<44} {warm:>10.2f} {warm / minimal:>10.1f}x")
    print(
        f"{'catalogue list, cold (a full render)':<44} {cold_ms:>10.2f} {cold_ms / minimal:>10.1f}x"
    )
    print(f"{'  cold / warm':<44} {cold_ms / warm:>10.1f}x\n")

    member = app.test_client()
    response = member.post(
        "/login", data={"email": OFFICER, "password": password}, follow_redirects=False
    )
    if response.status_code != 302:  # the sign-in form wants its CSRF token
        import re

        page = member.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        response = member.post(
            "/login", data={"email": OFFICER, "password": password, "csrf_token": token}
        )
    assert response.status_code == 302, response.status_code
    sid = member.get("/_bench/token").get_data(as_text=True)
    assert sid
    member.get("/dashboard")

    with app.app_context():
        limits = session_loader._limits()
        db = get_session()
        with Counter(engine) as c:
            old_names = _old_identity(db, sid)
        old_statements = c.n
        db.close()
        with Counter(engine) as c:
            new_names = _new_identity(db, sid, limits)
        new_statements = c.n
        db.close()
        assert sorted(old_names) == sorted(new_names)

        def old() -> None:
            _old_identity(db, sid)
            db.close()

        def new() -> None:
            _new_identity(db, sid, limits)
            db.close()

        identity = _interleaved(args.repeat, {"old": old, "new": new})
    with Counter(engine) as c:
        assert member.get("/dashboard").status_code == 200
    dashboard_statements = c.n
    dash = _interleaved(
        max(20, args.repeat // 5),
        {
            "dashboard": lambda: member.get("/dashboard"),
            "minimal": lambda: member.get("/_bench/minimal"),
        },
    )
    print(f"{'signed-in identity (officer)':<44} {'statements':>10} {'median ms':>10}")
    print(
        f"{'before: session, user, memberships, orgs':<44} {old_statements:>10} "
        f"{_median_ms(identity['old']):>10.3f}"
    )
    print(
        f"{'now: one joined select (resume_session)':<44} {new_statements:>10} "
        f"{_median_ms(identity['new']):>10.3f}"
    )
    print(
        f"{'signed-in dashboard (whole page)':<44} {dashboard_statements:>10} "
        f"{_median_ms(dash['dashboard']):>10.2f}"
    )
    print(
        f"{'signed-in minimal page (baseline)':<44} {'':>10} {_median_ms(dash['minimal']):>10.2f}"
    )
    engine.dispose()
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
