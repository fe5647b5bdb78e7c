"""Render a printed document of ``reports/`` to PDF.

Each report is a folder of ``reports/`` with a ``report.toml`` (title, template, css) beside
its HTML template and print CSS. The template is rendered by a Jinja environment of its own
(autoescaped, the portal's gettext functions, and the web templates' shared partials as a
fallback so a figure is written once), then by WeasyPrint with the report's folder as base
URL. WeasyPrint may read files of the report's folder and nothing else: no network fetches.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from qaportal.paths import REPORTS_DIR, TEMPLATES_DIR


class ReportError(RuntimeError):
    """A report's sources are missing or malformed, or it asked for a forbidden resource."""


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


@functools.cache
def _environment(reports_dir: Path) -> Environment:
    from flask_babel import gettext, ngettext, pgettext

    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(reports_dir), FileSystemLoader(TEMPLATES_DIR)]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_callables(gettext, ngettext, newstyle=True, pgettext=pgettext)  # type: ignore[attr-defined]
    return env


def render_html(report: ReportSource, context: dict[str, Any], locale: str = "en") -> str:
    env = _environment(report.folder.parent)
    template = env.get_template(f"{report.name}/{report.template}")
    return template.render(report=report, locale=locale, current_locale=lambda: locale, **context)


def _refusal(root: Path, url: str) -> str | None:
    """Why ``url`` may not be read for a report of ``root`` (None: it may)."""
    parts = urlsplit(url)
    if parts.scheme == "data":
        return None
    if parts.scheme != "file":
        return f"refusing to fetch {url!r}: reports read local files only"
    path = Path(unquote(parts.path)).resolve()
    if not path.is_relative_to(root.resolve()):
        return f"refusing to read {path}: outside the report's folder"
    return None


def local_only_fetcher(root: Path) -> Any:
    """A WeasyPrint URL fetcher that serves files under ``root`` and refuses the rest."""
    try:
        from weasyprint.urls import URLFetcher  # WeasyPrint 70
    except ImportError:  # pragma: no cover - WeasyPrint 69: a plain function
        from weasyprint import default_url_fetcher

        def fetch(url: str, *args: Any, **kwargs: Any) -> Any:
            problem = _refusal(root, url)
            if problem:
                raise ReportError(problem)
            return default_url_fetcher(url, *args, **kwargs)

        return fetch

    class LocalOnlyFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            problem = _refusal(root, url)
            if problem:
                raise ReportError(problem)
            return super().fetch(url, headers)

    return LocalOnlyFetcher(allowed_protocols={"file", "data"})


def render_pdf(name: str, context: dict[str, Any], locale: str = "en") -> bytes:
    """The report ``name`` of ``reports/`` rendered with ``context``, as PDF bytes."""
    from weasyprint import CSS, HTML

    report = load_report(name)
    html = render_html(report, context, locale)
    fetcher = local_only_fetcher(report.folder)
    base_url = report.folder.as_uri() + "/"
    stylesheets = [
        CSS(filename=str(report.folder / css), base_url=base_url, url_fetcher=fetcher)
        for css in report.css
    ]
    document = HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    return document.write_pdf(stylesheets=stylesheets)
