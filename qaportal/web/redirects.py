"""The one check for redirect targets that come from the visitor (``next=``, the language
switcher's hidden field).

A prefix test ("starts with / but not //") is not enough: browsers drop tabs and newlines
from a URL and read ``\\`` as ``/``, so ``/\\t/evil.example`` and ``/\\evil.example`` leave
the site. The target is therefore normalised the way a browser would read it and then
parsed; only a bare path on this site survives.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

# WHATWG URL parsing strips C0 controls at the ends and removes tabs and newlines anywhere,
# so a target holding any of them is refused outright (and never reaches a header).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Characters a URL may carry as they are; anything else (spaces, non-ASCII) is escaped.
_URL_SAFE = "/?&=%#;:@+,!$'()*~[]-._"


def safe_target(target: str | None, fallback: str) -> str:
    """``target`` if it is a path on this site, else ``fallback``."""
    if not target or _CONTROL.search(target):
        return fallback
    normalised = target.replace("\\", "/")
    if not normalised.startswith("/") or normalised.startswith("//"):
        return fallback
    try:
        parts = urlsplit(normalised)
    except ValueError:  # e.g. an unbalanced "[" read as an IPv6 host
        return fallback
    if parts.scheme or parts.netloc:
        return fallback
    return quote(normalised, safe=_URL_SAFE)
