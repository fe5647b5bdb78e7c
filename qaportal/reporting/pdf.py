"""Render a printed document of ``reports/`` to PDF.

Each report is a folder of ``reports/`` with a ``report.toml`` (title, template, css) beside
its HTML template and print CSS; most extend the shared layout ``reports/_shared/base.html``
(cover, contents, running header, "Page X of Y", bundled fonts). The template is rendered by
a Jinja environment of its own (autoescaped, the compiled catalogues of
``qaportal/translations`` for the requested locale, and the web templates' shared partials
as a fallback so a figure is written once), then by WeasyPrint.

WeasyPrint may read files under ``reports/``, the agency's logo file and ``data:`` URIs;
anything else (the network, other files) is refused and logged, so text of a case that
reaches a template can never make the renderer fetch something.

With :class:`DocumentInfo` the output is PDF/A-3a: tagged (readable by screen readers),
title, author, subject, keywords and language in the document information and the XMP,
machine-readable files embedded as PDF/A-3 associated files. :func:`render_isolated` runs
the same rendering in a child process with a memory and a time limit
(:mod:`qaportal.reporting.isolated`).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import logging
import tomllib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from babel.support import NullTranslations, Translations
from jinja2 import (
    BytecodeCache,
    ChoiceLoader,
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    select_autoescape,
)

from qaportal.paths import PACKAGE_DIR, REPORTS_DIR, TEMPLATES_DIR

LOGGER = logging.getLogger(__name__)
TRANSLATIONS_DIR = PACKAGE_DIR / "translations"
PDF_VARIANT = "pdf/a-3a"


class ReportError(RuntimeError):
    """A report's sources are missing or malformed, or it asked for a forbidden resource."""


class RenderTimeout(ReportError):
    """The isolated renderer did not finish within its time limit and was killed."""


class RenderTooBig(ReportError):
    """The isolated renderer ran out of the memory it was allowed."""


@dataclass(frozen=True)
class DocumentInfo:
    """The PDF's document information and XMP metadata."""

    title: str
    author: str  # the agency's name
    subject: str
    language: str  # BCP 47, e.g. "en", "fr"
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class EmbeddedFile:
    """A PDF/A-3 associated file (e.g. the machine-readable report as JSON)."""

    name: str
    data: bytes
    mime_type: str = "application/json"
    description: str = ""
    relationship: str = "Data"  # /AFRelationship: Data, Source, Alternative, Supplement


@dataclass(frozen=True)
class RenderRequest:
    """Everything needed to render a document, as plain (picklable) data."""

    name: str  # folder of reports/, e.g. "accreditation-report"
    context: dict[str, Any]
    info: DocumentInfo
    locale: str = "en"
    attachments: tuple[EmbeddedFile, ...] = ()
    logo: Path | None = None  # the one file outside reports/ the fetcher may read


@dataclass(frozen=True)
class ReportSource:
    name: str
    folder: Path
    title: str
    template: str
    css: tuple[str, ...]


def load_report(name: str, reports_dir: Path = REPORTS_DIR) -> ReportSource:
    folder = (reports_dir / name).resolve()
    if folder.parent != reports_dir.resolve() or not (folder / "report.toml").is_file():
        raise ReportError(f"no report {name!r} in {reports_dir}")
    meta = tomllib.loads((folder / "report.toml").read_text(encoding="utf-8"))
    css = meta.get("css", [])
    return ReportSource(
        name=name,
        folder=folder,
        title=str(meta.get("title", name)),
        template=str(meta.get("template", "report.html")),
        css=tuple([css] if isinstance(css, str) else css),
    )


# ----- HTML ------------------------------------------------------------------------------------


@functools.cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalogue of ``locale``; the same in the web process and in the isolated
    child, which has no Flask application (so the two renderings print the same words)."""
    return Translations.load(str(TRANSLATIONS_DIR), [locale], domain="messages")


@functools.cache
def _bytecode_cache() -> BytecodeCache | None:
    """Compiled templates kept between processes: each isolated child is a fresh process,
    and compiling a report's templates took one 0.15 s (6 % of a short report). Jinja checks
    each entry against its template's source, in a directory only this user may write."""
    try:
        return FileSystemBytecodeCache(pattern="qaportal-report-%s.cache")
    except (OSError, RuntimeError) as exc:  # no private temporary directory: compile each time
        LOGGER.warning("report templates are compiled afresh each time: %s", exc)
        return None


