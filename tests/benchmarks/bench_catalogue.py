"""Benchmark of the public catalogue at scale (prints figures; not a pytest test).

    python tests/benchmarks/bench_catalogue.py [--providers 1000] [--specs 10000]
        [--repeat 15] [--database-url postgresql+psycopg://…/empty_db]

Loads scale data (``qaportal catalogue generate``'s generator) into a fresh temporary
SQLite database (or the empty database you name), then requests search, filter, paging and
detail pages through the Flask test client and prints, per page, the median time and the
number of SQL statements, beside two baselines measured in the same run, interleaved:

- *plain*: the same SQL statements the page ran (captured, then replayed on a raw DBAPI
  connection) with their rows rendered by a plain Jinja template, one line per row;
- *bare*: only the statement that read the rows shown, fetched.

The page cache is off (every request renders), but the figures kept under the public
version (facet counts, totals: ``qaportal.web.cache.cached_public_data``) are on, as in
production; each request carries a distinct dummy argument so that the page cache could
not answer even if it were on. ``list, page 50 by Next link`` is page 50 reached as a
visitor reaches it, through the keyset cursor of the "Next" link.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event, select


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--providers", type=int, default=1000)
    parser.add_argument("--specs", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="an empty database (default: temporary SQLite)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite database")
    args = parser.parse_args(argv)

    from qaportal import create_app
    from qaportal.catalogue.cli import generate_catalogue
    from qaportal.catalogue.models import CatalogueEntry, Specification
    from qaportal.db import get_session
    from qaportal.migrate import upgrade

    workdir = Path(tempfile.mkdtemp(prefix="qaportal-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    upgrade("head", url=url)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(workdir / "instance"),
            "SECRET_KEY": "benchmark-" + "x" * 40,
            "RATELIMIT_ENABLED": False,
            # Each request renders (distinct addresses; tests/benchmarks/bench_requests.py
            # measures the page cache); the figures kept under the public version are used.
            "CACHE_TYPE": "SimpleCache",
        }
    )
    engine = app.extensions["qaportal.engine"]

    with app.app_context():
        db = get_session()
        started = time.perf_counter()
        generate_catalogue(db, args.providers, args.specs, args.seed)
        db.commit()
        load_s = time.perf_counter() - started
        public_ids = list(
            db.execute(
                select(CatalogueEntry.public_id).order_by(CatalogueEntry.id).limit(20)
            ).scalars()
        )
        provider_id = db.execute(
            select(Specification.provider_id).order_by(Specification.id).limit(1)
        ).scalar_one()
        cursor_id = db.execute(
            select(CatalogueEntry.id)
            .order_by(CatalogueEntry.title, CatalogueEntry.id)
            .offset(49 * 20 - 1)
            .limit(1)
        ).scalar()
    print(
        f"{engine.dialect.name}: {args.providers} providers, {args.specs} specifications "
        f"loaded in {load_s:.1f} s ({workdir})\n"
    )

    last_page = max(1, -(-args.specs // 20))
    pages: list[tuple[str, list[str]]] = [
        ("list, page 1", ["/catalogue"]),
        ("list, page 50", ["/catalogue?page=50"]),
        ("list, page 50 by Next link", [f"/catalogue?page=50&after={cursor_id}"]),
        (f"list, last page ({last_page})", [f"/catalogue?page={last_page}"]),
        ("search 'data'", ["/catalogue?q=data"]),
        ("search 'cybersec'", ["/catalogue?q=cybersec"]),
        ("search 'explain regulatory'", ["/catalogue?q=explain+regulatory"]),
        ("search + country + page 2", ["/catalogue?q=analyse+risks&country=DE&page=2"]),
        ("filter country + EQF", ["/catalogue?country=FI&eqf=6"]),
        ("filter ECTS range + form", ["/catalogue?ects_min=2&ects_max=5&form=online"]),
        ("filter language + provider type", ["/catalogue?language=en&provider_type=hei"]),
        ("filter accreditation, page 3", ["/catalogue?accreditation=not_accredited&page=3"]),
        (
            "all filters + search",
            [
                "/catalogue?q=project&country=DE&eqf=7&ects_min=1&ects_max=10&form=blended"
                "&language=de&provider_type=hei&accreditation=not_accredited"
            ],
        ),
        ("detail page (20 different)", [f"/catalogue/{p}" for p in public_ids]),
        ("provider public page", [f"/providers/{provider_id}/catalogue"]),
    ]

    from jinja2 import Environment

    plain_template = Environment(autoescape=True).from_string(
        "<!doctype html><title>Catalogue</title><ul>"
        "{% for row in rows %}<li>{{ row|join(' · ') }}</li>{% endfor %}</ul>"
    )
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_a: Any) -> None:
        captured.append((statement, params))

    def replay(statements: list[tuple[str, Any]]) -> list[list[Any]]:
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            results = []
            for statement, params in statements:
                cursor.execute(statement, params)
                results.append(cursor.fetchall() if cursor.description else [])
            raw.rollback()
            return results
        finally:
            raw.close()

    client = app.test_client()
    print(
        f"{'page':<34} {'median ms':>9} {'plain ms':>8} {'bare ms':>8} "
        f"{'÷plain':>6} {'÷bare':>6} {'queries':>7}  rows"
    )
    serial = 0
    for label, urls in pages:
        for url in urls:  # warm-up, and the statements each page runs
            assert client.get(url).status_code == 200, url
        captured.clear()
        event.listen(engine, "before_cursor_execute", capture)
        client.get(urls[0] + ("&" if "?" in urls[0] else "?") + "capture=1")
        event.remove(engine, "before_cursor_execute", capture)
        statements = list(captured)
        results = replay(statements)
        shown = max(range(len(results)), key=lambda i: len(results[i])) if results else 0
        timings, plain, bare, queries = [], [], [], set()
        rows = 0
        for i in range(args.repeat):
            serial += 1
            url = urls[i % len(urls)]
            url += ("&" if "?" in url else "?") + f"n={serial}"
            captured.clear()
            event.listen(engine, "before_cursor_execute", capture)
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            event.remove(engine, "before_cursor_execute", capture)
            assert response.status_code == 200, url
            queries.add(len(captured))
            rows = response.get_data(as_text=True).count('<li class="result">')

            started = time.perf_counter()
            replayed = replay(statements)
            plain_template.render(rows=[r for result in replayed for r in result])
            plain.append((time.perf_counter() - started) * 1000)

            started = time.perf_counter()
            replay(statements[shown : shown + 1])
            bare.append((time.perf_counter() - started) * 1000)
        timings.sort()
        page_ms, plain_ms, bare_ms = (statistics.median(x) for x in (timings, plain, bare))
        q = "/".join(str(n) for n in sorted(queries))
        print(
            f"{label:<34} {page_ms:>9.1f} {plain_ms:>8.1f} {bare_ms:>8.1f} "
            f"{page_ms / plain_ms:>5.2f}× {page_ms / bare_ms:>5.2f}× {q:>7}  {rows}"
        )
    engine.dispose()
    if not args.keep:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
