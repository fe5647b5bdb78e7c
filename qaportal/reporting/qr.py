"""The QR code printed in a published report: the address of its verification page.

segno writes the symbol as SVG without any image library; the report embeds the markup as
it is, so it stays vector-sharp at any print size.
"""

from __future__ import annotations

import io

import segno
from flask_babel import gettext as _

# Medium error correction survives a stain or a fold on paper and keeps the symbol small.
ERROR_LEVEL = "m"
QUIET_ZONE = 4  # modules of white border the QR standard asks for


def qr_code(url: str) -> segno.QRCode:
    # Never a Micro QR: phone cameras read only the full-size symbols reliably.
    return segno.make(url, error=ERROR_LEVEL, micro=False)


def qr_svg(url: str, *, scale: int = 4) -> str:
    """SVG markup of the QR code of ``url``, with a title for screen readers."""
    buffer = io.BytesIO()
    qr_code(url).save(
        buffer,
        kind="svg",
        xmldecl=False,
        svgns=True,
        nl=False,
        border=QUIET_ZONE,
        scale=scale,
        title=_("Verification address: %(url)s", url=url),
    )
    return buffer.getvalue().decode("utf-8")