@functools.cache
def _environment(reports_dir: Path, locale: str) -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(reports_dir), FileSystemLoader(TEMPLATES_DIR)]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        bytecode_cache=_bytecode_cache(),
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.filters["data_uri"] = data_uri
    return env


def data_uri(content: str | bytes, mime_type: str = "image/svg+xml") -> str:
    """``content`` as a ``data:`` URI, e.g. a QR code's SVG for an ``<img>``: the one kind of
    URL the fetcher serves without a file."""
    raw = content.encode("utf-8") if isinstance(content, str) else content
    return f"data:{mime_type};base64,{base64.b64encode(raw).decode('ascii')}"


def _layout_context(context: dict[str, Any], locale: str, logo: Path | None) -> dict[str, Any]:
    """The variables the shared layout reads, with defaults for reports that omit them."""
    values: dict[str, Any] = {
        "agency": None,
        "running_header": "",
        "draft": False,
        "generated_at": dt.datetime.now(dt.UTC),
        "verification": None,
        **context,
    }
    values["locale"] = locale
    values["current_locale"] = lambda: locale
    values["logo_url"] = logo.resolve().as_uri() if logo else None
    return values


def render_html(
    report: ReportSource, context: dict[str, Any], locale: str = "en", *, logo: Path | None = None
) -> str:
    env = _environment(report.folder.parent, locale)
    template = env.get_template(f"{report.name}/{report.template}")
    return template.render(report=report, **_layout_context(context, locale, logo))


# ----- fetching --------------------------------------------------------------------------------


def _refusal(root: Path, url: str, allowed_files: Collection[Path] = ()) -> str | None:
    """Why ``url`` may not be read for a report (None: it may): only ``data:`` URIs, files
    under ``root`` and the ``allowed_files`` themselves."""
    parts = urlsplit(url)
    if parts.scheme == "data":
        return None
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return f"refusing to fetch {url!r}: reports read local files only"
    path = Path(unquote(parts.path)).resolve()
    if path.is_relative_to(root.resolve()) or path in {p.resolve() for p in allowed_files}:
        return None
    return f"refusing to read {path}: outside reports/ and not the agency's logo"


def local_only_fetcher(root: Path = REPORTS_DIR, allowed_files: Collection[Path] = ()) -> Any:
    """A WeasyPrint URL fetcher that serves files under ``root``, ``allowed_files`` and
    ``data:`` URIs, and refuses (and logs) the rest."""
    try:
        from weasyprint.urls import URLFetcher  # WeasyPrint 70
    except ImportError:  # pragma: no cover - WeasyPrint 69: a plain function
        from weasyprint import default_url_fetcher

        def fetch(url: str, *args: Any, **kwargs: Any) -> Any:
            problem = _refusal(root, url, allowed_files)
            if problem:
                LOGGER.warning(problem)
                raise ReportError(problem)
            return default_url_fetcher(url, *args, **kwargs)

        return fetch

    class LocalOnlyFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            problem = _refusal(root, url, allowed_files)
            if problem:
                LOGGER.warning(problem)
                raise ReportError(problem)
            return super().fetch(url, headers)

    return LocalOnlyFetcher(allowed_protocols={"file", "data"})


# ----- PDF -------------------------------------------------------------------------------------


def _w3c_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _archival_metadata(base: Any, info: DocumentInfo) -> Any:
    """WeasyPrint's metadata with ``info`` in it, and the language in the XMP as well
    (WeasyPrint writes it to the catalogue's /Lang only)."""
    from xml.etree.ElementTree import SubElement, fromstring, tostring

    from weasyprint.pdf.metadata import NS, DocumentMetadata

    class ArchivalMetadata(DocumentMetadata):  # type: ignore[misc]
        def generate_rdf_metadata(self, variant: str, version: Any, conformance: Any) -> bytes:
            # WeasyPrint's own XML, not input from anyone.
            own = super().generate_rdf_metadata(variant, version, conformance)
            rdf = fromstring(own)  # noqa: S314
            rdf_ns, dc_ns = NS["rdf"], NS["dc"]
            description = SubElement(rdf, f"{{{rdf_ns}}}Description")
            description.attrib[f"{{{rdf_ns}}}about"] = ""
            bag = SubElement(SubElement(description, f"{{{dc_ns}}}language"), f"{{{rdf_ns}}}Bag")
            SubElement(bag, f"{{{rdf_ns}}}li").text = self.lang
            return tostring(rdf, encoding="utf-8")

    now = _w3c_now()
    return ArchivalMetadata(
        title=info.title,
        authors=[info.author],
        description=info.subject,
        keywords=list(info.keywords),
        generator=base.generator or "qaportal",
        created=now,
        modified=now,
        lang=info.language,
    )


