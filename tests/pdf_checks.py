"""Reading a rendered PDF back in tests: metadata, PDF/A identification, tagging, associated
files, fonts, text per page, text that leaves the page, and pages as pictures.

Uses pypdf and Debian's poppler-utils (``pdftotext``, ``pdftoppm``; tests/run.sh installs
them). Shared by the engine's and the documents' tests.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PDFAID = "http://www.aiim.org/pdfa/ns/id/"
DC = "http://purl.org/dc/elements/1.1/"


def reader(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data))


def page_texts(data: bytes) -> list[str]:
    """Each page's text (pypdf), whitespace collapsed so phrases can be searched for."""
    return [re.sub(r"\s+", " ", page.extract_text() or "") for page in reader(data).pages]


def xmp(data: bytes) -> ET.Element:
    """The document's XMP packet, parsed (an empty element when it has none)."""
    metadata = reader(data).trailer["/Root"].get("/Metadata")
    if metadata is None:
        return ET.Element("none")
    return ET.fromstring(metadata.get_object().get_data())  # noqa: S314 - our own test output


def pdfa_identification(data: bytes) -> tuple[str | None, str | None]:
    """(part, conformance) of the XMP's PDF/A identification, e.g. ("3", "A")."""
    part = conformance = None
    for description in xmp(data).iter(f"{{{RDF}}}Description"):
        part = description.get(f"{{{PDFAID}}}part") or part
        conformance = description.get(f"{{{PDFAID}}}conformance") or conformance
        for child in description:
            if child.tag == f"{{{PDFAID}}}part":
                part = child.text
            elif child.tag == f"{{{PDFAID}}}conformance":
                conformance = child.text
    return part, conformance


def xmp_values(data: bytes, dc_name: str) -> list[str]:
    """The texts of a Dublin Core property of the XMP (title, creator, description, language)."""
    return [
        li.text or ""
        for element in xmp(data).iter(f"{{{DC}}}{dc_name}")
        for li in element.iter(f"{{{RDF}}}li")
    ]


def is_tagged(data: bytes) -> bool:
    """Marked as tagged, with a structure tree that has content."""
    root = reader(data).trailer["/Root"]
    mark_info = root.get("/MarkInfo")
    tree = root.get("/StructTreeRoot")
    return bool(mark_info and mark_info.get("/Marked") and tree and tree.get_object().get("/K"))


def language(data: bytes) -> str | None:
    lang = reader(data).trailer["/Root"].get("/Lang")
    return str(lang) if lang is not None else None


@dataclass(frozen=True)
class AssociatedFile:
    name: str
    data: bytes
    mime_type: str
    relationship: str


def associated_files(data: bytes) -> dict[str, AssociatedFile]:
    """The catalogue's /AF entries (PDF/A-3 associated files), by file name."""
    root = reader(data).trailer["/Root"]
    found = {}
    for ref in root.get("/AF", []):
        spec = ref.get_object()
        stream = spec["/EF"]["/F"].get_object()
        name = str(spec.get("/UF") or spec["/F"])
        found[name] = AssociatedFile(
            name=name,
            data=stream.get_data(),
            mime_type=str(stream.get("/Subtype", "")).lstrip("/").replace("#2f", "/"),
            relationship=str(spec.get("/AFRelationship", "")).lstrip("/"),
        )
    return found


def embedded_files(data: bytes) -> dict[str, bytes]:
    """The /EmbeddedFiles name tree, by name (what a PDF reader lists as attachments)."""
    return {name: contents[0] for name, contents in reader(data).attachments.items()}


def font_names(data: bytes) -> set[str]:
    """The base names of the fonts used on any page, without the subset prefix."""
    names = set()
    for page in reader(data).pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for ref in fonts.values():
            base = str(ref.get_object().get("/BaseFont", ""))
            names.add(re.sub(r"^/([A-Z]{6}\+)?", "", base))
    return names


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} (poppler-utils) is not installed; tests/run.sh installs it")
    return path


@dataclass(frozen=True)
class Word:
    page: int  # 1-based
    text: str
    x_min: float
    y_min: float
    x_max: float
    y_max: float


