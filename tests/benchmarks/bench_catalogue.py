"""Benchmark of the public catalogue at scale (prints figures; not a pytest test).

    python tests/benchmarks/bench_catalogue.py [--providers 1000] [--specs 10000]
        [--repeat 15] [--database-url postgresql+psycopg://…/empty_db]

Loads scale data (``qaportal catalogue generate``'s generator) into a fresh temporary
SQLite database (or the empty database you name), then requests search, filter, paging and
detail pages through the Flask test client and prints, per page, the median time and the
number of SQL statements.
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
            # Each request renders: the page cache (tests/benchmarks/bench_requests.py
            # measures it) would otherwise answer every repeat from memory.
            "CACHE_TYPE": "NullCache",
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
    print(
        f"{engine.dialect.name}: {args.providers} providers, {args.specs} specifications "
        f"loaded in {load_s:.1f} s ({workdir})\n"
    )

    last_page = max(1, -(-args.specs // 20))
    pages: list[tuple[str, list[str]]] = [
        ("list, page 1", ["/catalogue"]),
        ("list, page 50", ["/catalogue?page=50"]),
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

    counter = {"n": 0}

    def count(*_a: Any) -> None:
        counter["n"] += 1

    client = app.test_client()
    print(f"{'page':<34} {'median ms':>10} {'p90 ms':>8} {'queries':>8}  rows shown")
    for label, urls in pages:
        for url in urls:  # warm-up
            assert client.get(url).status_code == 200, url
        timings, queries = [], set()
        rows = 0
        for i in range(args.repeat):
            url = urls[i % len(urls)]
            counter["n"] = 0
            event.listen(engine, "before_cursor_execute", count)
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            event.remove(engine, "before_cursor_execute", count)
            assert response.status_code == 200, url
            queries.add(counter["n"])
            rows = response.get_data(as_text=True).count('<li class="result">')
        timings.sort()
        p90 = timings[min(len(timings) - 1, int(len(timings) * 0.9))]
        q = "/".join(str(n) for n in sorted(queries))
        print(f"{label:<34} {statistics.median(timings):>10.1f} {p90:>8.1f} {q:>8}  {rows}")
    engine.dispose()
    if not args.keep:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