def _write_pdf(
    html: str,
    report: ReportSource,
    *,
    info: DocumentInfo | None,
    attachments: Sequence[EmbeddedFile],
    logo: Path | None,
    reports_dir: Path,
) -> tuple[bytes, int]:
    """The PDF and its page count."""
    from weasyprint import CSS, HTML, Attachment

    fetcher = local_only_fetcher(reports_dir, [logo] if logo else [])
    base_url = report.folder.as_uri() + "/"
    sheets = [
        CSS(filename=str(report.folder / css), base_url=base_url, url_fetcher=fetcher)
        for css in report.css
    ]
    options: dict[str, Any] = {"stylesheets": sheets}
    if info is not None:
        options["pdf_variant"] = PDF_VARIANT
    document = HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(**options)
    if info is not None:
        document.metadata = _archival_metadata(document.metadata, info)
    # A data: URI carries each file's declared MIME type, which PDF/A-3 records for every
    # associated file (bytes given as a string would be typed by a guess from the name).
    files = [
        Attachment(
            url=data_uri(item.data, item.mime_type),
            url_fetcher=fetcher,
            name=item.name,
            description=item.description or item.name,
            relationship=item.relationship,
        )
        for item in attachments
    ]
    finisher = _unique_associated_files if files else None
    data = bytes(document.write_pdf(attachments=files or None, finisher=finisher, **options))
    return data, len(document.pages)


def _unique_associated_files(_document: Any, pdf: Any) -> None:
    """WeasyPrint 70 lists each associated file twice in the catalogue's /AF (once from the
    /EmbeddedFiles names, once as a file specification); PDF/A-3 wants each once."""
    associated = pdf.catalog.get("AF")
    if associated:
        unique = list(dict.fromkeys(associated))
        associated.clear()
        associated.extend(unique)


def render_pdf(
    name: str,
    context: dict[str, Any],
    locale: str = "en",
    *,
    info: DocumentInfo | None = None,
    attachments: Sequence[EmbeddedFile] = (),
    logo: Path | None = None,
    reports_dir: Path = REPORTS_DIR,
) -> bytes:
    """The report ``name`` of ``reports/`` rendered with ``context``, as PDF bytes: PDF/A-3a
    with ``info`` (and ``attachments`` as associated files), a plain PDF without.
    ``reports_dir`` stands in for ``reports/`` (tests and benchmarks with reports of their
    own beside a copy of ``_shared/``)."""
    report = load_report(name, reports_dir)
    html = render_html(report, context, locale, logo=logo)
    return _write_pdf(
        html,
        report,
        info=info,
        attachments=attachments,
        logo=logo,
        reports_dir=reports_dir,
    )[0]


def render_request(request: RenderRequest, *, reports_dir: Path = REPORTS_DIR) -> bytes:
    return render_request_counted(request, reports_dir=reports_dir)[0]


def render_request_counted(
    request: RenderRequest, *, reports_dir: Path = REPORTS_DIR
) -> tuple[bytes, int]:
    """:func:`render_request` and the number of pages (for the isolated child's figures)."""
    report = load_report(request.name, reports_dir)
    html = render_html(report, request.context, request.locale, logo=request.logo)
    return _write_pdf(
        html,
        report,
        info=request.info,
        attachments=request.attachments,
        logo=request.logo,
        reports_dir=reports_dir,
    )


# ----- isolation -------------------------------------------------------------------------------


def render_isolated(
    request: RenderRequest, *, timeout_s: float = 120, memory_mb: int = 1024
) -> bytes:
    """:func:`render_request` in a child process whose address space is limited to
    ``memory_mb`` and which is killed after ``timeout_s`` seconds, so a runaway document
    cannot take the worker down with it (:mod:`qaportal.reporting.isolated`)."""
    from qaportal.reporting.isolated import render_in_child

    return render_in_child(request, timeout_s=timeout_s, memory_mb=memory_mb)[0]
