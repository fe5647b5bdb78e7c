"""SQLite pragmas under a web-like load: concurrent reads and small write transactions
through the portal's own engine (qaportal.db.make_engine), one fresh database per setting,
each setting measured in the same run.

    nice -n 5 .venv/bin/python -m tests.benchmarks.bench_sqlite [--seconds 3] [--rows 20000]
        [--rounds 3]

Settings: SQLite's defaults (rollback journal, synchronous=FULL; busy_timeout and foreign
keys kept so that the load runs at all), the portal's settings before issue 14 (WAL,
synchronous=NORMAL) and the chosen ones (qaportal.db.SQLITE_PRAGMAS)."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from math import nan
from pathlib import Path

from sqlalchemy import text

from qaportal import db

SETTINGS = {
    "sqlite defaults (DELETE, FULL)": (
        "foreign_keys=ON",
        "journal_mode=DELETE",
        "synchronous=FULL",
        "busy_timeout=10000",
    ),
    "before (WAL, NORMAL)": (
        "foreign_keys=ON",
        "journal_mode=WAL",
        "busy_timeout=10000",
        "synchronous=NORMAL",
    ),
    "chosen (qaportal.db)": db.SQLITE_PRAGMAS,
}
READERS, WRITERS = 4, 2


def _seed(engine, rows: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE items (id INTEGER PRIMARY KEY, category INTEGER, n INTEGER, "
                "title TEXT)"
            )
        )
        conn.execute(text("CREATE INDEX ix_items_category ON items (category, n)"))
        conn.execute(
            text("INSERT INTO items (category, n, title) VALUES (:c, :n, :t)"),
            [{"c": i % 50, "n": (i * 7919) % 1000, "t": f"item {i} " * 8} for i in range(rows)],
        )


def _run(pragmas: tuple[str, ...], rows: int, seconds: float) -> dict[str, float]:
    saved = db.SQLITE_PRAGMAS
    db.SQLITE_PRAGMAS = pragmas  # read by the connect hook of make_engine's engines
    try:
        with tempfile.TemporaryDirectory() as folder:
            engine = db.make_engine(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
            _seed(engine, rows)
            engine.dispose()  # every connection of the load opens with the pragmas
            reads: list[float] = []
            writes: list[float] = []
            lock = threading.Lock()
            stop = time.perf_counter() + seconds

            def reader(k: int) -> None:
                mine = []
                with engine.connect() as conn:
                    while time.perf_counter() < stop:
                        t0 = time.perf_counter()
                        # A page's reads: a count and a sorted page of one facet (indexed),
                        # and a sort that needs a temporary b-tree (the title is not indexed).
                        conn.execute(
                            text("SELECT count(*) FROM items WHERE category = :c"), {"c": k % 50}
                        ).scalar()
                        conn.execute(
                            text(
                                "SELECT id, title FROM items WHERE category = :c "
                                "ORDER BY title LIMIT 20"
                            ),
                            {"c": (k + 7) % 50},
                        ).all()
                        conn.execute(
                            text(
                                "SELECT id, title FROM items WHERE category = :c "
                                "ORDER BY n DESC LIMIT 20"
                            ),
                            {"c": k % 50},
                        ).all()
                        conn.rollback()
                        mine.append(time.perf_counter() - t0)
                        k += 1
                with lock:
                    reads.extend(mine)

            def writer(k: int) -> None:
                mine = []
                while time.perf_counter() < stop:
                    t0 = time.perf_counter()
                    with engine.begin() as conn:
                        conn.execute(
                            text("INSERT INTO items (category, n, title) VALUES (:c, :n, 'new')"),
                            {"c": k % 50, "n": k % 1000},
                        )
                    mine.append(time.perf_counter() - t0)
                    k += 1
                with lock:
                    writes.extend(mine)

            threads = [threading.Thread(target=reader, args=(i,)) for i in range(READERS)]
            threads += [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            engine.dispose()
    finally:
        db.SQLITE_PRAGMAS = saved
    return {
        "reads/s": len(reads) / seconds,
        "read p95 ms": statistics.quantiles(reads, n=20)[18] * 1000 if len(reads) > 20 else nan,
        "writes/s": len(writes) / seconds,
        "write p95 ms": statistics.quantiles(writes, n=20)[18] * 1000 if len(writes) > 20 else nan,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(
        f"{READERS} reader threads, {WRITERS} writer threads, {args.seconds:g} s per setting, "
        f"{args.rows} rows, median of {args.rounds} interleaved rounds"
    )
    print(f"{'setting':<32} {'reads/s':>9} {'read p95':>9} {'writes/s':>9} {'write p95':>10}")
    # Interleaved rounds, the median of each figure: the machine is shared, so one slow
    # moment must not decide between two settings.
    rounds: dict[str, list[dict[str, float]]] = {name: [] for name in SETTINGS}
    for _round in range(args.rounds):
        for name, pragmas in SETTINGS.items():
            rounds[name].append(_run(pragmas, args.rows, args.seconds))
    results = {
        name: {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        for name, runs in rounds.items()
    }
    for name, r in results.items():
        print(
            f"{name:<32} {r['reads/s']:>9.0f} {r['read p95 ms']:>7.1f}ms "
            f"{r['writes/s']:>9.0f} {r['write p95 ms']:>8.1f}ms"
        )
    base = results["before (WAL, NORMAL)"]
    chosen = results["chosen (qaportal.db)"]
    print(
        f"chosen vs before: reads x{chosen['reads/s'] / max(base['reads/s'], 1e-9):.2f}, "
        f"writes x{chosen['writes/s'] / max(base['writes/s'], 1e-9):.2f}"
    )


if __name__ == "__main__":
    main()
