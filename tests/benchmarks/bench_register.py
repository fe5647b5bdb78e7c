"""Public register benchmark (prints figures; not collected by pytest).

    python tests/benchmarks/bench_register.py [--providers 1000] [--decisions 5000]
                                              [--requests 30] [--database-url URL]

Seeds ``--providers`` providers and ``--decisions`` published decisions spread over them
(one case per decision, bulk insert: a framework, a micro-credential in scope, a condition on
every third decision, validity dates from expired to years ahead), then measures the public
register's list, a search and a filtered search through the full HTTP stack with the Flask
test client, median over ``--requests`` requests, beside a baseline measured in the same
run: the very SELECT statements the page issued (same SQL, same parameters), replayed on a
bare connection and every row they return rendered by a plain Jinja template without the
portal's layout (tests/benchmarks/bench_dashboards.py does the same for the dashboards).
Goal: within 2x the baseline, with a number of statements that does not grow with the rows.

Default database: a fresh SQLite file in a temporary folder. ``--database-url`` points it at
an empty PostgreSQL database instead (it is migrated; its tables are then filled).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from jinja2 import Environment  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from qaportal.cases.models import Case, CaseFramework, CaseScope  # noqa: E402
from qaportal.db import get_session, utcnow  # noqa: E402
from qaportal.decisions.models import Decision, DecisionCondition  # noqa: E402
from qaportal.orgs.models import Organisation  # noqa: E402
from qaportal.register.models import RegisterPublication  # noqa: E402
from tests.benchmarks.bench_dashboards import Recorder, _app, _medians  # noqa: E402
from tests.casekit import make_framework, make_spec  # noqa: E402
from tests.conftest import QueryCounter  # noqa: E402

PLAIN = Environment(autoescape=True).from_string(
    "<!doctype html><title>Register</title>{% for rows in results %}<table>"
    "{% for row in rows %}<tr>{% for value in row %}<td>{{ value }}</td>{% endfor %}</tr>"
    "{% endfor %}</table>{% endfor %}"
)
COUNTRIES = ("DE", "FR", "IT", "ES", "PL", "NL", "AT", "FI")
TYPES = ("hei", "vet", "adult_learning", "employer", "other")
OUTCOMES = ("positive", "positive with conditions or restrictions", "negative")
WORDS = ("data", "health", "energy", "design", "logistics", "finance", "robotics", "language")
PAGES = {
    "list": "/register",
    "search": "/register?q=data",
    "filtered": "/register?q=data&country=DE&validity=valid&decision=positive",
}


def seed(session: Any, providers: int, decisions: int) -> None:
    """Bulk rows: providers, one case per decision, the decision, its publication."""
    agency_id = session.execute(
        select(Organisation.id).where(Organisation.acronym == "DAQA")
    ).scalar_one()
    version_id = make_framework(session, "bench-fw", None).id
    spec_id = make_spec(session, agency_id, "Data analysis for beginners").id
    now = utcnow()
    today = now.date()
    first = (session.execute(select(Organisation.id).order_by(Organisation.id.desc())).first())[0]
    session.execute(
        insert(Organisation),
        [
            {
                "kind": "provider",
                "legal_name": f"Bench provider {i} of {WORDS[i % len(WORDS)]} training",
                "country": COUNTRIES[i % len(COUNTRIES)],
                "provider_type": TYPES[i % len(TYPES)],
                "created_at": now,
                "updated_at": now,
            }
            for i in range(providers)
        ],
    )
    provider_ids = list(
        session.execute(
            select(Organisation.id).where(Organisation.id > first).order_by(Organisation.id)
        ).scalars()
    )
    session.execute(
        insert(Case),
        [
            {
                "reference": f"REG-{i:06d}",
                "provider_id": provider_ids[i % providers],
                "agency_id": agency_id,
                "state": "decided",
                "title": "",
                "contact_name": "Bench",
                "contact_email": "bench@example.org",
                "created_at": now,
                "lock_version": 1,
            }
            for i in range(decisions)
        ],
    )
    case_ids = list(
        session.execute(
            select(Case.id).where(Case.reference.like("REG-%")).order_by(Case.id)
        ).scalars()
    )
    session.execute(
        insert(CaseFramework),
        [{"case_id": c, "framework_version_id": version_id, "required": True} for c in case_ids],
    )
    session.execute(
        insert(CaseScope), [{"case_id": c, "specification_id": spec_id} for c in case_ids]
    )
    session.execute(
        insert(Decision),
        [
            {
                "case_id": c,
                "status": "current",
                "outcome": OUTCOMES[i % len(OUTCOMES)],
                "eqa_status": "voluntary",
                "rationale": f"Decision {i} on {WORDS[i % len(WORDS)]} programmes.",
                "valid_from": today - dt.timedelta(days=400),
                "valid_until": today + dt.timedelta(days=(i % 60) * 30 - 300),
                "decided_on": today - dt.timedelta(days=400),
                "decided_at": now,
            }
            for i, c in enumerate(case_ids)
        ],
    )
    rows = session.execute(
        select(Decision.id, Decision.rationale, Case.provider_id)
        .join(Case, Case.id == Decision.case_id)
        .where(Case.reference.like("REG-%"))
        .order_by(Decision.id)
    ).all()
    names = dict(
        session.execute(
            select(Organisation.id, Organisation.legal_name).where(
                Organisation.id.in_(provider_ids)
            )
        ).all()
    )
    session.execute(
        insert(DecisionCondition),
        [
            {
                "decision_id": d,
                "text": f"Condition of decision {d}",
                "due_on": today + dt.timedelta(days=90),
                "status": "open",
                "answer": "",
                "assessment": "",
            }
            for n, (d, _r, _p) in enumerate(rows)
            if n % 3 == 1
        ],
    )
    session.execute(
        insert(RegisterPublication),
        [
            {
                "decision_id": d,
                "summary": rationale,
                "search_text": f"{names[p]}\ndata analysis for beginners\n{rationale}".lower(),
                "published_at": now,
            }
            for d, rationale, p in rows
        ],
    )
    session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--providers", type=int, default=1000)
    parser.add_argument("--decisions", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        app = _app(url, Path(tmp) / "instance")
        from qaportal.demo import seed_demo

        with app.app_context():
            seed_demo()
            start = time.perf_counter()
            seed(get_session(), args.providers, args.decisions)
            if get_session().bind.dialect.name == "postgresql":
                with app.extensions["qaportal.engine"].connect() as conn:
                    conn.exec_driver_sql("ANALYZE")
                    conn.commit()
            print(
                f"seeded {args.providers} providers, {args.decisions} published decisions "
                f"in {time.perf_counter() - start:.1f} s"
            )

        print(
            f"{'page':<10} {'rows':>5} {'queries':>8} {'median ms':>10} {'baseline ms':>12} "
            f"{'ratio':>6}"
        )
        engine = app.extensions["qaportal.engine"]
        client = app.test_client()
        serial = itertools.count()
        for name, path in PAGES.items():

            def page(path: str = path) -> None:
                # A distinct dummy argument each time: the page cache (on, as in production)
                # would otherwise answer every request after the first, with no query.
                response = client.get(f"{path}{'&' if '?' in path else '?'}n={next(serial)}")
                assert response.status_code == 200, (path, response.status_code)
                response.get_data()

            page()  # warm: statement compilation and caches are not the page
            with Recorder(engine) as recorder:
                page()
            count = 0

            def baseline(statements: Any = recorder.statements) -> None:
                nonlocal count
                with engine.connect() as conn:
                    results = [
                        conn.exec_driver_sql(sql, params).all() for sql, params in statements
                    ]
                count = sum(len(rows) for rows in results)
                PLAIN.render(results=results)

            with QueryCounter(engine) as counter:
                page()
            page_ms, base_ms = _medians(page, baseline, args.requests)
            print(
                f"{name:<10} {count:>5} {counter.count:>8} {page_ms:>10.1f} {base_ms:>12.1f} "
                f"{page_ms / base_ms:>5.1f}×"
            )


if __name__ == "__main__":
    main()
