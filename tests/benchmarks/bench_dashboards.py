"""Dashboard benchmark (prints figures; not collected by pytest).

    python tests/benchmarks/bench_dashboards.py [--cases 2000] [--requests 30]
                                                [--database-url URL]

Seeds ``--cases`` cases of the demo agency over every demo provider and state (bulk insert,
reviewer 2 on the panels, due dates, a third of them overdue: tests/test_dashboard_queries.py
``seed_cases``), then measures each role's dashboard (agency officer, provider admin,
reviewer) through the full HTTP stack with the Flask test client, median over
``--requests`` requests, beside a baseline measured in the same run: a bare query of the same
rows (the role's open cases with their provider, agency and due date) rendered by a plain
Jinja template without the portal's layout. Goal: each dashboard within 2x its baseline.

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
from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import aliased  # noqa: E402

from qaportal import create_app  # noqa: E402
from qaportal.auth.models import User  # noqa: E402
from qaportal.cases.models import Case, CaseDeadline, CaseState  # noqa: E402
from qaportal.db import get_session  # noqa: E402
from qaportal.orgs.models import Organisation  # noqa: E402
from tests.conftest import CSRF_RE, QueryCounter  # noqa: E402
from tests.test_dashboard_queries import DASHBOARD_USERS, seed_cases  # noqa: E402

FINISHED = (CaseState.CLOSED, CaseState.WITHDRAWN)
PLAIN = Environment(autoescape=True).from_string(
    "<!doctype html><title>Dashboard</title><ul>{% for r in rows %}"
    '<li><a href="/cases/{{ r.id }}">{{ r.reference }}</a> {{ r.provider }} / {{ r.agency }}: '
    "{{ r.state.value }}{% if r.due_on %} due {{ r.due_on.isoformat() }}{% endif %}</li>"
    "{% endfor %}</ul>"
)


def _app(url: str, instance: Path) -> Any:
    from qaportal.migrate import upgrade

    upgrade("head", url=url)
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": "bench-" + "x" * 40,
            "RATELIMIT_ENABLED": False,
            "BASE_URL": "http://localhost",
        }
    )


def _rows_query(persona: str, user: User) -> Any:
    """The rows the role's dashboard is about, in one statement."""
    from qaportal.auth.models import Membership
    from qaportal.reviews.models import MemberStatus, PanelMember

    provider, agency = aliased(Organisation), aliased(Organisation)
    query = (
        select(
            Case.id,
            Case.reference,
            Case.state,
            provider.legal_name.label("provider"),
            agency.legal_name.label("agency"),
            CaseDeadline.due_on,
        )
        .join(provider, provider.id == Case.provider_id)
        .join(agency, agency.id == Case.agency_id)
        .outerjoin(
            CaseDeadline, (CaseDeadline.case_id == Case.id) & (CaseDeadline.stage == Case.state)
        )
        .where(Case.state.not_in(FINISHED))
        .order_by(CaseDeadline.due_on, Case.reference)
    )
    orgs = select(Membership.organisation_id).where(Membership.user_id == user.id)
    if persona == "agency_officer":
        return query.where(Case.agency_id.in_(orgs))
    if persona == "provider_admin":
        return query.where(Case.provider_id.in_(orgs))
    seats = select(PanelMember.case_id).where(
        PanelMember.user_id == user.id, PanelMember.status == MemberStatus.ACTIVE
    )
    return query.where(Case.id.in_(seats))


def _median_ms(fn: Callable[[], Any], n: int) -> float:
    fn()  # warm
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--database-url")
    parser.add_argument("--profile", choices=sorted(DASHBOARD_USERS), help="cProfile one page")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        app = _app(url, Path(tmp) / "instance")
        from qaportal.demo import seed_demo

        with app.app_context():
            password = seed_demo().password
            start = time.perf_counter()
            seed_cases(get_session(), args.cases, prefix="BENCH")
            print(f"seeded {args.cases} cases in {time.perf_counter() - start:.1f} s")

        print(
            f"{'dashboard':<16} {'rows':>5} {'queries':>8} {'median ms':>10} "
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
                query = _rows_query(persona, user)
            count = 0

            def baseline(query: Any = query) -> None:
                nonlocal count
                with app.app_context():
                    rows = get_session().execute(query).all()
                    count = len(rows)
                    PLAIN.render(rows=rows)

            if args.profile == persona:
                import cProfile
                import pstats

                profiler = cProfile.Profile()
                profiler.runcall(dashboard)
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
            with QueryCounter(app.extensions["qaportal.engine"]) as counter:
                dashboard()
            page_ms = _median_ms(dashboard, args.requests)
            base_ms = _median_ms(baseline, args.requests)
            print(
                f"{persona:<16} {count:>5} {counter.count:>8} {page_ms:>10.1f} {base_ms:>12.1f} "
                f"{page_ms / base_ms:>6.1f}"
            )


if __name__ == "__main__":
    main()
