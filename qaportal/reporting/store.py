"""Where generated documents are kept: a folder of immutable files.

Each version is a new file whose name the server makes (case, kind, version and a random
part); a file, once there, is never replaced. The folder is ``REPORT_STORAGE_FOLDER``, by
default ``reports`` beside the evidence under ``UPLOAD_FOLDER`` (outside the web root and
the source tree).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO

from flask import Flask, current_app

_NAME_RE = re.compile(r"^[0-9]+/[a-z-]+/v[0-9]+-[0-9a-f]{12}\.pdf$")


class ReportStore:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def path(self, name: str) -> Path:
        if not _NAME_RE.match(name):
            raise ValueError(f"not a stored report name: {name!r}")
        return self.root / name

    def add(self, name: str, data: bytes) -> None:
        """Write ``data`` as ``name``, all or nothing; FileExistsError if ``name`` exists.

        The bytes go to a temporary file in the target's folder first and are linked in
        under their name, which fails rather than replace an existing file: a reader never
        sees half a PDF, and a version is never overwritten.
        """
        target = self.path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o440)
            os.link(temporary, target)
        finally:
            os.unlink(temporary)

    def open(self, name: str) -> BinaryIO:
        return self.path(name).open("rb")

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()


def get_store(app: Flask | None = None) -> ReportStore:
    app = app or current_app
    store = app.extensions.get("qaportal.report_store")
    if store is None:
        root = app.config.get("REPORT_STORAGE_FOLDER") or Path(app.config["UPLOAD_FOLDER"]) / (
            "reports"
        )
        store = app.extensions["qaportal.report_store"] = ReportStore(root)
    return store
