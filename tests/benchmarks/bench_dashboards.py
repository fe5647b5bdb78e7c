"""Dashboard benchmark (prints figures; not collected by pytest).

    python tests/benchmarks/bench_dashboards.py [--cases 2000] [--requests 30]
                                                [--database-url URL]
                                                [--profile PERSONA [--sort tottime]]

Seeds ``--cases`` cases of the demo agency over every demo provider and state (bulk insert,
reviewer 2 on the panels, due dates, a third of them overdue: tests/test_dashboard_queries.py
``seed_cases``), then measures each role's dashboard (agency officer, provider admin,
reviewer) through the full HTTP stack with the Flask test client, median over
``--requests`` requests, beside a baseline measured in the same run: a bare query of the same
rows rendered by a plain Jinja template without the portal's layout. The baseline replays,
on a bare connection, the very SELECT statements the page issued (same SQL, same
parameters: the same rows and counts the page shows, its stage counts and its most urgent
few) and renders every row they return. The ratio is then what the portal adds to fetching
and printing what it shows: request handling, sign-in, the layout, building the tasks.
Goal: each dashboard within 2x its baseline.

Columns: ``open`` the role's open cases behind the page (what the page used to list one by
one), ``rows`` the rows its statements return, ``queries`` its statements.

Default database: a fresh SQLite file in a temporary folder. ``--database-url`` points it at
an empty PostgreSQL database instead (it is migrated; its tables are then filled).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from jinja2 import Environment  # noqa: E402
from sqlalchemy import event, func, select  # noqa: E402

from qaportal import create_app  # noqa: E402
from qaportal.auth.models import User  # noqa: E402
from qaportal.cases.models import Case, CaseState  # noqa: E402
from qaportal.db import get_session  # noqa: E402
from tests.conftest import CSRF_RE, QueryCounter  # noqa: E402
from tests.test_dashboard_queries import DASHBOARD_USERS, seed_cases  # noqa: E402

FINISHED = (CaseState.CLOSED, CaseState.WITHDRAWN)
PLAIN = Environment(autoescape=True).from_string(
    "<!doctype html><title>Dashboard</title>{% for rows in results %}<ul>"
    "{% for row in rows %}<li>{% for value in row %}{{ value }} {% endfor %}</li>{% endfor %}"
    "</ul>{% endfor %}"
)


def _app(url: str, instance: Path, **config: Any) -> Any:
    from qaportal.migrate import upgrade

    upgrade("head", url=url)
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": "bench-" + "x" * 40,
            "RATELIMIT_ENABLED": False,
            "BASE_URL": "http://localhost",
            **config,
        }
    )


def _open_cases(persona: str, user: User) -> Any:
    """How many open cases the role's dashboard is about."""
    from qaportal.auth.models import Membership
    from qaportal.reviews.models import MemberStatus, PanelMember

    query = select(func.count(Case.id)).where(Case.state.not_in(FINISHED))
    orgs = select(Membership.organisation_id).where(Membership.user_id == user.id)
    if persona == "agency_officer":
        return query.where(Case.agency_id.in_(orgs))
    if persona == "provider_admin":
        return query.where(Case.provider_id.in_(orgs))
    seats = select(PanelMember.case_id).where(
        PanelMember.user_id == user.id, PanelMember.status == MemberStatus.ACTIVE
    )
    return query.where(Case.id.in_(seats))


class Recorder:
    """The SELECT statements (SQL and parameters, as the driver got them) of a request."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.statements: list[tuple[str, Any]] = []

    def _record(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            self.statements.append((statement, parameters))

    def __enter__(self) -> Recorder:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_exc: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


def _medians(page: Callable[[], Any], base: Callable[[], Any], n: int) -> tuple[float, float]:
    """Median milliseconds of each, the two run in turn so that a shared machine's load
    weighs on both alike."""
    page(), base()  # warm
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(n):
        for fn, into in ((page, times[0]), (base, times[1])):
            start = time.perf_counter()
            fn()
            into.append((time.perf_counter() - start) * 1000)
    return statistics.median(times[0]), statistics.median(times[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--database-url")
    parser.add_argument("--profile", choices=sorted(DASHBOARD_USERS), help="cProfile one page")
    parser.add_argument("--sort", default="cumulative", help="pstats order of --profile")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        app = _app(url, Path(tmp) / "instance")
        from qaportal.demo import seed_demo

        with app.app_context():
            password = seed_demo().password
            start = time.perf_counter()
            seed_cases(get_session(), args.cases, prefix="BENCH")
            if get_session().bind.dialect.name == "postgresql":
                # Planner statistics, as a database in use has them (not a bulk-loaded one).
                with app.extensions["qaportal.engine"].connect() as conn:
                    conn.exec_driver_sql("ANALYZE")
                    conn.commit()
            print(f"seeded {args.cases} cases in {time.perf_counter() - start:.1f} s")

        print(
            f"{'dashboard':<16} {'open':>5} {'rows':>5} {'queries':>8} {'median ms':>10} "
            f"{'baseline ms':>12} {'ratio':>6}"
        )
        for persona, email in sorted(DASHBOARD_USERS.items()):
            client = app.test_client()
            page = client.get("/login").get_data(as_text=True)
            token = CSRF_RE.search(page).group(1)
            response = client.post(
                "/login", data={"csrf_token": token, "email": email, "password": password}
            )
            assert response.status_code == 302, response.status_code

            def dashboard(client: Any = client) -> None:
                response = client.get("/dashboard")
                assert response.status_code == 200
                response.get_data()

            with app.app_context():
                user = get_session().execute(select(User).where(User.email == email)).scalar_one()
                open_cases = get_session().execute(_open_cases(persona, user)).scalar_one()
            dashboard()  # warm: statement compilation and caches are not the page
            engine = app.extensions["qaportal.engine"]
            with Recorder(engine) as recorder:
                dashboard()
            count = 0

            def baseline(statements: Any = recorder.statements, engine: Any = engine) -> None:
                nonlocal count
                with engine.connect() as conn:
                    results = [
                        conn.exec_driver_sql(sql, params).all() for sql, params in statements
                    ]
                count = sum(len(rows) for rows in results)
                PLAIN.render(results=results)

            if args.profile == persona:
                import cProfile
                import pstats

                profiler = cProfile.Profile()
                for _ in range(5):
                    profiler.runcall(dashboard)
                pstats.Stats(profiler).sort_stats(args.sort).print_stats(40)
            with QueryCounter(engine) as counter:
                dashboard()
            page_ms, base_ms = _medians(dashboard, baseline, args.requests)
            print(
                f"{persona:<16} {open_cases:>5} {count:>5} {counter.count:>8} {page_ms:>10.1f} "
                f"{base_ms:>12.1f} {page_ms / base_ms:>5.1f}×"
            )


if __name__ == "__main__":
    main()
