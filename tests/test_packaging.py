"""The wheel carries the top-level folders (templates, forms, reports, migrations), the data
files and the compiled translations, and an installed portal finds them inside itself."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # --no-isolation builds with the hatchling of the test extras: no download needed.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(out),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    wheels = list(out.glob("qaportal-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def _files_under(folder: str) -> set[str]:
    base = ROOT / folder
    return {
        p.relative_to(base).as_posix()
        for p in base.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith(".pyc")
    }


def test_wheel_contains_the_bundled_folders_and_data(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("templates", "forms", "reports", "migrations"):
        expected = _files_under(folder)
        assert expected, f"{folder}/ is empty"
        missing = {f"qaportal/_bundled/{folder}/{name}" for name in expected} - names
        assert not missing, f"missing from the wheel: {sorted(missing)}"
    for required in (
        "qaportal/_bundled/templates/base.html",
        "qaportal/_bundled/migrations/env.py",
        "qaportal/data/common-passwords.txt",
        "qaportal/static/portal.css",
        "qaportal/translations/fr/LC_MESSAGES/messages.mo",
    ):
        assert required in names, f"{required} is not in the wheel"
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert "qaportal-0.1.0.dist-info/entry_points.txt" in names or any(
        n.endswith(".dist-info/entry_points.txt") for n in names
    )


def test_installed_wheel_finds_its_bundled_folders(wheel: Path, tmp_path: Path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    instance = tmp_path / "instance"
    script = f"""
import qaportal, qaportal.paths as p
from pathlib import Path
site = Path({str(site)!r})
assert Path(qaportal.__file__).is_relative_to(site), qaportal.__file__
for d in (p.TEMPLATES_DIR, p.FORMS_DIR, p.REPORTS_DIR, p.MIGRATIONS_DIR):
    assert d.is_dir() and d.is_relative_to(site / "qaportal" / "_bundled"), d
print(p.TEMPLATES_DIR)

from qaportal import create_app, migrate
app = create_app()
with app.app_context():
    migrate.upgrade("head")
page = app.test_client().get("/login", headers={{"Accept-Language": "fr"}})
assert page.status_code == 200, page.status_code
assert "Se connecter" in page.get_data(as_text=True)
print("ok")
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QAPORTAL_")}
    env.update(
        PYTHONPATH=str(site),
        QAPORTAL_INSTANCE_PATH=str(instance),
        QAPORTAL_DATABASE_URL=f"sqlite:///{tmp_path / 'wheel.sqlite3'}",
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    lines = result.stdout.split()
    assert lines[0] == str(site / "qaportal" / "_bundled" / "templates")
    assert lines[-1] == "ok"


def _module_level_imports(path: Path) -> set[str]:
    """Top-level names of what ``path`` imports when it is loaded (imports inside functions,
    and those under ``if TYPE_CHECKING:``, run later or never)."""
    import ast

    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_the_portal_imports_only_what_its_own_dependencies_install():
    """The README's first command installs the main dependencies only: a module that needs a
    test-extra package at import time (rdflib once did) stops the demo from starting."""
    import re
    from importlib import metadata

    def needs(dist: str) -> set[str]:
        try:
            requirements = metadata.requires(dist) or []
        except metadata.PackageNotFoundError:
            return set()
        return {
            re.split(r"[\s\[<>=!~;(]", r, maxsplit=1)[0].lower().replace("_", "-")
            for r in requirements
            if "extra ==" not in r
        }

    # What the main dependencies install, with what they in turn need (Flask brings click).
    wanted: set[str] = set()
    todo = needs("qaportal")
    while todo:
        dist = todo.pop()
        if dist not in wanted:
            wanted.add(dist)
            todo |= needs(dist)
    providers = metadata.packages_distributions()
    stdlib = sys.stdlib_module_names
    missing = {}
    for path in (ROOT / "qaportal").rglob("*.py"):
        for name in _module_level_imports(path) - stdlib - {"qaportal", "__future__"}:
            dists = {d.lower().replace("_", "-") for d in providers.get(name, [name])}
            if not dists & wanted:
                missing.setdefault(name, []).append(path.relative_to(ROOT).as_posix())
    assert not missing, f"imported at load time but not a main dependency: {missing}"
