"""Benchmark of the catalogue CSV import against bare inserts of the same rows (prints
figures; not a pytest test).

    python tests/benchmarks/bench_catalogue_import.py [--rows 250 5000] [--repeat 3]
        [--postgres postgresql+psycopg://user:pw@host:port/db]

For each size, in a fresh temporary SQLite database (and, with ``--postgres``, in a
temporary database created through that URL and dropped afterwards), three timings of the
same rows, best of ``--repeat``:

- **import**: what the import job does with a staged file: read and check every row
  (``parse_catalogue_csv`` against the provider's titles and country), then write them
  (``commit_import``: specifications, versions, outcomes, the complete rows published into
  the public catalogue with facets and search index, one audit event), then commit;
- **import, writing only**: the ``commit_import`` part of it;
- **bare inserts**: Core ``executemany`` INSERTs of the same rows into the same tables
  (specifications, versions, outcomes, catalogue entries, facets), ids chosen in Python: no
  checks, no ORM, no RETURNING, no audit.

Each run imports into a provider of its own, so titles never collide. The goal is an import
rate of at least a quarter of the bare rate.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def make_file(count: int) -> bytes:
    from tests.test_catalogue_csv import catalogue_rows, make_csv

    return make_csv(catalogue_rows(count))


def new_provider(db: Any, label: str) -> Any:
    from qaportal.orgs.models import Organisation, OrgKind

    org = Organisation(kind=OrgKind.PROVIDER, legal_name=f"Bench provider {label}", country="DE")
    db.add(org)
    db.commit()
    return org


def run_import(db: Any, raw: bytes, label: str) -> tuple[float, float, Any]:
    from qaportal.audit.services import Actor
    from qaportal.catalogue import csv_io

    org = new_provider(db, label)
    started = time.perf_counter()
    parsed = csv_io.parse_catalogue_csv(
        raw,
        csv_io.existing_titles(db, org.id),
        max_rows=csv_io.MAX_ROWS,
        provider_country=org.country,
    )
    assert parsed.ok, [(p.row, p.column, p.message) for p in parsed.problems[:5]]
    writing = time.perf_counter()
    csv_io.commit_import(db, org, parsed, Actor.system("bench"), publish_complete=True)
    db.commit()
    done = time.perf_counter()
    return done - started, done - writing, parsed


def run_bare(db: Any, parsed: Any, label: str) -> float:
    """The same rows, written by plain executemany INSERTs."""
    from qaportal.catalogue import search
    from qaportal.catalogue.models import (
        CatalogueEntry,
        CatalogueFacet,
        LearningOutcome,
        Specification,
        SpecificationVersion,
        VersionStatus,
    )
    from qaportal.catalogue.services import LIST_FIELDS, SCALAR_FIELDS
    from qaportal.db import utcnow

    org = new_provider(db, label)

    def next_id(model: Any) -> int:
        return int(db.execute(select(func.coalesce(func.max(model.id), 0))).scalar_one()) + 1

    first_spec = next_id(Specification)
    first_version = next_id(SpecificationVersion)
    first_entry = next_id(CatalogueEntry)
    now = utcnow()
    rows = [r.data for r in parsed.rows]
    publish = [bool(r.completeness and r.completeness.is_complete) for r in parsed.rows]
    public_ids = [str(uuid.uuid4()) for _ in rows]
    specs = [
        {"id": first_spec + i, "public_id": public_ids[i], "provider_id": org.id, "created_at": now}
        for i in range(len(rows))
    ]
    versions = []
    for i, data in enumerate(rows):
        values = {name: getattr(data, name) for name in (*SCALAR_FIELDS, *LIST_FIELDS)}
        values.update(
            id=first_version + i,
            specification_id=first_spec + i,
            number=1,
            status=VersionStatus.PUBLISHED if publish[i] else VersionStatus.DRAFT,
            lock_version=1,
            created_at=now,
            updated_at=now,
            published_at=now if publish[i] else None,
        )
        versions.append(values)
    outcomes = [
        {
            "version_id": first_version + i,
            "position": p,
            "statement": o.statement,
            "esco_uri": o.esco_uri,
        }
        for i, data in enumerate(rows)
        for p, o in enumerate(data.outcomes)
    ]
    entries, facets = [], []
    for i, data in enumerate(rows):
        if not publish[i]:
            continue
        entry_id = first_entry + len(entries)
        entries.append(
            {
                "id": entry_id,
                "specification_id": first_spec + i,
                "version_id": first_version + i,
                "provider_id": org.id,
                "public_id": public_ids[i],
                "title": data.title,
                "outcomes_text": "\n".join(o.statement for o in data.outcomes),
                "eqf_level": data.eqf_level,
                "ects": data.ects,
                "hours": data.hours,
                "participation_form": data.participation_form,
                "published_at": now,
            }
        )
        facets += [
            {"entry_id": entry_id, "kind": kind, "value": value}
            for kind, value in sorted(search._facets_of(data))  # type: ignore[arg-type]
        ]
    started = time.perf_counter()
    conn = db.connection()
    conn.execute(insert(Specification.__table__), specs)
    conn.execute(insert(SpecificationVersion.__table__), versions)
    conn.execute(insert(LearningOutcome.__table__), outcomes)
    conn.execute(insert(CatalogueEntry.__table__), entries)
    conn.execute(insert(CatalogueFacet.__table__), facets)
    db.commit()
    elapsed = time.perf_counter() - started
    if db.get_bind().dialect.name == "postgresql":
        # The ids were chosen here: move the sequences past them for the next import.
        for model in (Specification, SpecificationVersion, CatalogueEntry):
            name = model.__tablename__
            db.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT max(id) FROM {name}))"
                )
            )
        db.commit()
    return elapsed


def bench(url: str, sizes: list[int], repeat: int, workdir: Path) -> None:
    from qaportal import create_app
    from qaportal.db import get_session
    from qaportal.migrate import upgrade

    upgrade("head", url=url)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(workdir / "instance"),
            "SECRET_KEY": "benchmark-" + "x" * 40,
            "RATELIMIT_ENABLED": False,
        }
    )
    engine = app.extensions["qaportal.engine"]
    print(f"\n{engine.dialect.name}")
    print(
        f"{'rows':>6}  {'import rows/s':>14}  {'writing rows/s':>15}  {'bare rows/s':>12}  "
        f"{'import/bare':>11}  {'writing/bare':>12}"
    )
    with app.test_request_context():
        db = get_session()
        for size in sizes:
            raw = make_file(size)
            best_import = best_write = best_bare = float("inf")
            for attempt in range(repeat):
                label = f"{size}-{attempt}-{uuid.uuid4().hex[:6]}"
                total, writing, parsed = run_import(db, raw, "import " + label)
                bare = run_bare(db, parsed, "bare " + label)
                best_import = min(best_import, total)
                best_write = min(best_write, writing)
                best_bare = min(best_bare, bare)
            print(
                f"{size:>6}  {size / best_import:>14,.0f}  {size / best_write:>15,.0f}  "
                f"{size / best_bare:>12,.0f}  {best_bare / best_import:>10.2f}×  "
                f"{best_bare / best_write:>11.2f}×"
            )
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[250, 5000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--postgres", help="a PostgreSQL URL whose user may create and drop a database"
    )
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="qaportal-bench-import-"))
    bench(f"sqlite:///{workdir / 'bench.sqlite3'}", args.rows, args.repeat, workdir)
    if args.postgres:
        admin = make_url(args.postgres)
        name = f"qaportal_bench_{uuid.uuid4().hex[:8]}"
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = admin.set(database=name).render_as_string(hide_password=False)
            bench(url, args.rows, args.repeat, workdir)
        finally:
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
