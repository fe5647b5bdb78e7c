"""Every benchmark of tests/benchmarks, then the load test, into one Markdown table.

    python -m tests.benchmarks.all [--quick] [--only bench_sqlite …] [--no-load]
                                   [--load-scale 0.1] [--load-time 60s] [--out FILE]

Each benchmark runs in its own process (``nice -n 5``, a time limit each) and prints its
figures beside the baseline it measured in the same run; the rows of the table are the lines
of its output that carry a ratio, as printed, with the ratio pulled out. The load test
(tests/load/run.py, which starts the production shape and needs root) adds its own rows
against the issue's goals. The file starts with a description of the machine and its load,
since on a shared machine the figures swing with it; every benchmark's full output follows
the table. ``--quick`` passes small sizes, to check the command rather than to measure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

# name → (arguments of a full run, arguments of a quick one)
BENCHMARKS: dict[str, tuple[list[str], list[str]]] = {
    "bench_catalogue": ([], ["--providers", "50", "--specs", "500", "--repeat", "3"]),
    "bench_catalogue_import": ([], ["--rows", "50", "--repeat", "1"]),
    "bench_requests": ([], ["--providers", "20", "--specs", "200", "--repeat", "20"]),
    "bench_dashboards": ([], ["--cases", "100", "--requests", "5"]),
    "bench_api": ([], ["--providers", "50", "--decisions", "200", "--specs", "200"]),
    "bench_register": ([], ["--providers", "50", "--decisions", "200", "--requests", "5"]),
    "bench_feedback": ([], ["--submissions", "40", "--responses", "2000"]),
    "bench_sqlite": ([], ["--seconds", "0.5", "--rows", "2000", "--rounds", "1"]),
    "bench_reports": ([], ["--criteria", "10", "--repeat", "1", "--synthetic"]),
}

# "3.1x", "3.1×", "ratio 0.42", "HTTP / bare: 0.25": a figure set against its baseline.
RATIO_RE = re.compile(
    r"(?:(?<![\w.])(\d+(?:\.\d+)?)\s*[x×](?![\w]))"
    r"|(?:ratio[^\d\n]{0,12}(\d+(?:\.\d+)?))"
    r"|(?:\w\s/\s[\w ]+:\s*(\d+(?:\.\d+)?))",
    re.IGNORECASE,
)


def describe_machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} × {cpu}{memory}; {platform.platform()}; Python "
        f"{platform.python_version()}; load average {load} (1, 5, 15 min)"
    )


def ratio_rows(output: str) -> list[tuple[str, str]]:
    rows = []
    for line in output.splitlines():
        match = RATIO_RE.search(line)
        if match:
            ratio = next(group for group in match.groups() if group)
            rows.append((" ".join(line.split()), ratio))
    return rows


def run_benchmark(name: str, args: list[str], timeout: int) -> tuple[str, float, str]:
    """(status, seconds, output) of one benchmark."""
    started = time.monotonic()
    try:
        done = subprocess.run(
            ["nice", "-n", "5", PYTHON, "-m", f"tests.benchmarks.{name}", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout if isinstance(exc.stdout, str) else (exc.stdout or b"").decode()
        return f"stopped after {timeout} s", time.monotonic() - started, out
    status = "ok" if done.returncode == 0 else f"exit {done.returncode}"
    output = done.stdout + (f"\n[stderr]\n{done.stderr[-3000:]}" if done.returncode else "")
    return status, time.monotonic() - started, output


def load_rows(scale: float, run_time: str) -> tuple[list[str], str]:
    started = time.monotonic()
    done = subprocess.run(
        [PYTHON, "-m", "tests.load.run", "--scale", str(scale), "--time", run_time],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    output = done.stdout[-6000:] + done.stderr[-2000:]
    result_file = Path(os.environ.get("QAPORTAL_SHAPE_DIR", "/tmp/qaportal-shape"))
    result_file = result_file / "load" / "result.json"
    if not result_file.exists():
        return [f"| load test | failed after {time.monotonic() - started:.0f} s | | | |"], output
    r = json.loads(result_file.read_text())
    rows = [
        f"| load test, {r['users']} users, scale {r['scale']} | {r['rps']:.1f} requests/s "
        f"| goal 300/s | {r['rps'] / 300:.2f} | |",
        f"| load test p95 | {r['p95']:.0f} ms | goal < 100 ms | {r['p95'] / 100:.2f} | |",
        f"| load test p50 / p99 | {r['p50']:.0f} / {r['p99']:.0f} ms | | | |",
        f"| legitimate requests failed | {sum(r['legit_errors'].values())} | goal 0 | | |",
        f"| hostile requests accepted | "
        f"{sum(n for k, n in r['hostile'].items() if not k.endswith(': refused'))} "
        f"| goal 0 | | |",
        f"| survey answers stored / accepted | {r['survey_stored']} / {r['survey_seen']} "
        f"| goal equal | | |",
    ]
    return rows, output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: checks the command")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), default=None)
    parser.add_argument("--no-load", action="store_true", help="leave out the load test")
    parser.add_argument("--load-scale", type=float, default=0.1)
    parser.add_argument("--load-time", default="60s")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per benchmark")
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "benchmarks" / "latest.md")
    args = parser.parse_args(argv)

    machine = describe_machine()
    table = [
        "| benchmark | figure beside its baseline (as printed) | baseline | ratio | status |",
        "|---|---|---|---|---|",
    ]
    outputs = []
    for name in args.only or BENCHMARKS:
        full, quick = BENCHMARKS[name]
        print(f"==> {name}", flush=True)
        status, seconds, output = run_benchmark(name, quick if args.quick else full, args.timeout)
        rows = ratio_rows(output)
        for line, ratio in rows:
            shown = line.replace("|", "/")
            table.append(f"| {name} | `{shown}` | same line | {ratio} | {status} |")
        if not rows:
            table.append(f"| {name} | no ratio printed | | | {status}, {seconds:.0f} s |")
        heading = f"### {name} ({status}, {seconds:.0f} s)"
        outputs.append(f"{heading}\n\n```text\n{output.strip()}\n```\n")
    if not args.no_load:
        print("==> load test", flush=True)
        rows, output = load_rows(args.load_scale, args.load_time)
        table += rows
        outputs.append(f"### load test\n\n```text\n{output.strip()}\n```\n")

    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = "\n".join(
        [
            f"# Benchmarks, {when}{' (quick sizes)' if args.quick else ''}",
            "",
            f"Machine: {machine}",
            f"Load at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}",
            "",
            *table,
            "",
            "## Outputs",
            "",
            *outputs,
        ]
    )
    args.out.write_text(text)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
