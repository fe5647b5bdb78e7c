"""The report engine (qaportal.reporting.pdf): PDF/A-3a output with metadata and associated
files, the shared layout of reports/_shared/ (cover, contents, running header, "Page X of Y",
tables, DRAFT), the bundled font, the URL fetcher, and rendering in an isolated child.

The documents rendered here are test reports written into a copy of reports/ (its _shared/
folder and nothing else), so reports/ keeps only real documents.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from qaportal.paths import REPORTS_DIR
from qaportal.reporting import isolated, pdf
from tests import pdf_checks as checks

AGENCY = "Demo Quality Agency"
HEADER = "Demo Quality Agency — QA-2026-0001"
LONG_WORD = "ZQX7" * 7 + "ZQ"  # 30 characters, no break opportunity nor hyphenation
HOSTILE = (
    '<script>alert("x")</script>',
    "<img src=file:///etc/passwd>",
    "url(file:///etc/passwd)",
    "@import url(http://x.invalid/a.css);",
)

REPORT = """{% extends "_shared/base.html" %}
{% block title %}{{ title }}{% endblock %}
{% block head %}<style>.raw { hyphens: manual; }</style>{% endblock %}
{% block cover %}
<p class="cover-agency">{{ agency.name }}</p>
<h1 class="cover-title">{{ title }}</h1>
<p>{{ languages }}</p>
{% endblock %}
{% block contents %}
<li><a href="#summary">{{ _('Summary') }}</a></li>
<li><a href="#findings">{{ _('Criterion') }}</a></li>
{% endblock %}
{% block body %}
<section id="summary" class="chapter">
<h2>{{ _('Summary') }}</h2>
{% for text in hostile %}<p class="raw">{{ text }}</p>{% endfor %}
{% for text in paragraphs %}<p>{{ text }}</p>{% endfor %}
</section>
<section id="findings" class="chapter">
<h2 class="keep-with-next">{{ _('Criterion') }}</h2>
<table>
<caption>Findings per criterion</caption>
<thead><tr><th>Code</th><th>Criterion</th><th>Self-rating</th><th>Judgement</th><th>Rationale</th></tr></thead>
<tbody>
{% for row in rows %}<tr><td>{{ row.code }}</td><td>{{ row.title }}</td><td>{{ row.self }}</td>
<td>{{ row.panel }}</td><td>{{ row.rationale }}</td></tr>
{% endfor %}
</tbody>
</table>
{% include "_shared/verification.html" %}
</section>
{% endblock %}
"""

OVERFLOW = """{% extends "_shared/base.html" %}
{% block body %}<p style="white-space: nowrap">{{ "overflowing text " * 30 }}</p>{% endblock %}
"""

LEAKY_SOURCE = """{% extends "_shared/base.html" %}
{% block head %}
<link rel="stylesheet" href="https://example.invalid/remote.css">
<style>@import url("file:///etc/hostname");</style>
{% endblock %}
{% block body %}<p>Refused resources</p><img src="file:///etc/passwd" alt="x">
{% if logo_url %}<img src="{{ logo_url }}" alt="logo">{% endif %}{% endblock %}
"""

QR_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4">'
    '<path d="M0 0h2v2H0zM2 2h2v2H2z"/></svg>'
)
INFO = pdf.DocumentInfo(
    title="Accreditation report: University of Demoville",
    author=AGENCY,
    subject="External quality assurance of case QA-2026-0001",
    language="en",
    keywords=("accreditation", "micro-credentials"),
)


@pytest.fixture(scope="module")
def reports_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of reports/_shared/ beside the test reports."""
    folder = tmp_path_factory.mktemp("reports")
    shutil.copytree(REPORTS_DIR / "_shared", folder / "_shared")
    for name, source in (
        ("engine-test", REPORT),
        ("engine-overflow", OVERFLOW),
        ("engine-leaky", LEAKY_SOURCE),
    ):
        (folder / name).mkdir()
        (folder / name / "report.toml").write_text(
            f'title = "{name}"\ntemplate = "report.html"\n', encoding="utf-8"
        )
        (folder / name / "report.html").write_text(source, encoding="utf-8")
    return folder


