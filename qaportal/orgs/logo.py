"""An agency's logo, printed on the cover and running header of its documents.

PNG and JPEG only, identified by content (the evidence domain's checks), at most 1 MB: an SVG
could carry scripts and external references into the renderer, so none is accepted. The
bytes are kept by the evidence store, once per SHA-256; the organisation names them.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from qaportal.audit.services import Actor, record
from qaportal.evidence.inspection import Rejected
from qaportal.evidence.services import receive, store_file
from qaportal.evidence.storage import LocalStorage, Storage, get_storage, key_for
from qaportal.orgs.models import Organisation

LOGO_MAX_BYTES = 1024 * 1024
LOGO_KINDS = frozenset({"png", "jpeg"})
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"


class LogoRefused(Exception):
    """The upload is not an acceptable logo; the message is for the form field."""


def save_logo(
    session: Session,
    storage: Storage,
    agency: Organisation,
    stream: BinaryIO,
    filename: str | None,
    actor: Actor,
) -> None:
    """Check the upload and make it ``agency``'s logo; raise :class:`LogoRefused` before
    anything is stored. The caller commits."""
    # Sniffed first so that any other file gets this message rather than the evidence
    # domain's list of the types a case accepts.
    head = stream.read(len(_PNG_MAGIC))
    stream.seek(0)
    if not head.startswith((_PNG_MAGIC, _JPEG_MAGIC)):
        raise LogoRefused(str(_l("A logo must be a PNG or JPEG image.")))
    try:
        received = receive(storage, stream, filename, max_bytes=LOGO_MAX_BYTES)
    except Rejected as exc:
        raise LogoRefused(exc.message) from exc
    if received.type.key not in LOGO_KINDS:
        received.discard()
        raise LogoRefused(str(_l("A logo must be a PNG or JPEG image.")))
    stored = store_file(session, storage, received)
    agency.logo_sha256 = stored.sha256
    agency.logo_media_type = stored.media_type
    agency.logo_name = received.name
    record(
        session,
        actor,
        "agency.logo_changed",
        object_type="organisation",
        object_id=agency.id,
        organisation_id=agency.id,
        details={"sha256": stored.sha256, "name": received.name, "size": stored.size},
    )


def logo_path(agency: Organisation) -> Path | None:
    """The file of ``agency``'s logo for the renderer, or None (no logo, no application, or a
    store that is not on this machine's disk)."""
    if not agency.logo_sha256 or not has_app_context():
        return None
    storage = get_storage(current_app)
    if not isinstance(storage, LocalStorage):
        return None
    path = storage.root / key_for(agency.logo_sha256)
    return path if path.is_file() else None
