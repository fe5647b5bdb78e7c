"""Deciding what an uploaded file is from its content, never from its name.

Accepted: PDF, PNG and JPEG (by their magic bytes and trailers), Word (DOCX), Excel (XLSX)
and OpenDocument text/spreadsheet (ODT/ODS) by their inner ZIP structure, and CSV/TXT when
the bytes decode as UTF-8 text without NUL bytes. ZIP-based files pass a zip-bomb guard
(entry count, total uncompressed size, compression ratio) and are read through once so a
corrupt archive (bad CRC, truncated) is refused.

The client's file name only matters in two ways: a known extension that contradicts the
content (``setup.exe`` renamed ``report.pdf``; a PNG named ``.pdf``) is refused, and it tells
CSV from plain text. A name is sanitised for display by :func:`display_name`.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask_babel import lazy_gettext as _l

CHUNK = 64 * 1024


class Rejected(Exception):
    """The upload is refused; ``message`` is shown at the file field."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FileType:
    key: str
    media_type: str
    extension: str
    label: str


TYPES = {
    "pdf": FileType("pdf", "application/pdf", "pdf", "PDF"),
    "png": FileType("png", "image/png", "png", "PNG"),
    "jpeg": FileType("jpeg", "image/jpeg", "jpg", "JPEG"),
    "docx": FileType(
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
        "Word (DOCX)",
    ),
    "xlsx": FileType(
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
        "Excel (XLSX)",
    ),
    "odt": FileType("odt", "application/vnd.oasis.opendocument.text", "odt", "OpenDocument text"),
    "ods": FileType(
        "ods",
        "application/vnd.oasis.opendocument.spreadsheet",
        "ods",
        "OpenDocument spreadsheet",
    ),
    "csv": FileType("csv", "text/csv; charset=utf-8", "csv", "CSV"),
    "txt": FileType("txt", "text/plain; charset=utf-8", "txt", "text"),
}

# Extensions a client name may carry, and the type each one claims.
EXTENSIONS = {
    "pdf": "pdf",
    "png": "png",
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "jpe": "jpeg",
    "docx": "docx",
    "xlsx": "xlsx",
    "odt": "odt",
    "ods": "ods",
    "csv": "csv",
    "txt": "txt",
    "text": "txt",
    "md": "txt",
}
# Types a name may claim for text content (text is text, whatever its flavour).
_TEXT = {"csv", "txt"}

ACCEPTED_LABEL = "PDF, DOCX, XLSX, ODT, ODS, PNG, JPEG, CSV, TXT"


@dataclass(frozen=True)
class ZipLimits:
    max_entries: int = 1000
    max_total_uncompressed: int = 200 * 1024 * 1024
    max_ratio: int = 100
    ratio_floor: int = 1024 * 1024  # entries smaller than this are not ratio-checked


def extension_of(filename: str) -> str:
    name = display_name(filename)
    return name.rsplit(".", 1)[1].lower() if "." in name else ""


_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def display_name(filename: str | None, max_length: int = 200) -> str:
    """A client's file name made safe to show: last path segment only, no control characters,
    no leading dots; never used to store or find the file."""
    name = unicodedata.normalize("NFC", filename or "")
    name = re.split(r"[\\/]", name)[-1]
    name = _CONTROL_RE.sub("", name)
    name = " ".join(name.split()).lstrip(". ")
    if len(name) > max_length:
        stem, dot, ext = name.rpartition(".")
        name = (
            (stem[: max_length - len(ext) - 1] + dot + ext)
            if dot and len(ext) < 10
            else name[:max_length]
        )
    return name