def context(rows: int = 12, *, draft: bool = False, long_texts: bool = False) -> dict[str, Any]:
    rationale = "The panel read the evidence and interviewed staff. " * (3 if long_texts else 1)
    return {
        "title": "Accreditation report",
        "agency": {"name": AGENCY, "logo_url": None},
        "running_header": HEADER,
        "draft": draft,
        "generated_at": dt.datetime(2026, 11, 30, 9, 30, tzinfo=dt.UTC),
        "verification": {
            "code": "QAR-7K3M-9XQ2",
            "url": "https://qa.example.org/verify/QAR-7K3M-9XQ2",
            "qr_svg": QR_SVG,
        },
        "languages": "Ελληνικά · Кириллица · Žluťoučký kůň · Łódź",
        "hostile": HOSTILE,
        "paragraphs": ["A summary of the findings. " * 20] * (3 if long_texts else 1),
        "rows": [
            {
                "code": f"C{i:03d}",
                "title": f"Criterion {i}: {LONG_WORD} and internal quality assurance",
                "self": "Fully met",
                "panel": "Substantially met",
                "rationale": f"{rationale}{LONG_WORD}{LONG_WORD}",
            }
            for i in range(1, rows + 1)
        ],
    }


def render(reports_dir: Path, name: str = "engine-test", **kwargs: Any) -> bytes:
    ctx = kwargs.pop("ctx", None) or context()
    return pdf.render_pdf(name, ctx, kwargs.pop("locale", "en"), reports_dir=reports_dir, **kwargs)


@pytest.fixture(scope="module")
def archival(reports_dir: Path) -> tuple[bytes, bytes]:
    """A PDF/A-3a rendering with a JSON attachment, and the attachment's bytes."""
    payload = json.dumps(
        {"case": "QA-2026-0001", "criteria": [{"code": "C001", "judgement": "met"}]},
        ensure_ascii=False,
    ).encode("utf-8")
    attachment = pdf.EmbeddedFile(
        name="accreditation-report.json",
        data=payload,
        description="Machine-readable accreditation report",
    )
    data = render(reports_dir, ctx=context(rows=40), info=INFO, attachments=(attachment,))
    return data, payload


# ----- PDF/A-3a --------------------------------------------------------------------------------


def test_the_output_is_tagged_pdf_a_3a_with_its_metadata(archival: tuple[bytes, bytes]):
    data, _payload = archival
    assert checks.pdfa_identification(data) == ("3", "A")
    assert checks.is_tagged(data)
    assert checks.language(data) == "en"
    info = checks.reader(data).metadata
    assert info.title == INFO.title
    assert info.author == AGENCY
    assert info.subject == INFO.subject
    assert info["/Keywords"] == "accreditation, micro-credentials"
    assert checks.xmp_values(data, "title") == [INFO.title]
    assert checks.xmp_values(data, "creator") == [AGENCY]
    assert checks.xmp_values(data, "description") == [INFO.subject]
    assert checks.xmp_values(data, "language") == ["en"]


def test_the_json_is_embedded_as_an_associated_file(archival: tuple[bytes, bytes]):
    data, payload = archival
    associated = checks.associated_files(data)
    assert list(associated) == ["accreditation-report.json"]
    found = associated["accreditation-report.json"]
    assert found.data == payload
    assert found.mime_type == "application/json"
    assert found.relationship == "Data"
    assert json.loads(found.data)["criteria"][0]["code"] == "C001"
    assert checks.embedded_files(data) == {"accreditation-report.json": payload}


def test_without_document_info_the_pdf_is_plain(reports_dir: Path):
    data = render(reports_dir)
    assert checks.pdfa_identification(data) == (None, None)
    assert not checks.is_tagged(data)
    assert checks.associated_files(data) == {}


# ----- layout ----------------------------------------------------------------------------------


def test_the_cover_has_no_running_header_or_footer_and_the_pages_after_it_do(
    archival: tuple[bytes, bytes],
):
    data, _payload = archival
    pages = checks.page_texts(data)
    total = len(pages)
    assert total >= 5
    assert "Accreditation report" in pages[0] and AGENCY in pages[0]
    assert HEADER not in pages[0]
    assert "Page" not in pages[0] and "Generated" not in pages[0]
    assert HEADER in pages[1] and f"Page 2 of {total}" in pages[1]
    assert HEADER in pages[-1] and f"Page {total} of {total}" in pages[-1]


def test_the_contents_give_the_page_of_each_section(archival: tuple[bytes, bytes]):
    data, _payload = archival
    pages = checks.page_texts(data)
    assert "Contents" in pages[1]
    listed = dict(re.findall(r"(Summary|Criterion) ?\.{3,} ?(\d+)", pages[1]))
    summary_page = next(i for i, text in enumerate(pages, 1) if "alert(" in text)
    table_page = next(i for i, text in enumerate(pages, 1) if "Findings per criterion" in text)
    assert listed == {"Summary": str(summary_page), "Criterion": str(table_page)}


