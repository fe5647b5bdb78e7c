"""Public API benchmark (prints figures; not collected by pytest).

    python tests/benchmarks/bench_api.py [--providers 1000] [--decisions 5000]
                                         [--specs 2000] [--requests 30] [--database-url URL]

Seeds the register as tests/benchmarks/bench_register.py does (``--providers`` providers,
``--decisions`` published decisions, a published report for every second one) plus
``--specs`` published specifications from the catalogue's generator (as
tests/benchmarks/bench_catalogue.py), then requests every API list
endpoint, at its default page size and with a filter, through the full HTTP stack with the
Flask test client, median over ``--requests`` requests. Beside it, measured in turn in the
same run, two baselines of the very SELECT statements the request issued (same SQL, same
parameters), every row they return serialised with a plain ``json.dumps``:

- ``bare``: replayed on a bare connection, no HTTP at all;
- ``flask``: the same replay served by a minimal Flask app (no hooks, no extensions) at the
  same address, through the same test client: what "rendered plainly" costs with HTTP.

The API is measured twice: ``api`` with its cache of public answers turned off, so every
request reads, validates and serialises its page (what the first visitor of an address
after a publication pays), and ``kept`` with the default store (files in the instance
folder; Redis in the production shape), where a list asked again is read from the cache.

Goal: within 2x the bare baseline, with a number of statements that does not grow with the
rows: the ``q@1`` and ``q@max`` columns count the statements of a one-row page and of a
page of ``MAX_LIMIT`` rows, with the same filters.

Default database: a fresh SQLite file in a temporary folder. ``--database-url`` points it at
an empty PostgreSQL database instead (it is migrated; its tables are then filled).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, Response, request

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from qaportal.api.schemas import MAX_LIMIT  # noqa: E402
from qaportal.db import get_session  # noqa: E402
from tests.benchmarks.bench_dashboards import Recorder, _app  # noqa: E402
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
    parser.add_argument(
        "--clock",
        choices=("cpu", "wall"),
        help="what a request costs: this process's CPU time (the default on SQLite, where "
        "all the work is in the process, and a shared machine's load does not stretch it) "
        "or the wall clock (the default on PostgreSQL, whose server works elsewhere)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        app = _app(url, Path(tmp) / "instance", CACHE_TYPE="NullCache")
        kept_app = _app(url, Path(tmp) / "instance")
        from qaportal.catalogue.cli import generate_catalogue
        from qaportal.demo import seed_demo

        with app.app_context():
            seed_demo()
            start = time.perf_counter()
            seed(get_session(), args.providers, args.decisions)
            _seed_reports(get_session())
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
        clock_name = args.clock or ("cpu" if engine.dialect.name == "sqlite" else "wall")
        clock = time.process_time if clock_name == "cpu" else time.perf_counter
        print(f"{engine.dialect.name}, median of {args.requests} requests, {clock_name} time")
        print(
            f"{'endpoint':<17} {'items':>5} {'rows':>5} {'q@1':>4} {'q@max':>5} "
            f"{'api ms':>7} {'bare ms':>8} {'flask ms':>9} {'x bare':>7} {'x flask':>8} "
            f"{'kept ms':>8} {'kept x bare':>11}"
        )
        client = app.test_client()
        kept_client = kept_app.test_client()
        plain = _plain_app(engine)
        plain_client = plain.test_client()
        for name, path in ENDPOINTS.items():
            # Each request's answer is checked but not parsed: what is measured is what the
            # server does, and the bare baseline parses nothing either.
            def api(path: str = path) -> Any:
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)
                return response

            items = len(api().get_json()["items"])  # warm: compilation, caches are not the API
            with Recorder(engine) as recorder:
                api()
            plain.config["STATEMENTS"][path] = recorder.statements

            def bare(statements: Any = recorder.statements) -> None:
                _replay(engine, statements)

            def served(path: str = path) -> None:
                response = plain_client.get(path)
                assert response.status_code == 200, (path, response.status_code)

            def kept(path: str = path) -> None:
                response = kept_client.get(path)
                assert response.status_code == 200, (path, response.status_code)

            api_ms, bare_ms, flask_ms, kept_ms = _medians(
                api, bare, served, kept, n=args.requests, clock=clock
            )
            counts = [_statements(client, engine, _with_limit(path, n)) for n in (1, MAX_LIMIT)]
            rows = sum(len(r) for r in _rows(engine, recorder.statements))
            print(
                f"{name:<17} {items:>5} {rows:>5} {counts[0]:>4} {counts[1]:>5} "
                f"{api_ms:>7.1f} {bare_ms:>8.1f} {flask_ms:>9.1f} "
                f"{api_ms / bare_ms:>6.1f}× {api_ms / flask_ms:>7.1f}× "
                f"{kept_ms:>8.1f} {kept_ms / bare_ms:>10.1f}×"
            )


def _seed_reports(session: Any) -> None:
    """A published accreditation report for every second decision of the register's seed:
    without any, the report list would be measured answering empty pages."""
    from sqlalchemy import insert, select

    from qaportal.cases.models import Case
    from qaportal.db import utcnow
    from qaportal.reporting.access import ACCREDITATION_REPORT
    from qaportal.reporting.models import GeneratedDocument

    now = utcnow()
    cases = session.execute(
        select(Case.id).where(Case.reference.like("REG-%")).order_by(Case.id)
    ).scalars()
    session.execute(
        insert(GeneratedDocument),
        [
            {
                "case_id": case_id,
                "kind": ACCREDITATION_REPORT,
                "version": 1,
                "locale": "en",
                "sha256": f"{case_id:064x}",
                "size": 1000 + case_id,
                "storage_path": f"bench/{case_id}.pdf",
                "verification_code": f"BENCH{case_id:010d}",
                "created_at": now,
                "published_at": now,
            }
            for i, case_id in enumerate(cases)
            if i % 2 == 0
        ],
    )


def _rows(engine: Any, statements: list[tuple[str, Any]]) -> list[list[Any]]:
    with engine.connect() as conn:
        return [conn.exec_driver_sql(sql, params).all() for sql, params in statements]


def _replay(engine: Any, statements: list[tuple[str, Any]]) -> str:
    """The request's statements, replayed, their rows as plain JSON."""
    results = _rows(engine, statements)
    return json.dumps([[list(row) for row in rows] for rows in results], default=str)


def _plain_app(engine: Any) -> Flask:
    """A Flask app with nothing but one route: the recorded statements of the address,
    replayed and sent as JSON, with the app's own Flask and Werkzeug, and no hooks."""
    plain = Flask("plain")
    plain.config["STATEMENTS"] = {}

    @plain.get("/api/v1/<path:_rest>")
    def replay(_rest: str) -> Response:
        path = request.path + (f"?{request.query_string.decode()}" if request.query_string else "")
        body = _replay(engine, plain.config["STATEMENTS"][path])
        return Response(body, mimetype="application/json")

    return plain


def _with_limit(path: str, limit: int) -> str:
    return f"{path}{'&' if '?' in path else '?'}limit={limit}"


def _statements(client: Any, engine: Any, path: str) -> int:
    with QueryCounter(engine) as counter:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return counter.count


def _medians(*fns: Callable[[], Any], n: int, clock: Callable[[], float]) -> list[float]:
    """Median milliseconds of each, run in turn so that a shared machine's load weighs on
    all alike."""
    for fn in fns:
        fn()  # warm
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(n):
        for fn, into in zip(fns, times, strict=True):
            start = clock()
            fn()
            into.append((clock() - start) * 1000)
    return [statistics.median(t) for t in times]


if __name__ == "__main__":
    main()