@dataclass(frozen=True)
class PageWords:
    number: int
    width: float
    height: float
    words: list[Word]


def words_with_boxes(data: bytes) -> list[PageWords]:
    """Every word of every page with its box in points, top-left origin (``pdftotext -bbox``)."""
    tool = _require("pdftotext")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "doc.pdf"
        source.write_bytes(data)
        html = subprocess.run(
            [tool, "-bbox", str(source), "-"], capture_output=True, check=True, timeout=120
        ).stdout.decode("utf-8")
    pages = []
    for number, page in enumerate(re.finditer(r"<page (.*?)>(.*?)</page>", html, re.S), 1):
        size = dict(re.findall(r'(\w+)="([\d.]+)"', page.group(1)))
        words = [
            Word(number, _unescape(text), *map(float, (x0, y0, x1, y1)))
            for x0, y0, x1, y1, text in re.findall(
                r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">'
                r"(.*?)</word>",
                page.group(2),
            )
        ]
        pages.append(PageWords(number, float(size["width"]), float(size["height"]), words))
    return pages


def _unescape(text: str) -> str:
    return (
        text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&amp;", "&")
    )


def text_outside_page(
    data: bytes, *, inset_pt: float = 0.0, tolerance_pt: float = 0.5, ignore: Collection[str] = ()
) -> list[Word]:
    """The words that leave the page box shrunk by ``inset_pt`` on every side (0: the page
    itself; the page margin: the content area plus header and footer when they sit in the
    margin, so pass the smaller of the two). Words in ``ignore`` (e.g. the letters of a
    rotated watermark) are skipped. Also catches a text run that starts off the page,
    which ``pdftotext`` drops from its word list."""
    outside = []
    for page in words_with_boxes(data):
        left, top = inset_pt - tolerance_pt, inset_pt - tolerance_pt
        right = page.width - inset_pt + tolerance_pt
        bottom = page.height - inset_pt + tolerance_pt
        for word in page.words:
            if word.text in ignore:
                continue
            if word.x_min < left or word.y_min < top or word.x_max > right or word.y_max > bottom:
                outside.append(word)
    for number, page in enumerate(reader(data).pages, 1):
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        for x, y, text in _run_origins(page):
            inside_x = -tolerance_pt <= x <= width + tolerance_pt
            inside_y = -tolerance_pt <= y <= height + tolerance_pt
            if not (inside_x and inside_y) and text not in ignore:
                outside.append(Word(number, text, x, height - y, x, height - y))
    return outside


def _run_origins(page: Any) -> list[tuple[float, float, str]]:
    """Where each text run of ``page`` starts, in PDF user space (pypdf's text visitor)."""
    origins = []

    def visit(text: str, cm: Any, tm: Any, _font: Any, _size: Any) -> None:
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            origins.append((x, y, text.strip()))

    page.extract_text(visitor_text=visit)
    return origins


def page_png(data: bytes, page: int, *, dpi: int = 40, gray: bool = True) -> bytes:
    """Page ``page`` (1-based) as a PNG rendered by ``pdftoppm``."""
    tool = _require("pdftoppm")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "doc.pdf"
        source.write_bytes(data)
        args = [tool, "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile"]
        if gray:
            args.append("-gray")
        subprocess.run([*args, str(source), str(Path(folder) / "page")], check=True, timeout=120)
        return (Path(folder) / "page.png").read_bytes()


def ink_ratio(png: bytes, *, threshold: int = 200) -> float:
    """The share of pixels darker than ``threshold`` (0-255): 0.0 is a blank page."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("L")
    histogram = image.histogram()
    dark = sum(histogram[:threshold])
    return dark / (image.width * image.height)


def assert_pages_not_blank(data: bytes, *, min_ink: float = 0.002) -> None:
    """Every page renders to a picture with some ink on it."""
    for number in range(1, len(reader(data).pages) + 1):
        ratio = ink_ratio(page_png(data, number))
        assert ratio >= min_ink, f"page {number} is blank (ink {ratio:.4f})"
