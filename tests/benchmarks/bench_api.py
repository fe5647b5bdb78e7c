"""Public API benchmark (prints figures; not collected by pytest).

    python tests/benchmarks/bench_api.py [--providers 1000] [--decisions 5000]
                                         [--specs 2000] [--requests 30] [--database-url URL]

Seeds the register as tests/benchmarks/bench_register.py does (``--providers`` providers,
``--decisions`` published decisions) plus ``--specs`` published specifications from the
catalogue's generator (as tests/benchmarks/bench_catalogue.py), then requests every API list
endpoint, at its default page size and with a filter, through the full HTTP stack with the
Flask test client, median over ``--requests`` requests. Beside it, measured in turn in the
same run: a baseline of the very SELECT statements the request issued (same SQL, same
parameters) replayed on a bare connection, every row they return serialised with a plain
``json.dumps``. Goal: within 2x the baseline, with a number of statements that does not grow
with the rows.

Default database: a fresh SQLite file in a temporary folder. ``--database-url`` points it at
an empty PostgreSQL database instead (it is migrated; its tables are then filled).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from qaportal.db import get_session  # noqa: E402
from tests.benchmarks.bench_dashboards import Recorder, _app, _medians  # noqa: E402
from tests.benchmarks.bench_register import seed  # noqa: E402
from tests.conftest import QueryCounter  # noqa: E402

ENDPOINTS = {
    "specifications": "/api/v1/specifications",
    "specifications?q": "/api/v1/specifications?q=data&eqf=6",
    "providers": "/api/v1/providers",
    "providers?q": "/api/v1/providers?q=data&country=DE",
    "decisions": "/api/v1/decisions",
    "decisions?q": "/api/v1/decisions?q=data&country=DE&validity=valid&decision=positive",
    "reports": "/api/v1/reports",
    "reports?q": "/api/v1/reports?country=DE",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--providers", type=int, default=1000)
    parser.add_argument("--decisions", type=int, default=5000)
    parser.add_argument("--specs", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        app = _app(url, Path(tmp) / "instance")
        from qaportal.catalogue.cli import generate_catalogue
        from qaportal.demo import seed_demo

        with app.app_context():
            seed_demo()
            start = time.perf_counter()
            seed(get_session(), args.providers, args.decisions)
            # The catalogue's own providers: a specification list does not need decisions.
            generate_catalogue(get_session(), max(1, args.specs // 10), args.specs)
            get_session().commit()
            if get_session().bind.dialect.name == "postgresql":
                with app.extensions["qaportal.engine"].connect() as conn:
                    conn.exec_driver_sql("ANALYZE")
                    conn.commit()
            print(
                f"seeded {args.providers} providers, {args.decisions} published decisions, "
                f"{args.specs} specifications in {time.perf_counter() - start:.1f} s"
            )

        engine = app.extensions["qaportal.engine"]
        print(f"{engine.dialect.name}, median of {args.requests} requests")
        print(
            f"{'endpoint':<17} {'items':>5} {'rows':>5} {'queries':>8} {'median ms':>10} "
            f"{'baseline ms':>12} {'ratio':>6}"
        )
        client = app.test_client()
        for name, path in ENDPOINTS.items():

            def request(path: str = path) -> Any:
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)
                return response.get_json()

            items = len(request()["items"])  # warm: compilation and caches are not the API
            with Recorder(engine) as recorder:
                request()
            count = 0

            def baseline(statements: Any = recorder.statements) -> None:
                nonlocal count
                with engine.connect() as conn:
                    results = [
                        conn.exec_driver_sql(sql, params).all() for sql, params in statements
                    ]
                count = sum(len(rows) for rows in results)
                json.dumps([[list(row) for row in rows] for rows in results], default=str)

            with QueryCounter(engine) as counter:
                request()
            api_ms, base_ms = _medians(request, baseline, args.requests)
            print(
                f"{name:<17} {items:>5} {count:>5} {counter.count:>8} {api_ms:>10.1f} "
                f"{base_ms:>12.1f} {api_ms / base_ms:>6.1f}"
            )


if __name__ == "__main__":
    main()
