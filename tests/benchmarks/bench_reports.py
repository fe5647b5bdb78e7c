"""Report rendering benchmark (prints figures; not collected by pytest).

    python tests/benchmarks/bench_reports.py [--criteria 10 30 100] [--repeat 3]
        [--synthetic | --real]

For each size, an accreditation report with that many criteria is rendered as PDF/A-3a by
``render_in_child`` (the child process the task queue renders in) and, alternately in the
same run and the same kind of child, two plain documents calibrated to the report's page
count (paragraphs of the same made-up text, nothing else: no cover, contents, running
header or footer, tables, headings, hyphenation or page-break rules):

- **plain**: WeasyPrint's defaults: the system's sans-serif font (DejaVu), a plain PDF.
- **plain A**: the bundled font (``_shared/fonts.css``) and PDF/A-3a, tagged, with the same
  metadata and embedded JSON as the report. The issue fixes both for every report (the same
  glyphs on every machine, an archival and accessible file), so they are the cost of
  WeasyPrint's output format, not of the report's design; this baseline asks what the
  report's layout costs over WeasyPrint writing the same file of the same pages. The goal
  (1.3x) is read against it; the ratio to **plain** is printed beside it, unhidden.

Prints the median CPU seconds of the rendering itself (without the child's start-up;
wall-clock beside it, which a shared machine makes noisy), the pages, the child's peak
resident memory, and the ratios report / plain A and report / plain. Goal: within 1.3x and
under 300 MB.

Two reports per size: ``reports/accreditation-report`` built by
``qaportal.reporting.documents.build_request`` from a decided case in a fresh SQLite database
(long rationale, recommendations, evidence, a comment, the decision), and a stand-in of the
same parts with evidence lists and two feedback charts per report, extending
``_shared/base.html`` (``--synthetic``: the stand-in only; ``--real``: the report only).
All render from a copy of ``reports/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import random
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from qaportal.paths import REPORTS_DIR  # noqa: E402
from qaportal.reporting import isolated, pdf  # noqa: E402

RNG = random.Random(20260616)
WORDS = [
    "quality",
    "assurance",
    "learning",
    "outcomes",
    "assessment",
    "provider",
    "panel",
    "evidence",
    "criterion",
    "stakeholders",
    "feedback",
    "curriculum",
    "workload",
    "credits",
    "recognition",
    "transparency",
    "review",
    "micro-credential",
    "internal",
    "external",
    "procedures",
    "students",
    "employers",
    "improvement",
]

STAND_IN = """{% extends "_shared/base.html" %}
{% block title %}{{ title }}{% endblock %}
{% block cover %}
<p class="cover-agency">{{ agency.name }}</p>
<h1 class="cover-title">{{ title }}</h1>
<dl><dt>{{ _('Provider') }}</dt><dd>{{ provider }}</dd>
<dt>{{ _('Case') }}</dt><dd>{{ reference }}</dd>
<dt>{{ _('Decision') }}</dt><dd>{{ decision }}</dd></dl>
{% endblock %}
{% block contents %}
{% for id, label in sections %}<li><a href="#{{ id }}">{{ label }}</a></li>{% endfor %}
{% endblock %}
{% block body %}
<section id="summary" class="chapter"><h2>Summary</h2>
{% for p in summary %}<p>{{ p }}</p>{% endfor %}</section>
<section id="scope"><h2>Scope</h2>
{% for item in scope %}<h3>{{ item.title }}</h3>
<table><thead><tr><th>Element</th><th>Value</th></tr></thead><tbody>
{% for k, v in item.elements %}<tr><td>{{ k }}</td><td>{{ v }}</td></tr>{% endfor %}
</tbody></table>{% endfor %}</section>
<section id="process"><h2>Process</h2>
<table><thead><tr><th>Name</th><th>Role</th><th>Country</th></tr></thead><tbody>
{% for m in panel %}<tr><td>{{ m[0] }}</td><td>{{ m[1] }}</td><td>{{ m[2] }}</td></tr>{% endfor %}
</tbody></table></section>
<section id="findings" class="chapter"><h2>Findings per criterion</h2>
{% for c in criteria %}
<h3 class="keep-with-next">{{ c.code }} {{ c.title }}</h3>
<table><thead><tr><th>Self-rating</th><th>Panel</th></tr></thead>
<tbody><tr><td>{{ c.self }}</td><td>{{ c.panel }}</td></tr></tbody></table>
<p>{{ c.rationale }}</p>
<ul>{% for r in c.recommendations %}<li>{{ r }}</li>{% endfor %}</ul>
<table><caption>Evidence</caption><thead><tr><th>File</th><th>Description</th></tr></thead>
<tbody>{% for e in c.evidence %}<tr><td>{{ e[0] }}</td><td>{{ e[1] }}</td></tr>{% endfor %}
</tbody></table>
{% endfor %}</section>
<section id="feedback" class="chapter"><h2>Feedback</h2>
{% for chart in charts %}<figure><figcaption>{{ chart.title }}</figcaption>{{ chart.svg|safe }}
</figure>{% endfor %}</section>
<section id="decision"><h2>Decision</h2><p>{{ decision }}</p>
<ol>{% for c in conditions %}<li>{{ c }}</li>{% endfor %}</ol></section>
{% include "_shared/verification.html" %}
{% endblock %}
"""

PLAIN = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Plain</title>
<style>@page { size: A4; margin: 24mm 18mm 22mm; } body { font-size: 9.5pt; }</style>
</head><body>{% for p in paragraphs %}<p>{{ p }}</p>{% endfor %}</body></html>
"""
# The same, in the bundled font the reports print in.
PLAIN_FONT = PLAIN.replace(
    "<style>",
    '<link rel="stylesheet" href="../_shared/fonts.css">'
    '<style>html { font-family: "QA Portal Sans"; line-height: 1.4; } ',
)


