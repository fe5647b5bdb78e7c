"""Rendering in a child process (:func:`qaportal.reporting.pdf.render_isolated`).

The parent (:func:`render_in_child`) starts

    python -m qaportal.reporting.isolated --memory-mb 1024  < pickled RenderRequest  > PDF

and kills it when it outlives its time. The child (:func:`main`) reads the pickled
:class:`~qaportal.reporting.pdf.RenderRequest` from stdin (written by the parent, never by
anyone else), limits its own address space, renders, writes the PDF to stdout and a line of
figures to stderr. It has no Flask application: the templates' gettext comes from the
compiled catalogues (:func:`qaportal.reporting.pdf.translations`), as in the web process.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import pickle
import resource
import signal
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from qaportal.paths import PACKAGE_DIR, REPORTS_DIR
from qaportal.reporting import pdf

STATS_MARK = "qaportal-render-stats "  # the child's last line on stderr: its figures, JSON
EXIT_REPORT_ERROR = 2  # the child's exit status when the report itself failed
EXIT_TOO_BIG = 3  # … when it ran out of memory
MODULE = "qaportal.reporting.isolated"  # run as __main__ in the child


@dataclass(frozen=True)
class RenderStats:
    """What a rendering cost the child, without its start-up: wall-clock and CPU seconds,
    peak memory and pages."""

    seconds: float
    cpu_seconds: float
    max_rss_mb: float
    pages: int


# ----- the parent --------------------------------------------------------------------------------


def render_in_child(
    request: pdf.RenderRequest,
    *,
    timeout_s: float = 120,
    memory_mb: int = 1024,
    reports_dir: Path = REPORTS_DIR,
) -> tuple[bytes, RenderStats]:
    """The PDF of ``request`` rendered by a child process, and what it cost; raises
    :class:`~qaportal.reporting.pdf.RenderTimeout`, :class:`~qaportal.reporting.pdf.RenderTooBig`
    or :class:`~qaportal.reporting.pdf.ReportError`."""
    payload = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
    inherited = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    # The child must find this very package, from a checkout or site-packages alike.
    path = os.pathsep.join([str(PACKAGE_DIR.parent), *filter(None, inherited)])
    command = [sys.executable, "-m", MODULE, "--memory-mb", str(memory_mb)]
    command += ["--reports-dir", str(reports_dir)]
    child = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": path},
    )
    try:
        out, err = child.communicate(payload, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise pdf.RenderTimeout(
            f"rendering {request.name!r} took longer than {timeout_s:g} s and was stopped"
        ) from None
    lines = err.decode("utf-8", "replace").strip().splitlines()
    if child.returncode == 0:
        marked = [line for line in lines if line.startswith(STATS_MARK)]
        return out, RenderStats(**json.loads(marked[-1].removeprefix(STATS_MARK)))
    last = lines[-1] if lines else ""
    # C libraries that cannot allocate tend to abort or crash rather than raise.
    if child.returncode in (EXIT_TOO_BIG, -signal.SIGSEGV, -signal.SIGABRT):
        raise pdf.RenderTooBig(
            f"rendering {request.name!r} needed more than the {memory_mb} MB it may use"
        )
    if child.returncode == EXIT_REPORT_ERROR:
        raise pdf.ReportError(last)
    raise pdf.ReportError(f"rendering {request.name!r} failed (exit {child.returncode}): {last}")


# ----- the child ---------------------------------------------------------------------------------


def _limit_memory(memory_mb: int) -> None:
    limit = memory_mb * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _peak_memory_mb() -> float:
    """This process's peak resident memory. Linux's ru_maxrss survives exec, so a child of a
    big parent would report the parent's size; VmHWM belongs to this program alone."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# A rendering allocates hundreds of thousands of small objects (boxes, styles, PDF objects)
# that live until the document is written. With CPython's default thresholds the cyclic
# collector ran full passes over all of them, and over every imported module, again and
# again: about a sixth of a report's CPU time. The child renders one document and exits,
# under its own memory limit, so it collects rarely and never walks what the imports made.
COLLECTOR_THRESHOLDS = (10_000, 50, 1_000)


def _spare_the_collector() -> None:
    gc.freeze()
    gc.set_threshold(*COLLECTOR_THRESHOLDS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}")
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--reports-dir", type=Path, default=REPORTS_DIR)
    args = parser.parse_args(argv)

    # The parent pickled this request a moment ago; the pipe is ours alone.
    request = pickle.loads(sys.stdin.buffer.read())  # noqa: S301
    # Import WeasyPrint's libraries before the limit: the limit is meant for the document.
    import weasyprint  # noqa: F401

    _spare_the_collector()
    started, cpu_started = time.perf_counter(), time.process_time()
    _limit_memory(args.memory_mb)
    try:
        data, pages = pdf.render_request_counted(request, reports_dir=args.reports_dir)
    except MemoryError:
        sys.stderr.write(f"out of memory under {args.memory_mb} MB\n")
        return EXIT_TOO_BIG
    except pdf.ReportError as exc:
        sys.stderr.write(f"{exc}\n")
        return EXIT_REPORT_ERROR
    except Exception as exc:
        traceback.print_exc()
        sys.stderr.write(f"{type(exc).__name__}: {exc}\n")
        return 1
    stats = {
        "seconds": round(time.perf_counter() - started, 4),
        "cpu_seconds": round(time.process_time() - cpu_started, 4),
        "max_rss_mb": round(_peak_memory_mb(), 1),
    }
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    sys.stderr.write(STATS_MARK + json.dumps({**stats, "pages": pages}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
