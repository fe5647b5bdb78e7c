"""The load test, end to end: production shape, scale data, locust, survey answers counted.

    python -m tests.load.run [--scale 0.1] [--users 32] [--time 60s] [--no-start] [--no-seed]

1. starts the production shape (scripts/production-shape.sh start: PostgreSQL, Redis,
   gunicorn with 4 workers, mail sender, task worker; idempotent, needs root);
2. seeds it (tests/load/seed.py) at ``--scale`` (1 = 1,000 providers, 10,000 specifications,
   2,000 cases, 1,000,000 feedback answers; 0.1 for a quick run), with fresh survey codes;
3. runs tests/load/locustfile.py headless for ``--time`` at ``--users`` (nice 5, localhost);
4. counts the load campaign's responses in the database before and after, and prints
   requests/s, p50/p95/p99, errors per kind, hostile requests refused or accepted, and the
   survey answers locust saw accepted against those stored. Exits 1 when a goal is missed.

The figures also go to ``<run folder>/load/result.json`` (tests/benchmarks' table reads it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SHAPE = ROOT / "scripts" / "production-shape.sh"
PYTHON = sys.executable
GOAL_RPS, GOAL_P95_MS = 300, 100


def _shape_env() -> dict[str, str]:
    env_file = subprocess.run(
        ["bash", str(SHAPE), "env"], check=True, capture_output=True, text=True
    ).stdout.strip()
    env = dict(os.environ)
    for line in Path(env_file).read_text().splitlines():
        key, _, value = line.partition("=")
        if key.startswith("QAPORTAL_"):
            env[key] = value
    return env


def _count(env: dict[str, str], sql: str, **params: Any) -> int:
    code = (
        "import json, sys; from sqlalchemy import create_engine, text; "
        "c = create_engine(sys.argv[1]).connect(); "
        "print(c.execute(text(sys.argv[2]), json.loads(sys.argv[3])).scalar_one())"
    )
    out = subprocess.run(
        [PYTHON, "-c", code, env["QAPORTAL_DATABASE_URL"], sql, json.dumps(params)],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(out.stdout.strip())


def _stored_responses(env: dict[str, str], campaign_id: int) -> int:
    sql = "SELECT count(*) FROM feedback_responses WHERE campaign_id = :c"
    return _count(env, sql, c=campaign_id)


def _hostile_writes(env: dict[str, str]) -> int:
    """Self-assessment text only the locustfile's hostile requests send (forged CSRF, another
    provider's case): any such answer stored means one of them got through."""
    sql = "SELECT count(*) FROM answers WHERE narrative IN ('overwritten', 'not mine')"
    return _count(env, sql)


def _server_cpu(run_dir: Path) -> dict[str, float]:
    """CPU seconds used so far by each part of the shape (with its child processes): on a
    shared machine the time per request swings with others' load, the CPU per request less."""
    import psutil

    roots = {name: run_dir / f"{name}.pid" for name in ("gunicorn", "redis", "worker", "mail")}
    roots["postgresql"] = run_dir / "pg" / "data" / "postmaster.pid"
    used: dict[str, float] = {}
    for name, pid_file in roots.items():
        try:
            root = psutil.Process(int(pid_file.read_text().split()[0]))
            total = 0.0
            for process in [root, *root.children(recursive=True)]:
                times = process.cpu_times()
                total += times.user + times.system
        except (OSError, ValueError, IndexError, psutil.Error):
            continue
        used[name] = total
    return used


def _ensure_locust() -> None:
    """Installs ``qaportal[load]`` (locust, and psutil with it) into this interpreter's
    environment when it lacks them, as the shape script installs ``[production]``: the load
    test runs on a fresh machine from its own files."""
    try:
        import locust  # noqa: F401
        import psutil  # noqa: F401
    except ImportError:
        print("==> installing qaportal[load]", flush=True)
        subprocess.run(
            [PYTHON, "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[load]"], check=True
        )


def _seconds(spec: str) -> int:
    match = re.fullmatch(r"(\d+)([smh]?)", spec)
    if not match:
        raise SystemExit(f"--time: {spec!r} is not like 60s, 5m or 1h")
    return int(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]