def _text(words: int) -> str:
    return " ".join(RNG.choice(WORDS) for _ in range(words)).capitalize() + "."


def _chart(title: str) -> dict[str, str]:
    """A stacked bar chart of eight questions' answers, like the results page draws."""
    parts = []
    for question in range(8):
        y, x = 10 + question * 22, 150
        parts.append(f'<text x="0" y="{y + 12}" font-size="9">Question {question + 1}</text>')
        for level in range(5):
            width = RNG.randint(10, 80)
            parts.append(
                f'<rect x="{x}" y="{y}" width="{width}" height="16" fill="#{level * 3}{level}a"/>'
            )
            x += width
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 190">{"".join(parts)}</svg>'
    return {"title": title, "svg": svg}


def stand_in_context(criteria: int) -> dict[str, Any]:
    return {
        "title": "Accreditation report",
        "agency": {"name": "Demo Quality Agency", "logo_url": None},
        "running_header": "Demo Quality Agency — QA-2026-0001",
        "draft": False,
        "generated_at": dt.datetime(2026, 11, 30, tzinfo=dt.UTC),
        "verification": {
            "code": "QAR-7K3M-9XQ2",
            "url": "https://qa.example.org/verify/QAR-7K3M-9XQ2",
            "qr_svg": '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4">'
            '<path d="M0 0h2v2H0z"/></svg>',
        },
        "provider": "University of Demoville",
        "reference": "QA-2026-0001",
        "decision": "Accredited with conditions until 2032-11-30",
        "sections": [
            ("summary", "Summary"),
            ("scope", "Scope"),
            ("process", "Process"),
            ("findings", "Findings per criterion"),
            ("feedback", "Feedback"),
            ("decision", "Decision"),
        ],
        "summary": [_text(90) for _ in range(4)],
        "scope": [
            {
                "title": f"Micro-credential {n}",
                "elements": [(f"Annex I element {k}", _text(12)) for k in range(10)],
            }
            for n in range(3)
        ],
        "panel": [("Reviewer " + str(i), "member", "FR") for i in range(5)],
        "criteria": [
            {
                "code": f"C{i:03d}",
                "title": _text(8),
                "self": "Fully met",
                "panel": "Substantially met",
                "rationale": _text(120),
                "recommendations": [_text(20), _text(25)],
                "evidence": [(f"evidence-{i}-{k}.pdf", _text(10)) for k in range(4)],
            }
            for i in range(1, criteria + 1)
        ],
        "charts": [_chart("Learner feedback"), _chart("Peer feedback")],
        "conditions": [_text(30) for _ in range(3)],
    }


def _reports_copy(folder: Path) -> Path:
    reports = folder / "reports"
    shutil.copytree(REPORTS_DIR, reports)
    sources = (("bench-stand-in", STAND_IN), ("bench-plain", PLAIN), ("bench-plain-a", PLAIN_FONT))
    for name, source in sources:
        (reports / name).mkdir()
        (reports / name / "report.toml").write_text(
            f'title = "{name}"\ntemplate = "report.html"\n', encoding="utf-8"
        )
        (reports / name / "report.html").write_text(source, encoding="utf-8")
    return reports


INFO = pdf.DocumentInfo(
    title="Accreditation report", author="Demo Quality Agency", subject="Case", language="en"
)


def _plain_request(name: str, paragraphs: int) -> pdf.RenderRequest:
    return pdf.RenderRequest(
        name=name,
        context={"paragraphs": [_text(70) for _ in range(paragraphs)]},
        info=INFO,
    )


def plain_of_pages(pages: int, reports: Path, name: str = "bench-plain") -> pdf.RenderRequest:
    """The plain document ``name`` calibrated (in this process, untimed) to ``pages`` pages."""
    from pypdf import PdfReader

    guess = max(1, pages * 7)
    for _ in range(6):
        request = _plain_request(name, guess)
        data = pdf.render_pdf(request.name, request.context, reports_dir=reports)
        got = len(PdfReader(io.BytesIO(data)).pages)
        if got == pages:
            return request
        guess = max(1, round(guess * pages / got) + (1 if got < pages else -1))
    return request


