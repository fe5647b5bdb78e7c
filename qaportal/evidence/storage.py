"""Where evidence files live: one small interface, a local folder by default.

Files are stored under a key the server makes from their SHA-256, sharded into
sub-folders (``sha256/ab/cd/abcd…``), never under the name a client sent. The local
folder is ``UPLOAD_FOLDER`` (the instance folder by default, outside the web root). An
S3-compatible store can replace :class:`LocalStorage` by implementing :class:`Storage`.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import Flask, current_app

_KEY_RE = re.compile(r"^sha256/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}$")


def key_for(sha256: str) -> str:
    return f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"


class Storage(Protocol):
    def incoming(self) -> tuple[BinaryIO, Path]:
        """A new temporary file to receive an upload (deleted by the caller or by ``put``)."""

    def put(self, key: str, source: Path) -> bool:
        """Move ``source`` in under ``key``; False (and ``source`` removed) if already stored."""

    def exists(self, key: str) -> bool: ...

    def open(self, key: str) -> BinaryIO: ...

    def delete(self, key: str) -> None: ...


class LocalStorage:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()
        self.tmp = self.root / ".incoming"

    def _path(self, key: str) -> Path:
        if not _KEY_RE.match(key):
            raise ValueError(f"not a storage key: {key!r}")
        return self.root / key

    def incoming(self) -> tuple[BinaryIO, Path]:
        self.tmp.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.tmp, prefix="upload-")
        return os.fdopen(fd, "w+b"), Path(name)

    def put(self, key: str, source: Path) -> bool:
        target = self._path(key)
        if target.exists():
            source.unlink(missing_ok=True)
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(source, 0o640)
        os.replace(source, target)  # atomic within one file system
        return True

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def get_storage(app: Flask | None = None) -> Storage:
    app = app or current_app
    storage = app.extensions.get("qaportal.evidence_storage")
    if storage is None:
        storage = LocalStorage(Path(app.config["UPLOAD_FOLDER"]) / "evidence")
        app.extensions["qaportal.evidence_storage"] = storage
    return storage