def machine() -> str:
    cpus = os.cpu_count()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{platform.node()}: {cpus} cores, {platform.platform()}, load average {load}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--time", default="60s", help="locust's --run-time (e.g. 60s, 5m)")
    parser.add_argument("--host", default=None, help="default: the shape's gunicorn")
    parser.add_argument("--no-start", action="store_true", help="the shape already runs")
    parser.add_argument("--no-seed", action="store_true", help="reuse seed.json and codes")
    args = parser.parse_args(argv)
    seconds = _seconds(args.time)

    _ensure_locust()
    if not args.no_start:
        subprocess.run(["bash", str(SHAPE), "start"], check=True)
    env = _shape_env()
    load_dir = Path(env["QAPORTAL_INSTANCE_PATH"]).parent / "load"
    env["QAPORTAL_LOAD_DIR"] = str(load_dir)
    host = args.host or "http://127.0.0.1:" + env["QAPORTAL_BASE_URL"].rsplit(":", 1)[1]
    if not args.no_seed:
        # Enough codes for every respondent to answer as fast as the portal lets it.
        codes = max(2000, 60 * seconds)
        subprocess.run(
            [PYTHON, "-m", "tests.load.seed", "--scale", str(args.scale), "--codes", str(codes)],
            check=True,
            cwd=ROOT,
            env=env,
        )
    seed = json.loads((load_dir / "seed.json").read_text())
    before = _stored_responses(env, seed["load_campaign_id"])
    (load_dir / "summary.json").unlink(missing_ok=True)
    run_dir = load_dir.parent
    cpu_before = _server_cpu(run_dir)
    client_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    command = ["nice", "-n", "5", PYTHON, "-m", "locust", "--headless", "--only-summary"]
    command += ["-f", str(ROOT / "tests" / "load" / "locustfile.py"), "--host", host]
    command += ["--users", str(args.users), "--spawn-rate", str(args.users)]
    command += ["--run-time", args.time, "--stop-timeout", "10"]
    locust = subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        check=False,
    )
    took = time.monotonic() - started
    cpu_after = _server_cpu(run_dir)
    client_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu = (client_after.ru_utime + client_after.ru_stime) - (
        client_before.ru_utime + client_before.ru_stime
    )
    cpu = {name: cpu_after[name] - cpu_before.get(name, 0.0) for name in cpu_after}
    summary: dict[str, Any] = json.loads((load_dir / "summary.json").read_text())
    after = _stored_responses(env, seed["load_campaign_id"])
    stored = after - before
    seen = summary["survey"].get("submitted", 0)
    refused = sum(n for k, n in summary["hostile"].items() if k.endswith(": refused"))
    accepted = sum(n for k, n in summary["hostile"].items() if not k.endswith(": refused"))
    legit = sum(summary["legit_errors"].values())

    print()
    print(f"machine: {machine()}")
    print(f"scale {args.scale}, {args.users} users, {args.time} (wall {took:.0f} s), {host}")
    print(
        f"requests: {summary['requests']}, {summary['rps']:.1f}/s; "
        f"p50 {summary['p50']:.0f} ms, p95 {summary['p95']:.0f} ms, p99 {summary['p99']:.0f} ms"
    )
    cpu_ms = 1000 * sum(cpu.values()) / max(1, summary["requests"])
    parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in sorted(cpu.items()))
    print(f"server CPU: {parts}; {cpu_ms:.1f} ms per request, so about {2000 / cpu_ms:.0f}")
    print("    requests/s on 2 cores of its own (the client's CPU not counted)")
    print(f"client CPU (locust): {client_cpu:.1f} s in {took:.0f} s")
    print(f"legitimate requests that failed: {legit}")
    for kind, n in sorted(summary["legit_errors"].items()):
        print(f"    {kind}: {n}")
    written = _hostile_writes(env)
    print(f"hostile requests: {refused} refused, {accepted} accepted, {written} answers written")
    for kind, n in sorted(summary["hostile"].items()):
        print(f"    {kind}: {n}")
    print(f"survey answers: {seen} accepted by the portal, {stored} stored, {seen - stored} lost")
    goals = {
        f"≥ {GOAL_RPS} requests/s": summary["rps"] >= GOAL_RPS,
        f"p95 < {GOAL_P95_MS} ms": summary["p95"] < GOAL_P95_MS,
        "no legitimate request failed": legit == 0,
        "every hostile request refused": accepted == 0 and refused > 0 and written == 0,
        "no survey answer lost": seen == stored and seen > 0,
    }
    for goal, met in goals.items():
        print(f"  [{'met' if met else 'MISSED'}] {goal}")
    result = {
        **summary,
        "machine": machine(),
        "scale": args.scale,
        "users": args.users,
        "time": args.time,
        "server_cpu_seconds": cpu,
        "server_cpu_ms_per_request": cpu_ms,
        "client_cpu_seconds": client_cpu,
        "survey_seen": seen,
        "survey_stored": stored,
        "goals": goals,
        "locust_exit": locust.returncode,
    }
    (load_dir / "result.json").write_text(json.dumps(result, indent=1))
    return 0 if all(goals.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