@dataclass(frozen=True)
class Figures:
    cpu: float  # median CPU seconds of the child's rendering
    wall: float  # median wall-clock seconds of the same
    pages: int
    memory: float  # highest peak resident memory, MB


def _figures(runs: list[isolated.RenderStats]) -> Figures:
    return Figures(
        cpu=statistics.median(r.cpu_seconds for r in runs),
        wall=statistics.median(r.seconds for r in runs),
        pages=runs[0].pages,
        memory=max(r.max_rss_mb for r in runs),
    )


def measure(
    request: pdf.RenderRequest, reports: Path, repeat: int
) -> tuple[Figures, Figures, Figures]:
    """The report, plain A and plain (module docstring), each calibrated to the report's
    page count, rendered in turn ``repeat`` times each in child processes, so all three see
    the same load on a shared machine."""

    def run(req: pdf.RenderRequest) -> isolated.RenderStats:
        return isolated.render_in_child(req, reports_dir=reports, timeout_s=900)[1]

    first = run(request)
    archival = plain_of_pages(first.pages, reports, "bench-plain-a")
    archival = replace(archival, info=request.info, attachments=request.attachments)
    plain = plain_of_pages(first.pages, reports)
    plain = replace(plain, info=None)  # a plain PDF: no PDF/A, no tags
    runs: list[list[isolated.RenderStats]] = [[first], [run(archival)], [run(plain)]]
    for _ in range(repeat - 1):
        for kind, req in zip(runs, (request, archival, plain), strict=True):
            kind.append(run(req))
    report, archival_figures, plain_figures = (_figures(kind) for kind in runs)
    return report, archival_figures, plain_figures


def documents_requests(counts: list[int], folder: Path) -> dict[int, pdf.RenderRequest]:
    """Accreditation reports built by ``documents.build_request`` from cases of ``counts``
    criteria (long rationale, recommendations, evidence, a comment, a decision), in a fresh
    SQLite database; empty when the documents part is not there."""
    try:
        from qaportal.reporting import documents
        from tests.casekit import criterion_def, make_world
        from tests.test_report_documents import VERIFICATION, _seed_consolidated
    except ImportError as exc:
        print(f"  (no documents.build_request: {exc}; stand-in only)", file=sys.stderr)
        return {}
    from qaportal import create_app
    from qaportal.db import get_session
    from qaportal.demo import seed_demo
    from qaportal.migrate import upgrade

    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    upgrade("head", url=url)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(folder / "instance"),
            "SECRET_KEY": "bench-" + "x" * 40,
            "BASE_URL": "http://localhost",
        }
    )
    with app.app_context():
        seed_demo()
    requests = {}
    for count in counts:
        defs = [criterion_def(f"K{i:03d}", _text(8)) for i in range(1, count + 1)]
        world = make_world(app, criteria=defs, code=f"bench-{count}")
        _seed_consolidated(app, world, _text(120))
        with app.app_context():
            requests[count] = documents.build_request(
                get_session(),
                documents.DocumentKind.ACCREDITATION_REPORT,
                world.case_id,
                verification=VERIFICATION,
            )
    app.extensions["qaportal.engine"].dispose()
    return requests


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--criteria", type=int, nargs="+", default=[10, 30, 100])
    parser.add_argument("--repeat", type=int, default=3)
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--synthetic", action="store_true", help="the stand-in report only")
    only.add_argument("--real", action="store_true", help="the accreditation report only")
    args = parser.parse_args()
    print(
        f"report rendering: median of {args.repeat} child processes each, report, plain A and "
        "plain in turn; CPU seconds of the rendering (wall-clock in brackets)"
    )
    cells = f"{'pages':>5} {'CPU s':>6} {'(wall)':>7} {'MB':>4}"
    print(
        f"{'report':<20} {'criteria':>8} {cells} | plain A {cells} | plain {cells} | "
        f"{'/A':>5} {'/plain':>6}",
        flush=True,
    )

    def row(f: Figures) -> str:
        return f"{f.pages:>5} {f.cpu:>6.2f} ({f.wall:>5.2f}) {f.memory:>4.0f}"

    with tempfile.TemporaryDirectory() as tmp:
        reports = _reports_copy(Path(tmp))
        real = {} if args.synthetic else documents_requests(args.criteria, Path(tmp))
        for count in args.criteria:
            stand_in = pdf.RenderRequest("bench-stand-in", stand_in_context(count), INFO)
            kinds = [] if args.real else [("stand-in", stand_in)]
            if count in real:
                kinds.insert(0, ("accreditation-report", real[count]))
            for label, request in kinds:
                report, archival, plain = measure(request, reports, args.repeat)
                print(
                    f"{label:<20} {count:>8} {row(report)} |         {row(archival)} | "
                    f"      {row(plain)} | {report.cpu / archival.cpu:>4.2f}× "
                    f"{report.cpu / plain.cpu:>5.2f}×",
                    flush=True,
                )
    print("goal: report / plain A <= 1.3 and peak memory < 300 MB")


if __name__ == "__main__":
    main()