def test_long_tables_repeat_their_header_and_keep_the_caption_with_rows(
    archival: tuple[bytes, bytes],
):
    data, _payload = archival
    pages = checks.page_texts(data)
    table_pages = [i for i, text in enumerate(pages) if re.search(r"C0\d\d", text)]
    assert len(table_pages) >= 2, "40 rows should run over more than one page"
    for index in table_pages:
        assert "Self-rating" in pages[index] and "Judgement" in pages[index], index + 1
    first = table_pages[0]
    assert "Findings per criterion" in pages[first] and "C001" in pages[first]


def test_a_draft_is_watermarked_on_every_page(reports_dir: Path):
    draft = checks.page_texts(render(reports_dir, ctx=context(rows=40, draft=True)))
    final = checks.page_texts(render(reports_dir, ctx=context(rows=40)))
    assert len(draft) == len(final) >= 4
    for number, text in enumerate(draft, 1):
        assert "DRAFT" in text, f"page {number} has no watermark"
    assert not any("DRAFT" in text for text in final)


def test_the_verification_block_prints_the_code_the_address_and_the_qr_code(
    reports_dir: Path, requested: list[str]
):
    last = checks.page_texts(render(reports_dir))[-1]
    assert "QAR-7K3M-9XQ2" in last and "https://qa.example.org/verify/QAR-7K3M-9XQ2" in last
    assert pdf.data_uri(QR_SVG) in requested  # the QR code, drawn from its data: URI


def test_a_hundred_long_rows_stay_inside_the_page(reports_dir: Path):
    data = render(reports_dir, ctx=context(rows=100, long_texts=True))
    assert len(checks.reader(data).pages) > 10
    # 10 mm from every edge: the header and footer sit in the margins, the body inside them.
    assert checks.text_outside_page(data, inset_pt=28) == []
    printed = re.sub(r"[\s\u2010-]", "", "".join(checks.page_texts(data)))
    assert printed.count(LONG_WORD) >= 100


def test_the_overflow_check_finds_text_beyond_the_page(reports_dir: Path):
    data = render(reports_dir, "engine-overflow")
    outside = checks.text_outside_page(data)
    assert outside and all(word.page == 2 for word in outside)


def test_pages_render_to_pictures_with_ink(archival: tuple[bytes, bytes]):
    from weasyprint import HTML

    data, _payload = archival
    checks.assert_pages_not_blank(data)
    png = checks.page_png(data, 2, dpi=30)
    assert Image.open(io.BytesIO(png)).size[0] > 200
    blank = HTML(string="<p></p>").write_pdf()
    assert checks.ink_ratio(checks.page_png(blank, 1)) == 0


# ----- fonts -----------------------------------------------------------------------------------


def test_the_bundled_font_prints_latin_greek_and_cyrillic(archival: tuple[bytes, bytes]):
    data, _payload = archival
    assert checks.font_names(data) == {"QA-Portal-Sans", "QA-Portal-Sans-Bold"}
    assert "Ελληνικά · Кириллица · Žluťoučký kůň · Łódź" in checks.page_texts(data)[0]
    fonts = REPORTS_DIR / "_shared" / "fonts"
    assert {p.name for p in fonts.glob("*.ttf")} == {
        "NotoSans-Regular.ttf",
        "NotoSans-Bold.ttf",
        "NotoSans-Italic.ttf",
    }
    assert "SIL OPEN FONT LICENSE" in (fonts / "OFL.txt").read_text(encoding="utf-8")


def test_the_feedback_summary_uses_the_bundled_font():
    folder = REPORTS_DIR / "feedback-summary"
    assert "DejaVu" not in (folder / "print.css").read_text(encoding="utf-8")
    assert '{% extends "_shared/base.html" %}' in (folder / "summary.html").read_text("utf-8")


# ----- fetching --------------------------------------------------------------------------------