def _sniff_magic(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    return None


def _tail(path: Path, size: int) -> bytes:
    with path.open("rb") as fh:
        fh.seek(0, 2)
        length = fh.tell()
        fh.seek(max(0, length - size))
        return fh.read()


def _check_pdf(path: Path) -> None:
    if b"%%EOF" not in _tail(path, 2048):
        raise Rejected(str(_l("The PDF is incomplete or damaged (no end-of-file marker).")))


def _check_png(path: Path) -> None:
    with path.open("rb") as fh:
        head = fh.read(16)
    if head[12:16] != b"IHDR" or _tail(path, 12)[4:8] != b"IEND":
        raise Rejected(str(_l("The PNG image is incomplete or damaged.")))


def _check_jpeg(path: Path) -> None:
    if b"\xff\xd9" not in _tail(path, 1024):
        raise Rejected(str(_l("The JPEG image is incomplete or damaged.")))


def _corrupt_office() -> Rejected:
    return Rejected(
        str(_l("The office file is damaged: its inner ZIP structure could not be read."))
    )


def _check_zip(path: Path, limits: ZipLimits) -> str:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _corrupt_office() from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_entries:
            raise Rejected(
                str(
                    _l(
                        "The office file holds too many parts (%(n)d; at most %(max)d).",
                        n=len(infos),
                        max=limits.max_entries,
                    )
                )
            )
        declared = sum(i.file_size for i in infos)
        compressed = sum(i.compress_size for i in infos) or 1
        bomb = Rejected(
            str(
                _l(
                    "The office file expands to far more than its size (a “zip bomb”) "
                    "and was refused."
                )
            )
        )
        if declared > limits.max_total_uncompressed:
            raise bomb
        for info in infos:
            if info.file_size > limits.ratio_floor and (
                info.file_size / max(info.compress_size, 1) > limits.max_ratio
            ):
                raise bomb
        if declared > limits.ratio_floor and declared / compressed > limits.max_ratio:
            raise bomb
        names = {i.filename for i in infos}
        # Read everything once, counting real bytes: sizes in the directory can lie,
        # and reading to the end verifies every CRC.
        total = 0
        try:
            for info in infos:
                if info.is_dir():
                    continue
                with archive.open(info) as member:
                    while chunk := member.read(CHUNK):
                        total += len(chunk)
                        if total > limits.max_total_uncompressed:
                            raise bomb
            mimetype = archive.read("mimetype") if "mimetype" in names else None
            content_types = (
                archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else None
            )
        except Rejected:
            raise
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            raise _corrupt_office() from exc
    if mimetype is not None:
        value = mimetype.strip()
        if value == b"application/vnd.oasis.opendocument.text" and "content.xml" in names:
            return "odt"
        if value == b"application/vnd.oasis.opendocument.spreadsheet" and "content.xml" in names:
            return "ods"
    if content_types is not None:
        if b"macroEnabled" in content_types:
            raise Rejected(str(_l("Office files with macros are not accepted.")))
        if "word/document.xml" in names and any(n.startswith("word/") for n in names):
            return "docx"
        if "xl/workbook.xml" in names and any(n.startswith("xl/") for n in names):
            return "xlsx"
    raise Rejected(
        str(
            _l(
                "This ZIP archive is not a Word, Excel or OpenDocument file. Accepted types: "
                "%(types)s.",
                types=ACCEPTED_LABEL,
            )
        )
    )


def _is_utf8_text(path: Path) -> bool:
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            if b"\x00" in chunk:
                return False
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return False
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def identify(path: Path, filename: str, limits: ZipLimits | None = None) -> FileType:
    """The type of the file at ``path`` or :class:`Rejected` with a message for the user."""
    limits = limits or ZipLimits()
    with path.open("rb") as fh:
        head = fh.read(16)
    if not head:
        raise Rejected(str(_l("The file is empty.")))
    kind = _sniff_magic(head)
    claimed = EXTENSIONS.get(extension_of(filename))
    if kind == "pdf":
        _check_pdf(path)
    elif kind == "png":
        _check_png(path)
    elif kind == "jpeg":
        _check_jpeg(path)
    elif kind == "zip":
        kind = _check_zip(path, limits)
    elif _is_utf8_text(path):
        kind = "csv" if claimed == "csv" else "txt"
    else:
        raise Rejected(
            str(
                _l(
                    "The content of this file is not of an accepted type (%(types)s), "
                    "whatever its name says.",
                    types=ACCEPTED_LABEL,
                )
            )
        )
    if claimed and claimed != kind and not (claimed in _TEXT and kind in _TEXT):
        raise Rejected(
            str(
                _l(
                    "The file name says .%(ext)s but the content is %(actual)s; "
                    "rename it or upload the right file.",
                    ext=extension_of(filename),
                    actual=TYPES[kind].label,
                )
            )
        )
    return TYPES[kind]
