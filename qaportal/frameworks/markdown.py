"""Markdown written by users (narratives, comments) as sanitised HTML.

Markdown → HTML (Python-Markdown, raw HTML shown as text) → ``nh3.clean`` with a tight
allow-list, kept as a second line of defence: no scripts, no
event handlers, no styles, no images, links only to http(s) and mailto, every link with
``rel="noopener noreferrer"``. Headings are moved down two levels (``#`` becomes ``<h3>``) so
that a narrative never competes with the page's own headings.
"""

from __future__ import annotations

import re
import threading

import markdown
import nh3

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "strong",
        "em",
        "b",
        "i",
        "del",
        "sub",
        "sup",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer"
EXTENSIONS = ["sane_lists", "tables", "fenced_code", "nl2br"]

_HEADING = re.compile(r"<(/?)h([1-6])(?=[\s>/])", re.IGNORECASE)


def _shift_headings(html: str) -> str:
    return _HEADING.sub(lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + 2, 6)}", html)


def sanitise_html(html: str) -> str:
    """Clean HTML with the allow-list (for HTML that did not come from ``render_markdown``)."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def _converter() -> markdown.Markdown:
    """Markdown without raw HTML: what a writer types between angle brackets is shown as
    they typed it. Passed through, it was stripped by the sanitiser instead, and an
    unclosed ``<svg`` took every word after it off the page."""
    converter = markdown.Markdown(extensions=EXTENSIONS, output_format="html")
    converter.preprocessors.deregister("html_block")
    converter.inlinePatterns.deregister("html")
    return converter


# One converter per thread, reset before each text: building one (its extensions, their
# patterns) cost more than converting a page of text, and a converter is not thread-safe.
_CONVERTERS = threading.local()


def _reset_converter() -> markdown.Markdown:
    converter: markdown.Markdown | None = getattr(_CONVERTERS, "converter", None)
    if converter is None:
        converter = _CONVERTERS.converter = _converter()
    return converter.reset()


def render_markdown(text: str | None) -> str:
    """Markdown as sanitised HTML, safe to insert into a page (wrap it in ``Markup``)."""
    if not text or not text.strip():
        return ""
    html = _reset_converter().convert(text)
    return sanitise_html(_shift_headings(html))