@pytest.fixture
def requested(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every URL WeasyPrint asks the renderer's fetcher for."""
    urls: list[str] = []
    real = pdf.local_only_fetcher

    def spying(root: Path, allowed_files: Any = ()) -> Any:
        fetcher = real(root, allowed_files)
        fetch = fetcher.fetch

        def recording(url: str, headers: Any = None) -> Any:
            urls.append(url)
            return fetch(url, headers)

        fetcher.fetch = recording
        return fetcher

    monkeypatch.setattr(pdf, "local_only_fetcher", spying)
    return urls


def test_hostile_text_prints_as_text_and_fetches_nothing(reports_dir: Path, requested: list[str]):
    data = render(reports_dir)
    summary = checks.page_texts(data)[2]
    for text in HOSTILE:
        assert text in summary
    assert any(url.endswith("NotoSans-Regular.ttf") for url in requested)  # the spy sees
    for url in requested:
        assert "passwd" not in url and "x.invalid" not in url and "alert" not in url, url


def test_the_fetcher_refuses_and_logs_what_is_not_allowed(
    reports_dir: Path, requested: list[str], caplog: pytest.LogCaptureFixture, tmp_path: Path
):
    logo = tmp_path / "logo.png"
    Image.new("RGB", (40, 20), (20, 60, 160)).save(logo)
    (tmp_path / "secret.txt").write_text("not for reports", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="qaportal.reporting.pdf"):
        data = render(reports_dir, "engine-leaky", logo=logo)
    refused = " ".join(r.getMessage() for r in caplog.records if "refusing" in r.getMessage())
    assert "example.invalid" in refused
    assert "/etc/hostname" in refused
    assert "/etc/passwd" in refused
    assert logo.as_uri() in requested and str(logo) not in refused
    assert "Refused resources" in checks.page_texts(data)[1]

    root = reports_dir
    assert pdf._refusal(root, (root / "_shared" / "fonts" / "OFL.txt").as_uri()) is None
    assert pdf._refusal(root, "data:text/plain;base64,eA==") is None
    assert pdf._refusal(root, logo.as_uri(), [logo]) is None
    assert pdf._refusal(root, (tmp_path / "secret.txt").as_uri(), [logo])
    assert pdf._refusal(root, (root / ".." / "secret.txt").as_uri())
    assert pdf._refusal(root, "file://otherhost" + str(root / "_shared" / "print.css"))
    assert pdf._refusal(root, "http://localhost/reports/_shared/print.css")


# ----- isolation -------------------------------------------------------------------------------


def request(**changes: Any) -> pdf.RenderRequest:
    values: dict[str, Any] = {
        "name": "engine-test",
        "context": context(rows=12),
        "info": pdf.DocumentInfo("Rapport", AGENCY, "Cas QA-2026-0001", "fr"),
        "locale": "fr",
    }
    return pdf.RenderRequest(**{**values, **changes})


def test_the_isolated_child_prints_what_the_web_process_prints(reports_dir: Path):
    req = request()
    in_process = pdf.render_request(req, reports_dir=reports_dir)
    in_child, stats = isolated.render_in_child(req, reports_dir=reports_dir)
    assert checks.page_texts(in_child) == checks.page_texts(in_process)
    assert "Critère" in " ".join(checks.page_texts(in_child))  # from the French catalogue
    assert checks.pdfa_identification(in_child) == ("3", "A")
    assert checks.language(in_child) == "fr"
    assert stats.pages == len(checks.reader(in_child).pages)
    assert 0 < stats.max_rss_mb < 1024


def test_an_isolated_rendering_that_takes_too_long_is_stopped(reports_dir: Path):
    started = time.monotonic()
    with pytest.raises(pdf.RenderTimeout, match=r"longer than 0\.3 s"):
        isolated.render_in_child(request(), timeout_s=0.3, reports_dir=reports_dir)
    assert time.monotonic() - started < 10


def test_an_isolated_rendering_that_needs_too_much_memory_fails_clearly(reports_dir: Path):
    with pytest.raises(pdf.RenderTooBig, match="more than the 64 MB"):
        isolated.render_in_child(request(), memory_mb=64, reports_dir=reports_dir)


def test_an_isolated_rendering_of_a_missing_report_is_a_report_error():
    with pytest.raises(pdf.ReportError, match="no report 'no-such-report'") as caught:
        pdf.render_isolated(request(name="no-such-report"))
    assert not isinstance(caught.value, pdf.RenderTimeout | pdf.RenderTooBig)


def test_a_changed_template_is_printed_despite_the_compiled_templates_kept(tmp_path: Path):
    """Children keep compiled templates between renderings (Jinja's bytecode cache); an edit
    to a template must still show in the next rendering."""
    report = tmp_path / "engine-cached"
    report.mkdir()
    (report / "report.toml").write_text('template = "report.html"\n', encoding="utf-8")
    source = report / "report.html"
    plain = pdf.RenderRequest("engine-cached", {"word": "Alpha"}, None)  # type: ignore[arg-type]
    for text in ("First edition of {{ word }}", "Second edition of {{ word }}"):
        source.write_text(f"<!doctype html><html><body><p>{text}</p></body></html>", "utf-8")
        data, _stats = isolated.render_in_child(plain, reports_dir=tmp_path)
        expected = text.replace("{{ word }}", "Alpha")
        assert checks.page_texts(data)[0].strip() == expected
    cache = pdf._bytecode_cache()
    assert cache is not None
    assert list(Path(cache.directory).glob("qaportal-report-*.cache"))
