"""Where the top-level folders of the product brief live.

From a checkout they sit beside the ``qaportal`` package; an installed wheel carries them
inside the package under ``_bundled`` (see ``pyproject.toml``). Everything that needs one of
these folders asks this module, so the two layouts never leak elsewhere.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_BUNDLED = PACKAGE_DIR / "_bundled"
_CHECKOUT = PACKAGE_DIR.parent


def _resolve(name: str) -> Path:
    bundled = _BUNDLED / name
    if bundled.is_dir():
        return bundled
    return _CHECKOUT / name


TEMPLATES_DIR = _resolve("templates")
FORMS_DIR = _resolve("forms")
REPORTS_DIR = _resolve("reports")
MIGRATIONS_DIR = _resolve("migrations")
STATIC_DIR = PACKAGE_DIR / "static"
DATA_DIR = PACKAGE_DIR / "data"
